"""Markdown summary for ``$GITHUB_STEP_SUMMARY`` (or a pull-request comment).

The verdict, a table of counts by severity and stack, the top findings, then collapsible
``<details>`` per stack with every finding and its fix, the suppressed findings, the peers'
suppressions that were read, the baseline and any input errors. Locations link to the file in
the repository when ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_SHA`` are set (as
in GitHub Actions). GitHub accepts at most 1 MiB per step summary: the details are cut short
with a note well before that.
"""

from __future__ import annotations

import os
from collections import Counter

from . import active, first_line, related_summary, severity_counts, stack_rows, suppressed
from .locations import Locator
from .text import counts_text

ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}
TOP = 10
MAX_CHARS = 900_000
RANK = {"error": 0, "warning": 1, "info": 2}


def cell(text) -> str:
    """Text safe inside a Markdown table cell (no pipes, no HTML, one line)."""
    t = " ".join(str(text if text is not None else "").split())
    return (t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|"))


def render(result, options) -> str:
    locator = Locator(result, options)
    link_base = _link_base()
    act = active(result)
    counts = severity_counts(act)
    gate = result.gate(options.fail_on)
    out: list[str] = []
    if result.errors:
        verdict = f"❌ cfncheck failed: {len(result.errors)} input error(s)"
    elif gate:
        verdict = f"❌ cfncheck failed: {len(gate)} finding(s) at or above `{options.fail_on}`"
    else:
        verdict = f"✅ cfncheck passed (`--fail-on {options.fail_on}`)"
    out += [f"## {verdict}", "",
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info "
            f"and {len(suppressed(result))} suppressed in {len(result.stacks)} stacks.", ""]

    rows = sorted(stack_rows(result), key=lambda r: (r["stage"], r["stack"]))
    out += ["| Stage | Stack | 🔴 Errors | 🟠 Warnings | 🔵 Info | Suppressed |",
            "| --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {cell(r['stage'])} | {cell(r['stack'])} | {r['error']} | "
                   f"{r['warning']} | {r['info']} | {r['suppressed']} |")
    tot = Counter()
    for r in rows:
        tot.update({k: r[k] for k in ("error", "warning", "info", "suppressed")})
    out += [f"| **Total** | **{len(result.stacks)} stacks** | **{tot['error']}** | "
            f"**{tot['warning']}** | **{tot['info']}** | **{tot['suppressed']}** |", ""]
    out += controls_markdown(options, cell)  # per-control results (framework packs)

    ranked = sorted(act, key=lambda f: (RANK[f.severity], f.sort_key()))
    if ranked:
        out += [f"### Top findings{'' if len(ranked) <= TOP else f' ({TOP} of {len(ranked)})'}",
                "", "| Severity | Check | Stack | Resource | Location |",
                "| --- | --- | --- | --- | --- |"]
        for f in ranked[:TOP]:
            out.append(f"| {ICONS[f.severity]} {f.severity} | `{cell(f.rule_id)}` "
                       f"{cell(f.title)} | {cell(f.stack)} | "
                       f"{_resource(f)} | {_where(f, locator, link_base)} |")
        out.append("")

    stacks = [r["stack"] for r in sorted(stack_rows(result),
                                         key=lambda r: (r["stage"], r["stack"]))]
    truncated = False
    for name in stacks:
        items = [f for f in ranked if (f.stack or "(config)") == name]
        if not items:
            continue
        c = severity_counts(items)
        block = [f"<details><summary><b>{cell(name)}</b> ({cell(items[0].stage)}): "
                 + counts_text(c) + "</summary>", "",
                 "| Severity | Check | Resource | Finding | Fix | Location |",
                 "| --- | --- | --- | --- | --- | --- |"]
        for f in items:
            block.append(f"| {ICONS[f.severity]} {f.severity} | `{cell(f.rule_id)}` | "
                         f"{_resource(f)} | **{cell(f.title)}**: {cell(f.message)}"
                         f"{_related(f)} | "
                         f"{cell(first_line(f.remediation))} | "
                         f"{_where(f, locator, link_base)} |")
        block += ["", "</details>", ""]
        if sum(len(x) + 1 for x in out) + sum(len(x) + 1 for x in block) > MAX_CHARS:
            truncated = True
            break
        out += block

    sup = suppressed(result)
    if sup and not truncated:
        block = [f"<details><summary>Suppressed findings ({len(sup)})</summary>", "",
                 "| Check | Stack | Resource | Source | Reason | Expires |",
                 "| --- | --- | --- | --- | --- | --- |"]
        for f in sup:
            s = f.suppressed
            block.append(f"| `{cell(f.rule_id)}` | {cell(f.stack)} | {_resource(f)} | "
                         f"{cell(s.source)} | {cell(s.reason)} | {cell(s.expires or '')} |")
        block += ["", "</details>", ""]
        if sum(len(x) + 1 for x in out) + sum(len(x) + 1 for x in block) > MAX_CHARS:
            truncated = True
        else:
            out += block
    peers = result.peer_suppressions
    if peers and not truncated:
        out += [f"<details><summary>Other tools' suppressions read ({len(peers)})</summary>", "",
                "| Tool | Rule | Stack | Resource | Applies to | Suppressed |",
                "| --- | --- | --- | --- | --- | ---: |"]
        for p in peers:
            out.append(f"| {cell(p['tool'])} | `{cell(p['rule'])}` | {cell(p['stack'])} | "
                       f"{cell(p['construct_path'] or p['logical_id'] or '(template)')} | "
                       f"{cell(', '.join(p['mapped_to']) or 'no cfncheck equivalent')} | "
                       f"{p['suppressed']} |")
        out += ["", "</details>", ""]
    if truncated:
        out += ["> The summary was cut short (GitHub's 1 MiB limit): see the SARIF or JSON "
                "report for every finding.", ""]
    if result.baseline:
        b = result.baseline
        out += [f"Baseline `{cell(b['file'])}`: {b['matched']} known findings hidden, "
                f"{b['new']} new, {b['stale']} no longer found.", ""]
    if result.errors:
        out += ["### Input errors", ""] + [f"- {cell(str(e))}" for e in result.errors] + [""]
    if result.notes:
        out += ["<details><summary>Notes</summary>", ""] + \
            [f"- {cell(n)}" for n in result.notes] + ["", "</details>", ""]
    return "\n".join(out) + "\n"


def controls_markdown(options, cell) -> list[str]:
    from .controls import markdown_lines

    return markdown_lines(options, cell)


def _related(f) -> str:
    return f" ({cell(related_summary(f))})" if f.related else ""


def _resource(f) -> str:
    if f.construct_path:
        return f"`{cell(f.construct_path)}`"
    return f"`{cell(f.logical_id)}`" if f.logical_id else ""


def _link_base() -> str | None:
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                                       "GITHUB_SHA"))
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}/"
    return None


def _where(f, locator: Locator, link_base: str | None) -> str:
    loc = locator.locate(f)
    label = f"{loc.uri}:{loc.line}" if loc.relative else f"{f.file}:{f.line}"
    if link_base and loc.relative:
        return f"[{cell(label)}]({link_base}{loc.uri}#L{loc.line})"
    return f"`{cell(label)}`"
