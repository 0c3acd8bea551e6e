"""W9201 (cfncheck/rules/w9201_hardcoded_region.py): literal region names."""

from __future__ import annotations

from cfncheck.rules.w9201_hardcoded_region import HardcodedRegion
from tests.rules.helpers import DEFECTIVE, PLAIN, PROD_API, line_text, only, resources, run_rule

WORKER = "WorkerFunctionACE6A4B0"
WORKER_POLICY = "WorkerFunctionServiceRoleDefaultPolicy07D8276A"


def test_defective_sample_reports_the_region_with_lines(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9201") if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.path[3:]) for f in found] == [
        (WORKER_POLICY, ("PolicyDocument", "Statement", 1, "Resource")),
        (WORKER, ("Environment", "Variables", "ALERTS_TOPIC_ARN")),
        (WORKER, ("Environment", "Variables", "DEPLOY_REGION")),
    ]
    assert found[2].message == (
        f"AWS::Lambda::Function {WORKER} Properties.Environment.Variables.DEPLOY_REGION has the "
        "literal region eu-west-1 in the value 'eu-west-1': use AWS::Region "
        "(Stack.of(self).region)")
    assert line_text(found[2]).strip() == '"DEPLOY_REGION": "eu-west-1"'
    assert line_text(found[0]).strip() == \
        '"Resource": "arn:aws:sns:eu-west-1:123456789012:alerts-topic",'
    assert len(only(sample_findings["defective"], "W9201")) == 6  # same three in Dev/Api


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9201") == []


def test_where_a_literal_region_is_legitimate(tmp_path):
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
    assert [(f.path[-1], f.key.rsplit("|", 1)[1]) for f in found] == [
        ("ENDPOINT", "ap-southeast-2"), ("AZ", "eu-central-1"), (1, "us-west-2")]
    assert found[2].path[-3:] == ("Fn::Join", 1, 1)
    assert run_rule(HardcodedRegion, tpl, tmp_path,
                    params={"allow": ["ap-southeast-2", "eu-central-1", "us-west-2"]}) == []


def test_the_region_of_an_environment_bound_stack_is_not_reported(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    manifest = root / "assembly-Prod" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(
        "aws://unknown-account/unknown-region", "aws://123456789012/eu-west-1"))
    found = run_rule(HardcodedRegion, root, root)
    assert {f.stack for f in found} == {"Dev/Api"}


def test_cfn_lint(cfnlint_matches, sample_findings):
    cdk = [m for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9201"]
    scanned = [f for f in only(sample_findings["defective"], "W9201") if f.stack == "Prod/Api"]
    assert sorted(m[1] for m in cdk) == [f.line for f in scanned]
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9201"] == [("W9201", 57)]
