"""The exact findings of the 92xx/93xx/94xx rules on the platform fixture
(sample_templates/platform/, real CDK output) match the owner's audit
(sample_templates/platform_app/AUDIT.md): the true ones remain at their level, the false ones
are info with the reason, the duplicates are folded."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfncheck.engine import scan
from cfncheck.rules import all_rules

SAMPLES = Path(__file__).resolve().parents[2] / "sample_templates"
IDS = {"W9201", "W9202", "W9203", "W9301", "E9302", "W9303", "E9401", "E9402", "W9403"}
EXPECTED = [
    # W-E9401 (class 9): valid python3.14 that Python 3.11 cannot parse: info; its
    # module-level imports are still checked, and aws_lambda_powertools comes from AWS's
    # Powertools layer (class 10): no E9402
    ("E9401", "info", "Dev/Api", "ItemsHandlerFB09CCF4", "handler-not-analysed"),
    ("E9401", "info", "Prod/Api", "ItemsHandlerFB09CCF4", "handler-not-analysed"),
    # E-8 TRUE, E-9 folded into it (class 2): one finding per unbundled requirements set
    ("E9402", "error", "Dev/Api", "ReportExporterC0B674EB", "unbundled"),
    ("E9402", "error", "Prod/Api", "ReportExporterC0B674EB", "unbundled"),
    # W-W9201-create/-update (class 7, one finding for Create and Update), W-W9201-policy
    ("W9201", "info", "Dev/Api", "SharedWebAclLookup87DCDB1B", "Properties.Create|us-east-1"),
    ("W9201", "info", "Dev/Api", "SharedWebAclLookupCustomResourcePolicyF54D488E",
     "Properties.PolicyDocument.Statement[0].Resource|us-east-1"),
    ("W9201", "info", "Prod/Api", "SharedWebAclLookup87DCDB1B", "Properties.Create|us-east-1"),
    ("W9201", "info", "Prod/Api", "SharedWebAclLookupCustomResourcePolicyF54D488E",
     "Properties.PolicyDocument.Statement[0].Resource|us-east-1"),
    # W-W9202-trust/-target/-role (class 7): the central account, on purpose
    ("W9202", "info", "Dev/Events", "CentralAuditRoleA8BF83E8",
     "Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS|222222222222"),
    ("W9202", "info", "Dev/Events", "ForwardToCentral3DCC5103",
     "Properties.Targets[0].Arn|222222222222"),
    ("W9202", "info", "Dev/Events", "ForwardToCentralEventsRoleDefaultPolicy25973B2E",
     "Properties.PolicyDocument.Statement[0].Resource|222222222222"),
    ("W9202", "info", "Prod/Events", "CentralAuditRoleA8BF83E8",
     "Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS|222222222222"),
    ("W9202", "info", "Prod/Events", "ForwardToCentral3DCC5103",
     "Properties.Targets[0].Arn|222222222222"),
    ("W9202", "info", "Prod/Events", "ForwardToCentralEventsRoleDefaultPolicy25973B2E",
     "Properties.PolicyDocument.Statement[0].Resource|222222222222"),
    # W-W9203 (class 8): a stage-named event bus collides with no other stage or region
    ("W9203", "info", "Dev/Events", "OrdersBus68D47F66", "Name"),
    ("W9203", "info", "Prod/Events", "OrdersBus68D47F66", "Name"),
]


def run(folder: str):
    return scan([SAMPLES / folder / "cdk.out"], checks=[r for r in all_rules() if r.id in IDS])


@pytest.fixture(scope="module")
def platform():
    return run("platform")


def rows(result) -> list:
    return sorted((f.rule_id, f.severity, f.stack, f.logical_id, f.key)
                  for f in result.findings)


def test_exact_findings_on_the_platform_app(platform):
    assert platform.errors == []
    assert rows(platform) == EXPECTED


def test_messages_state_the_facts(platform):
    by = {(f.rule_id, f.stack, f.logical_id): f.message for f in platform.findings}
    assert by[("E9402", "Dev/Api", "ReportExporterC0B674EB")].endswith(
        "holds requirements.txt but no installed package: the code was deployed without its "
        "dependencies, so the imports of 'openpyxl' (handler.py:8), 'requests' (handler.py:7) "
        "fail on every cold start")
    assert "handler 'handler.handler' not fully checked: handler.py was analysed only in part " \
        "(its module-level imports and definitions, read from its tokens): it does not parse " \
        "with the grammar of Python 3.11" in by[("E9401", "Dev/Api", "ItemsHandlerFB09CCF4")]
    assert "Properties.Create (also in Properties.Update) has the literal region us-east-1" in \
        by[("W9201", "Prod/Api", "SharedWebAclLookup87DCDB1B")]
    assert "us-east-1 is another region than this stack's (eu-west-1): a cross-region design" \
        in by[("W9201", "Prod/Api", "SharedWebAclLookup87DCDB1B")]
    assert by[("W9202", "Dev/Events", "ForwardToCentral3DCC5103")].endswith(
        "it is the ARN of a resource (events) in account 222222222222, another account than "
        "this stack's: a cross-account design, not a defect")
    for message in by.values():  # never the advice that would be wrong here
        assert "use AWS::Region" not in message and "use AWS::AccountId" not in message
    # class 10: AWS's Powertools publisher account is never reported; class 13: nor the
    # certificate ARN from context
    assert not any("017000801446" in m or ":certificate/" in m for m in by.values())


def test_skipped_bundling_is_notes_not_errors():
    result = run("platform-nobundle")
    assert result.errors == []
    assert rows(result) == EXPECTED  # the skipped functions have no bundle finding here
    notes = [n for n in result.notes if "is not in the assembly" in n]
    assert [n.split(":", 1)[0] for n in notes] == [
        "stack Dev/Delivery", "stack Prod/Api", "stack Prod/Delivery"]
    assert "(WorkerFunctionACE6A4B0)" in notes[0] and "(IngestHandler6F5F26C7)" in notes[1]


def test_the_powertools_layer_provides_its_module():
    from cfncheck import lambda_bundle
    from cfncheck.assembly import load
    from cfncheck.graph import Graph

    loaded = load([SAMPLES / "platform" / "cdk.out"])
    stack = next(s for s in loaded.stacks if s.name == "Dev/Api")
    code = lambda_bundle.function_code(stack, "ItemsHandlerFB09CCF4", Graph(loaded.stacks))
    assert code.opaque_layers == [] and [a for a, _ in code.public_layers] == [
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-"
        "x86_64:18"]
    analysis = lambda_bundle.analyze(code)
    assert {k: r.where for k, r in analysis.imports.items()} == {
        "os": "stdlib", "boto3": "runtime",
        "aws_lambda_powertools": "the AWS (Powertools for AWS Lambda, Python) layer"}
