"""Plain text report, grouped by stage and stack, with counts by severity."""

from __future__ import annotations

from collections import defaultdict


def render(result, options) -> str:
    lines = []
    groups = defaultdict(list)
    for f in result.findings:
        if not f.suppressed:
            groups[(f.stage, f.stack)].append(f)
    for (stage, stack), items in sorted(groups.items()):
        lines.append(f"{stack}  [stage: {stage}]")
        for f in items:
            where = f"{f.file}:{f.line}:{f.column}"
            lines.append(f"  {f.severity.upper():7} {f.rule_id}  {where}  {f.logical_id or ''}")
            if f.construct_path:
                lines.append(f"          construct: {f.construct_path}")
            lines.append(f"          {f.message}")
            if f.remediation:
                lines.append(f"          fix: {f.remediation.splitlines()[0]}")
        lines.append("")
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in result.findings:
        if not f.suppressed:
            counts[f.severity] += 1
    suppressed = sum(1 for f in result.findings if f.suppressed)
    lines.append(f"{len(result.stacks)} stacks scanned: {counts['error']} errors, "
                 f"{counts['warning']} warnings, {counts['info']} info, {suppressed} suppressed")
    for e in result.errors:
        lines.append(f"input error: {e}")
    return "\n".join(lines) + "\n"
