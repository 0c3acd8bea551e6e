"""``cfncheck policy test``: run each policy's test cases (expected PASS/FAIL/SKIP per resource).

A policy ``<folder>/<name>.yaml`` has its tests in ``<folder>/tests/<name>.yaml`` (validated
against ``policies/policy-tests.schema.json``). Each case is a template (inline, or a file next
to the tests file, e.g. a CDK-synthesized snippet), an optional stage, stack tags and parameter
overrides, and the expected verdict per logical id. The case is evaluated exactly as a scan
would (a one-stack graph, the policy's :meth:`~cfncheck.policy.check.PolicyCheck.verdict`), and
a failing resource's finding location is computed too, so a bad path shows up here.

Every policy must have tests with at least one PASS and one FAIL resource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..assembly import Stack
from ..checks import ScanContext
from ..config import Config
from ..errors import InputError
from ..graph import Graph, Node
from ..template import load_template, parse_template
from ..yamlio import line_of, load_yaml_file
from .check import PolicyCheck, RunState
from .loader import (
    builtin_dir,
    load_policy_file,
    policy_files,
    schema_error,
    tests_files,
    tests_schema,
    yaml_files,
)


@dataclass
class PolicyResult:
    policy: PolicyCheck
    test_files: list = field(default_factory=list)
    cases: int = 0
    checked: int = 0  # resources compared
    expected: set = field(default_factory=set)  # verdicts expected somewhere (PASS/FAIL/SKIP)
    problems: list = field(default_factory=list)  # human-readable mismatch lines

    @property
    def ok(self) -> bool:
        return not self.problems


def collect(paths) -> tuple[list[PolicyCheck], list[Path]]:
    """Policies and tests files for the given paths (default: the built-in pack)."""
    policies: list[PolicyCheck] = []
    tests: list[Path] = []
    for raw in (paths or [builtin_dir()]):
        p = Path(raw)
        if p.is_dir():
            if p.name == "tests" and _looks_like_tests(p):
                tests.extend(yaml_files(p))
                policies.extend(load_policy_file(f) for f in policy_files(p.parent))
                continue
            policies.extend(load_policy_file(f) for f in policy_files(p))
            tests.extend(tests_files(p))
        elif p.is_file():
            data, _ = load_yaml_file(p)
            if isinstance(data, dict) and "cases" in data:
                tests.append(p)
                folder = p.parent.parent if p.parent.name == "tests" else p.parent
                own = folder / p.name
                if own.is_file():
                    policies.append(load_policy_file(own))
                else:
                    policies.extend(load_policy_file(f) for f in policy_files(folder))
            else:
                policies.append(load_policy_file(p))
                t = p.parent / "tests" / p.name
                if t.is_file():
                    tests.append(t)
        else:
            raise InputError("no such file or folder", str(p), kind="policy")
    return _unique(policies, lambda c: c.info.source_file), _unique(tests, str)


def _looks_like_tests(folder: Path) -> bool:
    for f in yaml_files(folder):
        data, _ = load_yaml_file(f)
        return isinstance(data, dict) and "cases" in data
    return False


def _unique(items, key) -> list:
    seen, out = set(), []
    for it in items:
        k = key(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out


def run_tests(policies: list[PolicyCheck], test_files: list[Path],
              require_tests: bool = True) -> list[PolicyResult]:
    by_id: dict[str, PolicyResult] = {}
    for pol in policies:
        if pol.info.id in by_id:
            raise InputError(f"policy id {pol.info.id} is defined twice (also in "
                             f"{by_id[pol.info.id].policy.info.source_file})",
                             pol.info.source_file, kind="policy")
        by_id[pol.info.id] = PolicyResult(pol)
    for tf in test_files:
        data, node = load_yaml_file(tf)
        err = schema_error(data, tests_schema(), str(tf), node, "policy tests")
        if err is not None:
            raise err
        result = by_id.get(data["policy"])
        if result is None:
            raise InputError(f"tests for unknown policy {data['policy']!r}", str(tf),
                             line_of(node, ["policy"]), kind="policy")
        result.test_files.append(tf)
        for i, case in enumerate(data["cases"]):
            _run_case(result, tf, case, line_of(node, ["cases", i]))
    for result in by_id.values():
        if not require_tests:
            continue
        if not result.test_files:
            result.problems.append("no tests (expected tests/"
                                   f"{Path(result.policy.info.source_file).name})")
            continue
        for verdict in ("PASS", "FAIL"):
            if verdict not in result.expected:
                result.problems.append(f"no test case expects {verdict} for any resource")
    return list(by_id.values())


def case_stack(tf: Path, case: dict) -> Stack:
    """The one-stack 'assembly' of a test case."""
    if "file" in case:
        tpl = load_template(tf.parent / case["file"])
        rel = case["file"]
    else:
        name = f"{tf}#{case['name']}"
        tpl = parse_template(json.dumps(case["template"], indent=1).encode(), name)
        rel = name
    stack = Stack(name=f"test/{case['name']}", template=tpl, template_rel=rel, root=tf.parent,
                  stack_name="test", tags=dict(case.get("stack_tags") or {}))
    stack.stage = case.get("stage", "dev")
    stack.stage_source = "policy test case"
    return stack


def _run_case(result: PolicyResult, tf: Path, case: dict, line: int | None) -> None:
    pol = result.policy
    result.cases += 1
    where = f"{tf.name}:{line or '?'} case {case['name']!r}"
    try:
        stack = case_stack(tf, case)
    except InputError as e:
        raise InputError(f"case {case['name']!r}: {e.message}", e.file or str(tf),
                         e.line or line, kind="policy") from None
    config = Config({"parameters": {pol.info.id: dict(case.get("parameters") or {})}})
    graph = Graph([stack])
    state = RunState(ScanContext([stack], graph, config), pol)
    reasons = case.get("reason") or {}
    for lid, expected in case["expect"].items():
        result.expected.add(expected)
        if lid not in stack.resources:
            result.problems.append(f"{where}: no resource {lid!r} in the template")
            continue
        result.checked += 1
        v = pol.verdict(state, Node(stack, lid))
        if v.status != expected:
            why = f" ({v.reason})" if v.reason else ""
            result.problems.append(f"{where}: {lid}: expected {expected}, got {v.status}{why}")
            continue
        if v.hit is not None:
            stack.template.locate(v.hit.path)
        want = reasons.get(lid)
        if want and want not in (v.reason or ""):
            result.problems.append(f"{where}: {lid}: reason {v.reason!r} does not contain "
                                   f"{want!r}")
        want = (case.get("severity") or {}).get(lid)
        if want and v.hit is not None and pol.severity_of(v.hit) != want:
            result.problems.append(f"{where}: {lid}: severity {pol.severity_of(v.hit)}, "
                                   f"expected {want}")
        elif want and v.hit is None:
            result.problems.append(f"{where}: {lid}: severity {want} expected of a finding, "
                                   f"but the resource has none ({v.status})")
        want = (case.get("message") or {}).get(lid)
        if want and (v.hit is None or want not in v.hit.message):
            result.problems.append(f"{where}: {lid}: message "
                                   f"{v.hit.message if v.hit else None!r} does not contain "
                                   f"{want!r}")
