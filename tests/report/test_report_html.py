"""The HTML report (``--format html``) in a real browser: headless Chromium (Debian's
``chromium``, installed by .ci/run) driven by Playwright. The page is opened from a file, the
filters are used, a node is clicked on the canvas, a finding row is clicked, and the DOM is read
back; every network request is recorded (there must be none) and so are console errors.

Deterministic findings come from the fake checks (buckets: error, tables: warning, log groups:
info) so the counts below are computed from the scan result, not copied.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from cfncheck.config import Config
from cfncheck.engine import scan
from cfncheck.report import ReportOptions, render
from cfncheck.report.html import payload, script_json
from tests.report.fake_checks import DEFECTIVE, fake_checks, run_scan

GRAPH_DRAWN = "window.cfncheckReport.cy && window.cfncheckReport.cy.nodes().length > 0"
CHROMIUM = os.environ.get("CFNCHECK_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Page:
    """A loaded report page with its console errors, dialogs and network requests."""

    def __init__(self, browser, html_file: Path, width=1400, height=900):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = html_file.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_function("window.cfncheckReport && window.cfncheckReport.ready")

    def js(self, expr):
        return self.page.evaluate(expr)

    def rows(self, table="#findings-table") -> list[list[str]]:
        return self.page.eval_on_selector_all(
            f"{table} tbody tr",
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))")

    def close(self):
        self.page.close()


def write_report(result, path: Path, **opts) -> Path:
    options = ReportOptions(scanned=[str(DEFECTIVE)], **opts)
    path.write_text(render("html", result, options), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    result = run_scan()
    return result, write_report(result, tmp_path_factory.mktemp("html") / "report.html")


def test_page_is_self_contained_and_requests_nothing(browser, sample):
    result, path = sample
    html = path.read_text()
    assert "<script src" not in html and "<link" not in html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    page = Page(browser, path)
    page.js("window.cfncheckReport.show('assembly')")
    page.page.wait_for_function(GRAPH_DRAWN)
    assert page.requests == [page.url]
    assert page.errors == []
    page.close()


def test_overview_counts_and_verdict(browser, sample):
    result, path = sample
    page = Page(browser, path)
    gate = result.gate("error")
    assert page.page.inner_text("#verdict") == f"FAILED: {len(gate)} finding(s) at or above error"
    rows = page.rows("#stack-table")
    assert len(rows) == len(result.stacks)
    by_stack = {r[1]: r for r in rows}
    for s in result.stacks:
        mine = [f for f in result.findings if f.stack == s.name and not f.suppressed]
        row = by_stack[s.name]
        assert row[0] == s.stage
        assert [int(x) for x in row[2:5]] == [sum(f.severity == k for f in mine)
                                              for k in ("error", "warning", "info")]
    page.close()


def test_filters_by_severity_check_stack_and_text(browser, sample):
    result, path = sample
    act = [f for f in result.findings if not f.suppressed]
    page = Page(browser, path)
    page.page.click("#tabs button[data-view=findings]")
    assert len(page.rows()) == min(len(act), 200)
    page.page.uncheck("#filters input[value=warning]")
    page.page.uncheck("#filters input[value=info]")
    errors = [f for f in act if f.severity == "error"]
    rows = page.rows()
    assert len(rows) == len(errors) and {r[0].lower() for r in rows} == {"error"}
    page.page.check("#filters input[value=info]")
    page.page.select_option("#f-check", "T-LOGS-001")
    logs = [f for f in act if f.rule_id == "T-LOGS-001"]
    assert len(page.rows()) == len(logs) > 0
    stack = logs[0].stack
    page.page.select_option("#f-stack", stack)
    assert len(page.rows()) == sum(f.stack == stack for f in logs)
    page.page.select_option("#f-check", "")
    page.page.select_option("#f-stack", "")
    page.page.check("#filters input[value=warning]")
    target = act[0]
    page.page.fill("#f-text", target.construct_path)
    rows = page.rows()
    assert len(rows) == sum(target.construct_path.lower() in (f.construct_path or "").lower()
                            for f in act)
    assert any(target.construct_path in r[4] for r in rows)
    assert page.page.inner_text("#findings-count").startswith(f"{len(rows)} of {len(act)}")
    assert page.errors == []
    page.close()


def test_clicking_a_node_lists_its_findings(browser, sample):
    result, path = sample
    page = Page(browser, path)
    page.page.click("#tabs button[data-view=assembly]")
    page.page.wait_for_function(GRAPH_DRAWN)
    data = payload(result, ReportOptions(scanned=[str(DEFECTIVE)]))
    bucket = next(f for f in result.findings if f.rule_id == "T-S3-001")
    node = data["nodes"].index(next(n for n in data["nodes"]
                                    if n[1] == bucket.logical_id and
                                    data["stacks"][n[0]]["name"] == bucket.stack))
    # Bring the node into view, then click it where the canvas draws it.
    page.js(f"(() => {{ const cy = window.cfncheckReport.cy; "
            f"const n = cy.getElementById('n{node}'); cy.zoom(1.5); cy.center(n); }})()")
    pos = page.js(f"(() => {{ const n = window.cfncheckReport.cy.getElementById('n{node}');"
                  "const r = document.getElementById('cy').getBoundingClientRect();"
                  "const p = n.renderedPosition(); return [r.left + p.x, r.top + p.y]; })()")
    page.page.mouse.click(pos[0], pos[1])
    items = page.page.eval_on_selector_all("#node-findings li", "ls => ls.map(l => l.innerText)")
    mine = [f for f in result.findings if f.stack == bucket.stack and
            f.logical_id == bucket.logical_id and not f.suppressed]
    assert len(items) == len(mine) >= 1
    assert any("T-S3-001" in i for i in items)
    assert bucket.logical_id in page.page.inner_text("#node-panel")
    page.close()


def test_clicking_a_finding_highlights_its_node(browser, sample):
    result, path = sample
    page = Page(browser, path)
    page.page.click("#tabs button[data-view=findings]")
    page.page.uncheck("#filters input[value=warning]")
    page.page.uncheck("#filters input[value=info]")
    first = page.page.query_selector("#findings-table tbody tr")
    index = int(first.get_attribute("data-index"))
    lid = page.js(f"window.cfncheckReport.data.findings[{index}].lid")
    first.click(position={"x": 5, "y": 5})
    assert page.js("window.cfncheckReport.selected") == index
    assert not page.page.is_hidden("#view-assembly")
    highlighted = page.js("window.cfncheckReport.cy.$('.hl').map(n => n.id())")
    node = page.js(f"window.cfncheckReport.data.findings[{index}].node")
    assert highlighted == [f"n{node}"]
    assert page.js(f"window.cfncheckReport.data.nodes[{node}][1]") == lid
    page.close()


def test_related_locations_are_highlighted_too(browser, tmp_path):
    result = run_scan()
    grouped = next(f for f in result.findings if f.rule_id == "T-LOGS-001")
    others = [f for f in result.findings if f.rule_id == "T-LOGS-001" and f is not grouped
              and f.stack == grouped.stack]
    grouped.related = [{"logical_id": o.logical_id, "resource_type": o.resource_type,
                        "construct_path": o.construct_path, "file": o.file, "line": o.line}
                       for o in others]
    page = Page(browser, write_report(result, tmp_path / "r.html"))
    index = page.js("window.cfncheckReport.data.findings.findIndex(f => f.related.length > 0)")
    page.js(f"window.cfncheckReport.selectFinding({index})")
    assert len(page.js("window.cfncheckReport.cy.$('.hl-related').map(n => n.id())")) == \
        len(others) > 0
    page.close()


def test_suppressed_view_shows_reason_and_expiry(browser, tmp_path):
    cfg = Config({"suppressions": [{"id": "T-S3-001", "reason": "accepted <b>risk</b>",
                                    "expires": "2099-01-01"}]})
    result = run_scan(config=cfg)
    sup = [f for f in result.findings if f.suppressed]
    page = Page(browser, write_report(result, tmp_path / "r.html"))
    page.page.click("#tabs button[data-view=suppressed]")
    rows = page.rows("#suppressed-table")
    assert len(rows) == len(sup) > 0
    assert rows[0][4:7] == ["config", "accepted <b>risk</b>", "2099-01-01"]
    page.close()


HOSTILE = "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"


def hostile_assembly(tmp: Path) -> Path:
    tpl = {"Resources": {"Bucket": {
        "Type": "AWS::S3::Bucket",
        "Metadata": {"aws:cdk:path": f"App/{HOSTILE}/Resource"}}}}
    name = tmp / "evil<img src=x onerror=alert(1)>.template.json"
    name.write_text(json.dumps(tpl))
    return name


def test_hostile_strings_are_text_not_markup(browser, tmp_path):
    tpl = hostile_assembly(tmp_path)
    result = scan([str(tpl)], Config(), checks=fake_checks(), jobs=1)
    for f in result.findings:
        f.message = f"{f.message} {HOSTILE} \u2028 [x](javascript:alert(1))"
        f.remediation = HOSTILE
    html = render("html", result, ReportOptions(scanned=[str(tpl)]))
    data_block = html.split('id="cfncheck-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data_block and "\u2028" not in data_block
    path = tmp_path / "r.html"
    path.write_text(html, encoding="utf-8")
    page = Page(browser, path)
    page.page.click("#tabs button[data-view=findings]")
    page.page.wait_for_timeout(50)
    assert page.js("window.__pwned") is None
    assert page.dialogs == [] and page.errors == []
    rows = page.rows()
    assert any(HOSTILE in r[6] for r in rows)
    assert page.page.query_selector("#findings-table img") is None
    page.page.click("#tabs button[data-view=assembly]")
    page.js("window.cfncheckReport.selectFinding(0)")
    assert page.js("window.__pwned") is None and page.dialogs == []
    assert page.requests == [page.url]
    page.close()


def test_script_json_is_inert():
    text = script_json({"a": "</script><!-- \u2028 & >"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- \u2028 & >"}


def test_links_only_with_github_environment(monkeypatch, sample):
    result, _ = sample
    data = payload(result, ReportOptions(scanned=[str(DEFECTIVE)]))
    assert {f["link"] for f in data["findings"]} == {""}
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/infra")
    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    data = payload(result, ReportOptions(scanned=[str(DEFECTIVE)]))
    links = {f["link"] for f in data["findings"]}
    assert all(x.startswith("https://github.com/acme/infra/blob/0123abc/") for x in links)
    assert all(re.search(r"#L\d+$", x) for x in links)
    monkeypatch.setenv("GITHUB_SERVER_URL", "javascript:alert(1)//")
    data = payload(result, ReportOptions(scanned=[str(DEFECTIVE)]))
    assert {f["link"] for f in data["findings"]} == {""}


def test_screenshot_of_the_sample_is_not_blank(browser, sample, tmp_path):
    _, path = sample
    page = Page(browser, path)
    page.page.click("#tabs button[data-view=assembly]")
    page.page.wait_for_function(GRAPH_DRAWN)
    shot = tmp_path / "assembly.png"
    page.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    # Count the drawn (non-white) pixels of the graph canvas.
    ratio = page.page.evaluate("""async () => {
        const uri = window.cfncheckReport.cy.png({full: false, bg: '#ffffff'});
        const img = new Image(); img.src = uri; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data; let ink = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] + d[i+1] + d[i+2] < 720) ink++;
        return ink / (d.length / 4); }""")
    assert ratio > 0.01
    page.close()


def test_cli_writes_html(tmp_path):
    from typer.testing import CliRunner

    from cfncheck.cli import app

    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "--format", "html", "-o", str(out)])
    assert r.exit_code == 1, r.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and 'id="cfncheck-data"' in html


def test_overview_shows_the_per_control_table_with_a_framework_pack(browser, tmp_path):
    from typer.testing import CliRunner

    from cfncheck.cli import app

    out = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "--pack", "fsbp", "--format", "html",
                                 "-o", str(out), "--format", "json", "-o",
                                 str(tmp_path / "r.json")])
    assert r.exit_code == 1, r.output
    want = json.loads((tmp_path / "r.json").read_text())["controls"]
    assert want, "the fsbp pack gives a per-control summary"
    page = Page(browser, out)
    assert not page.page.is_hidden("#controls-section")
    rows = page.rows("#control-table")
    assert [(r[0], r[1], int(r[4])) for r in rows] == \
        [(w["framework"], w["control"], w["resources_failing"]) for w in want]
    assert {r[2] for r in rows} <= {"fail", "pass"}
    page.close()


def test_no_control_table_without_a_framework_pack(browser, sample):
    _, path = sample
    page = Page(browser, path)
    assert page.page.is_hidden("#controls-section")
    page.close()


def test_overview_names_the_config_used(browser, tmp_path):
    import shutil as sh

    app_dir = tmp_path / "infra"
    sh.copytree(DEFECTIVE, app_dir / "cdk.out")
    (app_dir / ".cfncheck.yaml").write_text("fail_on: warning\n")
    result = run_scan(app_dir / "cdk.out")
    result.config = str(app_dir / ".cfncheck.yaml")
    page = Page(browser, write_report(result, tmp_path / "r.html"))
    meta = page.page.inner_text("#meta")
    assert str(app_dir / ".cfncheck.yaml") in meta
    page.close()
