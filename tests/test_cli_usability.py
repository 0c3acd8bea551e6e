"""The command line as a new user meets it (issue 14 items 10, 17, 18, 20): help that reads at
80 columns, one clear error for a missing path, Stage sub-assemblies, paths shown the same
wherever the clone lives."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cfncheck.cli import app
from cfncheck.engine import display_path
from tests.samples import DEFECTIVE, ROOT

COMMANDS = [[], ["scan"], ["rules"], ["policy"], ["policy", "validate"], ["policy", "test"],
            ["baseline"], ["baseline", "create"]]


def help_text(cmd, flag="--help") -> str:
    r = CliRunner().invoke(app, [*cmd, flag], prog_name="cfncheck",
                           env={"COLUMNS": "80", "TERM": "dumb"})
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "cfncheck")
def test_help_reads_at_80_columns_with_clean_metavars(cmd):
    text = help_text(cmd)
    assert text == help_text(cmd, "-h")  # -h as in checkov and cfn-lint
    assert max(len(line) for line in text.splitlines()) <= 80
    for bad in ("<bool>", "<list[", "<str>", "<path>", "{paths}", "<int", "<float", "\x1b"):
        assert bad not in text
    # "..." other than PATH... and [ARGS]... is click cutting a command summary short
    assert "..." not in text.replace("PATH...", "").replace("[ARGS]...", "")
    for line in text.splitlines():
        if line.startswith("  -"):  # option, metavar, help text
            words = line.replace(", ", ",").split()
            assert len(words) >= 3, f"no help for {line.strip()}"


def test_scan_help_keeps_brackets_and_documents_every_option():
    text = help_text(["scan"])
    assert "[tool.cfncheck]" in text
    assert text.startswith("Usage: cfncheck scan [OPTIONS] PATH...\n")
    for opt in ("--check IDS", "--skip-check IDS", "--min-severity LEVEL", "--policies DIR",
                "--config FILE", "--stage STAGE"):
        assert opt in text
    create = help_text(["baseline", "create"])
    for opt in ("--output FILE", "--stage STAGE", "--config FILE", "--policies DIR"):
        assert opt in create
    assert "--config FILE" in help_text(["rules"])


def test_missing_path_is_one_error_on_stderr_and_nothing_on_stdout(tmp_path):
    r = CliRunner().invoke(app, ["scan", str(tmp_path / "nothere")])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == f"cfncheck: error: {tmp_path / 'nothere'}: no such file or folder\n"


def test_missing_cdk_out_says_to_synthesize_first(tmp_path, monkeypatch):
    (tmp_path / "cdk.json").write_text('{"app": "python app.py"}')
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["scan", "cdk.out"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == ("cfncheck: error: cdk.out: no such file or folder (run `cdk synth` "
                        "first to create the cloud assembly)\n")


def test_a_template_holding_a_string_says_so_in_words(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('"hello"')
    r = CliRunner().invoke(app, ["scan", str(bad), "-f", "json"])
    assert r.exit_code == 2
    message = "not a CloudFormation template: the file holds a string, not an object with " \
        "Resources"
    assert r.stderr == f"cfncheck: error: {bad}:1: {message}\n"
    assert [e["message"] for e in json.loads(r.stdout)["errors"]] == [message]
    r = CliRunner().invoke(app, ["scan", str(bad)])  # text: no empty table, the error once
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == f"cfncheck: error: {bad}:1: {message}\n"


def test_stage_sub_assembly_scans_like_the_whole_assembly():
    whole = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "-f", "json"])
    prod = CliRunner().invoke(app, ["scan", str(DEFECTIVE / "assembly-Prod"), "-f", "json"])
    assert prod.exit_code == 1, prod.stderr
    doc = json.loads(prod.stdout)
    assert doc["errors"] == []
    assert {(s["name"], s["stage"], s["stage_source"]) for s in doc["stacks"]} == {
        ("Prod/Api", "prod", "CDK Stage Prod"),
        ("Prod/Api/Storage", "prod", "parent stack (CDK Stage Prod)"),
        ("Prod/Monitoring", "prod", "CDK Stage Prod")}

    def key(f):
        return f["rule_id"], f["stack"], f["logical_id"], f["message"]

    expected = {key(f) for f in json.loads(whole.stdout)["findings"] if f["stage"] == "prod"}
    assert {key(f) for f in doc["findings"]} == expected
    assert any(f["rule_id"] == "E9402" for f in doc["findings"])  # the assets were read


def test_a_stage_folder_is_fenced_by_the_enclosing_cdk_out_only(tmp_path):
    import shutil

    root = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, root)
    (root / "manifest.json").unlink()  # no enclosing assembly: ../asset.* is outside
    r = CliRunner().invoke(app, ["scan", str(root / "assembly-Prod"), "-f", "json"])
    assert r.exit_code == 2
    assert "points outside the assembly folder" in r.stderr


def test_paths_outside_the_working_folder_are_absolute(tmp_path, monkeypatch):
    inside = tmp_path / "a" / "t.json"
    monkeypatch.chdir(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path)
    assert display_path(inside) == "t.json"
    assert display_path(ROOT / "README.md") == str(ROOT / "README.md")
    assert display_path("../x/y.json") == str(tmp_path / "x" / "y.json")
