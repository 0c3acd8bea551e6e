"""The scan pipeline: assembly -> stages -> graph -> checks -> findings.

:func:`scan` is what the CLI, the CDK plugin and the tests call. It loads every path, assigns
stages, builds the cross-stack graph once, runs every enabled check (cfn-lint rule classes and
YAML policies through the same :class:`~cfncheck.checks.Check` interface), turns the hits into
findings with locations, applies suppressions and returns a :class:`ScanResult`.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .assembly import LoadResult, Stack, load
from .checks import Check, CheckInfo, Hit, ScanContext
from .config import Config
from .errors import InputError
from .findings import Finding, at_or_above
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
    from .packs import select
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
    try:
        chosen = select(checks, list(packs or ()) or config.packs)
    except InputError as e:
        if config.path and not packs:
            raise InputError(e.message, str(config.path), config.line(["packs"]),
                             kind="config") from None
        raise
    return [c for c in chosen if config.enabled(c.info.id)]


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
        loaded = load(paths, max_template_bytes=config.data.get("max_template_bytes"))
        if checks is None:
            checks = collect_checks(config, policy_dirs)
        return evaluate(loaded, config, checks, stage, jobs=jobs, timeout=timeout,
                        progress=progress)
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
    ctx = ScanContext(stacks=stacks, graph=graph, config=config, notes=result.notes)
    from .parallel import run_checks

    findings, timeouts = run_checks(checks, result.checks, ctx, config, to_finding,
                                    jobs=jobs, timeout=timeout, progress=progress)
    result.findings = findings
    result.errors.extend(timeouts)
    from .suppressions import apply_suppressions

    apply_suppressions(result.findings, stacks, config, result)
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
    )


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith(".." + os.sep + "..") else rel
