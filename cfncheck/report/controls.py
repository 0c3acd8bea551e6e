"""Per-control results for the text, Markdown and JSON reports.

When framework packs are selected (``--pack fsbp``, ``--pack nist-800-53-rev5``), the CLI puts
:func:`cfncheck.packs.control_summary` rows in ``ReportOptions.extra["controls"]``; the writers
call these functions to add one section: control, checks, resources failing / passing.
Control ids and check ids come from cfncheck's own data, never from the assembly, but cells are
escaped like every other cell anyway.
"""

from __future__ import annotations


def rows(options) -> list:
    return list((getattr(options, "extra", None) or {}).get("controls") or [])


def to_data(options) -> list[dict] | None:
    """The JSON ``controls`` list, or None when no framework pack was selected."""
    r = rows(options)
    return [row.to_dict() for row in r] if r else None


def _passing(row) -> str:
    return "-" if row.passing is None else str(row.passing)


def markdown_lines(options, cell=str) -> list[str]:
    r = rows(options)
    if not r:
        return []
    out: list[str] = []
    for fw in dict.fromkeys(row.framework for row in r):
        out += [f"### Controls: {cell(_title(fw))}", "",
                "| Control | Checks | Resources failing | Resources passing |",
                "| --- | --- | ---: | ---: |"]
        for row in (x for x in r if x.framework == fw):
            mark = "❌ " if row.failing else "✅ "
            out.append(f"| {mark}{cell(row.control)} | "
                       f"{', '.join('`' + cell(c) + '`' for c in row.checks)} | "
                       f"{row.failing} | {_passing(row)} |")
        out.append("")
    return out


def text_section(console, options) -> None:
    """A rich table per framework: control, checks, resources failing / passing."""
    r = rows(options)
    if not r:
        return
    from rich.table import Table
    from rich.text import Text

    for fw in dict.fromkeys(row.framework for row in r):
        table = Table(title=Text(f"Controls: {_title(fw)}", style="bold"), title_justify="left",
                      show_edge=False, pad_edge=False, box=None, header_style="bold")
        table.add_column("control")
        table.add_column("checks")
        table.add_column("failing", justify="right")
        table.add_column("passing", justify="right")
        for row in (x for x in r if x.framework == fw):
            table.add_row(Text(row.control, style="red" if row.failing else "green"),
                          Text(", ".join(row.checks)), str(row.failing), _passing(row))
        console.print(table)
        failing = sum(1 for x in r if x.framework == fw and x.failing)
        total = sum(1 for x in r if x.framework == fw)
        console.print(Text(f"{failing} of {total} controls with failing resources", style="dim"))
        console.print()


def _title(fw: str) -> str:
    from ..packs import frameworks

    info = frameworks().get(fw) or {}
    return f"{fw} ({info['title']})" if info.get("title") and info["title"] != fw else fw
