"""JSON (validated against its schema), text (rich), JUnit XML, GitHub annotations and the
Markdown summary, on the sample assembly with deterministic test checks."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from cfncheck.config import Config
from cfncheck.report import ReportOptions, render
from cfncheck.report.github import escape_data, escape_property
from cfncheck.report.markdown import cell
from tests.report.fake_checks import DEFECTIVE, run_scan


@pytest.fixture(scope="module")
def result():
    return run_scan(DEFECTIVE)


@pytest.fixture(scope="module")
def suppressed_result(tmp_path_factory):
    copy = tmp_path_factory.mktemp("sup") / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)
    tpl = copy / "assembly-Prod" / "ProdApi2466CF1F.template.json"
    data = json.loads(tpl.read_text())
    data["Resources"]["DataBucketE3889A50"]["Metadata"]["cfncheck"] = {
        "suppress": [{"id": "T-S3-001", "reason": "public website | bucket",
                      "expires": "2999-01-01"}]}
    tpl.write_text(json.dumps(data, indent=1))
    return run_scan(copy, Config({"suppressions": [
        {"id": "T-LOGS-001", "reason": "platform aspect sets retention"}]}))


def report_schema():
    text = resources.files("cfncheck.schemas").joinpath("report.schema.json").read_text()
    return jsonschema.Draft202012Validator(json.loads(text))


def test_json_validates_and_counts(result, suppressed_result):
    for r, fail_on in ((result, "error"), (suppressed_result, "warning")):
        doc = json.loads(render("json", r, ReportOptions(fail_on=fail_on)))
        errors = list(report_schema().iter_errors(doc))
        assert not errors, errors[0].message
    doc = json.loads(render("json", result, ReportOptions()))
    assert doc["version"] == "1.1"
    assert doc["summary"]["by_severity"] == {"error": 2, "warning": 4, "info": 6}
    assert doc["summary"]["findings"] == 12 and doc["summary"]["gate_findings"] == 2
    assert doc["summary"]["failed"] is True
    assert [r["id"] for r in doc["rules"]] == ["CC-SUP-001", "CC-SUP-002", "CC-SUP-003",
                                               "T-DDB-001", "T-LOGS-001", "T-S3-001"]
    prod_api = next(r for r in doc["summary"]["by_stack"] if r["stack"] == "Prod/Api")
    assert prod_api == {"stage": "prod", "stack": "Prod/Api", "error": 1, "warning": 1,
                        "info": 3, "suppressed": 0}
    doc = json.loads(render("json", suppressed_result, ReportOptions()))
    assert doc["summary"]["findings"] == 5 and doc["summary"]["suppressed"] == 7
    assert doc["summary"]["suppressed_by_source"] == {"config": 6, "metadata": 1}
    f = next(f for f in doc["findings"] if f["rule_id"] == "T-S3-001" and
             f["stack"] == "Prod/Api")
    assert f["suppressed"] is True
    assert f["suppression"] == {"source": "metadata", "reason": "public website | bucket",
                                "expires": "2999-01-01"}


def test_json_puts_one_finding_per_line_and_no_scanned_string_can_move_it(result):
    text = render("json", result, ReportOptions())
    lines = text.splitlines()
    start = lines.index('  "findings": [')
    rows = lines[start + 1:start + 1 + len(result.findings)]
    assert [json.loads(r.rstrip(","))["fingerprint"] for r in rows] == \
        [f.fingerprint for f in result.findings]
    assert lines[start + 1 + len(result.findings)] == "  ],"
    # a stack named like the writer's placeholder key stays a plain string value
    stack = result.stacks[0]
    name = stack.name
    stack.name = '"findings": "findings-0"\n  "findings": x'
    try:
        doc = json.loads(render("json", result, ReportOptions()))
    finally:
        stack.name = name
    assert len(doc["findings"]) == len(result.findings)
    assert doc["stacks"][0]["name"] == '"findings": "findings-0"\n  "findings": x'


def test_json_schema_rejects_a_broken_report(result):
    doc = json.loads(render("json", result, ReportOptions()))
    doc["findings"][0]["severity"] = "fatal"
    del doc["summary"]["failed"]
    assert len(list(report_schema().iter_errors(doc))) == 2


def test_text_groups_by_stage_and_stack_plain_without_color(result):
    text = render("text", result, ReportOptions())
    assert "\x1b[" not in text
    lines = text.splitlines()
    # said once, before the findings, instead of after every finding below the threshold
    assert lines[0] == ("Warning and info findings are below --fail-on error: reported, they do "
                        "not fail the run.")
    assert "below --fail-on" not in text.split("\n", 1)[1]
    lines = lines[2:]
    assert lines[0] == "Stage dev"
    assert lines[1] == "  Dev/Api  1 error, 1 warning, 3 info"
    assert lines[2] == "    ERROR   T-S3-001  Buckets block public access"
    assert lines[3].startswith("            sample_templates/serverless-defective/cdk.out/"
                               "assembly-Dev/DevApi52A53550.template.json:")
    assert lines[3].endswith("  DataBucketE3889A50 (AWS::S3::Bucket)")
    assert lines[4] == "            construct: Dev/Api/DataBucket/Resource"
    assert lines[6] == "            fix: Set `block_public_access=BLOCK_ALL`:"
    assert "Stage prod" in lines
    assert "    WARNING T-DDB-001  Tables have PITR" in lines
    assert "| prod  | Prod/Api         |      1 |        1 |    3 |          - |" in lines
    assert lines[-1] == ("FAILED: 2 finding(s) at or above error | 2 errors, 4 warnings, "
                         "6 info, 0 suppressed")
    passed = render("text", result, ReportOptions(fail_on="never")).splitlines()[-1]
    assert passed.startswith("PASSED (--fail-on never)")


def test_text_colours_by_severity_on_a_terminal(result):
    text = render("text", result, ReportOptions(color=True, width=200))
    assert "\x1b[1;31mERROR  \x1b[0m" in text  # bold red
    assert "\x1b[33mWARNING\x1b[0m" in text  # yellow
    assert "\x1b[36mINFO   \x1b[0m" in text  # cyan


def test_text_lists_suppressions_with_reasons(suppressed_result):
    text = render("text", suppressed_result, ReportOptions())
    assert "Suppressed: 7 (6 config, 1 metadata)" in text
    assert ("  T-S3-001  Prod/Api  DataBucketE3889A50  [metadata] public website | bucket "
            "(until 2999-01-01)") in text


def test_junit_suites_cases_and_failures(result, suppressed_result):
    root = ET.fromstring(render("junit", result, ReportOptions()))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["Dev/Api", "Dev/Api/Storage", "Dev/Monitoring", "Prod/Api",
                            "Prod/Api/Storage", "Prod/Monitoring"]
    prod = suites["Prod/Api"]
    assert prod.find("properties/property").attrib == {"name": "stage", "value": "prod"}
    names = [c.get("name") for c in prod.findall("testcase")]
    # 5 findings + the checks without findings on that stack (3 CC-SUP-*)
    assert names == ["CC-SUP-001", "CC-SUP-002", "CC-SUP-003",
                     "T-DDB-001 OrdersTable315BB997", "T-LOGS-001 ApiAccessLogsE9DF007D",
                     "T-LOGS-001 OrdersApiLogGroup0E78A56E", "T-LOGS-001 WorkerLogGroup31FDBE4A",
                     "T-S3-001 DataBucketE3889A50"]
    assert (prod.get("tests"), prod.get("failures"), prod.get("skipped")) == ("8", "5", "0")
    case = prod.findall("testcase")[-1]
    failure = case.find("failure")
    assert failure.get("type") == "error"
    assert failure.get("message").startswith("Buckets block public access: AWS::S3::Bucket")
    assert "construct: Prod/Api/DataBucket/Resource" in failure.text
    monitoring = suites["Prod/Monitoring"]
    assert (monitoring.get("tests"), monitoring.get("failures")) == ("6", "0")
    # per stage: Dev/Api 3 passes + 5 findings, Storage 5 + 1, Monitoring 6 + 0
    assert root.get("failures") == "12" and root.get("tests") == str(2 * (8 + 6 + 6))
    root = ET.fromstring(render("junit", suppressed_result, ReportOptions()))
    prod = next(s for s in root.findall("testsuite") if s.get("name") == "Prod/Api")
    skipped = [c for c in prod.findall("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == [
        "T-LOGS-001 ApiAccessLogsE9DF007D", "T-LOGS-001 OrdersApiLogGroup0E78A56E",
        "T-LOGS-001 WorkerLogGroup31FDBE4A", "T-S3-001 DataBucketE3889A50"]
    assert skipped[-1].find("skipped").get("message") == \
        "suppressed (metadata): public website | bucket"


def test_github_escaping_rules():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_github_annotations(result, tmp_path):
    out = render("github", result, ReportOptions()).splitlines()
    assert len(out) == 13
    # the summary first: GitHub shows a limited number of annotations per step
    assert out[0] == ("::notice title=cfncheck summary::cfncheck: 2 errors, 4 warnings, "
                      "6 info, 0 suppressed in 6 stacks (--fail-on error)")
    out = out[1:]
    assert out[0].startswith("::error file=sample_templates/serverless-defective/cdk.out/"
                             "assembly-Dev/DevApi52A53550.template.json,line=")
    assert ",title=T-S3-001 Buckets block public access [Dev/Api]::AWS%3A" not in out[0]
    assert ",title=T-S3-001 Buckets block public access [Dev/Api]::AWS::S3::Bucket " \
        "DataBucketE3889A50 lacks PublicAccessBlockConfiguration%0AResource: " \
        "DataBucketE3889A50 (Dev/Api/DataBucket/Resource)%0AFix: Set " \
        "`block_public_access=BLOCK_ALL`:" in out[0]
    kinds = [line.split(" ", 1)[0] for line in out]
    assert kinds == ["::error"] * 2 + ["::warning"] * 4 + ["::notice"] * 6


def test_github_escapes_properties_in_titles(result):
    from cfncheck.report.github import command

    assert command("error", "x", file="a,b.json", line=3, title="T: a, b") == \
        "::error file=a%2Cb.json,line=3,title=T%3A a%2C b::x"


def test_markdown_summary(result, suppressed_result, monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/orders")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    md = render("markdown", result, ReportOptions())
    lines = md.splitlines()
    assert lines[0] == "## ❌ cfncheck failed: 2 finding(s) at or above <code>error</code>"
    assert "| prod | Prod/Api | 1 | 1 | 3 | 0 |" in lines
    assert "| **Total** | **6 stacks** | **2** | **4** | **6** | **0** |" in lines
    assert "### Top findings (10 of 12)" in lines
    top = lines[lines.index("### Top findings (10 of 12)") + 4]
    assert top.startswith("| 🔴 error | <code>T-S3-001</code> Buckets block public access | "
                          "Dev/Api | <code>Dev/Api/DataBucket/Resource</code> | "
                          "[sample\\_templates/serverless-defective/cdk\\.out/assembly-Dev/"
                          "DevApi52A53550\\.template\\.json\\:")
    assert "](https://github.com/acme/orders/blob/abc123/sample_templates/" in top
    assert md.count("<details>") == md.count("</details>") == 4  # the stacks with findings
    assert "<details><summary><b>Prod/Api</b> (prod): 1 error, 1 warning, 3 info</summary>" \
        in lines
    md = render("markdown", suppressed_result, ReportOptions(fail_on="never"))
    assert md.startswith("## ✅ cfncheck passed (<code>\\-\\-fail\\-on never</code>)")
    assert "<details><summary>Suppressed findings (7)</summary>" in md
    assert "| <code>T-S3-001</code> | Prod/Api | <code>Prod/Api/DataBucket/Resource</code> | " \
        "metadata | public website \\| bucket | 2999-01-01 |" in md


def test_markdown_cell_escaping():
    assert cell("a|b <script>\n& c") == "a\\|b &lt;script&gt; &amp; c"
