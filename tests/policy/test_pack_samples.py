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
    # defect 6: ApiKeyRequired absent on the open methods; the missing usage plan and key of
    # the stage are the same root cause, named in these findings (CC-APIGW-003/004 apply once
    # a method requires a key)
    "CC-APIGW-005": {"Api": METHODS},
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
    """(rule, stack, resource) of every defect the findings name: a grouped finding names each
    affected resource (``related``), a merged one each check it stands for (``covers``)."""
    out = set()
    for f in findings:
        for rule in (f.rule_id, *(c["rule_id"] for c in f.covers)):
            if f.related:
                out.update((rule, m["stack"], m["logical_id"]) for m in f.related)
            else:
                out.add((rule, f.stack, f.logical_id))
    return out


def test_defective_reports_exactly_the_planted_defects():
    got = _keyed(_findings(DEFECTIVE))
    want = _expand(DEFECTIVE_BOTH_STAGES, DEFECTIVE_DEV_ONLY)
    assert sorted(got - want) == []
    assert sorted(want - got) == []
    assert len(want) == 112


def _shape(f) -> tuple:
    return (f.rule_id, f.stack, f.logical_id, f.severity,
            tuple(sorted(m["logical_id"] for m in f.related)),
            tuple(c["rule_id"] for c in f.covers))


def _grouped_expected(stage: str) -> set:
    """One root cause, one finding: the grouped and merged findings of one stage."""
    api_tags = sorted(TAG_API)
    out = {
        # one tags= per stack: Dev carries Environment (Tags.of) but no Owner anywhere
        ("CC-TAG-001", f"{stage}/Api", None, "warning", tuple(api_tags), ()),
        ("CC-TAG-001", f"{stage}/Api/Storage", None, "warning",
         ("AuditTableB07F8EEB", "EventsQueueB96EB0D2"), ()),
        ("CC-TAG-001", f"{stage}/Monitoring", None, "warning",
         ("OrdersApiErrorsAlarm9E152C1C",), ()),
        # no dashboard in the CDK Stage: one finding, at the first function/API
        ("CC-DASH-001", f"{stage}/Api", "OrdersApi48294D44", "warning",
         tuple(sorted(FUNCTIONS + ["OrdersApi48294D44"])), ()),
        # the alarms a function lacks: one finding under the lowest missing id
        ("CC-ALARM-002", f"{stage}/Api", "OrdersApiFunctionF46D4A7F", "warning", (),
         ("CC-ALARM-003",)),
        ("CC-ALARM-001", f"{stage}/Api", "ReportFunction3CBC8DF1", "warning", (),
         ("CC-ALARM-002", "CC-ALARM-003")),
        ("CC-ALARM-001", f"{stage}/Api", "WorkerFunctionACE6A4B0", "warning", (),
         ("CC-ALARM-002", "CC-ALARM-003")),
        ("CC-ALARM-004", f"{stage}/Api", "OrdersApi48294D44", "warning", (), ("CC-ALARM-005",)),
    }
    if stage == "Dev":  # Tags.of() does not reach CDK's plain CfnResource providers
        out.add(("CC-TAG-001", "Dev/Api", None, "info",
                 ("CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F",
                  "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092"), ()))
    return out


def test_defective_one_finding_per_root_cause():
    findings = _findings(DEFECTIVE)
    grouped = {_shape(f) for f in findings if f.related or f.covers}
    assert grouped == _grouped_expected("Dev") | _grouped_expected("Prod")
    # every other finding is one rule on one resource, and nothing is reported twice
    plain = [f for f in findings if not (f.related or f.covers)]
    assert len({(f.rule_id, f.stack, f.logical_id) for f in plain}) == len(plain) == 26
    assert len(findings) == 26 + 17  # 112 defects


def test_fixed_reports_nothing():
    assert _keyed(_findings(FIXED)) == _expand(FIXED_BOTH_STAGES) == set()


@pytest.mark.parametrize("sample", [DEFECTIVE], ids=["defective"])
def test_stage_construct_path_and_line(sample):
    findings = _findings(sample)
    assert findings
    for f in findings:
        stage_name, _, _ = f.stack.partition("/")
        if f.logical_id is None:  # a stack's grouped finding: at the stack's Resources
            data, lines = _template(sample / f.template)
            assert f.path == ("Resources",) and lines[f.line - 1].strip() == '"Resources": {'
            for m in f.related:
                res = data["Resources"][m["logical_id"]]
                assert m["construct_path"] == res["Metadata"]["aws:cdk:path"]
                assert m["resource_type"] == res["Type"]
                assert f'"{m["logical_id"]}"' in lines[m["line"] - 1]
            continue
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
        "Function OrdersApiFunctionF46D4A7F has no CloudWatch alarm on Duration and Throttles: "
        "no AWS::CloudWatch::Alarm in namespace AWS/Lambda with these metrics references the "
        "function in its Dimensions or Metrics (CC-ALARM-002, CC-ALARM-003)")
    worker = _one("CC-ALARM-001", "Prod/Api", "WorkerFunctionACE6A4B0")
    assert worker.message.startswith("Function WorkerFunctionACE6A4B0 has no CloudWatch alarm "
                                     "on Errors, Duration and Throttles: ")
    key = _one("CC-APIGW-005", "Dev/Api", "OrdersApiapiordersGETE02DF052")
    assert "no usage plan meters or limits its callers" in key.message
    dash = _one("CC-DASH-001", "Dev/Api", "OrdersApi48294D44")
    assert dash.message == ("4 function(s) and API(s) of CDK Stage Dev are not on a CloudWatch "
                            "dashboard: the app (CDK Stage Dev) has no CloudWatch dashboard")


def test_tag_severity_for_cdk_internals():
    # a stack without the tags: one warning for the whole stack (its tags= fixes CDK's
    # providers too); in Dev, Tags.of() set Environment but does not reach the plain
    # CfnResource providers: their group (Environment and Owner missing) is info
    tags = {(f.stack, f.severity): f for f in _findings(DEFECTIVE) if f.rule_id == "CC-TAG-001"
            and f.stack.endswith("/Api")}
    assert sorted(tags) == [("Dev/Api", "info"), ("Dev/Api", "warning"),
                            ("Prod/Api", "warning")]
    assert {m["logical_id"] for m in tags["Dev/Api", "info"].related} <= TAG_INTERNAL
    assert tags["Dev/Api", "info"].message.endswith(
        "one tags= on the stack fixes them all (CDK-generated resources: CDK's "
        "auto-delete-objects provider (created by auto_delete_objects=True); construct "
        "Dev/Api/Custom::S3AutoDeleteObjectsCustomResourceProvider "
        "(CustomResourceProviderBase))")
    assert tags["Dev/Api", "warning"].message == (
        "25 taggable resource(s) of stack Dev/Api lack required tags (missing tag Owner); one "
        "tags= on the stack fixes them all")
    assert tags["Prod/Api", "warning"].message == (
        "25 taggable resource(s) of stack Prod/Api lack required tags (missing tags "
        "Environment, Owner); one tags= on the stack fixes them all")


def test_cdk_internal_functions_are_not_asked_for_alarms_or_dashboards():
    internal = {lid for lid in TAG_INTERNAL if "Role" not in lid}
    for f in _findings(DEFECTIVE):
        if f.rule_id.startswith(("CC-ALARM-", "CC-DASH-", "CC-LAMBDA-003")):
            assert f.logical_id not in internal
