"""The built-in policy pack (the policies beyond the first five) on the committed CDK samples.

``cfncheck scan`` on ``serverless-defective`` must report exactly the planted defects these
policies own (sample_templates/README.md, defects 2, 3, 6, 7, 9, 10, 12, plus the unencrypted
SNS topic and the S3-invoked function without a DLQ), with the right stage, stack, resource,
construct path and line; on ``serverless-fixed`` it must report none of them, except
CC-LAMBDA-003 on WorkerFunction: the fixed sample still has no dead-letter queue or on-failure
destination for the function S3 invokes asynchronously (a gap in the sample, see the report).

Expected values are written out here; construct paths and lines are checked against the
template files read with ``json`` (not through cfncheck's own locator).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from cfncheck.engine import scan
from tests.samples import DEFECTIVE, FIXED

PACK = (
    "CC-S3-002", "CC-S3-003", "CC-LOGS-002", "CC-APIGW-001", "CC-APIGW-002", "CC-APIGW-003",
    "CC-APIGW-004", "CC-APIGW-005", "CC-ALARM-001", "CC-ALARM-002", "CC-ALARM-003",
    "CC-ALARM-004", "CC-ALARM-005", "CC-ALARM-006", "CC-DASH-001", "CC-CF-001", "CC-CF-002",
    "CC-CF-003", "CC-TAG-001", "CC-RES-001", "CC-SNS-001", "CC-SQS-001", "CC-LAMBDA-003",
    "CC-CODEDEPLOY-001",
    # none of these four fires on either sample: every function declares a log group with a
    # retention (ReportFunction in defective through CDK's log_retention), the one custom
    # CloudFront origin is https-only, and there is no function URL or custom domain name
    "CC-LOGS-003", "CC-CF-004", "CC-LAMBDA-004", "CC-APIGW-008",
)

FUNCTIONS = ["OrdersApiFunctionF46D4A7F", "ReportFunction3CBC8DF1", "WorkerFunctionACE6A4B0"]
STAGE_RES = "OrdersApiDeploymentStagev178298ECB"
METHODS = ["OrdersApiapiordersGETE02DF052", "OrdersApiapiordersPOST3BE416A5",
           "OrdersApiapiordersorderIdGET7686147E", "OrdersApiapireportsGETAF597B48"]
# CDK-generated resources (cfncheck.cdk_internals): CC-TAG-001 reports them at info severity
TAG_INTERNAL = {
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691",
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC",
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A",
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB",
    "OrdersApiCloudWatchRole00EA2E11",
    "CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F",  # Dev only
    "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092",  # Dev only
}
TAG_API = [
    "AlertsTopic3414BE91", "ApiAccessLogsE9DF007D", "Cdn9963B1AD", "DataBucketE3889A50",
    "OrdersApi48294D44", STAGE_RES, "OrdersApiFunctionF46D4A7F",
    "OrdersApiFunctionServiceRole5A2AECBE", "OrdersApiLogGroup0E78A56E",
    "OrdersIngestRuleB9E3F2B2", "OrdersTable315BB997", "ReportDeploymentGroup15A755AE",
    "ReportDeploymentGroupApplication98CE35F5", "ReportDeploymentGroupServiceRoleFAF55CAA",
    "ReportFunction3CBC8DF1", "ReportFunctionServiceRole0DFEEE18",
    "StorageNestedStackStorageNestedStackResource9807768E", "WorkerFunctionACE6A4B0",
    "WorkerFunctionServiceRole38D8F738", "WorkerLogGroup31FDBE4A",
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691",
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC",
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A",
    "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRole9741ECFB",
    "OrdersApiCloudWatchRole00EA2E11",
]

# rule -> stack (without the stage prefix) -> logical ids; the same in Dev and Prod
DEFECTIVE_BOTH_STAGES = {
    "CC-S3-002": {"Api": ["DataBucketE3889A50"]},  # defect 3: no SSL-only statement
    "CC-S3-003": {"Api": ["DataBucketE3889A50"]},  # defect 3: no BucketEncryption
    "CC-LOGS-002": {"Api": ["ApiAccessLogsE9DF007D"]},  # defect 2: never expires
    "CC-APIGW-001": {"Api": [STAGE_RES]},  # defect 6: no MethodSettings
    "CC-APIGW-003": {"Api": [STAGE_RES]},  # defect 6: no usage plan
    "CC-APIGW-004": {"Api": [STAGE_RES]},  # defect 6: no API key / usage plan key
    "CC-APIGW-005": {"Api": METHODS},  # defect 6: ApiKeyRequired absent
    # defect 7: only OrdersApiFunction has an Errors alarm (in the Monitoring stack)
    "CC-ALARM-001": {"Api": ["ReportFunction3CBC8DF1", "WorkerFunctionACE6A4B0"]},
    "CC-ALARM-002": {"Api": FUNCTIONS},
    "CC-ALARM-003": {"Api": FUNCTIONS},
    "CC-ALARM-004": {"Api": ["OrdersApi48294D44"]},
    "CC-ALARM-005": {"Api": ["OrdersApi48294D44"]},
    "CC-ALARM-006": {"Monitoring": ["OrdersApiErrorsAlarm9E152C1C"]},  # no AlarmActions
    "CC-DASH-001": {"Api": FUNCTIONS + ["OrdersApi48294D44"]},  # defect 7: no dashboard
    "CC-CF-001": {"Api": ["Cdn9963B1AD"]},  # defect 9: /api/* with CachingOptimized
    # defect 12: canary deployment without alarms to roll back on (the alias is named in it);
    # CC-RES-001 (unwanted types, opt-in) is checked below with the preference enabled
    "CC-CODEDEPLOY-001": {"Api": ["ReportDeploymentGroup15A755AE"]},
    "CC-SNS-001": {"Api": ["AlertsTopic3414BE91"]},  # topic without KmsMasterKeyId
    "CC-LAMBDA-003": {"Api": ["WorkerFunctionACE6A4B0"]},  # S3-invoked, no DLQ
    "CC-TAG-001": {  # defect 10: Dev has Environment only, Prod no tags, no stack tags
        "Api": TAG_API,
        "Api/Storage": ["AuditTableB07F8EEB", "EventsQueueB96EB0D2"],
        "Monitoring": ["OrdersApiErrorsAlarm9E152C1C"],
    },
}
DEFECTIVE_DEV_ONLY = {
    "CC-TAG-001": {"Api": ["CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F",
                           "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092"]},
}
FIXED_BOTH_STAGES: dict = {}  # the fixed sample is clean (its worker has a dead-letter queue)


def _expand(both: dict, dev_only: dict | None = None) -> set:
    out = set()
    for stages, table in ((("Dev", "Prod"), both), (("Dev",), dev_only or {})):
        for rule, stacks in table.items():
            for stack, lids in stacks.items():
                for stage in stages:
                    out.update((rule, f"{stage}/{stack}", lid) for lid in lids)
    return out


@cache
def _findings(sample: Path) -> tuple:
    result = scan([sample], jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id in PACK)


@cache
def _template(path: Path) -> tuple[dict, list[str]]:
    text = path.read_text()
    return json.loads(text), text.splitlines()


def _keyed(findings) -> set:
    return {(f.rule_id, f.stack, f.logical_id) for f in findings}


def test_defective_reports_exactly_the_planted_defects():
    got = _keyed(_findings(DEFECTIVE))
    want = _expand(DEFECTIVE_BOTH_STAGES, DEFECTIVE_DEV_ONLY)
    assert sorted(got - want) == []
    assert sorted(want - got) == []


def test_defective_one_finding_per_rule_and_resource():
    findings = _findings(DEFECTIVE)
    want = _expand(DEFECTIVE_BOTH_STAGES, DEFECTIVE_DEV_ONLY)
    assert len(findings) == len(_keyed(findings)) == len(want) == 116


def test_fixed_reports_nothing():
    assert _keyed(_findings(FIXED)) == _expand(FIXED_BOTH_STAGES) == set()


@pytest.mark.parametrize("sample", [DEFECTIVE], ids=["defective"])
def test_stage_construct_path_and_line(sample):
    findings = _findings(sample)
    assert findings
    for f in findings:
        stage_name, _, _ = f.stack.partition("/")
        assert f.stage == stage_name.lower()
        data, lines = _template(sample / f.template)
        res = data["Resources"][f.logical_id]
        assert f.resource_type == res["Type"]
        assert f.construct_path == res["Metadata"]["aws:cdk:path"]
        assert f.construct_path.startswith(f"{stage_name}/")
        # the line shows the failing property (or the resource when a relation is missing)
        assert f.path[:2] == ("Resources", f.logical_id)
        last_key = [p for p in f.path if isinstance(p, str)][-1]
        assert f'"{last_key}"' in lines[f.line - 1], (f.rule_id, f.path, lines[f.line - 1])


def _one(rule: str, stack: str, lid: str, sample: Path = DEFECTIVE):
    (f,) = [f for f in _findings(sample)
            if (f.rule_id, f.stack, f.logical_id) == (rule, stack, lid)]
    return f


def test_paths_point_at_the_failing_property():
    cf = _one("CC-CF-001", "Prod/Api", "Cdn9963B1AD")
    assert cf.path == ("Resources", "Cdn9963B1AD", "Properties", "DistributionConfig",
                       "CacheBehaviors", 0, "CachePolicyId")
    assert "658327ea-f89d-4fab-a63d-7e88639e58f6" in cf.message
    assert cf.severity == "error"
    logs_dev = _one("CC-LOGS-002", "Dev/Api", "ApiAccessLogsE9DF007D")
    assert logs_dev.path == ("Resources", "ApiAccessLogsE9DF007D", "Properties")
    # in Prod the log group has no Properties at all: the resource line
    logs_prod = _one("CC-LOGS-002", "Prod/Api", "ApiAccessLogsE9DF007D")
    assert logs_prod.path == ("Resources", "ApiAccessLogsE9DF007D")
    assert "RetentionInDays is absent" in logs_prod.message
    cd = _one("CC-CODEDEPLOY-001", "Dev/Api", "ReportDeploymentGroup15A755AE")
    assert cd.severity == "warning"
    assert cd.message.startswith(
        "Deployment group ReportDeploymentGroup15A755AE shifts Lambda traffic gradually "
        "(alias: Dev/Api/ReportLiveAlias) but cannot roll back on errors: no enabled "
        "AlarmConfiguration with at least one alarm")


def test_house_preferences_are_opt_in():
    """CC-RES-001 (unwanted types) and CC-LAMBDA-001 (stage timeout cap) run only when the
    config enables them; then they report the sample's alias, group and long timeouts."""
    from cfncheck.config import Config

    default = {f.rule_id for f in scan([DEFECTIVE], jobs=1).findings}
    assert not default & {"CC-RES-001", "CC-LAMBDA-001"}
    cfg = Config({"rules": {"enable": ["CC-RES-001", "CC-LAMBDA-001"]}})
    found = scan([DEFECTIVE], cfg, jobs=1).findings
    res = {(f.stack, f.logical_id) for f in found if f.rule_id == "CC-RES-001"}
    assert res == {(f"{s}/Api", lid) for s in ("Dev", "Prod") for lid in
                   ("ReportDeploymentGroup15A755AE", "ReportLiveAliasBCFD0480")}
    (alias,) = [f for f in found if (f.rule_id, f.stack, f.logical_id) ==
                ("CC-RES-001", "Dev/Api", "ReportLiveAliasBCFD0480")]
    assert alias.path == ("Resources", "ReportLiveAliasBCFD0480", "Type")
    assert alias.message.startswith("AWS::Lambda::Alias ReportLiveAliasBCFD0480 is a resource "
                                    "type this project does not want in stage dev")
    # the API handlers' timeouts are CC-LAMBDA-002's (naming the cap); the worker's is the cap's
    cap = {(f.stack, f.logical_id) for f in found if f.rule_id == "CC-LAMBDA-001"}
    assert cap == {("Dev/Api", "WorkerFunctionACE6A4B0"), ("Prod/Api", "WorkerFunctionACE6A4B0")}


def test_relationship_findings_name_the_missing_link():
    alarm = _one("CC-ALARM-002", "Prod/Api", "OrdersApiFunctionF46D4A7F")
    assert alarm.message == (
        "Function OrdersApiFunctionF46D4A7F has no CloudWatch alarm on Duration: no "
        "AWS::CloudWatch::Alarm with Namespace AWS/Lambda and MetricName Duration references "
        "the function in its Dimensions or Metrics")
    key = _one("CC-APIGW-004", "Dev/Api", STAGE_RES)
    assert "UsagePlanKey" in key.message
    dash = _one("CC-DASH-001", "Dev/Api", "OrdersApi48294D44")
    assert "CDK Stage Dev" in dash.message


def test_tag_severity_for_cdk_internals():
    for f in _findings(DEFECTIVE):
        if f.rule_id != "CC-TAG-001":
            continue
        if f.logical_id in TAG_INTERNAL:
            assert f.severity == "info", f.logical_id
            assert "(CDK-generated resource: " in f.message
        else:
            assert f.severity == "warning", f.logical_id
            assert "CDK-generated" not in f.message
    dev = _one("CC-TAG-001", "Dev/Api", "DataBucketE3889A50")
    assert dev.message.endswith("lacks required tags: missing tag Owner")
    prod = _one("CC-TAG-001", "Prod/Api", "DataBucketE3889A50")
    assert prod.message.endswith("missing tags Environment, Owner")


def test_cdk_internal_functions_are_not_asked_for_alarms_or_dashboards():
    internal = {lid for lid in TAG_INTERNAL if "Role" not in lid}
    for f in _findings(DEFECTIVE):
        if f.rule_id.startswith(("CC-ALARM-", "CC-DASH-", "CC-LAMBDA-003")):
            assert f.logical_id not in internal
