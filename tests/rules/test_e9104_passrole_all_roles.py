"""E9104 (cfncheck/rules/e9104_passrole_all_roles.py): iam:PassRole on every role."""

from __future__ import annotations

from cfncheck.rules.e9104_passrole_all_roles import PassRoleAllRoles
from tests.rules.helpers import PLAIN, only, policy, resources, run_rule


def test_samples_have_none(sample_findings):
    assert only(sample_findings["defective"], "E9104") == []
    assert only(sample_findings["fixed"], "E9104") == []


def test_passrole_on_star_or_all_roles(tmp_path):
    tpl = resources(P=policy(
        {"Sid": "Direct", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        {"Sid": "Pattern", "Effect": "Allow", "Action": ["iam:Pass*", "s3:GetObject"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}},
        {"Sid": "OneRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": {"Fn::GetAtt": ["Role", "Arn"]}},
        {"Sid": "NoPass", "Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"},
        {"Sid": "Service", "Effect": "Allow", "Action": "iam:*", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    ))
    found = run_rule(PassRoleAllRoles, tpl, tmp_path)
    assert [(f.key, f.severity) for f in found] == [
        ("PolicyDocument|sid:Direct", "error"),
        ("PolicyDocument|sid:Pattern", "error"),
        ("PolicyDocument|sid:Service", "warning"),
    ]
    assert "allows iam:PassRole (via iam:Pass*) on 'arn:aws:iam::${AWS::AccountId}:role/*'" \
        in found[1].message
    assert "narrowed by iam:PassedToService" in found[2].message


def test_trust_and_resource_policies_are_not_identity_policies(tmp_path):
    tpl = resources(Q=policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
                              "Action": "iam:PassRole", "Resource": "*"},
                             rtype="AWS::SQS::QueuePolicy", Queues=["q"]))
    assert run_rule(PassRoleAllRoles, tpl, tmp_path) == []


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "E9104"] == \
        [("E9104", 29), ("E9104", 47)]
