"""Real CDK output (tests/fixtures/http_api_app, see its app.py): CC-ALARM-007 on HTTP APIs
(lower-case 4xx/5xx metrics, ApiId dimension) and CC-TAG-001 on DynamoDB TableV2
(AWS::DynamoDB::GlobalTable, tags in Replicas[].Tags), grouped per stack."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.engine import scan

APP = Path(__file__).resolve().parents[1] / "fixtures" / "http_api_app" / "cdk.out"
RULES = ("CC-ALARM-007", "CC-TAG-001", "CC-DASH-001")


@cache
def findings() -> tuple:
    result = scan([APP], jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id in RULES)


def shape(f) -> tuple:
    return (f.rule_id, f.stack, f.logical_id, tuple(m["logical_id"] for m in f.related))


def test_exact_findings():
    assert sorted(shape(f) for f in findings()) == [
        ("CC-ALARM-007", "Http", "Bare254EC4A2", ()),
        ("CC-ALARM-007", "Http", "ServerOnly487CC13D", ()),
        # no dashboard in the app: one finding, each HTTP API a related location
        ("CC-DASH-001", "Http", "AlarmedFD593CB8",
         ("AlarmedFD593CB8", "Bare254EC4A2", "ServerOnly487CC13D")),
        # the untagged stack: one finding naming the TableV2 and the topic
        ("CC-TAG-001", "Untagged", None, ("EventsD32975C2", "OrdersA9B65338")),
    ]


def test_messages_name_the_missing_metrics_and_the_group():
    by = {(f.rule_id, f.logical_id): f for f in findings()}
    assert by["CC-ALARM-007", "ServerOnly487CC13D"].message == (
        "HTTP API ServerOnly487CC13D lacks CloudWatch alarms: no alarm on 4xx (namespace "
        "AWS/ApiGateway, dimension ApiId) references the API")
    assert by["CC-ALARM-007", "Bare254EC4A2"].message == (
        "HTTP API Bare254EC4A2 lacks CloudWatch alarms: no alarm on 4xx (namespace "
        "AWS/ApiGateway, dimension ApiId) references the API; no alarm on 5xx (namespace "
        "AWS/ApiGateway, dimension ApiId) references the API")
    assert by["CC-DASH-001", "AlarmedFD593CB8"].message == (
        "3 function(s) and API(s) of cloud assembly cdk.out are not on a CloudWatch "
        "dashboard: the app (cloud assembly cdk.out) has no CloudWatch dashboard")
    tags = by["CC-TAG-001", None]
    assert tags.message == ("2 taggable resource(s) of stack Untagged lack required tags "
                            "(missing tags Environment, Owner); one tags= on the stack fixes "
                            "them all")
    table = next(m for m in tags.related if m["logical_id"] == "OrdersA9B65338")
    assert table["resource_type"] == "AWS::DynamoDB::GlobalTable"
    assert table["construct_path"] == "Untagged/Orders/Resource"
