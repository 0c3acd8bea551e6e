"""W9201 (cfncheck/rules/w9201_hardcoded_region.py): literal regions that duplicate what the
template could reference; the others at info with the reason."""

from __future__ import annotations

from cfncheck.config import Config
from cfncheck.engine import scan
from cfncheck.rules.w9201_hardcoded_region import HardcodedRegion
from cfncheck.rules.w9202_hardcoded_account import HardcodedAccount
from tests.rules.helpers import DEFECTIVE, PLAIN, PROD_API, line_text, only, resources, run_rule

WORKER = "WorkerFunctionACE6A4B0"


def test_defective_sample_reports_the_stacks_own_region(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9201") if f.stack == "Prod/Api"]
    # the topic ARN (region and account) is W9202's finding: one literal, one finding
    assert [(f.logical_id, f.path[3:], f.severity) for f in found] == [
        (WORKER, ("Environment", "Variables", "DEPLOY_REGION"), "warning")]
    assert found[0].message == (
        f"AWS::Lambda::Function {WORKER} Properties.Environment.Variables.DEPLOY_REGION has the "
        "literal region eu-west-1 in 'eu-west-1': eu-west-1 is this stack's own region (the "
        "ARN of its own AWS::SNS::Topic AlertsTopic shows it): use AWS::Region "
        "(Stack.of(self).region)")
    assert line_text(found[0]).strip() == '"DEPLOY_REGION": "eu-west-1"'
    assert len(only(sample_findings["defective"], "W9201")) == 2  # same in Dev/Api


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9201") == []


def fn(**env) -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": env}}}


def test_what_is_not_known_to_be_the_stacks_own_region_is_info(tmp_path):
    tpl = resources(
        Fn={"Type": "AWS::Lambda::Function", "Properties": {
            "Description": "deployed to eu-west-1",
            "Environment": {"Variables": {
                "ENDPOINT": "https://sqs.ap-southeast-2.amazonaws.com/q",
                "AZ": "eu-central-1a",
                "JOINED": {"Fn::Join": ["", ["arn:aws:sns:", "us-west-2", ":",
                                             {"Ref": "AWS::AccountId"}, ":t"]]},
                "SUBBED": {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"},
                "BOOTSTRAP": "cdk-hnb659fds-assets-123456789012-eu-west-1",
                "NOT_A_REGION": "eu-west-1x2",
            }}}},
        Table={"Type": "AWS::DynamoDB::GlobalTable",
               "Properties": {"Replicas": [{"Region": "us-east-2"}]}},
        Cdn={"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "ViewerCertificate": {"AcmCertificateArn":
                                  "arn:aws:acm:us-east-1:123456789012:certificate/abc"}}}},
        Out={"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {
            "Fn::FindInMap": ["eu-west-3", "x", "y"]}}},
    )
    found = run_rule(HardcodedRegion, tpl, tmp_path)
    assert [(f.path[-1], f.key.rsplit("|", 1)[1], f.severity) for f in found] == [
        ("ENDPOINT", "ap-southeast-2", "info"), ("AZ", "eu-central-1", "info"),
        (1, "us-west-2", "info")]
    assert found[0].message.endswith(
        "in 'https://sqs.ap-southeast-2.amazonaws.com/q': not a defect as far as cfncheck can "
        "tell: it is an endpoint URL: a configuration value")
    assert found[1].message.endswith(
        "not a defect as far as cfncheck can tell: this stack is environment-agnostic and "
        "nothing shows its region, so eu-central-1 may be another region on purpose (a "
        "replica, a cross-region call); if it is the stack's own, use AWS::Region")
    assert run_rule(HardcodedRegion, tpl, tmp_path,
                    params={"allow": ["ap-southeast-2", "eu-central-1", "us-west-2"]}) == []


def test_replica_regions_and_custom_resource_calls(tmp_path):
    create = ('{"service":"SSM","action":"getParameter","region":"us-east-1",'
              '"parameters":{"Name":"/cert/arn"}}')
    tpl = resources(
        Own={"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        Fn=fn(ALERTS="arn:aws:sns:eu-west-1:111122223333:alerts", HOME="eu-west-1",
              REPLICA="us-west-2"),
        Call={"Type": "Custom::AWS", "Properties": {
            "ServiceToken": "x", "Create": create, "Update": create.replace("get", "put")}},
    )
    found = {(f.logical_id, f.path[-1]): f for f in run_rule(HardcodedRegion, tpl, tmp_path)}
    # the ARN of its own topic (region and account) is W9202's; it shows the stack's region
    assert sorted((k, f.severity) for k, f in found.items()) == [
        (("Call", "Create"), "info"), (("Fn", "HOME"), "warning"), (("Fn", "REPLICA"), "info")]
    assert "us-west-2 is another region than this stack's (eu-west-1): a cross-region " \
        "design, not a defect" in found[("Fn", "REPLICA")].message
    # Create and Update hold the same region for the same reason: one finding
    assert "Properties.Create (also in Properties.Update) has the literal region us-east-1" \
        in found[("Call", "Create")].message
    # with W9202 off, W9201 reports the ARN itself
    off = scan([tmp_path / "template.json"], checks=[HardcodedRegion()],
               config=Config(data={"rules": {"disable": ["W9202"]}})).findings
    assert sorted(f.path[-1] for f in off) == ["ALERTS", "Create", "HOME", "REPLICA"]


def test_layer_regions(tmp_path):
    tpl = resources(Fn={"Type": "AWS::Lambda::Function", "Properties": {"Layers": [
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-"
        "x86_64:7",
        {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:580247275435:layer:LambdaInsightsExtension:53"},
    ]}})
    found = run_rule(HardcodedRegion, tpl, tmp_path)
    assert [(f.path[-1], f.severity) for f in found] == [(0, "warning")]
    assert found[0].message.endswith(
        "it is a Lambda layer ARN (AWS (Powertools for AWS Lambda, Python), whose publisher "
        "account is right as written): a layer must be in the function's own region, so this "
        "function only deploys to eu-west-1: use AWS::Region (f\"arn:aws:lambda:"
        "{Stack.of(self).region}:...\"), as the layer's publisher documents")
    assert run_rule(HardcodedAccount, tpl, tmp_path) == []  # AWS's publisher account


def test_the_region_of_an_environment_bound_stack_is_not_reported(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    manifest = root / "assembly-Prod" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(
        "aws://unknown-account/unknown-region", "aws://123456789012/eu-west-1"))
    found = run_rule(HardcodedRegion, root, root)
    assert {f.stack for f in found} == {"Dev/Api"}
    # the literal ARN of its own topic is still W9202's finding there
    assert sorted(f.path[-1] for f in run_rule(HardcodedAccount, root, root)
                  if f.stack == "Prod/Api") == ["ALERTS_TOPIC_ARN", "Resource"]


def test_cfn_lint(cfnlint_matches, sample_findings):
    cdk = [m for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9201"]
    scanned = [f for f in only(sample_findings["defective"], "W9201") if f.stack == "Prod/Api"]
    assert sorted(m[1] for m in cdk) == [f.line for f in scanned]
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9201"] == [("W9201", 92)]
