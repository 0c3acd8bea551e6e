"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` (or a pull-request comment).

The verdict, a table of counts by severity and stack, the top findings, then collapsible
``<details>`` per stack with every finding and its fix, the suppressed findings, the peers'
suppressions that were read, the baseline and any input errors. Locations link to the file in
the repository when ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_SHA`` are set (as
in GitHub Actions).

Untrusted strings: every string is first made one printable line (:data:`ESCAPE`); then
:func:`cell` escapes it for a table cell: ``&``, ``<`` and ``>`` become HTML entities (no HTML
renders) and every other character that can start Markdown syntax is backslash-escaped
(```` \\ ` * _ { } [ ] ( ) | ! ~ $ : @ . ````), so no emphasis, code span, link, image, math or
autolink (``https:``, ``www.``, ``@``) can start inside it. Resource
names are shown in ``<code>`` with the same escaping (a backtick cannot close it). Link targets
are percent-encoded (:func:`link_target`). A cell holds at most :data:`MAX_CELL` characters.

GitHub accepts at most 1 MiB per step summary: the whole document is built within
:data:`MAX_BYTES` (UTF-8 bytes); what does not fit is left out with a note saying so.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import quote

from ..escape import printable
from . import active, first_paragraph, related_summary, severity_counts, stack_rows, suppressed
from .locations import Locator, link_base
from .text import counts_text

ESCAPE = printable
ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}
TOP = 10
MAX_BYTES = 1_000_000  # GitHub's limit is 1 MiB (1,048,576 bytes); keep a margin for the note
MAX_CELL = 500
RANK = {"error": 0, "warning": 1, "info": 2}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What can start Markdown syntax inside a cell: emphasis, code, links, images, HTML, pipes,
# strikethrough, math ($), and GFM's extended autolinks (scheme ":", "www.", e-mail "@").
_ACTIVE = re.compile(r"[\\`*_{}\[\]()<>&|!~$:@.]")
TRUNCATED = ("> The summary was cut short (GitHub's 1 MiB limit): see the SARIF or JSON report "
             "for every finding.")


def cell(text, limit: int = MAX_CELL) -> str:
    """Text safe inside a Markdown table cell: one line, no HTML, no Markdown syntax."""
    t = printable(" ".join(str(text if text is not None else "").split()))
    if len(t) > limit:
        t = t[:limit - 1] + "…"
    return _ACTIVE.sub(lambda m: _ENTITIES.get(m.group(), "\\" + m.group()), t)


def code(text) -> str:
    """A resource name or id in monospace: ``<code>`` with :func:`cell` escaping inside."""
    return f"<code>{cell(text)}</code>" if text else ""


def link_target(url: str) -> str:
    """A URL safe inside ``(...)`` of a Markdown link: everything but unreserved characters
    and ``/:#`` is percent-encoded (no space, parenthesis, angle bracket, quote or pipe)."""
    return quote(printable(url), safe="/:#")


class _Doc:
    """Lines within a byte budget: a block is added whole or not at all."""

    def __init__(self, budget: int):
        self.lines: list[str] = []
        self.size = 0
        self.budget = budget
        self.truncated = False

    def add(self, lines: list[str]) -> bool:
        if self.truncated:
            return False
        size = sum(len(x.encode("utf-8")) + 1 for x in lines)
        if self.size + size > self.budget:
            self.truncated = True
            return False
        self.lines += lines
        self.size += size
        return True

    def table(self, head: list[str], rows: list[str], tail: list[str]) -> None:
        """A table whose rows are added while they fit (the head and tail always together)."""
        if not self.add(head):
            return
        for row in rows:
            if not self.add([row]):
                self.truncated = False  # close the table, then stop
                self.lines += tail
                self.size += sum(len(x.encode("utf-8")) + 1 for x in tail)
                self.truncated = True
                return
        self.add(tail)


def render(result, options) -> str:
    locator = Locator(result, options)
    base = link_base()
    act = active(result)
    counts = severity_counts(act)
    gate = result.gate(options.fail_on)
    fail_on = code(options.fail_on)
    doc = _Doc(MAX_BYTES - len(TRUNCATED.encode()) - 64)
    if result.errors:
        verdict = f"❌ cfncheck failed: {len(result.errors)} input error(s)"
    elif gate:
        verdict = f"❌ cfncheck failed: {len(gate)} finding(s) at or above {fail_on}"
    else:
        verdict = f"✅ cfncheck passed (<code>\\-\\-fail\\-on {cell(options.fail_on)}</code>)"
    doc.add([f"## {verdict}", "",
             f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info "
             f"and {len(suppressed(result))} suppressed in {len(result.stacks)} stacks.", ""])
    if result.errors:  # first: they fail the run whatever else is found
        doc.add(["### Input errors", ""])
        for e in result.errors:
            doc.add([f"- {cell(str(e), 2 * MAX_CELL)}"])
        doc.add([""])

    rows = sorted(stack_rows(result), key=lambda r: (r["stage"], r["stack"]))
    tot = Counter()
    for r in rows:
        tot.update({k: r[k] for k in ("error", "warning", "info", "suppressed")})
    doc.table(["| Stage | Stack | 🔴 Errors | 🟠 Warnings | 🔵 Info | Suppressed |",
               "| --- | --- | ---: | ---: | ---: | ---: |"],
              [f"| {cell(r['stage'])} | {cell(r['stack'])} | {r['error']} | {r['warning']} | "
               f"{r['info']} | {r['suppressed']} |" for r in rows],
              [f"| **Total** | **{len(result.stacks)} stacks** | **{tot['error']}** | "
               f"**{tot['warning']}** | **{tot['info']}** | **{tot['suppressed']}** |", ""])
    doc.add(controls_markdown(options, cell))  # per-control results (framework packs)

    ranked = sorted(act, key=lambda f: (RANK[f.severity], f.sort_key()))
    if ranked:
        top: dict[str, int] = {}  # one row per distinct (check, stack, resource, location)
        for f in ranked:
            row = (f"| {ICONS[f.severity]} {f.severity} | {code(f.rule_id)} {cell(f.title)} | "
                   f"{cell(f.stack)} | {_resource(f)} | {_where(f, locator, base)} |")
            if row in top or len(top) < TOP:
                top[row] = top.get(row, 0) + 1
        shown = sum(top.values())
        part = "" if shown == len(ranked) else f" ({shown} of {len(ranked)})"
        doc.table([f"### Top findings{part}",
                   "", "| Severity | Check | Stack | Resource | Location |",
                   "| --- | --- | --- | --- | --- |"],
                  [row if n == 1 else row[:-1] + f"({n} findings) |" for row, n in top.items()],
                  [""])

    for name in [r["stack"] for r in rows]:
        items = [f for f in ranked if (f.stack or "(config)") == name]
        if not items:
            continue
        c = severity_counts(items)
        doc.table([f"<details><summary><b>{cell(name)}</b> ({cell(items[0].stage)}): "
                   + counts_text(c) + "</summary>", "",
                   "| Severity | Check | Resource | Finding | Fix | Location |",
                   "| --- | --- | --- | --- | --- | --- |"],
                  [f"| {ICONS[f.severity]} {f.severity} | {code(f.rule_id)} | {_resource(f)} | "
                   f"**{cell(f.title)}**: {cell(f.message)}{_related(f)} | "
                   f"{cell(first_paragraph(f.remediation))} | "
                   f"{_where(f, locator, base)} |" for f in items],
                  ["", "</details>", ""])

    sup = suppressed(result)
    if sup:
        doc.table([f"<details><summary>Suppressed findings ({len(sup)})</summary>", "",
                   "| Check | Stack | Resource | Source | Reason | Expires |",
                   "| --- | --- | --- | --- | --- | --- |"],
                  [f"| {code(f.rule_id)} | {cell(f.stack)} | {_resource(f)} | "
                   f"{cell(f.suppressed.source)} | {cell(f.suppressed.reason)} | "
                   f"{cell(f.suppressed.expires or '')} |" for f in sup],
                  ["", "</details>", ""])
    peers = result.peer_suppressions
    if peers:
        doc.table([f"<details><summary>Other tools' suppressions read ({len(peers)})</summary>",
                   "", "| Tool | Rule | Stack | Resource | Applies to | Suppressed |",
                   "| --- | --- | --- | --- | --- | ---: |"],
                  [f"| {cell(p['tool'])} | {code(p['rule'])} | {cell(p['stack'])} | "
                   f"{cell(p['construct_path'] or p['logical_id'] or '(template)')} | "
                   f"{cell(', '.join(p['mapped_to']) or 'no cfncheck equivalent')} | "
                   f"{cell(p['suppressed'])} |" for p in peers],
                  ["", "</details>", ""])
    if result.baseline:
        b = result.baseline
        doc.add([f"Baseline {code(b['file'])}: {b['matched']} known findings hidden, "
                 f"{b['new']} new, {b['stale']} no longer found.", ""])
    if result.notes:
        doc.table(["<details><summary>Notes</summary>", ""],
                  [f"- {cell(n, 2 * MAX_CELL)}" for n in result.notes], ["", "</details>", ""])
    out = doc.lines
    if doc.truncated:
        out = out + [TRUNCATED, ""]
    return "\n".join(out) + "\n"


def controls_markdown(options, cell) -> list[str]:
    from .controls import markdown_lines

    return markdown_lines(options, cell)


def _related(f) -> str:
    return f" ({cell(related_summary(f))})" if f.related else ""


def _resource(f) -> str:
    return code(f.construct_path or f.logical_id)


def _where(f, locator: Locator, link_base: str | None) -> str:
    loc = locator.locate(f)
    label = f"{loc.uri}:{loc.line}" if loc.relative else f"{f.file}:{f.line}"
    if link_base and loc.relative:
        return f"[{cell(label)}]({link_target(f'{link_base}{loc.uri}#L{loc.line}')})"
    return code(label)
