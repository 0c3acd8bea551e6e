"""Behaviour of a whole run on hostile input: exit codes, no tracebacks, partial errors,
atomic outputs, the per-template timeout, and deterministic reports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cfncheck import cli
from cfncheck.checks import Hit
from cfncheck.config import Config
from cfncheck.engine import scan
from cfncheck.output_files import write_output
from cfncheck.report import ReportOptions, render

from ..samples import DEFECTIVE
from .conftest import ProbeCheck, stack_artifact, write_assembly, write_json
from .test_template_limits import BOMB

UNENCRYPTED_TOPIC = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def run_cli(args: list[str], cwd: Path):
    """CliRunner in ``cwd`` (so no repository config is picked up)."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli.app, args)
    finally:
        os.chdir(old)


def assert_clean_exit(result, codes=(0, 1, 2)):
    out = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in codes, (result.exit_code, out, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in out


# -------------------------------------------------------------------------------------------
# an input error in one stack does not hide the findings of the others


def partially_broken(tmp_path: Path) -> Path:
    root = write_assembly(tmp_path / "cdk.out", {"Good": UNENCRYPTED_TOPIC},
                          {"Bad": stack_artifact("Bad.template.json", "Bad")})
    (root / "Bad.template.json").write_text('{"Resources": {"T": ')
    return root


def test_input_error_in_one_stack_keeps_the_others_findings(tmp_path):
    root = partially_broken(tmp_path)
    result = scan([root], Config(), jobs=1)
    assert [(f.rule_id, f.stack, f.logical_id) for f in result.findings
            if f.rule_id == "CC-SNS-001"] == [("CC-SNS-001", "Good", "Topic")]
    assert [e.file for e in result.errors] == [str(root / "Bad.template.json")]


def test_cli_reports_both_and_exits_2(tmp_path):
    root = partially_broken(tmp_path)
    res = run_cli(["scan", str(root), "-f", "json", "-o", "out.json", "-f", "sarif", "-o",
                   "out.sarif", "--fail-on", "never"], tmp_path)
    assert_clean_exit(res, codes=(2,))
    data = json.loads((tmp_path / "out.json").read_text())
    assert "CC-SNS-001" in {f["rule_id"] for f in data["findings"]}
    assert [e["file"] for e in data["errors"]] == [str(root / "Bad.template.json")]
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert "CC-SNS-001" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert f"{root / 'Bad.template.json'}:1:" in res.output


# -------------------------------------------------------------------------------------------
# never a traceback, exit code 0/1/2 only


def _hostile_inputs(tmp: Path) -> dict[str, list[str]]:
    cases = {}
    (tmp / "bomb.yaml").write_bytes(BOMB)
    cases["alias-bomb"] = [str(tmp / "bomb.yaml")]
    (tmp / "deep.json").write_text("[" * 100_000)
    cases["deep-json"] = [str(tmp / "deep.json")]
    cases["missing"] = [str(tmp / "nope")]
    cases["dev-zero"] = ["/dev/zero"]
    (tmp / "bin.json").write_bytes(b'{"Resources": \xff\xfe}')
    cases["non-utf8"] = [str(tmp / "bin.json")]
    root = write_assembly(tmp / "escape", {}, {"E": stack_artifact("/etc/hostname", "E")})
    cases["absolute-path"] = [str(root)]
    (tmp / "cfg.yaml").write_text("a: !!python/object/apply:os.system ['id']\n")
    write_json(tmp / "ok.json", UNENCRYPTED_TOPIC)
    cases["bad-config"] = ["-c", str(tmp / "cfg.yaml"), str(tmp / "ok.json")]
    (tmp / "pol").mkdir()
    (tmp / "pol" / "x.yaml").write_text("id: [\n")
    cases["bad-policy"] = ["--policies", str(tmp / "pol"), str(tmp / "ok.json")]
    cases["bad-type"] = [str(write_json(tmp / "t.json", {"Resources": {"A": {"Type": 5}}}))]
    return cases


@pytest.mark.parametrize("case", ["alias-bomb", "deep-json", "missing", "dev-zero", "non-utf8",
                                  "absolute-path", "bad-config", "bad-policy", "bad-type"])
def test_cli_hostile_input_is_a_one_line_error(tmp_path, case):
    args = _hostile_inputs(tmp_path)[case]
    res = run_cli(["scan", *args, "-f", "json"], tmp_path)
    assert_clean_exit(res, codes=(2,))
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("cfncheck: error:")]
    assert errors, res.stderr


def test_console_entry_point_subprocess(tmp_path):
    """The installed entry point (``cfncheck.cli:run``) on a bomb and a deep file."""
    (tmp_path / "bomb.yaml").write_bytes(BOMB)
    (tmp_path / "deep.json").write_text("{" * 100_000)
    proc = subprocess.run([sys.executable, "-c", "from cfncheck.cli import run; run()", "scan",
                           "bomb.yaml", "deep.json", "-f", "json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    data = json.loads(proc.stdout)
    assert sorted(e["file"] for e in data["errors"]) == ["bomb.yaml", "deep.json"]


# -------------------------------------------------------------------------------------------
# atomic outputs


def test_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "results.sarif"
    out.write_text("OLD")
    with pytest.raises(UnicodeEncodeError):
        write_output(out, '{"x": "' + "y" * 100_000 + '\udc80"}')
    assert out.read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.sarif"]


def test_exception_while_rendering_leaves_the_old_file(tmp_path, monkeypatch):
    write_json(tmp_path / "t.json", UNENCRYPTED_TOPIC)
    (tmp_path / "out.sarif").write_text("OLD")
    real = render

    def broken(fmt, result, options):
        if fmt == "sarif":
            raise RuntimeError("renderer crashed")
        return real(fmt, result, options)

    monkeypatch.setattr("cfncheck.report.render", broken)
    res = run_cli(["scan", "t.json", "-f", "sarif", "-o", "out.sarif"], tmp_path)
    assert isinstance(res.exception, RuntimeError)
    assert (tmp_path / "out.sarif").read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.sarif", "t.json"]


# -------------------------------------------------------------------------------------------
# per-template timeout


class SleepyCheck(ProbeCheck):
    """Reports every stack; hangs on the stack named Slow."""

    per_stack = True

    def check(self, stack, ctx):
        if stack.name == "Slow":
            time.sleep(60)
        yield Hit(stack, None, ("Resources",), f"checked {stack.name}", key="k")

    def run(self, ctx):
        for stack in ctx.stacks:
            yield from self.check(stack, ctx)


def test_a_stalled_template_is_reported_and_the_others_still_checked(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {
        "Fast1": UNENCRYPTED_TOPIC, "Slow": UNENCRYPTED_TOPIC, "Fast2": UNENCRYPTED_TOPIC})
    t0 = time.perf_counter()
    result = scan([root], Config(), checks=[SleepyCheck()], jobs=1, timeout=1)
    assert time.perf_counter() - t0 < 15
    assert sorted(f.message for f in result.findings) == ["checked Fast1", "checked Fast2"]
    assert [(e.kind, e.file) for e in result.errors] == \
        [("timeout", str(root / "Slow.template.json"))]


# -------------------------------------------------------------------------------------------
# determinism


@pytest.mark.skipif(not DEFECTIVE.is_dir(), reason="sample assembly not synthesized")
def test_same_input_twice_gives_byte_identical_json_and_sarif(tmp_path):
    root = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, root)
    (root / "Broken.template.json").write_text("{")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["artifacts"]["Broken"] = stack_artifact("Broken.template.json", "Broken")
    write_json(root / "manifest.json", manifest)
    outs = []
    for jobs in (1, 2):
        result = scan([root], Config(), jobs=jobs)
        assert result.findings and result.errors
        outs.append([render(f, result, ReportOptions()) for f in ("json", "sarif")])
    assert outs[0] == outs[1]
