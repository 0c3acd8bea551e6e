"""W9106 (cfncheck/rules/w9106_broad_managed_policies.py): broad AWS managed policies."""

from __future__ import annotations

from cfncheck.rules.w9106_broad_managed_policies import BroadManagedPolicies
from tests.rules.helpers import PLAIN, only, resources, run_rule


def test_samples_have_none_lambda_basic_execution_is_fine(sample_findings):
    assert only(sample_findings["defective"], "W9106") == []
    assert only(sample_findings["fixed"], "W9106") == []


def test_cdk_style_arns_are_resolved(tmp_path):
    arns = [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                           ":iam::aws:policy/AdministratorAccess"]]},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"},
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::123456789012:policy/MyFullAccess",
        {"Ref": "SomeParameter"},
    ]
    tpl = resources(R={"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": []}, "ManagedPolicyArns": arns}},
        G={"Type": "AWS::IAM::Group",
           "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/IAMFullAccess"]}})
    found = run_rule(BroadManagedPolicies, tpl, tmp_path)
    assert [(f.logical_id, f.path[-1], f.key) for f in found] == [
        ("R", 0, "ManagedPolicyArns|AdministratorAccess"),
        ("R", 1, "ManagedPolicyArns|PowerUserAccess"),
        ("R", 2, "ManagedPolicyArns|AmazonS3FullAccess"),
        ("G", 0, "ManagedPolicyArns|IAMFullAccess"),
    ]
    assert found[0].message == ("AWS::IAM::Role R attaches the AWS managed policy "
                                "AdministratorAccess (every action on every resource)")
    allowed = run_rule(BroadManagedPolicies, tpl, tmp_path,
                       params={"allow": ["Amazon*FullAccess", "IAMFullAccess"]})
    assert [f.key for f in allowed] == ["ManagedPolicyArns|AdministratorAccess",
                                        "ManagedPolicyArns|PowerUserAccess"]


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9106"] == [("W9106", 16)]
