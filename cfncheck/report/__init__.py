"""Report writers. Each format is a module with ``render(result, options) -> str``.

Formats: ``text`` (rich, for people), ``json`` (versioned, docs/json-output.md), ``sarif``
(SARIF 2.1.0 for code scanning), ``junit`` (JUnit XML for CI test tabs), ``github`` (GitHub
workflow-command annotations), ``markdown`` (a job summary for ``$GITHUB_STEP_SUMMARY``) and
``html`` (a self-contained page with the assembly drawn and the findings on it).
Several can be written in one run (``--format sarif -o x.sarif --format text``).

Shared helpers for all writers live here: counts by severity and by stack, the verdict, and
rule lookup. Repository-relative locations are in :mod:`cfncheck.report.locations`.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field

from ..findings import SEVERITIES, at_or_above

FORMATS = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
    "html": "html",
}


@dataclass
class ReportOptions:
    fail_on: str = "error"
    color: bool | None = None  # text: None = plain (no ANSI codes)
    sarif_root: str | None = None  # repository root for locations (default: the git root)
    category: str | None = None  # SARIF automationDetails id part (one per stage / app)
    width: int | None = None  # text: console width (default 120 when not a terminal)
    scanned: list[str] = field(default_factory=list)  # the paths given on the command line
    config_path: str | None = None
    compact: bool = False  # text: one line per finding (severity id file:line logical-id msg)
    extra: dict = field(default_factory=dict)


def render(fmt: str, result, options: ReportOptions) -> str:
    """The report in format ``fmt``. The writer sees the result through its ``ESCAPE``
    function (:mod:`cfncheck.report.escaped`): every string field of every finding, error,
    note and stack, whatever fields exist, is escaped before the writer lays it out."""
    from .escaped import escaped

    mod = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    return mod.render(escaped(result, getattr(mod, "ESCAPE", None)), options)


def active(result) -> list:
    """Findings that count (not suppressed, not in the baseline)."""
    return [f for f in result.findings if not f.suppressed]


def suppressed(result) -> list:
    return [f for f in result.findings if f.suppressed]


def severity_counts(findings) -> dict[str, int]:
    c = Counter(f.severity for f in findings)
    return {s: c.get(s, 0) for s in SEVERITIES}


def failed(result, fail_on: str) -> bool:
    """The gate: exit code 1 (findings) or 2 (input errors)."""
    return bool(result.errors) or bool(result.gate(fail_on))


def gating(finding, fail_on: str) -> bool:
    return not finding.suppressed and fail_on != "never" and at_or_above(finding.severity,
                                                                         fail_on)


def stack_rows(result) -> list[dict]:
    """One row per stack (in scan order) + the pseudo-stack of config findings, with counts."""
    rows: dict[str, dict] = {}
    for s in result.stacks:
        rows[s.name] = {"stage": s.stage, "stack": s.name, "error": 0, "warning": 0, "info": 0,
                        "suppressed": 0}
    for f in result.findings:
        key = f.stack or "(config)"
        row = rows.setdefault(key, {"stage": f.stage, "stack": key, "error": 0, "warning": 0,
                                    "info": 0, "suppressed": 0})
        if f.suppressed:
            row["suppressed"] += 1
        else:
            row[f.severity] += 1
    return list(rows.values())


def rule_infos(result) -> dict:
    """rule id -> CheckInfo for every check that ran (and any id only seen in findings)."""
    from ..checks import CheckInfo

    infos = {c.id: c for c in result.checks}
    for f in result.findings:
        if f.rule_id not in infos:
            infos[f.rule_id] = CheckInfo(id=f.rule_id, title=f.title, severity=f.severity,
                                         remediation=f.remediation, docs_url=f.docs_url,
                                         category=f.category)
    return dict(sorted(infos.items()))


SECURITY_CATEGORIES = {"security", "iam", "encryption", "network", "public-access",
                       "data-protection", "secrets", "least-privilege"}


def is_security(info) -> bool:
    tags = {str(t).lower() for t in (info.tags or ())}
    return "security" in tags or info.security_severity is not None or \
        (info.category or "").lower() in SECURITY_CATEGORIES


def security_severity(info) -> str | None:
    """GitHub's 0.0-10.0 score as a string (critical >= 9, high >= 7, medium >= 4, low)."""
    if info.security_severity is not None:
        return f"{float(info.security_severity):.1f}"
    if not is_security(info):
        return None
    return {"error": "8.0", "warning": "5.5", "info": "2.0"}.get(info.severity, "5.5")


def first_paragraph(text: str) -> str:
    """The first prose paragraph of a (Markdown) remediation, as one line: its lines up to a
    blank line or a code fence, joined (a sentence is never cut where the source wrapped it).
    Code blocks are skipped; a text that is only code gives its first code line."""
    para: list[str] = []
    code: list[str] = []
    fenced = False
    for ln in (text or "").splitlines():
        ln = ln.strip()
        if ln.startswith("```"):
            fenced = not fenced
            if para:
                break
        elif fenced:
            code.append(ln)
        elif ln:
            para.append(ln)
        elif para:
            break
    return " ".join(" ".join(para or code[:1]).split())


def related_summary(f, shown: int = 3) -> str:
    """A grouped finding's affected resources in one line (plain text: escape it for the
    format): "affects 25 resources: A, B, C and 22 more"; "" for an ordinary finding."""
    if not f.related:
        return ""
    names = [m.get("logical_id") or m.get("stack") or "?" for m in f.related]
    text = f"affects {len(names)} resource{'s' if len(names) != 1 else ''}: " \
        + ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")
