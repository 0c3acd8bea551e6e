"""Assemblies where CDK skipped staging or bundling (real CDK output, see
tests/fixtures/skipped_assets_app/README.md): the absolute source paths CDK records are never
read, each stack gets one note, and the findings alone decide the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cfncheck.assembly import load
from cfncheck.engine import scan
from cfncheck.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
SKIPPED_BUNDLING = FIXTURES / "skipped-bundling" / "cdk.out"
NO_STAGING = FIXTURES / "no-staging" / "cdk.out"
NOTE = ("stack {stack}: the code of {n} resource(s) ({lids}) is not in the assembly: their "
        "aws:asset:path is an absolute source path, as CDK writes it when it skips staging or "
        "bundling (cdk synth --no-staging, bundling limited to other stacks); cfncheck reads "
        "nothing outside the assembly, so their bundles are not checked. Synthesize with "
        "staging and bundling to check them.")


def test_skipped_bundling_is_one_note_not_an_input_error():
    loaded = load([SKIPPED_BUNDLING])
    assert loaded.errors == []
    (stack,) = loaded.stacks
    assert list(stack.unstaged_assets) == ["ApiF70053CD"]
    assert Path(stack.unstaged_assets["ApiF70053CD"]).is_absolute()
    assert loaded.notes == [NOTE.format(stack="Skipped", n=1, lids="ApiF70053CD")]
    result = scan([SKIPPED_BUNDLING], checks=all_rules())
    lambda_findings = sorted((f.rule_id, f.logical_id, f.key) for f in result.findings
                             if f.rule_id.startswith("E94"))
    # the staged function without bundling is checked (one finding for its requirements);
    # the unstaged one is not checked at all
    assert lambda_findings == [("E9402", "Plain295EB121", "unbundled")]


def test_no_staging_notes_every_stack_once():
    loaded = load([NO_STAGING])
    assert loaded.errors == []
    assert sorted(loaded.notes) == [
        NOTE.format(stack="Bundled", n=2, lids="ApiF70053CD, Plain295EB121"),
        NOTE.format(stack="Skipped", n=2, lids="ApiF70053CD, Plain295EB121")]
    result = scan([NO_STAGING], checks=all_rules())
    assert [f for f in result.findings if f.rule_id.startswith("E94")] == []


def test_the_cli_lets_the_findings_decide_the_exit_code(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([str(Path(sys.executable).parent / "cfncheck"), "scan", str(NO_STAGING),
                           "--format", "json", "-o", str(out), "--fail-on", "error"],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text())
    assert report["errors"] == []
    assert proc.returncode == (1 if any(f["severity"] == "error" for f in report["findings"])
                               else 0), proc.stderr
    assert sum("is not in the assembly" in n for n in report["notes"]) == 2


def test_a_relative_path_leaving_the_assembly_is_still_refused(tmp_path):
    root = tmp_path / "cdk.out"
    root.mkdir()
    tpl = json.loads((NO_STAGING / "Skipped.template.json").read_text())
    fn = tpl["Resources"]["ApiF70053CD"]
    fn["Metadata"]["aws:asset:path"] = "../../etc"  # never written by CDK
    (root / "Skipped.template.json").write_text(json.dumps(tpl))
    (root / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "Skipped": {"type": "aws:cloudformation:stack",
                    "properties": {"templateFile": "Skipped.template.json"}}}}))
    loaded = load([root])
    assert [(e.kind, e.message) for e in loaded.errors] == [
        ("security", "resource ApiF70053CD: aws:asset:path '../../etc' points outside the "
                     "assembly folder; refused")]
