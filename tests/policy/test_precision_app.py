"""End to end on real CDK output: tests/fixtures/precision_app (synthesized by its app.py).

The app holds the shapes the precision audit of issue 12 found false findings on (service
defaults, CDK-generated functions, an RDS log export, CodeDeploy traffic shifting, authorized
REST API methods, a bucket policy for a bucket defined elsewhere, a 300 s API handler). These
tests assert the exact findings of the policies concerned: the false ones are gone, the true
ones remain, with the severity and the facts the messages must state.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.assembly import load
from cfncheck.cdk_internals import classify
from cfncheck.config import Config
from cfncheck.engine import scan

APP = Path(__file__).resolve().parents[1] / "fixtures" / "precision_app" / "cdk.out"
STACK = "Prod/Platform"
RULES = ("CC-S3-001", "CC-S3-002", "CC-SQS-001", "CC-LOGS-001", "CC-LOGS-002", "CC-LOGS-003",
         "CC-LAMBDA-001", "CC-LAMBDA-002", "CC-APIGW-003", "CC-APIGW-004", "CC-APIGW-005",
         "CC-CODEDEPLOY-001", "CC-RES-001")
FUNCTION_LOG_GROUPS = ["OnUploadFunctionLogGroupF891E27E", "MigrateTriggerLogGroup901463C9",
                       "ProviderOnEventLogGroup2C3DEFBF", "BlindFunctionLogGroup7AFA1455",
                       "WatchedFunctionLogGroup31474FF3", "CustomShiftFunctionLogGroupDF2E0627",
                       "AtOnceFunctionLogGroup4FA2D229", "ApiHandlerLogGroupBBAF41F6",
                       "AuthFunctionLogGroupF2D1C9DD"]
GENERATED_LOG_GROUPS = [
    "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CLogGroup817B64E9",
    "ProviderframeworkonEventLogGroup683073A3",
    "AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2"]

DEFAULT = sorted([
    # service defaults: info; explicit unsafe values: error
    ("CC-S3-001", "DefaultBucketEEDD2DB7", "info"),
    ("CC-S3-001", "SiteBucket397A1860", "info"),
    ("CC-S3-001", "UploadsBucket5E5E9B64", "info"),
    ("CC-S3-001", "OpenBucket984F5568", "error"),
    ("CC-SQS-001", "DefaultQueue67181671", "info"),
    ("CC-SQS-001", "PlainQueueF142D8B5", "error"),
    # SSL-only: buckets without the Deny statement, and the policy of an outside bucket
    ("CC-S3-002", "DefaultBucketEEDD2DB7", "error"),
    ("CC-S3-002", "OpenBucket984F5568", "error"),
    ("CC-S3-002", "SharedBucketPolicy", "error"),
    # customer managed keys are hardening (CloudWatch Logs always encrypts): info
    *[("CC-LOGS-001", lid, "info") for lid in FUNCTION_LOG_GROUPS + GENERATED_LOG_GROUPS],
    ("CC-LOGS-001", "DatabaseLogRetentionpostgresqlFBE8A947", "info"),
    # log_retention=INFINITE: one finding (retention), naming the missing key
    ("CC-LOGS-002", "ForeverLogsFunctionLogRetention79117996", "warning"),
    # the 300 s API handler: once, by the API-facing limit
    ("CC-LAMBDA-002", "ApiHandler5E7490E8", "error"),
    # API keys only where a method is open to anyone; no method requires a key, so the
    # stages' usage plan and key checks do not apply (one root cause: the open method)
    ("CC-APIGW-005", "ApipublicGET8723DB29", "warning"),
    # canary/linear without alarms (predefined and custom configuration)
    ("CC-CODEDEPLOY-001", "BlindDeploymentGroup85A43EE5", "warning"),
    ("CC-CODEDEPLOY-001", "CustomShiftDeploymentGroup5F1E2037", "warning"),
])


@cache
def scanned(enable: tuple = ()) -> tuple:
    config = Config({"rules": {"enable": list(enable)}} if enable else {})
    result = scan([APP], config, jobs=1)
    assert not result.errors
    assert {f.stack for f in result.findings} == {STACK}
    return tuple(result.findings)


def findings(enable: tuple = ()) -> tuple:
    return tuple(f for f in scanned(enable) if f.rule_id in RULES)


def rows(found) -> list:
    return sorted((f.rule_id, f.logical_id, f.severity) for f in found)


def one(rule: str, lid: str, enable: tuple = ()):
    (f,) = [f for f in findings(enable) if (f.rule_id, f.logical_id) == (rule, lid)]
    return f


def test_exact_findings_by_default():
    assert rows(findings()) == DEFAULT


def test_house_preferences_when_enabled():
    enable = ("CC-RES-001", "CC-LAMBDA-001")
    extra = sorted(set(rows(findings(enable))) - set(DEFAULT))
    assert extra == sorted(
        [("CC-RES-001", lid, "warning") for lid in (
            "BlindAliasD5667B3D", "BlindDeploymentGroup85A43EE5", "WatchedAlias90B2A16C",
            "WatchedDeploymentGroupBC46266F", "CustomShiftAliasE2CD1B3B",
            "CustomShiftDeploymentGroup5F1E2037", "AtOnceAliasCBFD4366",
            "AtOnceDeploymentGroup7038352D")])
    assert set(DEFAULT) <= set(rows(findings(enable)))
    # the 300 s API handler is still one finding: CC-LAMBDA-002 names the stage cap
    handler = one("CC-LAMBDA-002", "ApiHandler5E7490E8", enable)
    assert handler.message.endswith(
        "Properties.Timeout is 300, expected <= 29; also CC-LAMBDA-001 (Lambda function "
        "timeouts stay within the stage limit): Properties.Timeout is 300, expected <= 15")


def test_service_default_messages():
    bucket = one("CC-S3-001", "DefaultBucketEEDD2DB7")
    assert "relies on the service default for Block Public Access" in bucket.message
    assert bucket.key == "service-default"
    queue = one("CC-SQS-001", "PlainQueueF142D8B5")
    assert queue.message == ("SQS queue PlainQueueF142D8B5 is not encrypted at rest: neither "
                             "KmsMasterKeyId nor SqsManagedSseEnabled true is set")


def test_log_group_messages_name_the_real_creator():
    rds = one("CC-LOGS-001", "DatabaseLogRetentionpostgresqlFBE8A947")
    assert "created by the service behind Prod/Platform/Database (aws_rds.DatabaseInstance)" \
        in rds.message
    assert "Lambda" not in rds.message and "log_group" not in rds.message
    forever = one("CC-LOGS-002", "ForeverLogsFunctionLogRetention79117996")
    assert "; also CC-LOGS-001 (Log groups are encrypted with a customer managed KMS key): " \
        "the log group is created by Lambda for Prod/Platform/ForeverLogsFunction " \
        "(aws_lambda.Function)" in forever.message
    generated = one("CC-LOGS-001", "ProviderframeworkonEventLogGroup683073A3")
    assert generated.message.endswith(
        "(CDK-generated resource: CDK's custom-resource provider framework; construct "
        "Prod/Platform/Provider (custom_resources.Provider))")


def test_api_key_findings_say_why():
    method = one("CC-APIGW-005", "ApipublicGET8723DB29")
    assert "is open to anyone (no authorizer)" in method.message
    assert "an API key is not authorization" in method.message


def test_codedeploy_finding_names_the_alias():
    group = one("CC-CODEDEPLOY-001", "BlindDeploymentGroup85A43EE5")
    assert group.message.startswith(
        "Deployment group BlindDeploymentGroup85A43EE5 shifts Lambda traffic gradually "
        "(alias: Prod/Platform/BlindAlias) but cannot roll back on errors")


def test_cdk_generated_functions_are_recognised_by_construct():
    (stack,) = load([APP]).stacks
    stack.stage = "prod"
    kinds = {lid: (classify(stack, lid).kind if classify(stack, lid) else None)
             for lid, res in stack.resources.items() if res["Type"] == "AWS::Lambda::Function"}
    assert kinds == {
        "CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F": "AutoDeleteObjects",
        "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C81C01536": "BucketDeployment",
        "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691":
            "BucketNotificationsHandler",
        "AWSCDKTriggerCustomResourceProviderCustomResourceProviderHandler97BECD91":
            "TriggerProvider",
        "ProviderframeworkonEvent83C1D0A7": "ProviderFramework",
        "AWS679f53fac002430cb0da5b7982bd22872D164C4C": "AwsCustomResource",
        "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A": "LogRetention",
        "CustomVpcRestrictDefaultSGCustomResourceProviderHandlerDC833E5E":
            "VpcRestrictDefaultSG",
        # the app's own functions, including the trigger's and the provider's handlers
        **{lid: None for lid in (
            "OnUploadFunction6143B3BD", "MigrateTrigger9AF073E5", "ProviderOnEventF76E4A9C",
            "ForeverLogsFunction3D638E45", "BlindFunction5C158D39", "WatchedFunctionD42663C4",
            "CustomShiftFunction016E923D", "AtOnceFunction505557FE", "ApiHandler5E7490E8",
            "AuthFunctionA1CD5E0F")},
    }


def test_generated_functions_get_info_at_most():
    """CDK's own functions (every check, house preferences on): nothing above info."""
    generated = {lid for lid, kind in _generated().items() if kind}
    on_generated = [(f.rule_id, f.logical_id, f.severity)
                    for f in scanned(("CC-RES-001", "CC-LAMBDA-001"))
                    if f.logical_id in generated]
    assert {sev for _, _, sev in on_generated} <= {"info"}, on_generated


def _generated() -> dict:
    (stack,) = load([APP]).stacks
    return {lid: classify(stack, lid) for lid, res in stack.resources.items()
            if res["Type"] == "AWS::Lambda::Function"}
