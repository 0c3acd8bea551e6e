#!/usr/bin/env python3
"""Builds cfncheck/data/controls.json: check id -> framework -> control ids.

    .venv/bin/python bench/build_controls.py                 # regenerate (finds ../shared)
    .venv/bin/python bench/build_controls.py --check         # exit 1 when the file is stale
    .venv/bin/python bench/build_controls.py --oracles ../shared/oracles ../shared/oracles-more

Three sources, each named in the output (``source:``):

* ``guard-mapping``: the AWS Guard Rules Registry's framework mappings
  (``<oracles-more>/guard_mappings/rule_set_*.json``: guard file -> controls of NIST 800-53 rev4 /
  rev5, PCI DSS 3.2.1, CIS, HIPAA, FedRAMP, ...). A guard file's rules are read from the oracle
  labels (``source`` and ``rules_in_guard_file`` of each ``guard/<RULE>/expected.json``); a
  cfncheck check gets a rule's controls when ``bench/conformance_map.yaml`` maps that rule to it.
* ``fsbp-docs``: AWS Security Hub Foundational Security Best Practices controls from AWS's
  documentation, listed by hand in ``bench/controls_sources.yaml``.
* ``judgment``: our own mapping where neither source has one (``bench/controls_sources.yaml``).

Nothing of the oracle data is shipped: only the derived control ids. The output is sorted, so
regenerating it from the same inputs gives the same bytes (tests/test_controls.py checks that
the committed file is up to date when ../shared exists).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = REPO / "cfncheck" / "data" / "controls.json"
MAP = BENCH / "conformance_map.yaml"
SOURCES = BENCH / "controls_sources.yaml"
GUARD_FILE = re.compile(r"(rules/aws/\S+?\.guard)")

#: mapping files that are not compliance frameworks
SKIP_RULE_SETS = {"rule_set_cfn_nag.json"}
#: framework id (pack name) and SARIF tag prefix for rule-set names that need one
NAMES = {
    "NIST800-53Rev4": ("nist-800-53-rev4", "NIST-800-53-rev4"),
    "NIST800-53Rev5": ("nist-800-53-rev5", "NIST-800-53-rev5"),
    "PCI-DSS-3-2-1": ("pci-dss-3.2.1", "PCI-DSS-3.2.1"),
}
FSBP = ("fsbp", "AWS-FSBP", "AWS Foundational Security Best Practices (Security Hub)")


def find_shared() -> Path | None:
    """The nearest ``shared/`` folder beside the repository or one of its parents."""
    for folder in REPO.parents:
        if (folder / "shared" / "oracles-more" / "guard_mappings").is_dir():
            return folder / "shared"
    return None


def framework_id(rule_set_name: str) -> tuple[str, str]:
    if rule_set_name in NAMES:
        return NAMES[rule_set_name]
    slug = re.sub(r"[^a-z0-9.]+", "-", rule_set_name.lower()).strip("-")
    return slug, rule_set_name


def guard_rules_by_file(oracle_dirs: list[Path]) -> dict[str, set]:
    """guard file path (rules/aws/...guard) -> the rule names it defines."""
    out: dict[str, set] = {}
    for root in oracle_dirs:
        for exp_file in sorted(root.glob("guard/*/expected.json")):
            exp = json.loads(exp_file.read_text())
            m = GUARD_FILE.search(exp.get("source") or "")
            if m:
                out.setdefault(m.group(1), set()).update(
                    exp.get("rules_in_guard_file") or [exp["rule"]])
    return out


def build(oracle_dirs: list[Path], mappings_dir: Path, map_file: Path = MAP,
          sources_file: Path = SOURCES) -> dict:
    cmap = yaml.safe_load(map_file.read_text())
    sources = yaml.safe_load(sources_file.read_text())
    by_rule: dict[str, list] = {}  # guard rule -> cfncheck ids
    for rule, entry in (cmap["checks"].get("guard") or {}).items():
        if entry.get("cfncheck"):
            by_rule[rule] = list(entry["cfncheck"])
    rules_of = guard_rules_by_file(oracle_dirs)

    frameworks: dict = {FSBP[0]: {"title": FSBP[2], "tag": FSBP[1], "source": "fsbp-docs",
                                  "url": sources["fsbp"]["docs"]}}
    checks: dict = {}

    def add(check: str, fw: str, controls, source: str, via=None):
        entry = checks.setdefault(check, {}).setdefault(fw, {"controls": set(), "source": set(),
                                                             "via": set()})
        entry["controls"].update(controls)
        entry["source"].add(source)
        if via:
            entry["via"].add(via)

    for f in sorted(mappings_dir.glob("rule_set_*.json")):
        if f.name in SKIP_RULE_SETS:
            continue
        data = json.loads(f.read_text())
        fw, tag = framework_id(data["ruleSetName"])
        frameworks[fw] = {"title": data["ruleSetName"], "tag": tag, "source": "guard-mapping",
                          "description": data.get("description", "")}
        for m in data.get("mappings") or []:
            for rule in sorted(rules_of.get(m["guardFilePath"], ())):
                for check in by_rule.get(rule, ()):
                    add(check, fw, m.get("controls") or [], "guard-mapping", rule)
    for check, entry in (sources["fsbp"].get("checks") or {}).items():
        add(check, FSBP[0], entry["controls"], "fsbp-docs")
    for check, entry in (sources.get("judgment") or {}).items():
        for fw, controls in entry.items():
            if fw == "why":
                continue
            if fw not in frameworks:
                raise SystemExit(f"{sources_file}: judgment for {check}: unknown framework {fw}")
            add(check, fw, controls, "judgment")
    out_checks = {}
    for check in sorted(checks):
        out_checks[check] = {}
        for fw in sorted(checks[check]):
            e = checks[check][fw]
            row = {"controls": sorted(e["controls"], key=_control_key),
                   "source": " + ".join(sorted(e["source"]))}
            if e["via"]:
                row["via"] = sorted(e["via"])
            out_checks[check][fw] = row
    return {"version": 1, "frameworks": dict(sorted(frameworks.items())), "checks": out_checks}


def _control_key(c: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(c))]


NOTE = ("GENERATED by bench/build_controls.py: do not edit by hand. Check id -> framework -> "
        "control ids. source: guard-mapping (AWS Guard Rules Registry framework mappings, "
        "through the peer rules the check covers in bench/conformance_map.yaml; 'via' names "
        "them), fsbp-docs (AWS Security Hub FSBP documentation), judgment (ours; "
        "bench/controls_sources.yaml says why).")


def render(data: dict) -> str:
    """JSON (read at run time in a millisecond; YAML took a quarter of a second)."""
    return json.dumps({"_note": NOTE, **data}, indent=1, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--oracles", nargs="+", type=Path, help="oracle folders (default: "
                    "<shared>/oracles and <shared>/oracles-more beside the repository)")
    ap.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if args.oracles:
        dirs = args.oracles
    else:
        shared = find_shared()
        if shared is None:
            print("error: no shared/oracles-more folder found; give --oracles", file=sys.stderr)
            return 2
        dirs = [shared / "oracles", shared / "oracles-more"]
    mappings = next((d / "guard_mappings" for d in dirs if (d / "guard_mappings").is_dir()), None)
    if mappings is None:
        print("error: no guard_mappings/ folder in the oracle folders", file=sys.stderr)
        return 2
    text = render(build(dirs, mappings))
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date: run bench/build_controls.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
