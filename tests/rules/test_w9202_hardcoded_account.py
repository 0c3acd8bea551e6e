"""W9202 (cfncheck/rules/w9202_hardcoded_account.py): literal account ids."""

from __future__ import annotations

from cfncheck.rules.w9202_hardcoded_account import HardcodedAccount
from tests.rules.helpers import DEFECTIVE, PLAIN, line_text, only, resources, run_rule


def test_defective_sample_reports_the_arn_account(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9202") if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.path[-1]) for f in found] == [
        ("WorkerFunctionServiceRoleDefaultPolicy07D8276A", "Resource"),
        ("WorkerFunctionACE6A4B0", "ALERTS_TOPIC_ARN"),
    ]
    assert "has the literal account id 123456789012 in " \
           "'arn:aws:sns:eu-west-1:123456789012:alerts-topic': use AWS::AccountId" \
           in found[1].message
    assert '"ALERTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:alerts-topic"' in \
        line_text(found[1])


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9202") == []


def test_account_contexts(tmp_path):
    tpl = resources(
        Perm={"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": "f",
            "Principal": "s3.amazonaws.com", "SourceAccount": "111122223333"}},
        Fn={"Type": "AWS::Lambda::Function", "Properties": {
            "Layers": ["arn:aws:lambda:eu-west-1:017000801446:layer:Powertools:1"],
            "Environment": {"Variables": {
                "IMAGE": "444455556666.dkr.ecr.eu-west-1.amazonaws.com/app:1",
                "BUILD": "202401011200",
                "PART": {"Fn::Join": ["", ["arn:aws:s3:", {"Ref": "AWS::Region"},
                                           ":777788889999:accesspoint/ap"]]},
            }}}},
        Key={"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "999988887777"}, "Action": "kms:*",
             "Resource": "*"}]}}},
    )
    found = run_rule(HardcodedAccount, tpl, tmp_path)
    assert [(f.logical_id, f.key.rsplit("|", 1)[1]) for f in found] == [
        ("Perm", "111122223333"), ("Fn", "444455556666"), ("Fn", "777788889999"),
        ("Key", "999988887777")]
    assert run_rule(HardcodedAccount, tpl, tmp_path,
                    params={"allow": ["111122223333", "444455556666", "777788889999",
                                      "999988887777"]}) == []


def test_the_account_of_an_environment_bound_stack_is_not_reported(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    manifest = root / "assembly-Dev" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(
        "aws://unknown-account/unknown-region", "aws://123456789012/us-east-1"))
    found = run_rule(HardcodedAccount, root, root)
    assert {f.stack for f in found} == {"Prod/Api"}


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9202"] == [("W9202", 57)]
