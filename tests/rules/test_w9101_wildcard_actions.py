"""W9101 (cfncheck/rules/w9101_wildcard_actions.py): wildcard actions in Allow statements."""

from __future__ import annotations

from cfncheck.rules.w9101_wildcard_actions import WildcardActions
from tests.rules.helpers import (
    DEFECTIVE,
    PLAIN,
    PROD_API,
    only,
    policy,
    resources,
    run_rule,
    statement_text,
)


def test_defective_sample_reports_the_s3_star_statement_only(sample_findings):
    found = only(sample_findings["defective"], "W9101")
    assert [(f.stack, f.logical_id, f.severity) for f in found] == [
        ("Dev/Api", "OrdersApiFunctionServiceRoleDefaultPolicy7EA3A08B", "warning"),
        ("Prod/Api", "OrdersApiFunctionServiceRoleDefaultPolicy7EA3A08B", "warning"),
    ]
    for f in found:
        assert f.path == ("Resources", f.logical_id, "Properties", "PolicyDocument",
                          "Statement", 2)
        assert 'Statement[2] (Sid "LegacyS3FullAccess")' in f.message
        assert "s3:* (all " in f.message and "permissions-management" in f.message
        assert f.message.endswith("on *")
        # the line is the statement's opening brace, and the statement is the s3:* one
        assert statement_text(f, 1).strip() == "{"
        assert '"Sid": "LegacyS3FullAccess"' in statement_text(f, 8)
        assert f.key == "PolicyDocument|sid:LegacyS3FullAccess"


def test_fixed_sample_has_none_despite_kms_root_and_cdk_grant_patterns(sample_findings):
    # fixed keeps kms:* for the account root in the key policy, and CDK grants such as
    # s3:Abort*, kms:GenerateDataKey*, kms:ReEncrypt*, kms:Encrypt* (single resource type)
    assert only(sample_findings["fixed"], "W9101") == []


def test_patterns_are_expanded_against_the_iam_database(tmp_path):
    tpl = resources(P=policy(
        {"Effect": "Allow", "Action": ["s3:Put*"], "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": ["s3:Abort*", "s3:DeleteObject*", "s3:GetObject*",
                                       "kms:GenerateDataKey*", "kms:ReEncrypt*", "ec2:Describe*"],
         "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "logs:Put*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ))
    found = run_rule(WildcardActions, tpl, tmp_path)
    assert [f.path[-1] for f in found] == [0, 2]  # every statement examined, Deny ignored
    assert "s3:Put* (expands to permissions-management actions" in found[0].message
    assert "s3:PutBucketPolicy" in found[0].message or "and " in found[0].message
    assert "logs:PutResourcePolicy" in found[1].message


def test_star_and_service_star_and_allow_list(tmp_path):
    tpl = resources(P=policy(
        # on "*" this statement is E9104's (iam:PassRole via *), see test_e9104
        {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "B", "Effect": "Allow", "Action": ["logs:*", "sqs:SendMessage"],
         "Resource": "*"},
    ))
    found = run_rule(WildcardActions, tpl, tmp_path)
    assert ["* (every action of every service)" in f.message for f in found] == [True, False]
    assert "logs:* (all " in found[1].message and "sqs:SendMessage" not in found[1].message
    allowed = run_rule(WildcardActions, tpl, tmp_path, params={"allow": ["LOGS:*"]})
    assert [f.key for f in allowed] == ["PolicyDocument|sid:A"]


def test_kms_key_policy_root_delegation_is_fine_other_principals_are_not(tmp_path):
    root = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                              {"Ref": "AWS::AccountId"}, ":root"]]}
    tpl = resources(Key=policy(
        {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "kms:*", "Resource": "*"},
        rtype="AWS::KMS::Key", prop="KeyPolicy"))
    found = run_rule(WildcardActions, tpl, tmp_path)
    assert [f.path for f in found] == [("Resources", "Key", "Properties", "KeyPolicy",
                                        "Statement", 1)]


def test_inline_role_policies_and_stable_keys_without_sid(tmp_path):
    stmt = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    other = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    role = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": []},
        "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [other, stmt]}}]}}
    first = run_rule(WildcardActions, resources(R=role), tmp_path)
    assert first[0].path == ("Resources", "R", "Properties", "Policies", 0, "PolicyDocument",
                             "Statement", 1)
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"] = [stmt, other]
    second = run_rule(WildcardActions, resources(R=role), tmp_path)
    assert second[0].path[-1] == 0
    assert first[0].fingerprint == second[0].fingerprint  # reordering keeps the fingerprint
    assert first[0].key.startswith("Policies[inline]|stmt:")


def test_cfn_lint_reports_it_at_the_same_line(cfnlint_matches, sample_findings):
    cdk = [m for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9101"]
    scanned = [f for f in only(sample_findings["defective"], "W9101") if f.stack == "Prod/Api"]
    assert [m[1] for m in cdk] == [f.line for f in scanned]
    assert [m[2] for m in cdk] == [f.message for f in scanned]
    plain = [m for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9101"]
    assert [(m[1], "Everything" in m[2]) for m in plain] == [(29, True)]
