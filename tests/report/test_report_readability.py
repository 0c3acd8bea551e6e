"""Reports a person reads (issue 14, items 11-16): compact text, the per-check table, the whole
first paragraph of a fix, source lines in JSON and text, unique JUnit names, no duplicate rows
in the Markdown top findings, and SARIF within GitHub's upload limits."""

from __future__ import annotations

import gzip
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from typer.testing import CliRunner

from cfncheck.checks import CheckInfo, Hit
from cfncheck.config import Config
from cfncheck.engine import ScanResult, scan
from cfncheck.findings import Finding
from cfncheck.report import ReportOptions, first_paragraph, render
from cfncheck.report import sarif as sarif_mod
from tests.report.fake_checks import DEFECTIVE, run_scan
from tests.samples import SAMPLES


@pytest.fixture(scope="module")
def result():
    return run_scan(DEFECTIVE)


# -------------------------------------------------------------------------------------------
# 11. text output


def test_compact_is_one_line_per_finding_like_cfn_lint_parseable(result):
    out = render("text", result, ReportOptions(compact=True)).splitlines()
    assert len(out) == 12  # one per unsuppressed finding, nothing else
    assert out[0].startswith("error T-S3-001 sample_templates/serverless-defective/cdk.out/"
                             "assembly-Dev/DevApi52A53550.template.json:")
    assert out[0].endswith(" DataBucketE3889A50 AWS::S3::Bucket DataBucketE3889A50 lacks "
                           "PublicAccessBlockConfiguration")
    assert [line.split()[0] for line in out] == ["error"] * 2 + ["warning"] * 4 + ["info"] * 6


def test_compact_option_on_the_command_line():
    from cfncheck.cli import app

    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "--compact", "--jobs", "1"])
    lines = r.stdout.splitlines()
    assert lines and all(line.split()[0] in ("error", "warning", "info") for line in lines)
    assert not any(line.startswith(("Summary", "FAILED", "PASSED")) for line in lines)


def test_errors_come_first_within_a_stack(result):
    text = render("text", result, ReportOptions())
    block = text.split("  Prod/Api  ", 1)[1].split("\n  ", 1)[0]
    labels = [line.split()[0] for line in text.split("  Prod/Api  ", 1)[1].splitlines()[1:]
              if line.startswith("    ") and not line.startswith("     ")][:5]
    assert block.startswith("1 error, 1 warning, 3 info")
    assert labels == ["ERROR", "WARNING", "INFO", "INFO", "INFO"]


def test_summary_has_a_count_table_by_check(result):
    text = render("text", result, ReportOptions())
    table = text.split("By check\n", 1)[1]
    assert "| T-S3-001   | Buckets block public access |      2 |        - |    - |          - |" \
        in table
    rows = [line.split("|")[1].strip() for line in table.splitlines()
            if line.startswith("| T-")]
    assert rows == ["T-S3-001", "T-DDB-001", "T-LOGS-001"]  # most severe counts first


WRAPPED = ("Turn on point-in-time recovery for the table so a bad write can be undone;\n"
           "CDK sets it with one property and it costs little.\n\n```python\n"
           "dynamodb.Table(self, 'T', point_in_time_recovery=True)\n```\n\nMore text.")
FULL = ("Turn on point-in-time recovery for the table so a bad write can be undone; CDK sets "
        "it with one property and it costs little.")


def test_first_paragraph_is_whole_not_the_first_physical_line():
    assert first_paragraph(WRAPPED) == FULL
    assert first_paragraph("```sh\nnpm i\n```\n") == "npm i"
    assert first_paragraph("Set it:\n```py\nx = 1\n```") == "Set it:"


def test_every_format_shows_the_whole_first_paragraph_of_the_fix():
    f = Finding(rule_id="T-1", severity="error", title="Tables have PITR", message="m",
                remediation=WRAPPED, stack="S", logical_id="T", file="t.json", line=1)
    result = ScanResult(findings=[f])
    for fmt in ("text", "github", "junit", "markdown", "sarif"):
        out = render(fmt, result, ReportOptions())
        if fmt == "markdown":
            assert FULL.replace(".", "\\.").replace("(", "\\(") in out, fmt
        else:
            assert FULL in out, fmt


# -------------------------------------------------------------------------------------------
# 12. source_location in JSON and text


@pytest.fixture(scope="module")
def app_repo(tmp_path_factory):
    """The sample app with its cdk.out beside it, in a git repository (as CI sees it)."""
    repo = tmp_path_factory.mktemp("repo")
    (repo / ".git").mkdir()
    shutil.copytree(SAMPLES / "serverless_app", repo / "app",
                    ignore=shutil.ignore_patterns("lambda", "layer"))
    shutil.copytree(DEFECTIVE, repo / "app" / "cdk.out")
    return repo


def test_json_and_text_give_the_cdk_app_source_line(app_repo, monkeypatch):
    monkeypatch.chdir(app_repo)
    result = run_scan(app_repo / "app" / "cdk.out")
    doc = json.loads(render("json", result, ReportOptions(scanned=["app/cdk.out"])))
    bucket = next(f for f in doc["findings"] if f["rule_id"] == "T-S3-001"
                  and f["stack"] == "Prod/Api")
    src = bucket["source_location"]
    assert src["file"].startswith("app/serverless_app/") and src["line"] > 0
    lines = (app_repo / src["file"]).read_text().splitlines()[src["line"] - 1:src["line"] + 2]
    assert "s3.Bucket(" in lines[0] and '"DataBucket"' in "\n".join(lines)
    located = [f for f in doc["findings"] if f["source_location"]]
    assert len(located) >= 8
    text = render("text", result, ReportOptions(scanned=["app/cdk.out"]))
    assert f"            source: {src['file']}:{src['line']}" in text.splitlines()


# -------------------------------------------------------------------------------------------
# 15. unique JUnit names, no duplicate Markdown rows


class TwoPerBucket:
    """Two findings on one resource (two properties): the duplicate-name case."""

    info = CheckInfo(id="T-TWO-001", title="Two things", severity="error")

    def run(self, ctx):
        for stack in ctx.stacks:
            for lid, res in stack.resources.items():
                if isinstance(res, dict) and res.get("Type") == "AWS::S3::Bucket":
                    for prop in ("A", "B"):
                        yield Hit(stack, lid, ("Resources", lid, "Properties", prop),
                                  f"{lid} lacks {prop}", key=prop)


def test_junit_test_names_are_unique_within_a_suite():
    result = scan([str(DEFECTIVE)], Config(), checks=[TwoPerBucket()], jobs=1)
    root = ET.fromstring(render("junit", result, ReportOptions()))
    for suite in root.iter("testsuite"):
        names = Counter(c.get("name") for c in suite.iter("testcase"))
        assert all(n == 1 for n in names.values()), (suite.get("name"), names)
    prod = next(s for s in root.iter("testsuite") if s.get("name") == "Prod/Api")
    two = sorted(c.get("name") for c in prod.iter("testcase") if "T-TWO-001" in c.get("name"))
    assert two[0] == "T-TWO-001 DataBucketE3889A50"
    assert two[1].startswith("T-TWO-001 DataBucketE3889A50 ")


def test_markdown_top_findings_has_no_duplicate_rows():
    result = scan([str(DEFECTIVE)], Config(), checks=[TwoPerBucket()], jobs=1)
    md = render("markdown", result, ReportOptions())
    top = md.split("### Top findings", 1)[1].split("\n\n", 2)[1].splitlines()[2:]
    assert len(top) == len(set(top))
    assert any(row.endswith("(2 findings) |") for row in top)


# -------------------------------------------------------------------------------------------
# 16. SARIF upload limits


def _many(n: int) -> ScanResult:
    sev = ["info", "warning", "error"]
    return ScanResult(findings=[Finding(rule_id=f"T-{i % 3}", severity=sev[i % 3],
                                        title="t", message=f"finding {i} " + "x" * 40,
                                        stack="S", logical_id=f"L{i}", file="t.json", line=i)
                                for i in range(n)])


def test_sarif_keeps_the_most_severe_results_within_the_result_limit(monkeypatch):
    monkeypatch.setattr(sarif_mod, "MAX_RESULTS", 10)
    options = ReportOptions()
    doc = json.loads(render("sarif", _many(30), options))
    run = doc["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error"] * 10
    assert run["properties"]["truncated"]["results"] == 30
    assert run["properties"]["truncated"]["omitted"] == 20
    assert options.extra["warnings"] == [
        "SARIF: 20 of 30 results left out (GitHub accepts at most 10 results per run); the "
        "most severe 10 were kept"]


def test_sarif_stays_under_the_gzipped_size_limit(monkeypatch):
    monkeypatch.setattr(sarif_mod, "MAX_GZIP_BYTES", 6000)
    options = ReportOptions()
    text = render("sarif", _many(600), options)
    assert len(gzip.compress(text.encode())) <= 6000
    run = json.loads(text)["runs"][0]
    kept = [r["level"] for r in run["results"]]
    assert 0 < len(kept) < 600 and kept[0] == "error"
    assert kept == sorted(kept, key=["error", "warning", "note"].index) or "note" not in kept
    assert run["properties"]["truncated"]["reason"] == "the gzipped file would exceed 10 MB"
    assert options.extra["warnings"][0].startswith("SARIF: ")


def test_sarif_warning_is_printed_on_stderr(monkeypatch, tmp_path):
    from cfncheck.cli import app

    monkeypatch.setattr(sarif_mod, "MAX_RESULTS", 3)
    out = tmp_path / "r.sarif"
    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "-f", "sarif", "-o", str(out),
                                 "--jobs", "1"])
    assert r.exit_code == 1
    assert "cfncheck: warning: SARIF: " in r.stderr
    assert len(json.loads(out.read_text())["runs"][0]["results"]) == 3
