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
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "E9104"] == [("E9104", 47)]


def test_one_statement_one_finding_e9104_names_the_wildcards(tmp_path):
    """``*`` / ``iam:*`` on "*" is E9104's finding (error), which names W9101's wildcards;
    W9101 and W9102 leave the statement alone. With E9104 disabled W9101 reports it."""
    from cfncheck.config import Config
    from cfncheck.engine import scan
    from cfncheck.rules.w9101_wildcard_actions import WildcardActions
    from cfncheck.rules.w9102_write_on_all_resources import WriteOnAllResources

    tpl = resources(P=policy(
        {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "Mixed", "Effect": "Allow", "Action": ["iam:PassRole", "s3:*", "sns:Publish"],
         "Resource": "*"},
        {"Sid": "Publish", "Effect": "Allow", "Action": "sns:Publish", "Resource": "*"},
    ))
    path = tmp_path / "t.json"
    path.write_text(__import__("json").dumps(tpl))
    rules = [PassRoleAllRoles(), WildcardActions(), WriteOnAllResources()]
    found = scan([path], checks=rules).findings
    assert [(f.rule_id, f.key, f.severity) for f in found] == [
        ("E9104", "PolicyDocument|sid:Admin", "error"),
        ("E9104", "PolicyDocument|sid:Mixed", "error"),
        ("W9102", "PolicyDocument|sid:Publish", "warning"),
    ]
    assert found[0].message.endswith(
        "allows iam:PassRole (via *) on '*'; the statement also allows wildcard actions: "
        "* (every action of every service)")
    assert "also allows wildcard actions: s3:* (all " in found[1].message
    off = scan([path], checks=rules[1:],
               config=Config(data={"rules": {"disable": ["E9104"]}})).findings
    assert [(f.rule_id, f.key) for f in off] == [
        ("W9101", "PolicyDocument|sid:Admin"), ("W9101", "PolicyDocument|sid:Mixed"),
        ("W9102", "PolicyDocument|sid:Publish")]
