#!/usr/bin/env python3
"""Conformance harness: cfncheck's verdicts against the peers' own labelled test cases.

    .venv/bin/python bench/conformance.py ../shared/oracles ../shared/oracles-more
    .venv/bin/python bench/conformance.py ../shared/oracles ../shared/oracles-more --json out.json
    .venv/bin/python bench/conformance.py ../shared/oracles ../shared/oracles-more --write

The oracle folder (see its README.md) holds test templates and labels from the public test suites
of checkov (per resource), the AWS Guard Rules Registry (per template) and cfn-lint (the
DeletionPolicy / UpdateReplacePolicy rules, per resource). ``bench/conformance_map.yaml`` is the
one reviewed mapping: each peer check -> the cfncheck rule(s) and policies that cover the same
concern, ``not_covered`` with one of the reasons of :data:`NOT_COVERED_REASONS`, or ``todo``
(coverable, no cfncheck check yet), plus per-case exclusions (the peer label follows a quirk of
the peer) and explained disagreements. Several oracle folders can be given (``../shared/oracles``
and ``../shared/oracles-more``); their case paths are relative to their own folder.

Coverage = the share of the peers' checkov checks and Guard rules that are mapped to cfncheck
checks. ``--write`` regenerates the table in docs/conformance.md and the list of uncovered peer
checks by service in bench/coverage_todo.md (the guide for policy writers).

Every oracle template is scanned once per stage it needs with :func:`cfncheck.engine.scan` and
the built-in rules and policies (``jobs=1``). The stage is ``prod`` unless the map says
otherwise: peer tools have no notion of stages and prod is where cfncheck enforces its whole
baseline (CC-RET-001, "retain stateful resources", only applies there). A case is:

* checkov: one ``results_by_file`` row. FAILED = a finding of a mapped id on that logical id in
  that file; PASSED = none. UNKNOWN (checkov reached no verdict) is not scored.
* guard: one case template. FAIL = at least one finding of a mapped id (on a resource of the
  mapped ``types`` when given); PASS and SKIP = none. Findings suppressed through the template's
  ``Metadata.guard.SuppressedRules`` / ``cfn_nag.rules_to_suppress`` (which cfncheck honours via
  cfncheck/data/peer_suppressions.yaml) do not count, so suppressed SKIP cases are scored too.
* cfn-lint retain policies: one row per resource of a stateful type (the oracle's copy of
  cfn-lint's StatefulResources.json). cfn-lint's I3011/W3011 only ask for the two attributes
  to be present; cfncheck's CC-RET-001 asks for Retain (or Snapshot where supported) in prod,
  so the expected verdict is re-derived from the recorded attribute values (README "note").
  Values given as intrinsic functions are not scored (like checkov's UNKNOWN).

Cases on templates that are not well-formed CloudFormation (guard ``input_quality``
``non-schema-property``/``malformed``/``empty-template``, checkov ``file_quality`` notes naming
the resource) are run but not scored: their labels depend on the peer's literal path matching.
Any :class:`~cfncheck.errors.InputError` is counted and listed; any other exception is a crash
and fails the run.

Exit status: 0 when every concern's agreement on scored cases is at least ``--min-agreement``
percent, no template crashed, every disagreement is explained in the map and coverage is at least
``--min-coverage`` percent per peer (default 0); 1 otherwise; 2 when an oracle folder or the map
cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from cfncheck.config import Config  # noqa: E402
from cfncheck.engine import collect_checks, scan  # noqa: E402
from cfncheck.errors import InputError  # noqa: E402

MAP_FILE = Path(__file__).with_name("conformance_map.yaml")
PEERS = ("checkov", "guard", "cfn-lint")
ILL_FORMED = {"non-schema-property", "malformed", "empty-template"}
RETAIN_DELETE = {"Retain", "RetainExceptOnCreate"}
RETAIN_REPLACE = {"Retain"}

# statuses of a case
AGREE, DISAGREE, DESIGN, QUIRK, ILL, NOT_COVERED, UNSCORED = (
    "agree", "disagree", "by-design", "peer-quirk", "ill-formed", "not-covered", "unscored")
TODO = "todo"
EXCLUSION_KINDS = {"design": DESIGN, "quirk": QUIRK, "ill-formed": ILL}
# The only reasons a peer check may stay uncovered (``not_covered: <key>``, ``note:`` optional).
# Anything else a template can decide is ``todo`` until a cfncheck check covers it.
NOT_COVERED_REASONS = {
    "sam-only": "SAM-only: the check reads AWS::Serverless resources or the transform, which CDK "
                "never emits",
    "cfn-lint": "decided by cfn-lint's own rules (schema values, deprecated runtimes, "
                "attribute values); cfncheck runs alongside cfn-lint",
    "not-decidable": "not decidable from a template (needs the deployed account, the artifact or "
                     "a peer-specific convention)",
    "deprecated": "deprecated or retired service or platform (EC2-Classic, WAF Classic, ...)",
}
COVERAGE_PEERS = ("checkov", "guard")  # the coverage figures count these peers' checks


@dataclass
class Case:
    peer: str
    check: str  # peer check / rule id
    concern: str
    key: str  # "<oracle-relative file>" or "<file>#<Type.LogicalId>": the id used by the map
    file: str  # oracle-relative path of the template ("" for an inline case)
    resource: str | None  # "AWS::IAM::Role.RootRole" (per-resource peers) or None
    label: str  # the peer's own label: PASSED/FAILED/UNKNOWN, PASS/FAIL/SKIP, ...
    expected: str | None  # "FAIL" | "PASS" | None (not scored: UNKNOWN, intrinsic, ...)
    well_formed: bool = True
    quality: str = ""
    status: str = ""
    actual: str | None = None  # "FAIL" | "PASS" | None (not run / input error)
    findings: list = field(default_factory=list)  # "RULE@LogicalId" of mapped ids
    suppressed: list = field(default_factory=list)  # mapped findings suppressed (peer metadata)
    reason: str = ""
    inline: dict | None = None  # checkov inline case: the resource dict the test fed the check
    applicable: bool = True  # False: the peer label is about something cfncheck does not judge
    oracle: str = ""  # the oracle folder the case comes from (its name, e.g. "oracles-more")


class MapError(Exception):
    pass


# --------------------------------------------------------------------------- the mapping file

def load_map(path: Path = MAP_FILE) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise MapError(f"{path}: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("checks"), dict):
        raise MapError(f"{path}: expected a mapping with 'concerns' and 'checks'")
    concerns = data.get("concerns") or {}
    for peer, checks in data["checks"].items():
        if peer not in PEERS:
            raise MapError(f"{path}: unknown peer {peer!r} (expected one of {PEERS})")
        for cid, entry in (checks or {}).items():
            where = f"{path}: checks.{peer}.{cid}"
            if not isinstance(entry, dict) or entry.get("concern") not in concerns:
                raise MapError(f"{where}: needs a 'concern' listed under 'concerns'")
            kinds = [k for k in ("cfncheck", "not_covered", "todo") if entry.get(k)]
            if len(kinds) != 1:
                raise MapError(f"{where}: give exactly one of 'cfncheck' ids, a 'not_covered' "
                               "reason or a 'todo' note")
            if "not_covered" in entry and entry["not_covered"] not in NOT_COVERED_REASONS:
                raise MapError(f"{where}: 'not_covered' must be one of "
                               f"{', '.join(NOT_COVERED_REASONS)} (else use 'todo')")
    seen: set = set()
    for section in ("exclusions", "explained"):
        for i, item in enumerate(data.get(section) or []):
            if not isinstance(item, dict) or not item.get("case") or not item.get("reason") \
                    or not item.get("check"):
                raise MapError(f"{path}: {section}[{i}] needs 'check', 'case' and 'reason'")
            if section == "exclusions" and item.get("kind") not in EXCLUSION_KINDS:
                raise MapError(f"{path}: exclusions[{i}] needs 'kind': "
                               + " or ".join(EXCLUSION_KINDS))
            ident = (item.get("check"), item["case"])
            if ident in seen:
                raise MapError(f"{path}: {section}[{i}] {item['case']} is listed twice")
            seen.add(ident)
    return data


# --------------------------------------------------------------------------- oracle cases

def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise MapError(f"{path}: {e}") from e


def checkov_cases(root: Path, cmap: dict, meta: dict | None = None) -> list[Case]:
    out: list[Case] = []
    for exp_file in sorted(root.glob("checkov/*/expected.json")):
        exp = _read_json(exp_file)
        rel_dir = exp_file.parent.relative_to(root).as_posix()
        cid = exp["check_id"]
        if meta is not None:
            meta[("checkov", cid)] = _meta(exp, exp.get("resource_types"))
        quality = exp.get("file_quality") or {}
        for row in exp.get("results_by_file") or []:
            label = row["expected"]
            rel = f"{rel_dir}/{row['file']}"
            case = Case("checkov", cid, "", f"{rel}#{row['resource']}", rel, row["resource"],
                        label, {"FAILED": "FAIL", "PASSED": "PASS"}.get(label))
            q = quality.get(row["file"])
            if q and q.get("input_quality") in ILL_FORMED:
                lid = row["resource"].split(".", 1)[1]
                notes = q.get("cfn_lint_notes") or []
                named = [n for n in notes if f"Resources/{lid}/" in n or
                         n.split(" ", 1)[-1].startswith(f"Resources/{lid}:")]
                anyone = any(" Resources/" in n for n in notes)
                if named or not anyone:
                    case.well_formed = False
                    case.quality = f"{q['input_quality']}: {(named or notes or [''])[0]}"
            out.append(case)
        for i, inline in enumerate(exp.get("inline_cases") or []):
            rtype = inline["resource"].get("Type", "")
            out.append(Case("checkov", cid, "", f"{rel_dir}#inline[{i}]", "",
                            f"{rtype}.InlineCase{i}", inline["expected"],
                            {"FAILED": "FAIL", "PASSED": "PASS"}.get(inline["expected"]),
                            inline=inline["resource"]))
    return out


def guard_cases(root: Path, cmap: dict, meta: dict | None = None) -> list[Case]:
    out: list[Case] = []
    for exp_file in sorted(root.glob("guard/*/expected.json")):
        exp = _read_json(exp_file)
        rel_dir = exp_file.parent.relative_to(root).as_posix()
        if meta is not None:
            meta[("guard", exp["rule"])] = _meta(exp, None)
        for c in exp.get("cases") or []:
            rel = f"{rel_dir}/{c['file']}"
            label = c["expected"]
            # UNKNOWN: the upstream test and the engine disagree (no peer verdict)
            case = Case("guard", exp["rule"], "", rel, rel, None, label,
                        None if label == "UNKNOWN" else "FAIL" if label == "FAIL" else "PASS")
            if c.get("skip_reason") == "suppressed-by-metadata":
                case.quality = "suppressed-by-metadata"
            q = c.get("input_quality", "ok")
            if q in ILL_FORMED:
                case.well_formed = False
                notes = c.get("cfn_lint_notes") or []
                case.quality = f"{q}" + (f": {notes[0]}" if notes else "")
            out.append(case)
    return out


TYPE_RE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")


def _meta(exp: dict, types) -> dict:
    """What a peer check is about, for the coverage list: its resource types and service."""
    found = list(types or []) or sorted(set(TYPE_RE.findall(exp.get("semantics") or "")))
    services = sorted({t.split("::")[1] for t in found if t.count("::") == 2})
    return {"types": found, "service": services[0] if services else "General",
            "aspect": exp.get("aspect") or "", "semantics": exp.get("semantics") or ""}


def _literal(value) -> bool:
    return isinstance(value, str)


def retain_cases(root: Path, cmap: dict) -> list[Case]:
    folder = root / "cfnlint" / "retain_policies"
    exp_file = folder / "expected.json"
    if not exp_file.is_file():
        return []
    exp = _read_json(exp_file)
    stateful_file = root / "cfnlint" / "StatefulResources.json"
    stateful = set((_read_json(stateful_file).get("ResourceTypes") or {})
                   if stateful_file.is_file() else ())
    snapshot = set(cmap.get("retain", {}).get("snapshot_types") or ())
    out: list[Case] = []
    for row in exp.get("results_by_file") or []:
        rel = f"cfnlint/retain_policies/{row['file']}"
        rtype = row["resource"].split(".", 1)[0]
        labels = [r for r in ("I3011", "W3011", "E3035", "E3036") if r in row]
        if rtype not in stateful:
            check = next((r for r in labels if r in ("W3011", "E3035", "E3036")), labels[0])
            out.append(Case("cfn-lint", check, "", f"{rel}#{row['resource']}", rel,
                            row["resource"], f"{check}={row[check]}", None, applicable=False))
            continue
        check = "I3011" if "I3011" in row else labels[0]
        dp, urp = row.get("DeletionPolicy"), row.get("UpdateReplacePolicy")
        if (dp is not None and not _literal(dp)) or (urp is not None and not _literal(urp)):
            expected = None  # an intrinsic: the value depends on the deployment
        else:
            ok_delete = dp in RETAIN_DELETE or (dp == "Snapshot" and rtype in snapshot)
            ok_replace = urp in RETAIN_REPLACE or (urp == "Snapshot" and rtype in snapshot)
            expected = "PASS" if ok_delete and ok_replace else "FAIL"
        label = " ".join(f"{r}={row[r]}" for r in labels)
        label += f" (DeletionPolicy={json.dumps(dp)}, UpdateReplacePolicy={json.dumps(urp)})"
        out.append(Case("cfn-lint", check, "", f"{rel}#{row['resource']}", rel,
                        row["resource"], label, expected))
    return out


# --------------------------------------------------------------------------- running cfncheck

class Runner:
    """Scans each template once per stage and caches the findings."""

    def __init__(self, roots: dict, tmp: Path):
        self.roots = roots  # oracle folder name -> path
        self.tmp = tmp
        self.config = Config()
        # every pack: opt-in checks (house preferences) are scored against their peers too
        self.checks = collect_checks(self.config, packs=["all"])
        self.known_ids = {c.info.id for c in self.checks}
        self.cache: dict = {}
        self.input_errors: list[dict] = []
        self.crashes: list[dict] = []
        self.templates: set = set()

    def findings(self, case: Case, stage: str):
        """(findings, error) for the case's template scanned at ``stage``."""
        if case.file:
            path = self.roots[case.oracle] / case.file
            ident = f"{case.oracle}/{case.file}"
        else:  # checkov inline resource: written to a temporary template
            ident = case.key
            path = self.tmp / (case.key.replace("/", "_").replace("#", "_") + ".json")
            if not path.exists():
                lid = case.resource.split(".", 1)[1]
                path.write_text(json.dumps({"Resources": {lid: case.inline}}))
        ck = (ident, stage)
        if ck not in self.cache:
            self.templates.add(ident)
            self.cache[ck] = self._scan(path, ident, stage)
        return self.cache[ck]

    def _scan(self, path: Path, ident: str, stage: str):
        try:
            result = scan([path], self.config, stage=stage, checks=self.checks, jobs=1)
        except InputError as e:
            self.input_errors.append({"file": ident, "stage": stage, "error": str(e)})
            return [], str(e)
        except Exception as e:  # noqa: BLE001 - a crash is what we are looking for
            self.crashes.append({"file": ident, "stage": stage, "error": repr(e),
                                 "traceback": traceback.format_exc(limit=8)})
            return [], f"crash: {e!r}"
        if result.errors:
            msg = "; ".join(str(e) for e in result.errors)
            self.input_errors.append({"file": ident, "stage": stage, "error": msg})
            return result.findings, msg
        return result.findings, None



def _verdicts(findings):
    """(rule id, logical id, type, suppressed) per resource a finding names: a grouped finding
    names each of its related resources, a merged one each check it covers."""
    for f in findings:
        rules = (f.rule_id, *(c["rule_id"] for c in getattr(f, "covers", ())))
        members = getattr(f, "related", None) or [
            {"logical_id": f.logical_id, "resource_type": f.resource_type}]
        for rule_id in rules:
            for m in members:
                yield (rule_id, m["logical_id"], m["resource_type"],
                       bool(f.suppressed or m.get("suppressed")))

def evaluate(case: Case, entry: dict | None, runner: Runner, cmap: dict,
             excluded: dict, explained: dict) -> None:
    """Sets the case's status, actual verdict and findings."""
    if entry is None:
        runner.findings(case, cmap.get("default_stage") or "prod")
        case.status, case.reason = NOT_COVERED, "peer check not in the mapping file"
        return
    case.concern = entry["concern"]
    out_types = cmap.get("out_of_scope_types") or {}
    rtype = case.resource.split(".", 1)[0] if case.resource else None
    stage = entry.get("stage") or cmap.get("default_stage") or "prod"
    findings, error = runner.findings(case, stage)  # every template runs: crashes count
    if "not_covered" in entry:
        case.status = NOT_COVERED
        case.reason = NOT_COVERED_REASONS[entry["not_covered"]] + (
            f" ({str(entry['note']).strip()})" if entry.get("note") else "")
        return
    if "todo" in entry:
        case.status, case.reason = TODO, str(entry["todo"]).strip()
        return
    if not case.applicable:
        case.status = NOT_COVERED
        case.reason = str(cmap.get("retain", {}).get("not_stateful") or "not applicable").strip()
        return
    for pattern, why in out_types.items():
        if rtype and _glob(rtype, pattern):
            case.status, case.reason = NOT_COVERED, why
            return
    ids = set(entry["cfncheck"])
    types = entry.get("types")
    lid = case.resource.split(".", 1)[1] if case.resource else None
    hits, sup = [], []
    for rule_id, f_lid, f_type, suppressed in _verdicts(findings):
        if rule_id not in ids:
            continue
        if lid is not None and f_lid != lid:
            continue
        if types and not any(_glob(f_type or "", t) for t in types):
            continue
        (sup if suppressed else hits).append(f"{rule_id}@{f_lid}")
    case.findings, case.suppressed = sorted(set(hits)), sorted(set(sup))
    case.actual = "FAIL" if hits else "PASS"
    if error and not findings:
        case.actual = None
        case.reason = f"input error: {error}"
    key = (case.check, case.key)
    if case.expected is None:
        case.status = UNSCORED
        case.reason = case.reason or f"peer label {case.label} is not a verdict"
    elif not case.well_formed:
        case.status = ILL
        case.reason = case.reason or case.quality
    elif key in excluded:
        case.status, case.reason = excluded[key]
    elif rtype and any(_glob(rtype, t) for t in entry.get("by_design_types") or {}):
        why = next(v for t, v in entry["by_design_types"].items() if _glob(rtype, t))
        case.status, case.reason = DESIGN, str(why).strip()
    elif case.actual == case.expected:
        case.status = AGREE
    else:
        case.status = DISAGREE
        case.reason = explained.get(key, "")


def _glob(value: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


# --------------------------------------------------------------------------- the report

def run(oracle_dirs, map_file: str | Path = MAP_FILE) -> dict:
    """Runs every oracle case of every folder; returns the report (also what ``--json`` writes).

    ``oracle_dirs``: one folder or a list (``../shared/oracles``, ``../shared/oracles-more``)."""
    if isinstance(oracle_dirs, (str, Path)):
        oracle_dirs = [oracle_dirs]
    roots: dict = {}
    for d in oracle_dirs:
        root = Path(d)
        if not root.is_dir():
            raise MapError(f"{root}: not a folder")
        name = root.resolve().name
        if name in roots:
            raise MapError(f"{root}: two oracle folders named {name!r}")
        roots[name] = root
    cmap = load_map(Path(map_file))
    started = time.monotonic()
    cases: list[Case] = []
    meta: dict = {}
    for name, root in roots.items():
        found = (checkov_cases(root, cmap, meta) + guard_cases(root, cmap, meta)
                 + retain_cases(root, cmap))
        if not found:
            raise MapError(f"{root}: no oracle cases found (expected checkov/, guard/, cfnlint/)")
        for c in found:
            c.oracle = name
        cases.extend(found)
    excluded = {(e["check"], e["case"]): (EXCLUSION_KINDS[e["kind"]], e["reason"])
                for e in cmap.get("exclusions") or []}
    explained = {(e.get("check"), e["case"]): e["reason"] for e in cmap.get("explained") or []}
    with tempfile.TemporaryDirectory(prefix="cfncheck-conformance-") as tmp:
        runner = Runner(roots, Path(tmp))
        unknown_ids = sorted({i for checks in cmap["checks"].values()
                              for e in (checks or {}).values() for i in e.get("cfncheck") or ()
                              if i not in runner.known_ids})
        if unknown_ids:
            raise MapError(f"{map_file}: unknown cfncheck ids {unknown_ids}")
        for case in cases:
            entry = (cmap["checks"].get(case.peer) or {}).get(case.check)
            evaluate(case, entry, runner, cmap, excluded, explained)
    for case in cases:
        if not case.concern:
            entry = (cmap["checks"].get(case.peer) or {}).get(case.check) or {}
            case.concern = entry.get("concern", "unmapped")
    used = {(c.check, c.key) for c in cases}
    stale = sorted(f"{k[0]} {k[1]}" for k in (*excluded, *explained) if k not in used)
    present = {(c.peer, c.check) for c in cases}
    stale += sorted(f"{peer} {cid} (in the map, in no oracle folder)"
                    for peer, checks in cmap["checks"].items() for cid in (checks or {})
                    if peer in COVERAGE_PEERS and (peer, cid) not in present)
    explained_unused = sorted(f"{c.check} {c.key}" for c in cases
                              if (c.check, c.key) in explained and c.status != DISAGREE)
    excluded_agreeing = sorted(f"{c.check} {c.key}" for c in cases
                               if (c.check, c.key) in excluded and c.actual == c.expected)
    rows = summarize(cases, cmap)
    return {
        "oracle_dirs": [str(r) for r in roots.values()],
        "seconds": round(time.monotonic() - started, 1),
        "templates_scanned": len(runner.templates),
        "concerns": rows,
        "total": total_row(rows),
        "coverage": coverage(cases, cmap, meta),
        "disagreements": [asdict(c) for c in cases if c.status == DISAGREE],
        "unexplained": [f"{c.check} {c.key}" for c in cases
                        if c.status == DISAGREE and not c.reason],
        "stale_map_entries": stale + [f"{s} (explained, but it agrees now)"
                                      for s in explained_unused]
        + [f"{s} (excluded, but cfncheck agrees with the peer)" for s in excluded_agreeing],
        "input_errors": runner.input_errors,
        "crashes": runner.crashes,
        "cases": [asdict(c) for c in cases],
    }


def coverage(cases: list[Case], cmap: dict, meta: dict) -> dict:
    """Per peer: how many of its checks are mapped, not covered (by reason) or still to do;
    the to-do checks by service; the by-design share of the mapped, scored cases."""
    checks: dict = defaultdict(dict)
    for c in cases:
        if c.peer in COVERAGE_PEERS:
            checks[c.peer].setdefault(c.check, []).append(c)
    out: dict = {"peers": {}, "todo": defaultdict(list), "not_covered": defaultdict(list)}
    for peer in COVERAGE_PEERS:
        ids = checks.get(peer) or {}
        entries = cmap["checks"].get(peer) or {}
        mapped = sorted(i for i in ids if (entries.get(i) or {}).get("cfncheck"))
        not_cov = sorted(i for i in ids if (entries.get(i) or {}).get("not_covered"))
        todo = sorted(i for i in ids if i not in mapped and i not in not_cov)
        reasons = Counter(entries[i]["not_covered"] for i in not_cov)
        design = sum(1 for i in mapped for c in ids[i] if c.status in (DESIGN, QUIRK))
        scored = sum(1 for i in mapped for c in ids[i]
                     if c.status in (AGREE, DISAGREE, DESIGN, QUIRK))
        out["peers"][peer] = {
            "checks": len(ids), "mapped": len(mapped), "not_covered": len(not_cov),
            "todo": len(todo), "coverage": _pct(len(mapped), len(ids)),
            "not_covered_by_reason": dict(sorted(reasons.items())),
            "mapped_cases": scored, "by_design_or_quirk": design,
            "by_design_share": _pct(design, scored),
        }
        for i in todo:
            m = meta.get((peer, i)) or {}
            entry = entries.get(i) or {}
            out["todo"][m.get("service", "General")].append({
                "peer": peer, "id": i, "types": m.get("types") or [],
                "aspect": m.get("aspect", ""), "concern": entry.get("concern", "unmapped"),
                "note": str(entry.get("todo") or "not in the mapping file").strip()})
        for i in not_cov:
            out["not_covered"][entries[i]["not_covered"]].append(f"{peer} {i}")
    out["todo"] = {k: out["todo"][k] for k in sorted(out["todo"], key=str.lower)}
    out["not_covered"] = dict(sorted(out["not_covered"].items()))
    return out


def summarize(cases: list[Case], cmap: dict) -> list[dict]:
    names = cmap.get("concerns") or {}
    counts: dict = defaultdict(Counter)
    for c in cases:
        counts[c.concern][c.status] += 1
        counts[c.concern]["cases"] += 1
    rows = []
    for concern in [*names, *sorted(set(counts) - set(names))]:
        n = counts.get(concern)
        if not n:
            continue
        scored = n[AGREE] + n[DISAGREE]
        rows.append({
            "concern": concern, "title": names.get(concern, concern), "cases": n["cases"],
            "scored": scored, "agree": n[AGREE], "disagree": n[DISAGREE],
            "agreement": _pct(n[AGREE], scored),
            "by_design": n[DESIGN], "peer_quirk": n[QUIRK],
            "raw_agreement": _pct(n[AGREE], scored + n[DESIGN] + n[QUIRK]),
            "ill_formed": n[ILL], "unscored": n[UNSCORED], "not_covered": n[NOT_COVERED],
            "todo": n[TODO],
        })
    return rows


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def total_row(rows: list[dict]) -> dict:
    keys = ("cases", "scored", "agree", "disagree", "by_design", "peer_quirk", "ill_formed",
            "unscored", "not_covered", "todo")
    t = {k: sum(r[k] for r in rows) for k in keys}
    t["agreement"] = _pct(t["agree"], t["scored"])
    t["raw_agreement"] = _pct(t["agree"], t["scored"] + t["by_design"] + t["peer_quirk"])
    return {"concern": "total", "title": "total", **t}


COLUMNS = ("concern", "cases", "agree", "disagree", "agreement", "differs by design",
           "peer quirk", "agreement incl. both", "ill-formed input", "no peer verdict",
           "not covered", "to do")


def markdown_table(report: dict) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "| " + " | ".join(
        ["---"] + ["---:"] * (len(COLUMNS) - 1)) + " |"]
    for r in [*report["concerns"], report["total"]]:
        name = f"**{r['title']}**" if r["concern"] == "total" else r["title"]
        cells = [name, r["cases"], r["agree"], r["disagree"], _fmt(r["agreement"]),
                 r["by_design"], r["peer_quirk"], _fmt(r["raw_agreement"]), r["ill_formed"],
                 r["unscored"], r["not_covered"], r["todo"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def coverage_table(report: dict) -> str:
    cov = report["coverage"]["peers"]
    lines = ["| peer | checks | mapped | coverage | not covered (reason) | to do | "
             "by design or quirk / mapped cases |",
             "| --- | ---: | ---: | ---: | --- | ---: | ---: |"]
    for peer, r in cov.items():
        reasons = ", ".join(f"{k} {v}" for k, v in r["not_covered_by_reason"].items()) or "-"
        lines.append(f"| {peer} | {r['checks']} | {r['mapped']} | {_fmt(r['coverage'])} | "
                     f"{r['not_covered']} ({reasons}) | {r['todo']} | "
                     f"{r['by_design_or_quirk']} / {r['mapped_cases']} "
                     f"({_fmt(r['by_design_share'])}) |")
    return "\n".join(lines)


def todo_markdown(report: dict) -> str:
    """bench/coverage_todo.md: the peer checks no cfncheck check covers yet, by service."""
    todo = report["coverage"]["todo"]
    n = sum(len(v) for v in todo.values())
    out = ["# Peer checks not covered yet, by service", "",
           "Generated by `bench/conformance.py ../shared/oracles ../shared/oracles-more --write` "
           "from `bench/conformance_map.yaml` (entries marked `todo`). One line per peer check:",
           "`- <peer> <id> | <resource types> | <concern> | <aspect> | <note>`. When a check "
           "covers one, map it in the map (`cfncheck: [ID]`) and regenerate.", "",
           f"{n} peer checks in {len(todo)} services.", ""]
    for service, rows in todo.items():
        out.append(f"## {service}")
        out.append("")
        for r in sorted(rows, key=lambda r: (r["peer"], r["id"])):
            out.append(f"- {r['peer']} {r['id']} | {', '.join(r['types']) or '-'} | "
                       f"{r['concern']} | {r['aspect'] or '-'} | {r['note']}")
        out.append("")
    return "\n".join(out)


DOC_BEGIN = "<!-- conformance-table:begin (generated by bench/conformance.py --write) -->"
DOC_END = "<!-- conformance-table:end -->"
DOC_FILE = REPO / "docs" / "conformance.md"
TODO_FILE = Path(__file__).with_name("coverage_todo.md")


def docs_block(report: dict) -> str:
    return "\n".join([DOC_BEGIN, "", markdown_table(report), "", "Coverage of the peers' checks:",
                      "", coverage_table(report), "", DOC_END])


def render_docs(report: dict, text: str) -> str:
    """docs/conformance.md with its generated block replaced."""
    if DOC_BEGIN not in text or DOC_END not in text:
        raise MapError(f"{DOC_FILE}: the generated-table markers are missing")
    head, rest = text.split(DOC_BEGIN, 1)
    return head + docs_block(report) + rest.split(DOC_END, 1)[1]


def _fmt(pct: float | None) -> str:
    return "-" if pct is None else f"{pct:.1f}%"


def failures(report: dict, min_agreement: float, min_coverage: float = 0.0) -> list[str]:
    out = []
    for peer, r in report["coverage"]["peers"].items():
        if r["coverage"] is not None and r["coverage"] < min_coverage:
            out.append(f"{peer}: coverage {r['coverage']}% < {min_coverage}%")
    for r in report["concerns"]:
        if r["agreement"] is not None and r["agreement"] < min_agreement:
            out.append(f"{r['concern']}: agreement {r['agreement']}% < {min_agreement}%")
    out += [f"crash on {c['file']}: {c['error']}" for c in report["crashes"]]
    if report["unexplained"]:
        out.append(f"{len(report['unexplained'])} disagreement(s) not explained in the map")
    return out


def print_report(report: dict, min_agreement: float, verbose: bool, out=None) -> None:
    out = out or sys.stdout
    p = lambda s="": print(s, file=out)  # noqa: E731
    p(markdown_table(report))
    p()
    p(coverage_table(report))
    p()
    p(f"{report['templates_scanned']} templates scanned in {report['seconds']} s; "
      f"{len(report['input_errors'])} input errors, {len(report['crashes'])} crashes.")
    if report["disagreements"]:
        p()
        p(f"Disagreements ({len(report['disagreements'])}):")
        for d in report["disagreements"]:
            got = ", ".join(d["findings"]) or "no finding"
            p(f"  [{d['concern']}] {d['peer']} {d['check']} {d['key']}: peer {d['label']}, "
              f"cfncheck {d['actual'] or 'error'} ({got})")
            p(f"      {'reason: ' + d['reason'] if d['reason'] else 'UNEXPLAINED'}")
    if verbose:
        for title, status in (("Differs by design", DESIGN), ("Peer quirk", QUIRK),
                              ("Ill-formed input", ILL)):
            rows = [c for c in report["cases"] if c["status"] == status]
            if rows:
                p()
                p(f"{title} ({len(rows)}):")
                for c in rows:
                    p(f"  {c['check']} {c['key']}: peer {c['label']}, cfncheck {c['actual']}"
                      f" - {c['reason']}")
    if report["input_errors"]:
        p()
        p(f"Input errors ({len(report['input_errors'])}: clear errors, not crashes):")
        groups: dict = defaultdict(list)
        for e in report["input_errors"]:
            groups[e["error"].split(": ", 1)[-1]].append(e["file"])
        for message, files in groups.items():
            more = f" and {len(files) - 1} more" if len(files) > 1 else ""
            p(f"  {message}: {files[0]}{more}")
    for c in report["crashes"]:
        p(f"CRASH {c['file']}:\n{c['traceback']}")
    for s in report["stale_map_entries"]:
        p(f"note: stale map entry: {s}")
    bad = report.get("failures") or failures(report, min_agreement)
    p()
    p("FAILED: " + "; ".join(bad) if bad else
      f"OK: every concern at or above {min_agreement}% agreement on scored cases, "
      "every disagreement explained, no crash.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("oracle_dirs", nargs="+", metavar="oracle_dir",
                    help="oracle folders (../shared/oracles ../shared/oracles-more)")
    ap.add_argument("--map", default=str(MAP_FILE), help="mapping file (default: %(default)s)")
    ap.add_argument("--min-agreement", type=float, default=95.0,
                    help="minimum agreement per concern, in percent (default: %(default)s)")
    ap.add_argument("--json", metavar="FILE", help="also write the full report as JSON "
                    "('-' for stdout, then the table is not printed)")
    ap.add_argument("--min-coverage", type=float, default=0.0,
                    help="minimum share of each peer's checks mapped, in percent "
                         "(default: %(default)s)")
    ap.add_argument("--write", action="store_true",
                    help="regenerate the table in docs/conformance.md and bench/coverage_todo.md")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list excluded and ill-formed cases")
    args = ap.parse_args(argv)
    try:
        report = run(args.oracle_dirs, args.map)
        if args.write:
            DOC_FILE.write_text(render_docs(report, DOC_FILE.read_text()))
            TODO_FILE.write_text(todo_markdown(report))
    except MapError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report["min_agreement"] = args.min_agreement
    report["failures"] = failures(report, args.min_agreement, args.min_coverage)
    if args.json == "-":
        json.dump(report, sys.stdout, indent=1, default=str)
        print()
    else:
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=1, default=str))
        print_report(report, args.min_agreement, args.verbose)
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
