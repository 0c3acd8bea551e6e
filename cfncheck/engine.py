"""The scan pipeline: assembly -> stages -> graph -> checks -> findings.

:func:`scan` is what the CLI, the CDK plugin and the tests call. It loads every path, assigns
stages, builds the cross-stack graph once, runs every enabled check (cfn-lint rule classes and
YAML policies through the same :class:`~cfncheck.checks.Check` interface), turns the hits into
findings with locations, applies suppressions and returns a :class:`ScanResult`.
"""

from __future__ import annotations

import functools
import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .assembly import LoadResult, Stack, load
from .checks import Check, CheckInfo, Hit, ScanContext
from .config import Config
from .errors import InputError
from .findings import SEVERITY_RANK, Finding, at_or_above, resource_fingerprint
from .graph import Graph
from .stages import UNKNOWN, assign_stages


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stacks: list[Stack] = field(default_factory=list)
    checks: list[CheckInfo] = field(default_factory=list)
    peer_suppressions: list[dict] = field(default_factory=list)  # see suppressions.py
    baseline: dict | None = None  # {"file", "matched", "new", "stale"} after --baseline
    config: str | None = None  # the config file used (display path), None for defaults
    graph: object = None  # the cross-stack Graph the checks ran on (the HTML report draws it)

    def gate(self, fail_on: str) -> list[Finding]:
        """Unsuppressed findings at or above the threshold."""
        if fail_on == "never":
            return []
        return [f for f in self.findings if not f.suppressed and at_or_above(f.severity, fail_on)]


def collect_checks(config: Config, policy_dirs: Iterable[str | Path] = (),
                   packs: Iterable[str] | None = None) -> list[Check]:
    """Every enabled check of the selected packs (``packs``, else the config's ``packs:``,
    else ``recommended``; see :mod:`cfncheck.packs`): the rule pack and the policies
    (built-in and extra folders)."""
    from .packs import in_packs
    from .packs import validate as validate_packs
    from .policy import load_policy_checks
    from .rules import all_rules

    checks: list[Check] = list(all_rules())
    checks.extend(load_policy_checks(config, [*config.policy_dirs, *map(Path, policy_dirs)]))
    seen: dict[str, Check] = {}
    for c in checks:
        if c.info.id in seen:
            raise InputError(f"check id {c.info.id} is defined twice "
                             f"({seen[c.info.id].info.source_file} and {c.info.source_file})",
                             c.info.source_file, kind="policy")
        seen[c.info.id] = c
    from .config import check_references
    from .suppressions import BUILTIN_CHECKS

    check_references(config, checks, [i.id for i in BUILTIN_CHECKS])
    try:
        names = validate_packs(list(packs or ()) or config.packs)
    except InputError as e:
        if config.path and not packs:
            raise InputError(e.message, str(config.path), config.line(["packs"]),
                             kind="config") from None
        raise
    chosen = []
    for c in checks:
        if in_packs(c.info, names):  # a pack selects it (`all` and framework packs: opt-in too)
            if config.enabled(c.info.id):
                chosen.append(c)
        elif c.info.opt_in and config.enabled(c.info.id, True):  # rules.enable / --check
            chosen.append(c)
    return chosen


def scan(paths: list[str | Path], config: Config | None = None, stage: str | None = None,
         checks: list[Check] | None = None, policy_dirs: Iterable[str | Path] = (),
         jobs: int | None = None, timeout: float | None = None,
         progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Load, check and report. ``jobs``: worker processes (default: the number of cores);
    ``timeout``: seconds per template (default: config ``template_timeout``, else 60); see
    :mod:`cfncheck.parallel`. ``progress(done, total)`` is called as work units finish."""
    config = config or Config()
    # The parsed templates are millions of long-lived objects: the cyclic collector would scan
    # them again and again while they are built, for nothing (they are trees).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if checks is None:  # a config mistake fails before the (long) load
            checks = collect_checks(config, policy_dirs)
        loaded = load(unique_paths(paths),
                      max_template_bytes=config.data.get("max_template_bytes"))
        result = evaluate(loaded, config, checks, stage, jobs=jobs, timeout=timeout,
                          progress=progress)
        result.config = display_path(config.path) if config.path else None
        return result
    finally:
        if gc_was_enabled:
            gc.enable()


def evaluate(loaded: LoadResult, config: Config, checks: list[Check],
             stage: str | None = None, jobs: int | None = None,
             timeout: float | None = None,
             progress: Callable[[int, int], None] | None = None) -> ScanResult:
    stacks = loaded.stacks
    assign_stages(stacks, stage, config.stages, config.stage_tokens)
    result = ScanResult(errors=list(loaded.errors), notes=list(loaded.notes), stacks=stacks,
                        checks=[c.info for c in checks])
    unknown = [s.name for s in stacks if s.stage == UNKNOWN and s.parent is None]
    if unknown:
        result.notes.append(f"{len(unknown)} stack(s) have no known stage (checks limited to "
                            f"a stage skip them): {', '.join(unknown[:5])}"
                            + (" ..." if len(unknown) > 5 else ""))
    graph = Graph(stacks)
    result.graph = graph
    from .policy.check import link_supersessions

    link_supersessions([c for c in checks if hasattr(c, "supersedes")])
    ctx = ScanContext(stacks=stacks, graph=graph, config=config, notes=result.notes,
                      check_ids=frozenset(c.info.id for c in checks))
    from .parallel import run_checks

    findings, timeouts = run_checks(checks, result.checks, ctx, config, to_finding,
                                    jobs=jobs, timeout=timeout, progress=progress)
    result.findings = findings
    result.errors.extend(timeouts)
    from .suppressions import apply_suppressions

    apply_suppressions(result.findings, stacks, config, result)
    result.findings = merge_families(result.findings, result.checks)
    # A total order, so the output does not depend on which process found what first.
    result.findings.sort(key=lambda f: (f.sort_key(), f.message, f.fingerprint))
    return result


def to_finding(info: CheckInfo, hit: Hit, config: Config) -> Finding:
    stack = hit.stack
    line, column = stack.template.locate(hit.path)
    res = stack.resources.get(hit.logical_id) if hit.logical_id else None
    rtype = res.get("Type") if isinstance(res, dict) else None
    return Finding(
        rule_id=info.id,
        severity=config.severity(info.id, hit.severity or info.severity),
        title=info.title,
        message=hit.message,
        remediation=hit.remediation or info.remediation,
        stage=stack.stage,
        stack=stack.name,
        assembly_path=stack.assembly_path,
        template=stack.template_rel,
        logical_id=hit.logical_id,
        resource_type=rtype if isinstance(rtype, str) else None,
        construct_path=stack.construct_path(hit.logical_id) if hit.logical_id else None,
        file=display_path(stack.template.path),
        line=line,
        column=column,
        path=hit.path,
        key=hit.key,
        docs_url=info.docs_url,
        category=info.category,
        related=[related_location(info, *member) for member in hit.related],
    )


def related_location(info: CheckInfo, stack: Stack, logical_id: str | None,
                     key: str | None = None) -> dict:
    """One affected resource of a grouped finding, located like a primary location. With the
    ``key`` its own finding would have had, ``fingerprint`` is that finding's fingerprint
    (baselines recorded before the check grouped its findings match through it)."""
    res = stack.resources.get(logical_id) if logical_id else None
    rtype = res.get("Type") if isinstance(res, dict) else None
    line, _ = stack.template.locate(("Resources", logical_id) if logical_id else ("Resources",))
    cpath = stack.construct_path(logical_id) if logical_id else None
    out = {"logical_id": logical_id, "resource_type": rtype if isinstance(rtype, str) else None,
           "construct_path": cpath, "stack": stack.name,
           "file": display_path(stack.template.path), "line": line}
    if key is not None:
        out["fingerprint"] = resource_fingerprint(info.id, stack.assembly_path, stack.name,
                                                  cpath, logical_id, key)
    return out


def merge_families(findings: list[Finding], infos: list[CheckInfo]) -> list[Finding]:
    """One finding per resource for checks of one combine family (``CheckInfo.combine``).

    The three Lambda alarm policies are one root cause when a function has no alarms at all:
    their unsuppressed findings on the same resource become one finding carried by the lowest
    id, naming every missing label (``combine.message`` with ``{labels}``), the most severe
    severity, and ``covers`` listing the other ids and fingerprints. Suppressed findings are
    left alone, so a suppression of any one id still accepts exactly that part.
    """
    families = {i.id: i.combine for i in infos if i.combine}
    if not families:
        return findings
    groups: dict[tuple, list[Finding]] = {}
    out: list[Finding] = []
    for f in findings:
        fam = families.get(f.rule_id)
        if fam is None or f.suppressed or f.related or f.logical_id is None:
            out.append(f)
            continue
        groups.setdefault((fam["family"], f.assembly_path, f.stack, f.logical_id), []).append(f)
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        members.sort(key=lambda f: f.rule_id)
        carrier = members[0]
        labels = [families[f.rule_id].get("label") or f.rule_id for f in members]
        text = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        template = families[carrier.rule_id].get("message") or "{message}"
        carrier.message = (template.replace("{labels}", text)
                           .replace("{logical_id}", carrier.logical_id or "")
                           .replace("{type}", carrier.resource_type or "")
                           .replace("{message}", carrier.message)
                           + " (" + ", ".join(f.rule_id for f in members) + ")")
        worst = max(members, key=lambda f: SEVERITY_RANK[f.severity])
        carrier.severity = worst.severity
        carrier.covers = [{"rule_id": f.rule_id, "fingerprint": f.fingerprint}
                          for f in members[1:]]
        out.append(carrier)
    return out


def unique_paths(paths) -> list:
    """The paths in order, each file or folder once (``cdk.out`` and ``./cdk.out/`` are the
    same): scanning it twice would double every finding."""
    out, seen = [], set()
    for p in paths:
        try:
            key = Path(p).resolve()
        except (OSError, RuntimeError):
            key = p
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def display_path(path: Path | str) -> str:
    """A path as shown to the user: relative to the current folder when inside it, else
    absolute (never ``../..``, which depends on where the command ran from)."""
    return _display_path(str(path), os.getcwd())


@functools.lru_cache(maxsize=4096)
def _display_path(path: str, cwd: str) -> str:  # one per template, asked once per finding
    path = Path(path)
    try:
        absolute = Path(os.path.abspath(path))
        return str(absolute.relative_to(cwd))
    except (ValueError, OSError):
        return str(absolute) if "absolute" in locals() else str(path)
