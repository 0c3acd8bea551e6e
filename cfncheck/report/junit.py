"""JUnit XML report, for CI systems' test tabs (GitLab, Jenkins, Azure DevOps, CircleCI).

One ``<testsuite>`` per stack (name = stack path, property ``stage``). In each, one
``<testcase>`` per check that ran and found nothing on that stack (a pass), and one per finding
(``name`` = ``<check id> <logical id>``): an unsuppressed finding is a ``<failure>`` whose type
is its severity; a suppressed one is ``<skipped>`` with the reason. Input errors are
``<error>`` test cases in a ``cfncheck`` suite. Findings of the config file (expired config
suppressions) are in a ``(config)`` suite. No timestamps: the output is reproducible.

Test names are unique within a suite (CI test views merge equal names): when one check finds
several things on one resource, the later ones get `` (line N)`` and, if still equal, `` #k``.
Every string goes through :data:`ESCAPE` first (control characters and lone surrogates become
visible escapes), so the document is always well-formed XML 1.0.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from ..escape import guard_line_starts, printable
from . import first_paragraph, related_summary, rule_infos

ESCAPE = printable
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text) -> str:
    return _INVALID_XML.sub("\ufffd", str(text or ""))


def render(result, options) -> str:
    infos = rule_infos(result)
    by_stack: dict[str, list] = defaultdict(list)
    for f in result.findings:
        by_stack[f.stack or "(config)"].append(f)
    stage_of = {s.name: s.stage for s in result.stacks}
    names = [s.name for s in result.stacks] + sorted(n for n in by_stack if n not in stage_of)
    root = ET.Element("testsuites", name="cfncheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for name in names:
        suite = ET.SubElement(root, "testsuite", name=_clean(name))
        props = ET.SubElement(suite, "properties")
        stage = stage_of.get(name) or next((f.stage for f in by_stack[name]), "unknown")
        ET.SubElement(props, "property", name="stage", value=_clean(stage))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        hit_rules = {f.rule_id for f in by_stack[name]}
        cases: list[tuple] = []
        if name in stage_of:
            for rid in infos:
                if rid not in hit_rules:
                    cases.append((rid, "", None))
        for f in by_stack[name]:
            cases.append((f.rule_id, f.logical_id or f.construct_path or "", f))
        used: set[str] = set()
        for rid, resource, f in sorted(cases, key=lambda c: (c[0], c[1],
                                                             c[2].line if c[2] else 0)):
            case = ET.SubElement(suite, "testcase", name=_clean(_unique(
                f"{rid} {resource}".strip(), f, used)), classname=_clean(f"cfncheck.{name}"),
                time="0")
            counts["tests"] += 1
            if f is None:
                continue
            case.set("file", _clean(f.file))
            if f.line:
                case.set("line", str(f.line))
            if f.suppressed:
                ET.SubElement(case, "skipped", message=_clean(
                    f"suppressed ({f.suppressed.source}): {_line(f.suppressed.reason)}"))
                counts["skipped"] += 1
                continue
            failure = ET.SubElement(case, "failure", type=f.severity,
                                    message=_clean(f"{_line(f.title)}: {_line(f.message)}"))
            failure.text = _clean(_details(f, infos.get(f.rule_id)))
            counts["failures"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    if result.errors:
        suite = ET.SubElement(root, "testsuite", name="cfncheck")
        used = set()
        for e in result.errors:
            case = ET.SubElement(suite, "testcase", name=_clean(_unique(
                f"input {e.file or ''}".strip(), None, used, e.line)),
                classname="cfncheck.input", time="0")
            err = ET.SubElement(case, "error", type=_clean(e.kind), message=_clean(str(e)))
            err.text = _clean(str(e))
        n = len(result.errors)
        for k, v in (("tests", n), ("failures", 0), ("errors", n), ("skipped", 0)):
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + \
        guard_line_starts(ET.tostring(root, encoding="unicode")) + "\n"


def _line(text: str) -> str:
    return " ".join(str(text or "").split())


def _unique(name: str, f, used: set, line: int | None = None) -> str:
    line = f.line if f is not None else line
    candidates = [name] + ([f"{name} (line {line})"] if line else [])
    for c in candidates:
        if c not in used:
            used.add(c)
            return c
    k = 2
    while f"{candidates[-1]} #{k}" in used:
        k += 1
    used.add(f"{candidates[-1]} #{k}")
    return f"{candidates[-1]} #{k}"


def _details(f, info) -> str:
    lines = [f"{f.severity.upper()} {f.rule_id}: {_line(f.title)}", _line(f.message),
             f"stage: {f.stage}", f"stack: {f.stack}", f"at: {f.file}:{f.line}:{f.column}"]
    if f.logical_id:
        lines.append(f"resource: {f.logical_id} ({f.resource_type or '?'})")
    if f.construct_path:
        lines.append(f"construct: {f.construct_path}")
    if f.related:
        lines.append(related_summary(f))
    if f.remediation:
        lines.append(f"fix: {first_paragraph(f.remediation)}")
    if f.docs_url:
        lines.append(f"docs: {f.docs_url}")
    lines.append(f"fingerprint: {f.fingerprint}")
    return "\n".join(lines)
