#!/usr/bin/env python3
"""Finding volume: findings per resource and per rule for any set of assemblies.

    .venv/bin/python bench/precision.py sample_templates/*/cdk.out
    .venv/bin/python bench/precision.py app1/cdk.out app2/cdk.out --json volume.json

Each path is scanned on its own with the built-in rules and policies (and the config file
given with ``--config``, if any) through :func:`cfncheck.engine.scan`, as ``cfncheck scan``
would. Counted are the findings a user reads: unsuppressed, errors, warnings and info
separately; a grouped finding (one per stack or CDK Stage, its resources as related locations)
and a merged one (one function's missing alarms) count ONCE, however many resources they name.
Resources are the templates' resources (nested stacks included), ``AWS::CDK::Metadata`` aside.

The issue's volume target is at most 0.35 warning+error findings per resource on realistic CDK
apps; this prints the figure for each assembly and for all of them together. Precision itself
(is each finding true?) needs a human audit: this measures volume, not truth.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cfncheck.config import Config, load_config  # noqa: E402
from cfncheck.engine import scan  # noqa: E402
from cfncheck.errors import InputError  # noqa: E402

SEVERITIES = ("error", "warning", "info")


def count_resources(stacks) -> int:
    return sum(1 for s in stacks for r in s.resources.values()
               if isinstance(r, dict) and r.get("Type") != "AWS::CDK::Metadata")


def measure(path: Path, config: Config) -> dict:
    result = scan([path], config)
    active = [f for f in result.findings if not f.suppressed]
    resources = count_resources(result.stacks)
    by_severity = Counter(f.severity for f in active)
    rules: dict[str, Counter] = {}
    for f in active:
        rules.setdefault(f.rule_id, Counter())[f.severity] += 1
    # getattr: the script also measures checkouts from before grouped findings existed
    grouped = sum(1 for f in active if getattr(f, "related", None))
    return {
        "path": str(path),
        "stacks": len(result.stacks),
        "resources": resources,
        "findings": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "suppressed": len(result.findings) - len(active),
        "grouped_findings": grouped,
        "resources_in_groups": sum(len(getattr(f, "related", ())) for f in active),
        "merged_findings": sum(1 for f in active if getattr(f, "covers", None)),
        "input_errors": len(result.errors),
        "per_resource": _rates(by_severity, resources),
        "rules": {r: {s: c.get(s, 0) for s in SEVERITIES} for r, c in sorted(rules.items())},
    }


def _rates(by_severity, resources: int) -> dict:
    n = max(resources, 1)
    we = by_severity.get("error", 0) + by_severity.get("warning", 0)
    return {"error": round(by_severity.get("error", 0) / n, 3),
            "warning": round(by_severity.get("warning", 0) / n, 3),
            "warning_and_error": round(we / n, 3)}


def total(rows: list[dict]) -> dict:
    by_severity: Counter = Counter()
    rules: dict[str, Counter] = {}
    for row in rows:
        by_severity.update(row["findings"])
        for rule, counts in row["rules"].items():
            rules.setdefault(rule, Counter()).update(counts)
    resources = sum(r["resources"] for r in rows)
    return {"path": "(all)", "stacks": sum(r["stacks"] for r in rows), "resources": resources,
            "findings": {s: by_severity.get(s, 0) for s in SEVERITIES},
            "suppressed": sum(r["suppressed"] for r in rows),
            "grouped_findings": sum(r["grouped_findings"] for r in rows),
            "resources_in_groups": sum(r["resources_in_groups"] for r in rows),
            "merged_findings": sum(r["merged_findings"] for r in rows),
            "input_errors": sum(r["input_errors"] for r in rows),
            "per_resource": _rates(by_severity, resources),
            "rules": {r: {s: c.get(s, 0) for s in SEVERITIES} for r, c in sorted(rules.items())}}


def print_table(rows: list[dict], out=sys.stdout) -> None:
    print(f"{'assembly':48} {'res':>5} {'err':>4} {'warn':>5} {'info':>5} {'grp':>4} "
          f"{'(w+e)/res':>9}", file=out)
    for r in rows:
        f = r["findings"]
        print(f"{r['path'][-48:]:48} {r['resources']:>5} {f['error']:>4} {f['warning']:>5} "
              f"{f['info']:>5} {r['grouped_findings']:>4} "
              f"{r['per_resource']['warning_and_error']:>9.3f}", file=out)
    all_rules = rows[-1]["rules"]
    print("\nper rule (all assemblies): error / warning / info", file=out)
    ranked = sorted(all_rules.items(), key=lambda kv: (-(kv[1]["error"] + kv[1]["warning"]),
                                                       -kv[1]["info"], kv[0]))
    for rule, c in ranked:
        print(f"  {rule:16} {c['error']:>4} {c['warning']:>5} {c['info']:>5}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="cdk.out folders or template files")
    ap.add_argument("--config", type=Path, help="a .cfncheck.yaml to apply")
    ap.add_argument("--json", dest="json_out", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    try:
        config = load_config(args.config) if args.config else Config()
    except InputError as e:
        print(f"precision.py: {e}", file=sys.stderr)
        return 2
    rows = []
    for path in args.paths:
        if not path.exists():
            print(f"precision.py: {path}: not found", file=sys.stderr)
            return 2
        rows.append(measure(path, config))
    rows.append(total(rows))
    print_table(rows)
    if args.json_out:
        args.json_out.write_text(json.dumps({"assemblies": rows[:-1], "total": rows[-1]},
                                            indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
