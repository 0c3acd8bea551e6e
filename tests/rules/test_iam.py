"""cfncheck.iam: intrinsic resolution, the IAM action database, statement normalisation."""

from __future__ import annotations

from cfncheck import iam
from cfncheck.assembly import Stack
from cfncheck.template import parse_template


def test_resolve_patterns():
    r = iam.resolve_patterns
    assert r({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", "*"]]}) == \
        ["arn:aws:s3:::*"]
    assert r({"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:t"}) == \
        ["arn:aws:sns:${AWS::Region}:${AWS::AccountId}:t"]
    assert r({"Fn::Sub": ["${B}/*", {"B": {"Fn::GetAtt": ["Bucket", "Arn"]}}]}) == \
        ["${Bucket.Arn}/*"]
    assert r({"Fn::Sub": "${!Literal}-${Bucket.Arn}"}) == ["${Literal}-${Bucket.Arn}"]
    assert r({"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]}) == ["a"]
    assert r({"Fn::Join": [":", ["x", {"Fn::If": ["C", "1", "2"]}]]}) == ["x:1", "x:2"]
    assert r({"Fn::ImportValue": "Out"}) == ["${Import:Out}"]
    assert r({"Fn::Select": [0, ["a"]]}) == ["${?}"]


def test_action_database_lookups():
    assert iam.action_info("S3:putobjectacl").access_level == "Permissions management"
    assert iam.action_info("xray:PutTraceSegments").resource_level is False
    assert iam.action_info("sns:Publish").resource_types == ("topic",)
    assert iam.action_info("nosuch:Thing") is None
    assert {a.name for a in iam.expand("kms:ReEncrypt*")} == {"kms:ReEncryptFrom",
                                                             "kms:ReEncryptTo"}
    assert iam.expand("iam:Pass?ole")[0].name == "iam:PassRole"
    assert len(iam.expand("*")) > 10000
    assert iam.matches("iam:*", "iam:PassRole") and iam.matches("*", "iam:PassRole")
    assert not iam.matches("iam:Get*", "iam:PassRole")


def test_arn_fields_and_all_resources():
    assert iam.is_all_resources("*")
    assert iam.is_all_resources("arn:aws:sns:${AWS::Region}:${AWS::AccountId}:*")
    assert not iam.is_all_resources("arn:aws:logs:${AWS::Region}:1:log-group:*")
    assert iam.arn_fields("arn:aws:iam::${AWS::AccountId}:role/*")[5] == "role/*"
    assert iam.arn_fields("not-an-arn") is None


def stack_of(template: str) -> Stack:
    tpl = parse_template(template.encode(), "t.json")
    return Stack(name="t", template=tpl, template_rel="t.json")


def test_statements_with_fn_if_and_conditions():
    stack = stack_of("""{"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
      "PolicyDocument": {"Statement": [
        {"Fn::If": ["C", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Ref": "AWS::NoValue"}]},
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "Topic"}},
                       "StringNotEquals": {"aws:PrincipalAccount": "1"}}}
      ]}}}}}""")
    docs = iam.policy_documents(stack)
    assert iam.policy_documents(stack) is docs  # cached per stack
    stmts = docs[0].statements
    assert [s.path for s in stmts] == [
        ("Resources", "P", "Properties", "PolicyDocument", "Statement", 0, "Fn::If", 1),
        ("Resources", "P", "Properties", "PolicyDocument", "Statement", 1)]
    assert stmts[0].actions == ["s3:*"] and stmts[0].key.startswith("stmt:")
    assert iam.is_public_principal(stmts[1])
    assert iam.restricting_conditions(stmts[1]) == ["aws:SourceArn"]
    assert stmts[1].label == "Statement[1]"


REDOS = "s3:*?*?*?*?*?*?*?*?*?*?*?*?#"


def test_action_globs_are_matched_in_linear_time():
    """Issue 13 item 9: with backtracking regexes this pattern takes hours per action."""
    assert iam.expand(REDOS) == ()
    assert iam.expand("*:" + REDOS[3:]) == ()
    assert not iam.matches(REDOS, "s3:PutObjectAcl")
    assert iam.matches("s3:*?*?*?*?*?*?l", "s3:PutObjectAcl")
    assert [a.name for a in iam.expand("iam:Pass*")] == ["iam:PassRole"]
    assert len(iam.expand("s3:Put*")) == len([a for a in iam.expand("s3:*")
                                                if a.name.startswith("s3:Put")])
    assert iam.glob_match("S3:GET?BJECT", "s3:GetObject")
    assert not iam.glob_match("a" * 600 + "*", "a" * 700)  # longer than any action: none


def test_hostile_action_pattern_in_a_template_and_in_the_config(tmp_path):
    """The pattern in a template (W9101, W9102, E9104 expand it) and as a W9101 allow glob:
    the scan finishes well within a 30 s per-template limit (the old matcher hit it), and the
    statement is still judged (s3:* beside it is reported)."""
    import json

    from cfncheck.config import Config
    from cfncheck.engine import scan
    from cfncheck.rules import all_rules

    tpl = {"Resources": {"P": {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "p", "Roles": ["r"], "PolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": [REDOS, "s3:*"], "Resource": "*"}]}}}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(tpl))
    config = Config(data={"parameters": {"W9101": {"allow": [REDOS]}}})
    rules = [r for r in all_rules() if r.id in ("W9101", "W9102", "E9104")]
    result = scan([path], checks=rules, config=config, timeout=30, jobs=1)
    assert result.errors == []
    assert [(f.rule_id, f.severity) for f in result.findings] == [("W9101", "warning")]
    assert "s3:* (all " in result.findings[0].message
    assert REDOS not in result.findings[0].message.split("allows wildcard actions:")[1]


def test_placeholders_are_parsed_in_linear_time():
    """``${`` never closed, 100k times: Python's re is quadratic there (minutes; a C-level
    regex call cannot be interrupted by the per-template timeout's signal). RE2 is linear:
    a child process does the work and must finish within 60 s."""
    import subprocess
    import sys

    code = (
        "from cfncheck import generated_iam, iam\n"
        "h = 'arn:aws:s3:::' + '${' * 100_000\n"
        "assert iam.resolve_patterns({'Fn::Sub': h}) == [h]\n"
        "assert iam.arn_fields(h)[5] == '${' * 100_000\n"
        "assert generated_iam.normalise_value(h) == h\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout == "ok\n", proc.stderr
