"""Attacker strings in the assembly never become terminal escapes, workflow commands, active
Markdown or broken XML, whatever the output (issue 13, items 1-4); output files (item 11) and
SIGTERM (item 12)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from cfncheck.output_files import write_output

from .conftest import stack_artifact, write_assembly, write_json

UNENCRYPTED_TOPIC = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
CLI = [sys.executable, "-c", "from cfncheck.cli import run; run()"]
# control characters, an OSC 8 hyperlink, an OSC 0 title, rich markup, Markdown and HTML
EVIL = ("\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b]0;pwned\x07"
        "[bold red]markup[/] ![t](https://evil.example/t.png) [login](https://evil.example) "
        "`tick <img src=x onerror=alert(1)><h1>big</h1> | pipe \u202e")
WORKFLOW = re.compile(r"^\s*::[a-z-]+", re.M)


def run(args, cwd, env=None, timeout=120):
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def hostile_assembly(tmp_path: Path) -> Path:
    """A stack whose display name, logical id and construct path carry attacker strings."""
    lid = "Topic\n::error::INJECTED" + EVIL
    tpl = {"Resources": {lid: {"Type": "AWS::SNS::Topic",
                               "Metadata": {"aws:cdk:path": "App/" + EVIL + "\n::error::CP"}}}}
    root = tmp_path / "cdk.out"
    write_json(root / "Evil.template.json", tpl)
    write_json(root / "manifest.json", {"version": "36.0.0", "artifacts": {
        "Evil": stack_artifact("Evil.template.json", "Stack1\n::warning::INJECTED" + EVIL)}})
    return root


def assert_safe_lines(text: str) -> None:
    assert not WORKFLOW.search(text), WORKFLOW.search(text).group()
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text)


# -------------------------------------------------------------------------------------------
# 1. stderr: one physical line per message


def test_stderr_messages_are_one_escaped_line_each(tmp_path):
    root = hostile_assembly(tmp_path)
    write_json(root / "manifest.json", {"version": "36.0.0", "artifacts": {
        "Evil": stack_artifact("Evil.template.json", "Stack1\n::warning::INJECTED"),
        "Gone": stack_artifact("x\n::add-mask::S.template.json", "Gone")}})
    proc = run(["scan", "cdk.out", "-f", "json", "-o", "r.json"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert all(line.startswith("cfncheck: ") for line in lines), lines
    assert_safe_lines(proc.stderr)
    error = next(line for line in lines if "add-mask" in line)
    assert "x\\n::add-mask::S.template.json" in error  # the newline is shown, not obeyed
    note = next(line for line in lines if "no known stage" in line)
    assert "Stack1\\n::warning::INJECTED" in note


# -------------------------------------------------------------------------------------------
# 2. text report: no escape sequences, no rich markup, no workflow command on stdout


def test_text_report_neutralises_escapes_and_markup(tmp_path):
    hostile_assembly(tmp_path)
    proc = run(["scan", "cdk.out"], tmp_path, env={"FORCE_COLOR": ""})
    assert proc.returncode in (0, 1), proc.stderr
    assert "\x1b" not in proc.stdout
    assert_safe_lines(proc.stdout)
    assert "Stack1\\n::warning::INJECTED\\x1b[2J\\x1b]8;;https://evil.example\\x07" in proc.stdout
    assert "[bold red]markup[/]" in proc.stdout  # printed as is, not interpreted


def test_text_report_on_a_terminal_still_has_no_attacker_escapes(tmp_path):
    from cfncheck.report import ReportOptions, render

    result = _scan(hostile_assembly(tmp_path))
    text = render("text", result, ReportOptions(color=True, width=200))
    # our own colour codes (SGR "m" sequences) only: no clear screen, no OSC
    assert not re.search(r"\x1b(?!\[[0-9;]*m)", text)
    assert "[bold red]markup[/]" in text
    assert_safe_lines(re.sub(r"\x1b\[[0-9;]*m", "", text))


def _scan(root):
    from cfncheck.config import Config
    from cfncheck.engine import scan

    return scan([str(root)], Config(), jobs=1)


# -------------------------------------------------------------------------------------------
# 3. Markdown job summary


GH = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app",
      "GITHUB_SHA": "abc123"}
ALLOWED_HTML = re.compile(r"^</?(code|details|summary|b)>$")


def assert_inert_markdown(md: str, link_base: str = "https://github.com/acme/app/blob/abc123/"):
    """No image, no link but ours, no HTML but ours, no raw control character, < 1 MiB."""
    assert len(md.encode("utf-8")) < 1024 * 1024
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", md)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    for block in tokens:
        for t in [block, *(block.children or [])]:
            assert t.type != "image", t
            if t.type == "link_open":
                assert t.attrGet("href").startswith(link_base), t.attrGet("href")
                assert not re.search(r"[\s<>\"'()|`]", t.attrGet("href"))
            if t.type in ("html_inline", "html_block"):
                for tag in re.findall(r"<[^>]*>", t.content):
                    assert ALLOWED_HTML.match(tag), tag
    text = "".join(c.content for b in tokens for c in (b.children or []) if c.type == "text")
    # GFM extended autolinks: nothing that starts one is left unescaped in the text
    raw = re.sub(r"\]\([^)]*\)", "]", md)  # our link targets
    assert not re.search(r"(?<!\\)(https?(?<!\\):(?!\\)|www(?<!\\)\.)", raw), text[:200]


def test_markdown_summary_is_inert_with_hostile_names(tmp_path, monkeypatch):
    from cfncheck.report import ReportOptions, render

    root = hostile_assembly(tmp_path)
    # a template file name with HTML and a pipe goes into a link target
    name = "a|b<img src=x><h1>H.template.json"
    (root / "Evil.template.json").rename(root / name)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["artifacts"]["Evil"]["properties"]["templateFile"] = name
    write_json(root / "manifest.json", manifest)
    for k, v in GH.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    result = _scan(Path("cdk.out"))
    assert result.findings and not result.errors
    md = render("markdown", result, ReportOptions(scanned=["cdk.out"]))
    assert_inert_markdown(md)
    # every table row keeps its columns: pipes in names are escaped
    for line in md.splitlines():
        if line.startswith("| ") and "Severity" not in line and "---" not in line:
            cols = len(re.findall(r"(?<!\\)\|", line)) - 1
            assert cols in (5, 6), line
    assert "%3Cimg%20src%3Dx%3E" in md  # the link target is percent-encoded


def test_markdown_summary_is_capped_as_a_whole(tmp_path):
    from cfncheck.report import ReportOptions, render

    big = "S" * (2 * 1024 * 1024)
    root = write_assembly(tmp_path / "cdk.out", {f"T{i}": UNENCRYPTED_TOPIC for i in range(3)})
    manifest = json.loads((root / "manifest.json").read_text())
    for art in manifest["artifacts"].values():
        art["displayName"] = big + art["displayName"]
    write_json(root / "manifest.json", manifest)
    result = _scan(root)
    md = render("markdown", result, ReportOptions())
    assert len(md.encode("utf-8")) < 1024 * 1024
    assert_inert_markdown(md)


def test_markdown_summary_of_many_findings_stays_under_1_mib():
    from cfncheck.engine import ScanResult
    from cfncheck.findings import Finding
    from cfncheck.report import ReportOptions, render

    findings = [Finding(rule_id="T-1", severity="error", title="t" * 300, message="m" * 3000,
                        stack=f"S{i % 50}", logical_id=f"L{i}", construct_path="C" * 400)
                for i in range(5000)]
    md = render("markdown", ScanResult(findings=findings), ReportOptions())
    assert len(md.encode("utf-8")) < 1024 * 1024
    assert "cut short" in md
    assert md.count("<details>") == md.count("</details>")


# -------------------------------------------------------------------------------------------
# 4. lone surrogates in manifest.json, *.metadata.json and tree.json


@pytest.mark.parametrize("where", ["manifest", "metadata", "tree"])
def test_lone_surrogate_is_an_input_error_naming_the_file(tmp_path, where):
    root = write_assembly(tmp_path / "cdk.out", {"S": UNENCRYPTED_TOPIC})
    manifest = json.loads((root / "manifest.json").read_text())
    if where == "manifest":
        target = root / "manifest.json"
        text = json.dumps(manifest).replace('"displayName": "S"',
                                            '"displayName": "S\\udc80"')
    elif where == "metadata":
        manifest["artifacts"]["S"]["additionalMetadataFile"] = "S.metadata.json"
        write_json(root / "manifest.json", manifest)
        target = root / "S.metadata.json"
        text = '{"/S/Topic": [{"type": "aws:cdk:logicalId", "data": "Topic\\ud800"}]}'
    else:
        manifest["artifacts"]["Tree"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
        write_json(root / "manifest.json", manifest)
        target = root / "tree.json"
        text = '{"version": "tree-0.1", "tree": {"id": "App\\udc80", "path": ""}}'
    target.write_text(text)
    proc = run(["scan", "cdk.out", "-f", "junit"], tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert f"cdk.out/{target.name}" in proc.stderr and "surrogate" in proc.stderr
    ET.fromstring(proc.stdout)  # the JUnit report still is well-formed XML


def test_reports_survive_lone_surrogates_in_any_field():
    """Defence in depth: a surrogate that reaches a writer is escaped or replaced."""
    from cfncheck.engine import ScanResult
    from cfncheck.findings import Finding
    from cfncheck.report import ReportOptions, render

    f = Finding(rule_id="T-1", severity="warning", title="t\udc80", message="m\ud800",
                stack="S\udc80", logical_id="L\udc80", construct_path="C\udc80",
                file="f\udc80.json", line=1)
    result = ScanResult(findings=[f])
    for fmt in ("text", "github", "junit", "markdown", "json", "sarif"):
        out = render(fmt, result, ReportOptions())
        out.encode("utf-8")  # encodable: no lone surrogate left
    ET.fromstring(render("junit", result, ReportOptions()))
    assert "\\udc80" in render("github", result, ReportOptions())


# -------------------------------------------------------------------------------------------
# 11. output files


def test_new_output_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_output(tmp_path / "r.sarif", "x")
        os.umask(0o077)
        write_output(tmp_path / "private.sarif", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.sarif").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.sarif").stat().st_mode) == 0o600


def test_an_existing_file_keeps_its_mode_and_a_symlink_stays_a_link(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_output(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_fifo_and_character_device_are_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_output(fifo, "report\n")
    reader.join(10)
    assert got == ["report\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # not replaced by a regular file
    device = next((d for d in ("/dev/null", "/dev/zero") if stat.S_ISCHR(os.stat(d).st_mode)),
                  None)
    if device is None:
        pytest.skip("no character device to write to")
    write_output(device, "discarded")
    assert stat.S_ISCHR(os.stat(device).st_mode)  # still the device, not a regular file


def test_dev_stdout_and_dash_reach_standard_output(tmp_path):
    write_assembly(tmp_path / "cdk.out", {"S": UNENCRYPTED_TOPIC})
    for target in ("/dev/stdout", "-"):
        proc = run(["scan", "cdk.out", "-f", "json", "-o", target], tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        assert json.loads(proc.stdout)["summary"]["stacks"] == 1


# -------------------------------------------------------------------------------------------
# 12. SIGTERM


_SLOW_WRITE = """
import os, sys, time
import cfncheck.output_files as of
real = os.fdopen
def slow(fd, *a, **k):
    fh = real(fd, *a, **k)
    if ".r.json." not in os.readlink(f"/proc/self/fd/{fd}"):
        return fh  # the user cache writing its entries (a cold cache), not the report
    print("writing", flush=True)
    time.sleep(60)
    return fh
of.os.fdopen = slow
from cfncheck.cli import run
sys.argv = ["cfncheck", "scan", "cdk.out", "-f", "json", "-o", "r.json"]
run()
"""

_SLOW_WORKERS = """
import os, sys, time
from cfncheck import engine, parallel
from cfncheck.checks import CheckInfo
parallel.MIN_PARALLEL_RESOURCES = 0
class Sleep:
    def __init__(self, n):
        self.info = CheckInfo(id=f"T-SLEEP-{n}", title="sleeps", severity="info")
    def run(self, ctx):
        with open(f"worker-{os.getpid()}.pid", "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
        return []
engine.collect_checks = lambda cfg, dirs=(), packs=None: [Sleep(1), Sleep(2)]
from cfncheck.cli import run
sys.argv = ["cfncheck", "scan", "cdk.out", "--jobs", "2", "--timeout", "120"]
run()
"""


def _start(script: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigterm_while_writing_leaves_the_old_report_and_no_temp_file(tmp_path):
    write_assembly(tmp_path / "cdk.out", {"S": UNENCRYPTED_TOPIC})
    (tmp_path / "r.json").write_text("OLD")
    proc = _start(_SLOW_WRITE, tmp_path)
    try:
        assert proc.stdout.readline() == "writing\n"
        assert [p.name for p in tmp_path.glob(".r.json.*.tmp")]  # mid-write
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "cfncheck: terminated"
    assert (tmp_path / "r.json").read_text() == "OLD"
    assert not list(tmp_path.glob(".r.json.*"))


def test_sigterm_stops_the_worker_processes(tmp_path):
    write_assembly(tmp_path / "cdk.out", {"S": UNENCRYPTED_TOPIC})
    proc = _start(_SLOW_WORKERS, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("worker-*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = [int(p.read_text()) for p in tmp_path.glob("worker-*.pid")]
        assert len(pids) == 2 and proc.pid not in pids
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    for pid in pids:  # reaped by the parent before it exited
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_escaping_covers_fields_the_writers_do_not_know_yet():
    """Related locations (a list of dicts) and any other field are escaped generically."""
    from cfncheck.engine import ScanResult
    from cfncheck.escape import printable
    from cfncheck.findings import Finding
    from cfncheck.report.escaped import EscapedResult

    f = Finding(rule_id="T-1", severity="error", title="t", message="a\nb\x1b[2J",
                logical_id="L\n::error::x")
    f.related = [{"logical_id": "R\n::error::y", "resource_type": "AWS::X\x1b]0;t\x07",
                  "construct_path": "C\udc80", "file": "f\r", "line": 3}]
    safe = EscapedResult(ScanResult(findings=[f]), printable).findings[0]
    assert safe.logical_id == "L\\n::error::x"
    assert safe.message == "a\nb\\x1b[2J"  # prose keeps its lines (joined by the writer)
    assert safe.related == [{"logical_id": "R\\n::error::y", "resource_type":
                             "AWS::X\\x1b]0;t\\x07", "construct_path": "C\\udc80",
                             "file": "f\\r", "line": 3}]
    assert f.related[0]["logical_id"] == "R\n::error::y"  # the scan result is not changed


def test_the_escaped_view_keeps_what_writers_draw_from():
    """The HTML writer draws the graph: the escaped view must hand it over unchanged."""
    from cfncheck.report import ReportOptions
    from cfncheck.report.escaped import EscapedResult
    from cfncheck.report.html import ESCAPE, payload
    from tests.report.fake_checks import DEFECTIVE, run_scan

    raw = run_scan(DEFECTIVE)
    view = EscapedResult(raw, ESCAPE)
    assert view.graph is raw.graph
    assert payload(view, ReportOptions())["edges"] == payload(raw, ReportOptions())["edges"]
    assert payload(view, ReportOptions())["edges"]
