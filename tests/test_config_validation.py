"""Config mistakes fail loudly (issue 14 items 1, 6, 7, 9): every check id, parameter name and
type, and stage name in .cfncheck.yaml and on the command line is validated against the checks
actually loaded, with ``file:line: what is wrong (did you mean ...)`` and exit 2."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from cfncheck.cli import app
from cfncheck.config import load_config
from cfncheck.engine import collect_checks
from cfncheck.errors import InputError
from tests.samples import DEFECTIVE


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("text, line, message", [
    ('stages: {"Prod/*": production}\n', 1,
     "invalid config at stages/Prod/*: 'production' is not a configured stage (did you mean "
     "prod?)"),
    ("parameters:\n  CC-LAMBDA-001: {max_timeout: {default: 30, prd: 15}}\n", 2,
     "invalid config at parameters/CC-LAMBDA-001/max_timeout/prd: 'prd' is not a configured "
     "stage (did you mean prod?)"),
    ("parameters:\n  CC-LAMBDA-001: {max_timout: 10}\n", 2,
     "invalid config at parameters/CC-LAMBDA-001/max_timout: CC-LAMBDA-001 has no parameter "
     "'max_timout' (did you mean max_timeout?) (its parameters: max_timeout)"),
    ('parameters:\n  CC-LAMBDA-001: {max_timeout: "ten"}\n', 2,
     "invalid config at parameters/CC-LAMBDA-001/max_timeout: 'ten' is a string; "
     "CC-LAMBDA-001 max_timeout takes an integer (default 30)"),
    ("parameters:\n  W9101:\n    allow: s3:GetObject\n", 3,
     "invalid config at parameters/W9101/allow: 's3:GetObject' is a string; W9101 allow takes "
     "a list (default [])"),
    ("parameters:\n  CC-LAMBDA-01: {max_timeout: 10}\n", 2,
     "invalid config at parameters/CC-LAMBDA-01: no check has id 'CC-LAMBDA-01' (did you mean "
     "CC-LAMBDA-001?)"),
    ("rules:\n  disable: [CC-S3-003, cc-s3-001]\n", 2,
     "invalid config at rules/disable/1: no check has id 'cc-s3-001' (did you mean "
     "CC-S3-001?)"),
    ("rules: {only: [CC-S4-*]}\n", 1, "invalid config at rules/only/0: no check id matches "
     "'CC-S4-*'"),
    ("rules: {severity: {W9910: error}}\n", 1,
     "invalid config at rules/severity/W9910: no check has id 'W9910'"),
    ("rules: {disabel: [CC-S3-001]}\n", 1,
     "invalid config at rules/disabel: unknown key 'disabel' (did you mean disable?)"),
    ("suppressions:\n  - {id: CC-S3-02, reason: because}\n", 2,
     "invalid config at suppressions/0/id: no check has id 'CC-S3-02' (did you mean "
     "CC-S3-002?)"),
    ("suppressions:\n  - {id: CC-S3-*, stage: prd, reason: because}\n", 2,
     "invalid config at suppressions/0/stage: 'prd' is not a configured stage"),
    ("stage_tokens: {live: production}\n", 1,
     "invalid config at stage_tokens/live: 'production' is not a configured stage"),
    ("fail_on: eror\n", 1, "invalid config at fail_on: 'eror' is not one of error, warning, "
     "info, never (did you mean error?)"),
    ("stages: {}\nfail_on: error\nstages: {'Prod/*': prod}\n", 3,
     "duplicate key 'stages' (first at line 1)"),
])
def test_config_mistakes_name_the_line_and_the_fix(tmp_path, text, line, message):
    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text(text)
    with pytest.raises(InputError) as e:
        collect_checks(load_config(cfg))
    assert e.value.file == str(cfg)
    assert e.value.line == line
    assert e.value.message.startswith(message), e.value.message


def test_valid_references_pass_and_custom_stages_are_declared(tmp_path):
    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text("custom_stages: [perf]\n"
                   'stages: {"Prod/*": perf}\n'
                   "parameters:\n"
                   "  CC-LAMBDA-001: {max_timeout: {default: 30, perf: 10, prod: 15}}\n"
                   "  W9101: {allow: ['s3:GetObject']}\n"
                   "rules: {disable: ['CC-S3-*'], severity: {CC-RES-001: error}}\n"
                   "suppressions: [{id: W91*, stage: perf, reason: accepted}]\n")
    ids = {c.info.id for c in collect_checks(load_config(cfg))}
    assert "W9101" in ids and not any(i.startswith("CC-S3-") for i in ids)


def test_cli_exits_2_with_file_and_line_and_nothing_on_stdout(tmp_path):
    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text("parameters:\n  CC-LAMBDA-001: {max_timout: 10}\n")
    r = run("scan", DEFECTIVE, "-c", cfg)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == (f"cfncheck: error: {cfg}:2: invalid config at parameters/CC-LAMBDA-001/"
                        "max_timout: CC-LAMBDA-001 has no parameter 'max_timout' (did you mean "
                        "max_timeout?) (its parameters: max_timeout)\n")


def test_cli_stage_must_be_a_configured_stage():
    r = run("scan", DEFECTIVE, "--stage", "production")
    assert r.exit_code == 2
    assert r.stderr.startswith("cfncheck: error: --stage 'production' is not a configured "
                               "stage (did you mean prod?)")


@pytest.mark.parametrize("args, message", [
    (["--check", "CC-S3-02"], "--check CC-S3-02: no check has id 'CC-S3-02' (did you mean "
                              "CC-S3-002?)"),
    (["--skip-check", "w9101"], "--skip-check w9101: no check has id 'w9101' (did you mean "
                                "W9101?)"),
    (["--check", "CC-S3-*,X9*"], "--check X9*: no check id matches 'X9*'"),
])
def test_unknown_check_ids_on_the_command_line(args, message):
    r = run("scan", DEFECTIVE, *args)
    assert r.exit_code == 2
    assert r.stderr == f"cfncheck: error: {message}\n"


def _rule_ids(r) -> set:
    return {f["rule_id"] for f in json.loads(r.stdout)["findings"]}


def test_check_and_skip_check_select_by_id_and_glob():
    r = run("scan", DEFECTIVE, "-f", "json", "--check", "CC-S3-*", "--check", "W9101,W9102")
    assert r.exit_code == 1, r.stderr
    ids = _rule_ids(r)
    assert ids and all(i.startswith("CC-S3-") or i in ("W9101", "W9102") for i in ids)
    assert {"W9101", "W9102"} <= ids
    ran = {c["id"] for c in json.loads(r.stdout)["rules"]}
    assert "W9203" not in ran and "CC-LAMBDA-001" not in ran
    r = run("scan", DEFECTIVE, "-f", "json", "--skip-check", "W91*", "--skip-check", "CC-S3-*")
    ids = _rule_ids(r)
    assert ids and not any(i.startswith(("W91", "CC-S3-")) for i in ids)


def test_min_severity_filters_what_is_reported():
    r = run("scan", DEFECTIVE, "-f", "json", "--min-severity", "warning")
    severities = {f["severity"] for f in json.loads(r.stdout)["findings"]}
    assert severities == {"error", "warning"}
    r = run("scan", DEFECTIVE, "-f", "json", "--min-severity", "error")
    assert {f["severity"] for f in json.loads(r.stdout)["findings"]} == {"error"}
    r = run("scan", DEFECTIVE, "--min-severity", "high")
    assert r.exit_code == 2 and "--min-severity must be one of error, warning, info" in r.stderr


def test_config_beside_the_scanned_path_is_found_and_shown(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(DEFECTIVE, repo / "infra" / "cdk.out")
    (repo / "infra" / ".cfncheck.yaml").write_text("rules: {disable: [W9203]}\n")
    monkeypatch.chdir(repo)
    r = run("scan", "infra/cdk.out", "-f", "json")
    doc = json.loads(r.stdout)
    assert doc["config"] == "infra/.cfncheck.yaml"
    assert "W9203" not in {f["rule_id"] for f in doc["findings"]}
    r = run("scan", "infra/cdk.out")
    assert "Config: infra/.cfncheck.yaml" in r.stdout
    (repo / "infra" / ".cfncheck.yaml").unlink()
    r = run("scan", "infra/cdk.out", "-f", "json")
    assert json.loads(r.stdout)["config"] is None


def test_same_path_twice_and_same_policy_folder_twice_count_once(tmp_path, monkeypatch):
    once = json.loads(run("scan", DEFECTIVE, "-f", "json").stdout)
    monkeypatch.chdir(DEFECTIVE.parent)
    twice = run("scan", "cdk.out", "./cdk.out/", str(DEFECTIVE), "-f", "json")
    assert len(json.loads(twice.stdout)["findings"]) == len(once["findings"])
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "q.yaml").write_text(QUEUE_POLICY)
    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text("policies: [pol]\n")
    monkeypatch.chdir(tmp_path)
    r = run("scan", DEFECTIVE, "-c", cfg, "--policies", "./pol/", "-f", "json")
    assert r.exit_code == 1, r.stderr
    assert "ACME-SQS-001" in {c["id"] for c in json.loads(r.stdout)["rules"]}


QUEUE_POLICY = """\
id: ACME-SQS-001
title: Queues declare a retention period
severity: info
description: A queue states how long messages are kept.
remediation: Set retentionPeriod on the queue.
category: sqs
resource_types: ["AWS::SQS::Queue"]
assert: {path: Properties.MessageRetentionPeriod, exists: true}
"""


def test_config_policy_folders_stay_inside_the_repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "q.yaml").write_text(QUEUE_POLICY)
    cfg = repo / ".cfncheck.yaml"
    for value in ("../elsewhere", str(outside)):
        cfg.write_text(f"policies: ['{value}']\n")
        r = run("scan", DEFECTIVE, "-c", cfg)
        assert r.exit_code == 2
        assert r.stderr.startswith(f"cfncheck: error: {cfg}:1: invalid config at policies/0: "
                                   f"the policy folder '{value}' is outside the repository "
                                   f"({repo.resolve()})")
    # a hostile value is escaped, not echoed raw
    cfg.write_text('policies: ["../x\\n::error::INJECTED\\u001b[2J"]\n')
    r = run("scan", DEFECTIVE, "-c", cfg)
    assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1
    assert "\\n::error::INJECTED\\x1b[2J" in r.stderr and "\x1b" not in r.stderr
    # the operator's --policies may point anywhere
    cfg.write_text("fail_on: error\n")
    r = run("scan", DEFECTIVE, "-c", cfg, "--policies", outside, "-f", "json")
    assert r.exit_code == 1, r.stderr
    assert "ACME-SQS-001" in {c["id"] for c in json.loads(r.stdout)["rules"]}


def test_baseline_create_takes_policies_and_check_selection(tmp_path):
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "q.yaml").write_text(QUEUE_POLICY.replace("exists: true", "exists: false"))
    out = tmp_path / "b.json"
    r = run("baseline", "create", DEFECTIVE, "-o", out, "--policies", pol,
            "--check", "ACME-*")
    assert r.exit_code == 0, r.stderr
    entries = json.loads(out.read_text())["findings"]
    assert entries and {e["rule_id"] for e in entries} == {"ACME-SQS-001"}
    r = run("scan", DEFECTIVE, "--policies", pol, "--check", "ACME-*", "--baseline", out,
            "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["baseline"]["new"] == 0


def test_pyproject_mistakes_point_at_their_line(tmp_path):
    pp = tmp_path / "pyproject.toml"
    pp.write_text('[project]\nname = "x"\n\n[tool.cfncheck]\nfail_on = "error"\n\n'
                  "[tool.cfncheck.parameters.CC-LAMBDA-001]\nmax_timout = 10\n")
    with pytest.raises(InputError) as e:
        collect_checks(load_config(pp))
    assert (e.value.file, e.value.line) == (str(pp), 8)
    assert "CC-LAMBDA-001 has no parameter 'max_timout' (did you mean max_timeout?)" in \
        e.value.message
    pp.write_text('[tool.cfncheck]\nfail_on = "error"\nstages = {"Prod/*" = "production"}\n')
    with pytest.raises(InputError) as e:
        collect_checks(load_config(pp))
    assert e.value.line == 3 and "'production' is not a configured stage" in e.value.message


def test_a_per_stage_value_without_default_keeps_the_check_default_elsewhere(tmp_path):
    from cfncheck.engine import scan

    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text("rules: {enable: [CC-LAMBDA-001]}\n"  # opt-in: a house preference
                   "parameters:\n  CC-LAMBDA-001: {max_timeout: {prod: 1}}\n")
    result = scan([DEFECTIVE], load_config(cfg))
    limits = {(f.stage, f.message.split("limit of its stage (")[1].split(",")[0])
              for f in result.findings if f.rule_id == "CC-LAMBDA-001"}
    assert limits == {("dev", "30 s"), ("prod", "1 s")}
