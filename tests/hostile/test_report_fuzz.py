"""Fuzz target for the report writers: attacker strings (control characters, lone surrogates,
Markdown/HTML/XML metacharacters, workflow-command prefixes, rich markup) in every string field
a finding, an error, a note, a stack name or a suppression carries, checked against each
format's invariants:

* text, github: every line is ours (no workflow command from data, one line per annotation),
  no raw control character or ESC;
* junit: parseable XML; json, sarif: valid JSON, UTF-8 encodable;
* markdown: no image, no link but ours, no HTML but ours, no raw control character, < 1 MiB.

String fields are filled generically from the dataclass (a string field added to Finding later is
fuzzed too), and so are the related locations of a grouped finding.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfncheck.engine import ScanResult
from cfncheck.errors import InputError
from cfncheck.findings import Finding, Suppression
from cfncheck.report import FORMATS, ReportOptions, render

from .test_output_injection import GH, assert_inert_markdown

PIECES = ["\n", "\r", "\r\n", "\x1b[2J", "\x1b]8;;https://evil.example\x07", "\x07", "\x00",
          "\x85", "\u2028", "\u202e", "\udc80", "\ud800", "::error::", "::add-mask::x",
          "%0A::warning::", "![i](https://evil.example/i.png)", "[l](https://evil.example)",
          "<img src=x>", "<h1>", "</details>", "`", "|", "]]>", "&", "<![CDATA[", "[bold]",
          "[/]", "[link=https://evil.example]", "https://evil.example", "www.evil.example",
          "a@evil.example", "$x$", "*", "_", "~~", "\\", "\t", "#", ":", ","]
evil = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=6).map(
    "".join)
STRING_FIELDS = [f.name for f in dataclasses.fields(Finding)
                 if f.type in ("str", "str | None") and f.name not in ("severity", "fingerprint")]


@st.composite
def results(draw):
    findings = []
    for i in range(draw(st.integers(1, 4))):
        values = {name: draw(evil) for name in STRING_FIELDS}
        values["rule_id"] = values["rule_id"] or f"R{i}"
        sup = Suppression(draw(evil), draw(evil), draw(st.one_of(st.none(), evil))) \
            if draw(st.booleans()) else None
        values["related"] = [{"logical_id": draw(evil), "resource_type": draw(evil),
                              "construct_path": draw(evil), "stack": draw(evil),
                              "file": draw(evil), "line": 2}
                             for _ in range(draw(st.integers(0, 3)))]
        findings.append(Finding(severity=draw(st.sampled_from(["error", "warning", "info"])),
                                line=draw(st.integers(0, 5)), column=1, suppressed=sup,
                                path=("Resources", draw(evil)),
                                source_location={"file": draw(evil), "line": 3}
                                if draw(st.booleans()) else None, **values))
    errors = [InputError(draw(evil), draw(evil) or None, draw(st.integers(0, 3)) or None)
              for _ in range(draw(st.integers(0, 2)))]
    notes = [draw(evil) for _ in range(draw(st.integers(0, 2)))]
    return ScanResult(findings=findings, errors=errors, notes=notes)


OURS = re.compile(r"^(::(error|warning|notice)( [^:]*)?::)")
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]")


def check(fmt: str, out: str) -> None:
    out.encode("utf-8")  # no lone surrogate
    if fmt in ("json", "sarif"):
        json.loads(out)
        assert not RAW_CONTROL.search(out)
    elif fmt == "junit":
        ET.fromstring(out)
        assert not RAW_CONTROL.search(out)
    elif fmt == "github":
        lines = out.splitlines()
        assert all(OURS.match(line) for line in lines), lines
        assert not RAW_CONTROL.search(out)
    elif fmt == "text":
        assert not RAW_CONTROL.search(out)
        assert not re.search(r"^\s*::", out, re.M)
    elif fmt == "markdown":
        assert_inert_markdown(out)
    elif fmt == "html":  # the data block cannot end the script element
        data = out.split('type="application/json"', 1)[-1].split("</script>", 1)[0]
        assert "<" not in data.split(">", 1)[1]


@settings(max_examples=int(os.environ.get("CFNCHECK_FUZZ_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(results())
def test_report_writers_keep_their_invariants(result):
    old = {k: os.environ.get(k) for k in GH}
    os.environ.update(GH)
    try:
        for fmt in FORMATS:
            check(fmt, render(fmt, result, ReportOptions()))
        check("text", render("text", result, ReportOptions(compact=True)))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_the_fuzzer_reaches_every_string_field():
    """A new string field of Finding is fuzzed (and so escaped) without touching this test."""
    assert {"message", "logical_id", "construct_path", "stack", "file", "remediation",
            "title", "resource_type", "stage", "template"} <= set(STRING_FIELDS)
