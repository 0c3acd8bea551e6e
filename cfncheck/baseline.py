"""Baselines for brownfield adoption: record today's findings, then gate only on new ones.

``cfncheck baseline create cdk.out -o .cfncheck-baseline.json`` writes the fingerprints of the
current unsuppressed findings (a versioned JSON file, written atomically by the CLI; review it
and commit it). ``cfncheck scan cdk.out --baseline .cfncheck-baseline.json`` then marks the
findings whose fingerprint is in the baseline as suppressed (source ``baseline``): they stay in
JSON and SARIF, are hidden from the text summary's list and from the gate, and only new findings
fail the build.

Fingerprints (see :mod:`cfncheck.findings`) identify the defect, not the line: they survive line
moves, key reordering by a re-synthesis and unrelated resources being added. They are counted,
so if the same defect appears twice where the baseline had it once, the second one is new.
Baseline entries no longer found (fixed, or renamed) are counted as ``stale`` and reported in a
note, so the file can be regenerated.

File format (``version`` 1)::

    {"version": 1, "tool": "cfncheck", "tool_version": "0.1.0",
     "findings": [{"fingerprint": "...", "rule_id": "CC-S3-001", "severity": "error",
                   "stack": "Prod/Api", "resource": "Prod/Api/DataBucket/Resource",
                   "title": "..."}]}

Only ``fingerprint`` is used for matching; the other fields are for the reviewers of the file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from . import __version__
from .errors import InputError
from .findings import Suppression
from .template import read_regular_file

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 64 * 1024 * 1024


def create_baseline(result) -> str:
    """The baseline file text for the unsuppressed findings of ``result``."""
    # a merged finding is recorded as each finding it stands for (see apply_baseline)
    entries = [{"fingerprint": fp, "rule_id": rid, "severity": f.severity,
                "stack": f.stack, "resource": f.construct_path or f.logical_id or "",
                "title": f.title}
               for f in result.findings if not f.suppressed
               for rid, fp in ((f.rule_id, f.fingerprint),
                               *((c["rule_id"], c["fingerprint"]) for c in f.covers))]
    entries.sort(key=lambda e: (e["stack"], e["resource"], e["rule_id"], e["fingerprint"]))
    doc = {"version": BASELINE_VERSION, "tool": "cfncheck", "tool_version": __version__,
           "findings": entries}
    return json.dumps(doc, indent=2) + "\n"


def load_baseline(path: str | Path) -> Counter:
    """fingerprint -> count. Raises :class:`InputError` naming the file on any problem."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("baseline file not found (create it with `cfncheck baseline "
                         "create`)", name, kind="baseline")
    # a regular file of bounded size only: no devices, FIFOs or unbounded reads
    raw = read_regular_file(p, MAX_BASELINE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("baseline is not valid UTF-8", name, kind="baseline") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"baseline is not valid JSON: {e.msg}", name, e.lineno, e.colno,
                         kind="baseline") from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise InputError("not a cfncheck baseline (no 'version')", name, kind="baseline")
    if doc["version"] != BASELINE_VERSION:
        raise InputError(f"unsupported baseline version {doc['version']!r} (this cfncheck "
                         f"reads version {BASELINE_VERSION}); recreate it with `cfncheck "
                         "baseline create`", name, kind="baseline")
    entries = doc.get("findings")
    if not isinstance(entries, list):
        raise InputError("baseline has no 'findings' list", name, kind="baseline")
    counts: Counter = Counter()
    for i, e in enumerate(entries):
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        if not isinstance(fp, str) or not fp:
            raise InputError(f"baseline entry {i} has no 'fingerprint'", name, _line_of_entry(
                text, i), kind="baseline")
        counts[fp] += 1
    return counts


def apply_baseline(result, path: str | Path) -> None:
    """Suppress (source ``baseline``) the findings of ``result`` recorded in the baseline."""
    remaining = load_baseline(path)
    total = sum(remaining.values())
    matched = new = 0
    for f in result.findings:
        if f.suppressed:
            continue
        # a merged finding (covers) is recorded when the baseline has every finding it stands
        # for (a new missing part is a new defect)
        wanted = [f.fingerprint, *(c["fingerprint"] for c in f.covers)]
        known = wanted if all(remaining[fp] > 0 for fp in wanted) else []
        members = [m.get("fingerprint") for m in f.related]
        if not known and members and all(fp and remaining[fp] > 0 for fp in members):
            known = members  # a baseline from before the check grouped: every member in it
        if known:
            for fp in known:
                remaining[fp] -= 1
            f.suppressed = Suppression("baseline", f"recorded in the baseline {Path(path).name}")
            matched += len(known)
        else:
            new += 1
    stale = total - matched
    result.baseline = {"file": str(path), "entries": total, "matched": matched, "new": new,
                       "stale": stale}
    if stale:
        result.notes.append(f"{stale} baseline entr{'y' if stale == 1 else 'ies'} in {path} "
                            "no longer found (fixed?): recreate it with `cfncheck baseline "
                            "create` to keep it tight")


def _line_of_entry(text: str, index: int) -> int | None:
    """Rough line of the index-th object of the findings list (for error messages)."""
    start = text.find('"findings"')
    if start < 0:
        return None
    depth = 0
    seen = -1
    for pos in range(text.find("[", start) + 1, len(text)):
        c = text[pos]
        if c == "{":
            if depth == 0:
                seen += 1
                if seen == index:
                    return text.count("\n", 0, pos) + 1
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "]" and depth == 0:
            break
    return None
