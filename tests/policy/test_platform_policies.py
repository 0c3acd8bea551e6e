"""The built-in policies on the platform fixture match its owner's audit.

``sample_templates/platform/cdk.out`` with ``sample_templates/platform_app/AUDIT.md``: every
finding of the policies in ``policies/`` (the alarm, dashboard and tag policies aside, tested with
their grouping) is asserted exactly, per stage, with its severity; the audit's FALSE findings of
classes 1, 4, 5, 8 and 14 are gone and its TRUE ones (and the missed defects T-5, T-6) are there.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import scan

PLATFORM = Path(__file__).resolve().parents[2] / "sample_templates" / "platform" / "cdk.out"
OTHERS = ("CC-ALARM-", "CC-DASH-", "CC-TAG-", "CC-SUP-")  # grouped checks, tested elsewhere
BOTH = ("Dev", "Prod")

# (rule, logical id, severity, stages); AUDIT.md ids in the comments
EXPECTED = [
    ("CC-LAMBDA-002", "OrdersHandlerA8584A8A", "error", BOTH),  # E-1 / T-2
    ("CC-LAMBDA-002", "ReportExporterC0B674EB", "error", BOTH),  # E-2 / T-7
    ("CC-RET-001", "ProdDataDatabaseSecretDBC66DBF3fdaad7efa858a3daf9490cf0a702aeb", "error",
     ("Prod",)),  # E-3 / T-8
    # E-6 / T-3: the public function URL, one finding per stage (E9105 defers to it)
    ("CC-LAMBDA-004", "WebhookHandlerFunctionUrl8C186DA9", "error", BOTH),
    ("CC-S3-002", "SharedReportsPolicy770118F5", "error", BOTH),  # T-6 (M-3), missed before
    ("CC-CODEDEPLOY-001", "WorkerDeploymentBD152F36", "warning", BOTH),  # T-5 (M-2)
    ("CC-APIGW-005", "OrdersApihealthGET4A33FAE5", "warning", BOTH),  # W-APIGW-005-open / T-14
    ("CC-SNS-001", "AlarmTopicD01E77F9", "warning", BOTH),  # W-SNS-alarm
    ("CC-SNS-001", "ClusterWorkerCapacityLifecycleHookDrainHookTopic872EBB85", "warning",
     BOTH),  # W-SNS-drain
    # the services of issue 15 (tests/policy/test_platform_services.py has their messages)
    ("CC-EC2-001", "BastionInstanceSecurityGroup71C3847E", "error", BOTH),  # T-1: SSH open
    ("CC-ELB-004", "PublicAlb84330974", "warning", BOTH),  # no ALB access logs
    ("CC-ELB-005", "PublicAlb84330974", "warning", ("Prod",)),  # no deletion protection
    ("CC-ECR-003", "ServiceRepository46595ECE", "info", BOTH),  # AES-256 default, not KMS
    # class 1: the service defaults relied on, at info (E-4, W-SQS, W-LOGS-001-user)
    ("CC-S3-001", "ExportsBucket5A12738B", "info", BOTH),
    ("CC-S3-003", "ExportsBucket5A12738B", "info", BOTH),
    ("CC-SQS-001", "IngestQueue2280FF4E", "info", BOTH),
    ("CC-SQS-001", "IngestDeadLetters30EF41F6", "info", BOTH),
    *[("CC-LOGS-001", lid, "info", BOTH) for lid in (
        "HttpApiAccessLogs4B419BF6", "IngestHandlerLogGroup4A7A1D99",
        "ItemsHandlerLogGroupBC440554", "OrdersHandlerLogGroup2771CEE6",
        "ReportExporterLogGroupE4E25C66", "RestApiAccessLogs583CC468",
        "SeedReferenceDataLogGroupEAFD9E90", "StatusHandlerLogGroupAEFE06DD",
        "TokenAuthorizerFunctionLogGroup8957D9C8", "WebhookHandlerLogGroupA0AD2073",
        "WorkerFunctionLogGroup84405B00", "FlowLogGroup3E25AA51", "WebLogGroup68B8CF3C",
        # W-LOGS-001-rds (class 8: the message names the RDS instance)
        "DatabaseLogRetentionpostgresqlFBE8A947", "DatabaseLogRetentionupgrade5EE08DCB",
        # W-LOGS-001-cdk (class 14: CDK's own functions' log groups, named as such)
        "AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2",
        "ClusterWorkerCapacityDrainECSHookFunctionLogGroup9FF93D45")],
]


@cache
def findings(enable: tuple = ()) -> tuple:
    config = Config({"rules": {"enable": list(enable)}} if enable else {})
    result = scan([PLATFORM], config, jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id.startswith("CC-")
                 and not f.rule_id.startswith(OTHERS))


def _rows(found) -> list:
    out: dict = {}
    for f in found:
        out.setdefault((f.rule_id, f.logical_id, f.severity), set()).add(f.stack.split("/")[0])
    return sorted((*k, tuple(sorted(v))) for k, v in out.items())


def _one(rule: str, lid: str, stage: str = "Dev", found=None):
    (f,) = [f for f in (found or findings()) if (f.rule_id, f.logical_id) == (rule, lid)
            and f.stack.startswith(stage + "/")]
    return f


def test_exact_policy_findings_per_the_audit():
    assert _rows(findings()) == sorted(EXPECTED)


def test_errors_are_the_audits_true_ones():
    errors = [(f.rule_id, f.stack, f.logical_id) for f in findings() if f.severity == "error"]
    # E-1 x2, E-2 x2, E-3, E-6 x2 and the missed T-6 x2 and T-1 x2
    assert len(errors) == 11


def test_house_preferences_stay_off_and_report_when_enabled():
    """W-RES and W-LAMBDA-001-pref/-dup/-cdk (classes 4, 2, 14): off by default; enabled, the
    cap reports only the app's own functions beyond it, never the API handlers again or CDK's
    functions."""
    assert not {f.rule_id for f in findings()} & {"CC-RES-001", "CC-LAMBDA-001"}
    found = findings(("CC-LAMBDA-001",))
    cap = {(f.stack, f.logical_id) for f in found if f.rule_id == "CC-LAMBDA-001"}
    assert cap == {("Dev/Api", "SeedReferenceData072D0FE8"),
                   ("Prod/Api", "SeedReferenceData072D0FE8"),
                   ("Dev/Delivery", "WorkerFunctionACE6A4B0"),
                   ("Prod/Delivery", "WorkerFunctionACE6A4B0"),
                   ("Prod/Api", "IngestHandler6F5F26C7")}
    handler = _one("CC-LAMBDA-002", "OrdersHandlerA8584A8A", "Prod", found)
    assert handler.message.endswith("also CC-LAMBDA-001 (Lambda function timeouts stay within "
                                    "the stage limit): Properties.Timeout is 300, expected "
                                    "<= 15")


def test_messages_state_the_facts():
    rds = _one("CC-LOGS-001", "DatabaseLogRetentionpostgresqlFBE8A947")
    assert "created by the service behind Dev/Data/Database (aws_rds.DatabaseInstance)" \
        in rds.message
    assert "created by Lambda" not in rds.message
    drain = _one("CC-LOGS-001", "ClusterWorkerCapacityDrainECSHookFunctionLogGroup9FF93D45")
    assert "(CDK-generated resource: a function aws-cdk-lib's aws_autoscaling." \
           "AutoScalingGroup creates for itself" in drain.message
    group = _one("CC-CODEDEPLOY-001", "WorkerDeploymentBD152F36")
    assert "(alias: Dev/Delivery/WorkerLive)" in group.message
    topic = _one("CC-SNS-001", "ClusterWorkerCapacityLifecycleHookDrainHookTopic872EBB85")
    assert topic.message.startswith(
        "SNS topic ClusterWorkerCapacityLifecycleHookDrainHookTopic872EBB85 (created by "
        "Dev/Network/Cluster/WorkerCapacity/LifecycleHookDrainHook "
        "(aws_autoscaling.LifecycleHook)) is not encrypted at rest")
    assert "topic_encryption_key=" in topic.remediation
    bucket = _one("CC-S3-001", "ExportsBucket5A12738B")
    assert "relies on the service default for Block Public Access" in bucket.message
    shared = _one("CC-S3-002", "SharedReportsPolicy770118F5")
    assert "the policy of a bucket defined outside this app" in shared.message
