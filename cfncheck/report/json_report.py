"""JSON report: a versioned, documented schema (docs/json-output.md).

The document validates against ``cfncheck/schemas/report.schema.json``; its ``version`` is
:data:`cfncheck.findings.JSON_SCHEMA_VERSION` (a major bump means an incompatible change).
Suppressed findings (metadata, config, peers' suppressions, baseline) are kept with
``"suppressed": true`` and a ``suppression`` object; ``summary`` counts only the others.
A finding's ``source_location`` is the CDK app line that created its construct, when
:mod:`cfncheck.source_map` finds it (the same place SARIF and the annotations point at).

Strings keep their content (JSON escapes control characters itself); lone surrogates, which no
UTF-8 document can hold, become U+FFFD (:data:`ESCAPE`). The document is indented, each
finding on one line.
"""

from __future__ import annotations

import json

from .. import __version__
from ..escape import no_surrogates
from ..findings import JSON_SCHEMA_VERSION
from . import active, failed, rule_infos, severity_counts, stack_rows, suppressed
from .locations import Locator

ESCAPE = no_surrogates


def to_data(result, options) -> dict:
    data = _data(result, options)
    controls = _controls(options)
    if controls is not None:
        data["controls"] = controls
    return data


def _controls(options) -> list | None:
    """Per-control results when framework packs are selected (cfncheck/report/controls.py)."""
    from .controls import to_data as controls_data

    return controls_data(options)


def _data(result, options) -> dict:
    return {
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "cfncheck", "version": __version__},
        "summary": summary(result, options),
        "findings": _findings(result, options),
        "errors": [e.to_dict() for e in result.errors],
        "notes": list(result.notes),
        "stacks": [{"name": s.name, "stage": s.stage, "stage_source": s.stage_source,
                    "template": s.template_rel, "assembly_path": s.assembly_path,
                    "parent": s.parent.name if s.parent else None} for s in result.stacks],
        "rules": [{"id": c.id, "title": c.title, "severity": c.severity, "kind": c.kind,
                   "category": c.category, "tags": [str(t) for t in c.tags or ()],
                   "docs_url": c.docs_url, **_rule_controls(c)}
                  for c in rule_infos(result).values()],
        "peer_suppressions": list(result.peer_suppressions),
        "baseline": result.baseline,
        "config": getattr(result, "config", None),
    }


def _rule_controls(info) -> dict:
    """``controls`` (framework -> control ids) of a check, when it serves any."""
    from ..packs import controls_of

    controls = controls_of(info.id)
    return {"controls": controls} if controls else {}


def _findings(result, options) -> list[dict]:
    locator = Locator(result, options)
    out = []
    for f in result.findings:
        d = f.to_dict()
        src = locator.source(f)
        d["source_location"] = ({"file": src["file"], "line": int(src.get("line") or 1)}
                                if src and src.get("file") else None)
        out.append(d)
    return out


def summary(result, options) -> dict:
    sup = suppressed(result)
    by_source: dict[str, int] = {}
    for f in sup:
        by_source[f.suppressed.source] = by_source.get(f.suppressed.source, 0) + 1
    return {"stacks": len(result.stacks), "findings": len(active(result)),
            "suppressed": len(sup), "suppressed_by_source": dict(sorted(by_source.items())),
            "by_severity": severity_counts(active(result)), "errors": len(result.errors),
            "fail_on": options.fail_on, "gate_findings": len(result.gate(options.fail_on)),
            "failed": failed(result, options.fail_on),
            "by_stack": stack_rows(result)}


def render(result, options) -> str:
    """The document, indented, with one finding per line: readable, greppable and diffable,
    and written by the C encoder (Python's indenting encoder is pure Python: a third of the
    report's time on a 10,000-finding scan)."""
    import secrets

    data = to_data(result, options)
    findings = data["findings"]
    # A placeholder no scanned string can reproduce: a random token, and anchored as the
    # top-level key it is (a string value never holds a raw line break before its key).
    placeholder = f"findings-{secrets.token_hex(16)}"
    data["findings"] = placeholder
    text = json.dumps(data, indent=2)
    block = "[]" if not findings else \
        "[\n" + ",\n".join("    " + json.dumps(f) for f in findings) + "\n  ]"
    anchor = f'\n  "findings": "{placeholder}"'
    return text.replace(anchor, f'\n  "findings": {block}', 1) + "\n"
