"""GitHub Actions workflow commands: one annotation per unsuppressed finding.

``::error file=app/cdk.json,line=3,col=1,title=CC-S3-001 Bucket ...::message`` (``warning`` and
``notice`` for lower severities), with the same repository-relative locations as SARIF. Escaping
follows the runner's rules: in the message ``%``, ``\\r`` and ``\\n`` become ``%25``, ``%0D``,
``%0A``; in properties ``:`` and ``,`` also become ``%3A`` and ``%2C``.

Every attacker string first goes through :data:`ESCAPE` (control characters, lone surrogates ->
visible escapes), so each annotation is one physical line whatever the input holds.

GitHub shows a limited number of annotations per step (10 errors, 10 warnings, 10 notices), so
the "cfncheck summary" notice with the totals comes first, then input errors, then findings from
the most to the least severe (the job summary and code scanning have everything).
"""

from __future__ import annotations

from pathlib import Path

from ..escape import printable
from . import active, first_paragraph, related_summary, severity_counts, suppressed
from .locations import Locator

ESCAPE = printable

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
RANK = {"error": 0, "warning": 1, "info": 2}


def escape_data(text: str) -> str:
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props) -> str:
    parts = ",".join(f"{k}={escape_property(v)}" for k, v in props.items()
                     if v is not None and v != "")
    return f"::{name}{' ' + parts if parts else ''}::{escape_data(message)}"


def render(result, options) -> str:
    locator = Locator(result, options)
    counts = severity_counts(active(result))
    lines = [command("notice", f"cfncheck: {counts['error']} errors, {counts['warning']} "
                     f"warnings, {counts['info']} info, {len(suppressed(result))} suppressed in "
                     f"{len(result.stacks)} stacks (--fail-on {options.fail_on})"
                     + (f", {len(result.errors)} input errors" if result.errors else ""),
                     title="cfncheck summary")]
    for e in result.errors:
        props = {"title": f"cfncheck input error ({e.kind})"}
        if e.file:
            rel = locator.relative(Path(e.file))
            props = {"file": rel or e.file, "line": e.line, "col": e.column, **props}
        lines.append(command("error", e.message, **props))
    for f in sorted(active(result), key=lambda f: (RANK[f.severity], f.sort_key())):
        loc = locator.locate(f)
        msg = " ".join(f.message.split())
        if f.logical_id:
            msg += f"\nResource: {f.logical_id}" + (f" ({f.construct_path})"
                                                    if f.construct_path else "")
        if f.related:
            msg += "\n" + related_summary(f)
        if loc.via != "template" and loc.template_ref:
            msg += f"\nTemplate: {loc.template_ref}"
        if f.remediation:
            msg += f"\nFix: {first_paragraph(f.remediation)}"
        props = {"file": loc.uri if loc.relative else None, "line": loc.line, "col": loc.column,
                 "title": f"{f.rule_id} {' '.join(f.title.split())}"
                 + (f" [{f.stack}]" if f.stack else "")}
        lines.append(command(COMMANDS[f.severity], msg, **props))
    return "\n".join(lines) + "\n"
