"""JSON report (versioned schema, see docs/json-output.md)."""

from __future__ import annotations

import json

from .. import __version__
from ..findings import JSON_SCHEMA_VERSION


def to_data(result, options) -> dict:
    return {
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "cfncheck", "version": __version__},
        "summary": summary(result, options),
        "findings": [f.to_dict() for f in result.findings],
        "errors": [e.to_dict() for e in result.errors],
        "notes": list(result.notes),
        "stacks": [{"name": s.name, "stage": s.stage, "stage_source": s.stage_source,
                    "template": s.template_rel, "assembly_path": s.assembly_path,
                    "parent": s.parent.name if s.parent else None} for s in result.stacks],
    }


def summary(result, options) -> dict:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in result.findings:
        if not f.suppressed:
            counts[f.severity] += 1
    return {"stacks": len(result.stacks), "findings": sum(counts.values()),
            "suppressed": sum(1 for f in result.findings if f.suppressed),
            "by_severity": counts, "errors": len(result.errors),
            "failed": bool(result.gate(options.fail_on)) or bool(result.errors)}


def render(result, options) -> str:
    return json.dumps(to_data(result, options), indent=2, sort_keys=False) + "\n"
