"""`cfncheck scan` output handling: several formats per run, --output pairing, --fail-on,
--baseline, --category, and the progress bar hook."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from typer.testing import CliRunner

from cfncheck.cli import app
from cfncheck.report.text import ProgressBar
from tests.report.fake_checks import DEFECTIVE, fake_checks, run_scan


@pytest.fixture(autouse=True)
def test_checks(monkeypatch):
    monkeypatch.setattr("cfncheck.engine.collect_checks",
                        lambda config, dirs=(), packs=None: fake_checks())
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def invoke(*args):
    return CliRunner().invoke(app, ["scan", str(DEFECTIVE), "--jobs", "1", *args])


def test_each_output_goes_with_the_format_before_it(tmp_path):
    sarif, md = tmp_path / "out" / "x.sarif", tmp_path / "s.md"
    r = invoke("--format", "text", "--format", "sarif", "--output", str(sarif),
               "-f", "markdown", "-o", str(md), "--category", "prod-app")
    assert r.exit_code == 1, r.output
    assert r.stdout.startswith("Warning and info findings are below --fail-on error: "
                               "reported, they do not fail the run.\n\nStage dev\n")
    doc = json.loads(sarif.read_text())
    assert doc["runs"][0]["automationDetails"] == {"id": "cfncheck/prod-app/"}
    assert md.read_text().startswith("## ❌ cfncheck failed")
    assert not list(tmp_path.glob("out/.x.sarif.*"))  # no temporary file left behind


def test_format_then_output_order_is_respected_the_other_way_round(tmp_path):
    out = tmp_path / "r.json"
    r = invoke("-f", "json", "-o", str(out), "-f", "github")
    assert r.exit_code == 1
    assert json.loads(out.read_text())["summary"]["findings"] == 12
    assert r.stdout.splitlines()[0].startswith("::notice title=cfncheck summary::")
    assert r.stdout.splitlines()[1].startswith("::error file=")


def test_output_without_a_format_before_it_is_refused(tmp_path):
    r = invoke("-o", str(tmp_path / "a"), "-f", "json", "-f", "sarif")
    assert r.exit_code == 2
    assert "give a --format before every --output" in r.output


def test_two_formats_on_stdout_are_refused():
    r = invoke("-f", "json", "-f", "sarif")
    assert r.exit_code == 2
    assert "only one --format can go to standard output" in r.output


def test_unknown_format():
    r = invoke("-f", "pdf")
    assert r.exit_code == 2
    assert "unknown --format 'pdf' (choose from text, json, sarif, junit, github, markdown, " \
        "html)" in r.output


@pytest.mark.parametrize("fail_on, code", [("error", 1), ("warning", 1), ("info", 1),
                                           ("never", 0)])
def test_fail_on(fail_on, code):
    assert invoke("--fail-on", fail_on, "-f", "json").exit_code == code


def test_baseline_then_new_defect(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)
    base = tmp_path / "baseline.json"
    r = CliRunner().invoke(app, ["baseline", "create", str(copy), "-o", str(base)])
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "12 findings" in r.output
    r = CliRunner().invoke(app, ["scan", str(copy), "--baseline", str(base), "-f", "json",
                                 "--jobs", "1"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"]["findings"] == 0 and doc["summary"]["suppressed"] == 12
    assert doc["baseline"] == {"file": str(base), "entries": 12, "matched": 12, "new": 0,
                               "stale": 0}
    tpl = copy / "assembly-Prod" / "ProdApi2466CF1F.template.json"
    data = json.loads(tpl.read_text())
    data["Resources"]["NewBucket0A1B2C3D"] = {
        "Type": "AWS::S3::Bucket", "Properties": {},
        "Metadata": {"aws:cdk:path": "Prod/Api/NewBucket/Resource"}}
    tpl.write_text(json.dumps(data, indent=1))
    r = CliRunner().invoke(app, ["scan", str(copy), "--baseline", str(base), "-f", "json",
                                 "--jobs", "1"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    new = [f for f in doc["findings"] if not f["suppressed"]]
    assert [(f["rule_id"], f["logical_id"]) for f in new] == [("T-S3-001", "NewBucket0A1B2C3D")]


def test_bad_baseline_fails_before_scanning(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text('{"version": 9, "findings": []}')
    r = invoke("--baseline", str(bad))
    assert r.exit_code == 2
    assert f"{bad}: unsupported baseline version 9" in r.output


def test_progress_bar_only_on_a_terminal_for_many_units():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet = io.StringIO()
    bar = ProgressBar(min_units=2, stream=quiet)
    run_scan(DEFECTIVE, progress=bar)
    assert quiet.getvalue() == "" and not bar.started
    tty = Tty()
    calls = []
    bar = ProgressBar(min_units=2, stream=tty)

    def spy(done, total):
        calls.append((done, total))
        bar(done, total)

    run_scan(DEFECTIVE, progress=spy)
    assert calls[0] == (0, calls[0][1]) and calls[-1] == (calls[0][1], calls[0][1])
    assert bar.started and bar._progress is None  # shown, then closed at the end
    assert "checking" in tty.getvalue()
    few = ProgressBar(min_units=10_000, stream=Tty())
    run_scan(DEFECTIVE, progress=few)
    assert not few.started
