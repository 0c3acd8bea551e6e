"""Loading policies: schema validation and compile errors with file and line, re2 regexes,
type groups, CDK-internal handling, stages, and the `cfncheck policy` commands."""

from __future__ import annotations

import textwrap
import time

import pytest
import yaml

from cfncheck.checks import CheckInfo
from cfncheck.config import Config
from cfncheck.engine import collect_checks, scan
from cfncheck.errors import InputError
from cfncheck.policy import load_policy_checks
from cfncheck.policy.commands import test as policy_test
from cfncheck.policy.commands import validate
from cfncheck.policy.groups import TypeSelector, is_taggable, stateful_types
from cfncheck.policy.loader import builtin_dir, load_policy_file
from tests.samples import DEFECTIVE

from .conftest import make_policy, make_stack, verdicts

GOOD = """\
id: ACME-SQS-001
title: Queues have a dead-letter queue
severity: warning
category: sqs
description: d
remediation: r
resource_types: ["AWS::SQS::Queue"]
assert:
  path: Properties.RedrivePolicy.deadLetterTargetArn
  exists: true
"""


def write(tmp_path, text, name="p.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.parametrize("mutate, line, message", [
    (lambda t: t.replace("  exists: true", "  exist: true"), 10,
     "invalid policy at assert: unknown key 'exist' (did you mean exists?); operators: equals,"),
    (lambda t: t.replace("severity: warning", "severity: fatal"), 3,
     "invalid policy at severity: 'fatal' is not one of ['error', 'warning', 'info']"),
    (lambda t: t.replace("title: Queues have a dead-letter queue", "title: Ends with a dot."), 2,
     "invalid policy at title: 'Ends with a dot.' does not match"),
    (lambda t: t.replace("id: ACME-SQS-001", "id: bad id"), 1,
     "invalid policy at id: 'bad id' does not match"),
    (lambda t: t.replace("remediation: r\n", ""), 1,
     "invalid policy at (top level): 'remediation' is a required property"),
    (lambda t: t.replace("  exists: true", "  exists: true\n  equals: 1"), 8,
     "invalid policy at assert: a property test needs exactly one operator"),
    (lambda t: t.replace("  exists: true", "  regex: '(unclosed'"), 10,
     "invalid policy at assert.regex: invalid regular expression '(unclosed'"),
    (lambda t: t.replace("  exists: true", "  lte: {param: nope}"), 10,
     "invalid policy at assert.lte.param: unknown parameter 'nope' (declared: none)"),
    (lambda t: t.replace("  path: Properties.RedrivePolicy.deadLetterTargetArn",
                         "  path: Properties..X"), 9,
     "invalid policy at assert.path: path 'Properties..X': empty key"),
    (lambda t: t + "message: '{logical_id} {nope}'\n", 11,
     "invalid policy at message: unknown placeholder {nope}"),
    (lambda t: t.replace("  path: Properties.RedrivePolicy.deadLetterTargetArn\n  exists: true",
                         "  all: []"), 9,
     "invalid policy at assert.all: [] should be non-empty"),
    (lambda t: t.replace("  path: Properties.RedrivePolicy.deadLetterTargetArn\n  exists: true",
                         "  not: {path: X, exists: true}\n  all: [{path: Y, exists: true}]"), 8,
     "invalid policy at assert: an assertion has exactly one form, found all, not"),
    (lambda t: t + "unresolved: maybe\n", 11,
     "invalid policy at unresolved: 'maybe' is not one of ['fail', 'pass', 'skip']"),
    (lambda t: t.replace("  exists: true", "  exists: true\n  quantifier: any"), 11,
     "invalid policy at assert.quantifier: quantifier applies to paths with [*] only"),
])
def test_bad_policy_names_file_line_and_problem(tmp_path, mutate, line, message):
    p = write(tmp_path, mutate(GOOD))
    with pytest.raises(InputError) as e:
        load_policy_file(p)
    assert e.value.kind == "policy"
    assert e.value.file == str(p)
    assert e.value.message.startswith(message), e.value.message
    assert e.value.line == line


def test_yaml_that_constructs_objects_is_refused(tmp_path):
    p = write(tmp_path, GOOD + "x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError) as e:
        load_policy_file(p)
    assert "constructs objects" in e.value.message


def test_cli_exit_code_for_a_broken_policy(tmp_path, capsys):
    write(tmp_path, GOOD.replace("exists: true", "exist: true"))
    assert validate([tmp_path]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'p.yaml'}:10: invalid policy at assert" in err
    from typer.testing import CliRunner

    from cfncheck.cli import app

    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "--policies", str(tmp_path)])
    assert r.exit_code == 2
    assert "p.yaml:10" in r.output
    assert "Traceback" not in r.output


def test_validate_and_test_commands_on_a_user_folder(tmp_path, capsys):
    write(tmp_path, GOOD, "sqs_dlq.yaml")
    (tmp_path / "tests").mkdir()
    write(tmp_path, """\
        policy: ACME-SQS-001
        cases:
          - name: with and without
            template:
              Resources:
                Dlq: {Type: AWS::SQS::Queue}
                With:
                  Type: AWS::SQS::Queue
                  Properties:
                    RedrivePolicy: {deadLetterTargetArn: {"Fn::GetAtt": [Dlq, Arn]}}
                Without: {Type: AWS::SQS::Queue}
            expect: {With: PASS, Without: FAIL}
        """, "tests/sqs_dlq.yaml")
    assert validate([tmp_path]) == 0
    assert "ok: 1 policies, 1 tests files valid" in capsys.readouterr().out
    assert policy_test([tmp_path]) == 0
    out = capsys.readouterr().out
    assert "ok   ACME-SQS-001" in out and "1/1 policies passed" in out
    # a wrong expectation -> exit 1 with the mismatch named
    t = tmp_path / "tests" / "sqs_dlq.yaml"
    t.write_text(t.read_text().replace("Without: FAIL", "Without: PASS"))
    assert policy_test([tmp_path / "sqs_dlq.yaml"]) == 1
    out = capsys.readouterr().out
    assert "sqs_dlq.yaml:3 case 'with and without': Without: expected PASS, got FAIL" in out
    assert "no test case expects FAIL for any resource" in out
    # tests for an unknown policy -> exit 2
    t.write_text(t.read_text().replace("policy: ACME-SQS-001", "policy: ACME-NOPE-001"))
    assert policy_test([tmp_path]) == 2
    assert "tests for unknown policy 'ACME-NOPE-001'" in capsys.readouterr().err


def test_policy_without_tests_fails_policy_test(tmp_path, capsys):
    write(tmp_path, GOOD)
    assert policy_test([tmp_path]) == 1
    assert "no tests (expected tests/p.yaml)" in capsys.readouterr().out


def test_docs_example_policy_works(tmp_path, capsys):
    """The first policy of docs/policies.md validates and passes its tests as documented."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
    blocks = doc.split("```yaml\n")
    policy = next(b for b in blocks if b.startswith("id: ACME-SQS-001")).split("\n```\n")[0]
    tests = next(b for b in blocks if b.startswith("policy: ACME-SQS-001")).split("\n```\n")[0]
    # the policy's remediation holds a nested fence; take the YAML up to the closing fence
    policy = doc[doc.index("id: ACME-SQS-001"):]
    policy = policy[: policy.index("```\n\nIts tests")]
    (tmp_path / "tests").mkdir()
    (tmp_path / "sqs_dlq.yaml").write_text(policy)
    (tmp_path / "tests" / "sqs_dlq.yaml").write_text(tests)
    assert yaml.safe_load(policy)["id"] == "ACME-SQS-001"
    assert policy_test([tmp_path]) == 0, capsys.readouterr().out


def test_duplicate_ids_are_an_error(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InputError) as e:
        collect_checks(Config({"builtin_policies": False}), [tmp_path])
    assert "ACME-SQS-001 is defined twice" in e.value.message


def test_builtin_pack_loads_and_can_be_disabled():
    ids = {c.info.id for c in load_policy_checks(Config())}
    assert {"CC-S3-001", "CC-LOGS-001", "CC-RET-001", "CC-DDB-001", "CC-LAMBDA-001",
            "CC-LAMBDA-002"} <= ids
    assert load_policy_checks(Config({"builtin_policies": False})) == []
    assert all(c.info.kind == "policy" for c in load_policy_checks(Config()))


def test_policy_info_fields():
    pol = load_policy_file(builtin_dir() / "general/retain_stateful_prod.yaml")
    info: CheckInfo = pol.info
    assert (info.id, info.severity, info.category, info.stages, info.kind) == \
        ("CC-RET-001", "error", "resilience", ("prod",), "policy")
    assert info.remediation.startswith("Set a removal policy")
    assert info.source_file.endswith("retain_stateful_prod.yaml")


def test_loading_is_cached_per_file(tmp_path):
    p = write(tmp_path, GOOD)
    assert load_policy_file(p) is load_policy_file(p)
    time.sleep(0.01)
    p.write_text(GOOD.replace("warning", "error"))
    assert load_policy_file(p).info.severity == "error"


# -- regexes ------------------------------------------------------------------------------

def test_regex_is_re2_and_linear_time(check):
    # ^(a+)+$ backtracks catastrophically in Python's re; RE2 answers at once
    t0 = time.perf_counter()
    assert check({"path": "Properties.X", "regex": "^(a+)+$"},
                 {"R": {"Type": "AWS::S3::Bucket", "Properties": {"X": "a" * 40 + "!"}},
                  "S": {"Type": "AWS::S3::Bucket", "Properties": {"X": "a" * 40}}}) == \
        {"R": "FAIL", "S": "PASS"}
    assert time.perf_counter() - t0 < 1
    with pytest.raises(InputError) as e:  # RE2 refuses backreferences
        make_policy({"path": "Properties.X", "regex": r"(a)\1"})
    assert "invalid regular expression" in e.value.message


# -- type selectors and groups -------------------------------------------------------------

def test_type_selector_globs_and_groups():
    s = TypeSelector(["AWS::ApiGateway::*", "@stateful"])
    assert s.matches("AWS::ApiGateway::Method")
    assert s.matches("AWS::DynamoDB::Table") and s.matches("AWS::Logs::LogGroup")
    assert not s.matches("AWS::Lambda::Function")
    assert s.types_in(["AWS::Lambda::Function", "AWS::S3::Bucket", "AWS::ApiGateway::Stage"]) \
        == ["AWS::ApiGateway::Stage", "AWS::S3::Bucket"]
    assert "AWS::CloudFormation::Stack" in stateful_types()


def test_taggable_group_from_cfn_lint_schemas():
    assert is_taggable("AWS::S3::Bucket") and is_taggable("AWS::Lambda::Function")
    assert not is_taggable("AWS::Lambda::Permission")
    assert not is_taggable("AWS::IAM::Policy")
    assert not is_taggable("Custom::Whatever")
    assert not is_taggable("AWS::Nope::Nope")


# -- CDK-generated resources ------------------------------------------------------------------

CDK_RES = {
    "Handler": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 900},
                "Metadata": {"aws:cdk:path": "Prod/Api/BucketNotificationsHandler050a0587b7544547"
                                             "bf325f094a3db834/Resource"}},
    "Mine": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 900},
             "Metadata": {"aws:cdk:path": "Prod/Api/Mine/Resource"}},
}


@pytest.mark.parametrize("mode, handler_status, severity", [
    ("report", "FAIL", None), ("info", "FAIL", "info"), ("skip", "SKIP", None)])
def test_cdk_internal_modes(mode, handler_status, severity):
    pol = make_policy({"path": "Properties.Timeout", "lte": 30},
                      resource_types=["AWS::Lambda::Function"], cdk_internal=mode)
    vs = verdicts(pol, make_stack(CDK_RES))
    assert vs["Handler"].status == handler_status
    assert vs["Mine"].status == "FAIL" and vs["Mine"].hit.severity is None
    if handler_status == "FAIL":
        assert vs["Handler"].hit.severity == severity
        assert vs["Handler"].hit.message.endswith(
            "(CDK-generated resource: CDK's bucket-notifications handler (created by "
            "bucket.add_event_notification))")
    else:
        assert vs["Handler"].reason.startswith("CDK-generated: CDK's bucket-notifications")


def test_cdk_internal_info_in_a_real_scan():
    pol = make_policy({"path": "Properties.Timeout", "lte": 30},
                      resource_types=["AWS::Lambda::Function"], cdk_internal="info")
    found = {(f.stack, f.logical_id): f for f in scan([DEFECTIVE], Config(), checks=[pol]).findings}
    f = found[("Prod/Api", "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691")]
    assert f.severity == "info" and "CDK-generated resource" in f.message
    assert found[("Prod/Api", "OrdersApiFunctionF46D4A7F")].severity == "error"


def test_stages_limit_where_a_policy_runs():
    pol = make_policy({"path": "DeletionPolicy", "equals": "Retain"}, stages=["prod"])
    assert pol.info.stages == ("prod",)
    res = {"B": {"Type": "AWS::S3::Bucket"}}
    assert verdicts(pol, make_stack(res, stage="prod"))["B"].status == "FAIL"
    assert verdicts(pol, make_stack(res, stage="dev"))["B"].status == "SKIP"
    assert verdicts(pol, make_stack(res, stage="unknown"))["B"].status == "SKIP"
    found = scan([DEFECTIVE], Config(), checks=[pol]).findings
    assert {f.stage for f in found} == {"prod"}
    assert {f.stack for f in found} == {"Prod/Api"}


def test_bad_regex_is_a_policy_error_and_nothing_on_stderr(tmp_path, capfd):
    from cfncheck.config import Config
    from cfncheck.errors import InputError
    from cfncheck.policy import load_policy_checks

    (tmp_path / "p.yaml").write_text(
        "id: ACME-RE-001\ntitle: Bucket names follow the pattern\nseverity: error\n"
        "category: s3\ndescription: Names follow the pattern.\nremediation: Rename it.\n"
        "resource_types: ['AWS::S3::Bucket']\n"
        "assert: {path: Properties.BucketName, regex: '(unclosed'}\n")
    with pytest.raises(InputError) as exc:
        load_policy_checks(Config({"builtin_policies": False}), [tmp_path])
    assert exc.value.file.endswith("p.yaml") and exc.value.line == 8
    assert exc.value.message == ("invalid policy at assert.regex: invalid regular expression "
                                 "'(unclosed': missing ): (unclosed")
    assert capfd.readouterr().err == ""
