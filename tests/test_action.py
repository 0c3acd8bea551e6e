"""The composite GitHub Action (action.yml) and the pre-commit hook definition.

The action's shell steps are run locally with bash in a simulated GitHub environment:
``${{ inputs.* }}``, ``${{ github.* }}`` and ``${{ steps.*.outputs.* }}`` are substituted,
GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_PATH are temp files, and ``cfncheck`` on PATH is
this repository's (with the deterministic test checks). The install step is skipped (it needs
the network); its script is checked for installing the action's own copy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.report.fake_checks import DEFECTIVE, ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")

SHIM = """#!{python}
import sys
sys.path.insert(0, {root!r})
import cfncheck.engine
from tests.report.fake_checks import fake_checks
cfncheck.engine.collect_checks = lambda config, dirs=(), packs=None: fake_checks()
from cfncheck.cli import run
sys.argv[0] = "cfncheck"
run()
"""


def step(step_id=None, name=None):
    return next(s for s in STEPS if (step_id and s.get("id") == step_id) or
                (name and s.get("name") == name))


def read_outputs(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


class Runner:
    def __init__(self, tmp_path: Path, inputs: dict):
        self.inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
        self.inputs.update(inputs)
        self.work = tmp_path / "workspace"
        shutil.copytree(DEFECTIVE, self.work / "cdk.out")
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        shim = self.bin / "cfncheck"
        shim.write_text(SHIM.format(python=sys.executable, root=str(ROOT)))
        shim.chmod(0o755)
        self.files = {k: tmp_path / k.lower() for k in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY",
                                                        "GITHUB_PATH")}
        for f in self.files.values():
            f.write_text("")
        (tmp_path / "runner").mkdir()
        self.runner_temp = tmp_path / "runner"
        self.artifact_outputs: dict = {}

    def expr(self, text: str) -> str:
        def sub(m):
            e = m.group(1)
            if e.startswith("inputs."):
                return self.inputs[e[len("inputs."):]]
            if e == "github.action_path":
                return str(ROOT)
            if e.startswith("steps.scan.outputs."):
                return read_outputs(self.files["GITHUB_OUTPUT"]).get(e.rsplit(".", 1)[1], "")
            if e.startswith("steps.html.outputs."):  # what actions/upload-artifact would set
                return self.artifact_outputs.get(e.rsplit(".", 1)[1], "")
            raise AssertionError(f"unexpected expression {e}")
        return EXPR.sub(sub, str(text))

    def run(self, s: dict) -> subprocess.CompletedProcess:
        env = {"PATH": f"{self.bin}:{Path(sys.executable).parent}:{os.environ['PATH']}",
               "HOME": os.environ.get("HOME", "/tmp"), "RUNNER_TEMP": str(self.runner_temp),
               "GITHUB_WORKSPACE": str(self.work), "CI": "true", "NO_COLOR": "1",
               **{k: str(v) for k, v in self.files.items()}}
        env.update({k: self.expr(v) for k, v in (s.get("env") or {}).items()})
        assert "${{" not in s["run"], "inputs must reach scripts through env, not ${{ }}"
        script = self.runner_temp / "step.sh"
        script.write_text(s["run"])
        # exactly how GitHub runs `shell: bash` steps
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=self.work, env=env, capture_output=True, text=True,
                              timeout=120)


def test_action_metadata():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"path", "config", "stage", "fail-on", "sarif-file",
                                     "category", "upload-sarif", "baseline", "python-version",
                                     "version", "html-report", "html-artifact-name"}
    assert set(ACTION["outputs"]) == {"findings", "errors", "sarif-file", "exit-code",
                                      "html-report"}
    upload = step(name="Upload SARIF to code scanning")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"] == {"sarif_file": "${{ steps.scan.outputs.sarif-file }}"}
    assert "inputs.upload-sarif == 'true'" in upload["if"] and "always()" in upload["if"]
    install = step("install")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH"' in install["run"] and "cfncheck==$CFNCHECK_VERSION" in install["run"]
    for s in STEPS:
        if "run" in s:
            assert s["shell"] == "bash" and "${{" not in s["run"]


def test_scan_step_writes_summary_outputs_annotations_and_sarif(tmp_path):
    r = Runner(tmp_path, {"category": "prod-app"})
    scan = r.run(step("scan"))
    assert scan.returncode == 0, scan.stderr  # the gate is a later step
    lines = scan.stdout.splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    assert len(errors) == 2
    assert errors[0].startswith("::error file=cdk.out/assembly-Dev/DevApi52A53550.template.json,"
                                "line=")
    assert "title=T-S3-001 Buckets block public access [Dev/Api]::" in errors[0]
    assert sum(x.startswith("::warning ") for x in lines) == 4
    # the summary first: GitHub shows a limited number of annotations per step
    notices = [x for x in lines if x.startswith("::")]
    assert notices[0].startswith("::notice title=cfncheck summary::cfncheck: 2 errors")
    out = read_outputs(r.files["GITHUB_OUTPUT"])
    assert out == {"findings": "12", "errors": "2", "exit-code": "1",
                   "sarif-file": "cfncheck.sarif", "sarif-written": "true", "html-report": ""}
    summary = r.files["GITHUB_STEP_SUMMARY"].read_text()
    assert summary.startswith("## ❌ cfncheck failed: 2 finding(s) at or above <code>error</code>")
    assert "| **Total** | **6 stacks** | **2** | **4** | **6** | **0** |" in summary
    import json

    sarif = json.loads((r.work / "cfncheck.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "cfncheck/prod-app/"
    gate = r.run(step(name="Gate"))
    assert gate.returncode == 1
    assert "::error title=cfncheck::findings at or above error" in gate.stdout


def test_fail_on_never_and_baseline_pass_the_gate(tmp_path):
    r = Runner(tmp_path, {"fail-on": "never", "stage": "prod", "sarif-file": "out/c.sarif"})
    assert r.run(step("scan")).returncode == 0
    assert read_outputs(r.files["GITHUB_OUTPUT"])["exit-code"] == "0"
    assert (r.work / "out" / "c.sarif").is_file()
    gate = r.run(step(name="Gate"))
    assert gate.returncode == 0 and "cfncheck passed (--fail-on never)" in gate.stdout
    assert r.files["GITHUB_STEP_SUMMARY"].read_text().startswith("## ✅ cfncheck passed")

    r2 = Runner(tmp_path / "b", {"baseline": "base.json"})
    created = subprocess.run([str(r2.bin / "cfncheck"), "baseline", "create", "cdk.out", "-o",
                              "base.json"], cwd=r2.work, capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    scan = r2.run(step("scan"))
    assert not [x for x in scan.stdout.splitlines() if x.startswith(("::error", "::warning"))]
    assert read_outputs(r2.files["GITHUB_OUTPUT"])["findings"] == "0"
    assert r2.run(step(name="Gate")).returncode == 0


def test_input_error_fails_the_gate_with_a_summary(tmp_path):
    r = Runner(tmp_path, {"path": "missing/cdk.out"})
    assert r.run(step("scan")).returncode == 0
    out = read_outputs(r.files["GITHUB_OUTPUT"])
    assert out["exit-code"] == "2"
    gate = r.run(step(name="Gate"))
    assert gate.returncode == 2
    assert "could not complete the scan (exit code 2)" in gate.stdout
    assert r.files["GITHUB_STEP_SUMMARY"].read_text().strip()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = hooks
    assert hook["id"] == "cfncheck" and hook["entry"] == "cfncheck scan"
    assert hook["pass_filenames"] is False and hook["args"] == ["cdk.out"]
    assert hook["language"] == "python"
    assert re.search(hook["files"], "app/stacks/api_stack.py")


def test_html_report_is_written_uploaded_and_linked(tmp_path):
    r = Runner(tmp_path, {"html-report": "reports/cfncheck.html"})
    (r.work / "reports").mkdir()
    assert r.run(step("scan")).returncode == 0
    out = read_outputs(r.files["GITHUB_OUTPUT"])
    assert out["html-report"] == "reports/cfncheck.html"
    html = (r.work / "reports" / "cfncheck.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and 'id="cfncheck-data"' in html
    upload = step(name="Upload the HTML report")
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["with"]["path"] == "${{ steps.scan.outputs.html-report }}"
    assert upload["if"] == "${{ always() && steps.scan.outputs.html-report != '' }}"
    r.artifact_outputs = {"artifact-url": "https://github.com/acme/infra/actions/runs/1/artifacts/9"}
    link = r.run(step(name="Link the HTML report from the job summary"))
    assert link.returncode == 0, link.stderr
    assert ("[HTML report: the assembly drawn with its findings]"
            "(https://github.com/acme/infra/actions/runs/1/artifacts/9) "
            "(artifact `cfncheck-report`)") in r.files["GITHUB_STEP_SUMMARY"].read_text()


def test_no_html_report_by_default(tmp_path):
    r = Runner(tmp_path, {})
    assert r.run(step("scan")).returncode == 0
    assert read_outputs(r.files["GITHUB_OUTPUT"])["html-report"] == ""
    assert not list(r.work.rglob("*.html"))
