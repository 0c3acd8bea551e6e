"""W9103 (cfncheck/rules/w9103_not_action_allow.py): Allow with NotAction/NotResource."""

from __future__ import annotations

from cfncheck.rules.w9103_not_action_allow import NotActionAllow
from tests.rules.helpers import PLAIN, only, policy, resources, run_rule


def test_samples_have_none(sample_findings):
    assert only(sample_findings["defective"], "W9103") == []
    assert only(sample_findings["fixed"], "W9103") == []


def test_allow_with_not_elements_is_reported_deny_is_not(tmp_path):
    tpl = resources(
        P=policy(
            {"Sid": "NA", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Sid": "NR", "Effect": "Allow", "Action": "s3:GetObject",
             "NotResource": "arn:aws:s3:::secret/*"},
            {"Sid": "Guard", "Effect": "Deny", "NotAction": ["sts:*"], "Resource": "*"},
            {"Sid": "Fine", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        Q=policy({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                  "Action": "sqs:SendMessage", "Resource": "*"},
                 rtype="AWS::SQS::QueuePolicy", Queues=["q"]))
    found = run_rule(NotActionAllow, tpl, tmp_path)
    assert [(f.logical_id, f.path[-1]) for f in found] == [("P", 0), ("P", 1), ("Q", 0)]
    assert "is an Allow with NotAction iam:*: it grants everything except" in found[0].message
    assert "NotResource arn:aws:s3:::secret/*" in found[1].message
    assert "NotPrincipal" in found[2].message
    assert found[0].key == "PolicyDocument|sid:NA"


def test_policy_document_given_as_json_string(tmp_path):
    import json

    doc = json.dumps({"Statement": [{"Effect": "Allow", "NotAction": "logs:Delete*",
                                     "Resource": "*"}]})
    tpl = resources(L={"Type": "AWS::Logs::ResourcePolicy",
                       "Properties": {"PolicyName": "x", "PolicyDocument": doc}})
    found = run_rule(NotActionAllow, tpl, tmp_path)
    assert [f.path for f in found] == [("Resources", "L", "Properties", "PolicyDocument")]


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9103"] == [("W9103", 41)]
