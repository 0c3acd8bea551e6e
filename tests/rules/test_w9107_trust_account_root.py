"""W9107 (cfncheck/rules/w9107_trust_account_root.py): trust policies that trust a whole other
account (opt-in)."""

from __future__ import annotations

import json

from cfncheck.config import Config
from cfncheck.engine import collect_checks
from cfncheck.rules.w9107_trust_account_root import TrustAccountRoot
from tests.rules.helpers import resources, run_rule


def _role(principal, condition=None, effect="Allow"):
    stmt = {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return {"Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17",
                                                        "Statement": [stmt]}}}


#: what CDK writes for iam.AccountPrincipal("123456789012") and AccountRootPrincipal()
CDK_OTHER = {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                       ":iam::123456789012:root"]]}}
CDK_OWN = {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::",
                                     {"Ref": "AWS::AccountId"}, ":root"]]}}


def test_other_account_roots_and_ids_are_reported(tmp_path):
    tpl = resources(
        CdkAccount=_role(CDK_OTHER),
        Literal=_role({"AWS": ["arn:aws:iam::111122223333:root"]}),
        BareId=_role({"AWS": "444455556666"}),
        Own=_role(CDK_OWN),
        NamedRole=_role({"AWS": "arn:aws:iam::111122223333:role/ci-deployer"}),
        ExternalId=_role({"AWS": "111122223333"}, {"StringEquals": {"sts:ExternalId": "x1"}}),
        PrincipalArn=_role(CDK_OTHER, {"ArnLike": {
            "aws:PrincipalArn": "arn:aws:iam::123456789012:role/ci-*"}}),
        Service=_role({"Service": "lambda.amazonaws.com"}),
        Deny=_role({"AWS": "arn:aws:iam::111122223333:root"}, effect="Deny"),
    )
    found = run_rule(TrustAccountRoot, tpl, tmp_path)
    assert [(f.logical_id, f.severity) for f in found] == [
        ("CdkAccount", "warning"), ("Literal", "warning"), ("BareId", "warning")]
    assert found[0].message == (
        "AWS::IAM::Role CdkAccount AssumeRolePolicyDocument Statement[0] trusts the whole "
        "account 123456789012 (its root principal): any identity there that its "
        "administrators allow sts:AssumeRole can assume this role, and no condition restricts "
        "the caller")


def test_the_stack_env_account_is_its_own(tmp_path):
    root = tmp_path / "cdk.out"
    root.mkdir()
    (root / "Ops.template.json").write_text(json.dumps(resources(
        Trusted=_role({"AWS": "arn:aws:iam::123456789012:root"}),
        Other=_role({"AWS": "arn:aws:iam::111122223333:root"}))))
    (root / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Ops": {
        "type": "aws:cloudformation:stack", "environment": "aws://123456789012/eu-west-1",
        "properties": {"templateFile": "Ops.template.json"}}}}))
    found = run_rule(TrustAccountRoot, root, tmp_path)
    assert [f.logical_id for f in found] == ["Other"]


def test_it_is_opt_in():
    ids = {c.info.id for c in collect_checks(Config())}
    assert "W9107" not in ids and "W9101" in ids
    enabled = {c.info.id for c in collect_checks(Config(data={"rules": {"enable": ["W9107"]}}))}
    assert "W9107" in enabled


def test_plain_cfn_lint_runs_it_only_as_an_experimental_rule(tmp_path):
    from cfnlint.api import lint_by_config

    path = tmp_path / "t.json"
    path.write_text(json.dumps(resources(CdkAccount=_role(CDK_OTHER))))
    config = {"templates": [str(path)], "append_rules": ["cfncheck.rules"],
              "regions": ["eu-west-1"]}
    assert [m for m in lint_by_config(config) if m.rule.id == "W9107"] == []
    matches = lint_by_config({**config, "include_experimental": True})
    assert [m.message[:45] for m in matches if m.rule.id == "W9107"] == [
        "AWS::IAM::Role CdkAccount AssumeRolePolicyDoc"]


def test_the_platform_apps_deliberate_central_audit_trust_only_when_enabled():
    """Real CDK output: Role(assumed_by=AccountPrincipal(CENTRAL_ACCOUNT)) in Events (AUDIT.md
    calls it a deliberate trust of the central security account, hence opt-in)."""
    from cfncheck.engine import scan
    from tests.samples import PLATFORM

    default = scan([PLATFORM], Config())
    assert [f for f in default.findings if f.rule_id == "W9107"] == []
    enabled = scan([PLATFORM], Config(data={"rules": {"enable": ["W9107"]}}))
    assert sorted((f.stack, f.logical_id, f.construct_path) for f in enabled.findings
                  if f.rule_id == "W9107") == [
        ("Dev/Events", "CentralAuditRoleA8BF83E8", "Dev/Events/CentralAuditRole/Resource"),
        ("Prod/Events", "CentralAuditRoleA8BF83E8", "Prod/Events/CentralAuditRole/Resource")]
