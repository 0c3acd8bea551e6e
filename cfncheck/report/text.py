"""Text report for people (rich): findings grouped by stage and stack, coloured by severity,
then a summary table, what was suppressed and the verdict.

Every string reaches rich through :data:`ESCAPE` (control characters, ESC/OSC sequences, line
breaks and lone surrogates become visible escapes) and as :class:`rich.text.Text` on a console
with markup off, so ``[link=...]`` or ``[/]`` in a construct path is printed, not interpreted.

Within a stack, errors come first. Findings that do not fail the run are said to be below
``--fail-on`` once, before the findings. ``options.compact`` gives one line per finding
(``severity id file:line logical-id message``, like cfn-lint's parseable format) and nothing
else. The summary has a table by stack and a table by check.

Colours only when ``options.color`` is true (the CLI sets it when standard output is a terminal
and ``NO_COLOR`` is unset); otherwise the output is plain text with the same layout, suitable for
logs and files. :class:`ProgressBar` is the engine's ``progress`` callback for the CLI: a bar on
standard error when many stacks are scanned and standard error is a terminal.
"""

from __future__ import annotations

import io
import sys
from collections import Counter, defaultdict

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..escape import guard_line_starts, printable
from . import active, first_paragraph, gating, severity_counts, stack_rows, suppressed
from .locations import Locator

ESCAPE = printable

STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
RANK = {"error": 0, "warning": 1, "info": 2}
LABELS = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}
MAX_SUPPRESSED_LISTED = 50


def render(result, options) -> str:
    buf = io.StringIO()
    color = bool(options.color)
    # On a terminal long lines wrap under their indent; in files and pipes they never wrap.
    console = Console(file=buf, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False,
                      width=options.width or 120, emoji=False, soft_wrap=not color,
                      markup=False)
    if getattr(options, "compact", False):
        return guard_line_starts(compact(result, options))
    _findings(console, result, options, Locator(result, options))
    _summary(console, result, options)
    _controls(console, options)
    _by_check(console, result)
    _suppressions(console, result)
    _verdict(console, result, options)
    return guard_line_starts(buf.getvalue())


def compact(result, options) -> str:
    """One line per unsuppressed finding: ``severity id file:line logical-id message``."""
    lines = []
    for f in sorted(active(result), key=lambda f: (RANK[f.severity], f.sort_key())):
        where = f"{f.file}:{f.line}" if f.line else (f.file or "-")
        lines.append(f"{f.severity} {f.rule_id} {where} {f.logical_id or '-'} "
                     f"{' '.join(f.message.split())}")
    return "".join(line + "\n" for line in lines)


def _findings(console: Console, result, options, locator: Locator) -> None:
    groups: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for f in active(result):
        groups[f.stage][f.stack or "(config)"].append(f)
    below = sorted({f.severity for f in active(result) if not gating(f, options.fail_on)},
                   key=RANK.get)
    if below:
        words = ", ".join(below[:-1]) + (" and " if len(below) > 1 else "") + below[-1]
        console.print(Text(f"{words.capitalize()} findings are below --fail-on "
                           f"{options.fail_on}: reported, they do not fail the run.",
                           style="dim"))
        console.print()
    order = {s.name: i for i, s in enumerate(result.stacks)}
    for stage in sorted(groups):
        console.print(Text(f"Stage {stage}", style="bold underline"))
        for stack in sorted(groups[stage], key=lambda n: (order.get(n, len(order)), n)):
            items = groups[stage][stack]
            counts = severity_counts(items)
            head = Text("  ")
            head.append(stack, style="bold")
            head.append("  " + counts_text(counts), style="dim")
            console.print(head)
            for f in sorted(items, key=lambda f: RANK[f.severity]):  # stable: errors first
                _finding(console, f, locator)
        console.print()


def _finding(console: Console, f, locator: Locator) -> None:
    line = Text()
    line.append(f"{LABELS[f.severity]:7}", style=STYLES[f.severity])
    line.append(" ")
    line.append(f.rule_id, style="bold")
    line.append("  ")
    line.append(" ".join(f.title.split()))
    _indented(console, line, 4)
    where = Text()
    where.append(f"{f.file}:{f.line}:{f.column}" if f.line else f.file, style="dim")
    if f.logical_id:
        where.append(f"  {f.logical_id}")
        if f.resource_type:
            where.append(f" ({f.resource_type})", style="dim")
    details = [where]
    if f.construct_path:
        details.append(Text(f"construct: {f.construct_path}", style="dim"))
    src = locator.source(f)
    if src and src.get("file"):
        details.append(Text(f"source: {src['file']}:{src.get('line') or 1}", style="dim"))
    if f.message:
        details.append(Text(" ".join(f.message.split())))
    if f.related:
        details.append(_related(f))
    if f.remediation:
        fix = Text()
        fix.append("fix: ", style="green")
        fix.append(first_paragraph(f.remediation))
        details.append(fix)
    for d in details:
        _indented(console, d, 12)


#: affected resources a grouped finding lists in text output (the JSON and SARIF list all)
RELATED_SHOWN = 3


def _related(f) -> Text:
    """A grouped finding's affected resources: the count and the first few."""
    out = Text(f"affects {len(f.related)} resource(s): ", style="dim")
    for i, m in enumerate(f.related[:RELATED_SHOWN]):
        out.append(", " if i else "")
        out.append(m.get("logical_id") or m.get("stack") or "?")
        where = f"line {m.get('line')}" if m.get("file") == f.file else \
            f"{m.get('file')}:{m.get('line')}"
        out.append(f" ({where})", style="dim")
        if m.get("suppressed"):
            out.append(" (suppressed)", style="dim")
    if len(f.related) > RELATED_SHOWN:
        out.append(f" and {len(f.related) - RELATED_SHOWN} more (see --format json)")
    return out


def _indented(console: Console, text: Text, n: int) -> None:
    """Wrapped under its indent on a terminal; one unbroken line otherwise."""
    if console.is_terminal:
        console.print(Padding(text, (0, 0, 0, n)))
    else:
        console.print(Text(" " * n) + text, soft_wrap=True)


def _controls(console: Console, options) -> None:
    """Per-control results when framework packs are selected (cfncheck/report/controls.py)."""
    from .controls import text_section

    text_section(console, options)


def _summary(console: Console, result, options) -> None:
    rows = stack_rows(result)
    table = Table(title="Summary", title_justify="left", show_footer=True,
                  header_style="bold", footer_style="bold", expand=False,
                  box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII)
    totals = Counter()
    for r in rows:
        for k in ("error", "warning", "info", "suppressed"):
            totals[k] += r[k]
    table.add_column("Stage", footer="")
    table.add_column("Stack", footer=f"{len(result.stacks)} stacks")
    for key, label in (("error", "Errors"), ("warning", "Warnings"), ("info", "Info"),
                       ("suppressed", "Suppressed")):
        table.add_column(label, justify="right", footer=str(totals[key]),
                         style=STYLES.get(key, "dim"))
    for r in sorted(rows, key=lambda r: (r["stage"], r["stack"])):
        table.add_row(Text(r["stage"]), Text(r["stack"]),
                      *(str(r[k]) if r[k] else "-" for k in ("error", "warning", "info",
                                                             "suppressed")))
    console.print(table)


def _by_check(console: Console, result) -> None:
    """Counts per check: which rules make the noise, and which fail the run."""
    counts: dict[str, Counter] = defaultdict(Counter)
    titles: dict[str, str] = {}
    for f in result.findings:
        counts[f.rule_id]["suppressed" if f.suppressed else f.severity] += 1
        titles.setdefault(f.rule_id, " ".join(f.title.split()))
    if not counts:
        return
    table = Table(title="By check", title_justify="left", header_style="bold", expand=False,
                  box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII)
    table.add_column("Check")
    table.add_column("Title")
    for key, label in (("error", "Errors"), ("warning", "Warnings"), ("info", "Info"),
                       ("suppressed", "Suppressed")):
        table.add_column(label, justify="right", style=STYLES.get(key, "dim"))
    ranked = sorted(counts, key=lambda r: (-counts[r]["error"], -counts[r]["warning"],
                                           -counts[r]["info"], r))
    for rid in ranked:
        c = counts[rid]
        table.add_row(Text(rid), Text(titles[rid]), *(str(c[k]) if c[k] else "-" for k in
                                                      ("error", "warning", "info",
                                                       "suppressed")))
    console.print(table)
    config = getattr(result, "config", None)
    console.print(Text(f"Config: {config}" if config else "Config: none found (defaults)",
                       style="dim"))


def _suppressions(console: Console, result) -> None:
    sup = suppressed(result)
    if sup:
        by_source = Counter(f.suppressed.source for f in sup)
        console.print(Text(f"Suppressed: {len(sup)} ("
                           + ", ".join(f"{n} {s}" for s, n in sorted(by_source.items())) + ")",
                           style="bold"))
        for f in [f for f in sup if f.suppressed.source != "baseline"][:MAX_SUPPRESSED_LISTED]:
            s = f.suppressed
            t = Text(f"  {f.rule_id}  {f.stack}  {f.logical_id or ''}  ", style="dim")
            t.append(f"[{s.source}] {' '.join(s.reason.split())}")
            if s.expires:
                t.append(f" (until {s.expires})", style="dim")
            console.print(t)
        rest = len([f for f in sup if f.suppressed.source != "baseline"])
        if rest > MAX_SUPPRESSED_LISTED:
            console.print(Text(f"  ... and {rest - MAX_SUPPRESSED_LISTED} more (see --format "
                               "json)", style="dim"))
    peers = result.peer_suppressions
    if peers:
        mapped = [p for p in peers if p["mapped_to"]]
        unmapped = sorted({f"{p['tool']} {p['rule']}" for p in peers if not p["mapped_to"]})
        console.print(Text(f"Peer suppressions: {len(peers)} found, {len(mapped)} mapped to "
                           f"cfncheck checks, {len(peers) - len(mapped)} without an "
                           "equivalent", style="bold"))
        if unmapped:
            console.print(Text("  no cfncheck equivalent: " + ", ".join(unmapped), style="dim"))
    if result.baseline:
        b = result.baseline
        console.print(Text(f"Baseline {b['file']}: {b['matched']} known, {b['new']} new, "
                           f"{b['stale']} no longer found", style="bold"))


def _verdict(console: Console, result, options) -> None:
    counts = severity_counts(active(result))
    gate = result.gate(options.fail_on)
    line = Text()
    if result.errors:
        line.append("FAILED", style="bold red")
        line.append(f": {len(result.errors)} input error(s)")
        for e in result.errors:
            console.print(Text(f"input error: {e}", style="red"))
    elif gate:
        line.append("FAILED", style="bold red")
        line.append(f": {len(gate)} finding(s) at or above {options.fail_on}")
    else:
        line.append("PASSED", style="bold green")
        line.append(f" (--fail-on {options.fail_on})")
    line.append(f" | {counts['error']} errors, {counts['warning']} warnings, "
                f"{counts['info']} info, {len(suppressed(result))} suppressed")
    console.print(line)


def counts_text(counts: dict) -> str:
    """{"error": 2, "warning": 1, "info": 0} -> "2 errors, 1 warning"."""
    words = {"error": ("error", "errors"), "warning": ("warning", "warnings"),
             "info": ("info", "info")}
    return ", ".join(f"{n} {words[s][n != 1]}" for s, n in counts.items() if n)


class ProgressBar:
    """``progress(done, total)`` callback: a rich bar on stderr for long scans in a terminal."""

    def __init__(self, min_units: int = 8, stream=None, force: bool = False):
        self.stream = stream or sys.stderr
        self.min_units = min_units
        self.force = force
        self._progress = None
        self._task = None
        self._decided = False
        self.started = False  # a bar was shown

    def __call__(self, done: int, total: int) -> None:
        if not self._decided:
            self._decided = True
            tty = self.force or (hasattr(self.stream, "isatty") and self.stream.isatty())
            if tty and total >= self.min_units:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )

                console = Console(file=self.stream, force_terminal=True if self.force else None)
                self._progress = Progress(TextColumn("checking"), BarColumn(),
                                          MofNCompleteColumn(), TimeElapsedColumn(),
                                          console=console, transient=True)
                self._progress.start()
                self.started = True
                self._task = self._progress.add_task("scan", total=total)
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)
            if done >= total:
                self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
