"""Relationship assertions over the resource graph (:mod:`cfncheck.graph`).

* ``referenced_by: {type, path, where, count_gte, count_lte}``: resources of ``type`` whose
  property under ``path`` references this one (Ref, GetAtt, Sub, nested-stack parameters and
  outputs, exports, ``Fn::GetStackOutput``, alarm-dimension and dashboard name matches);
* ``references: {...}``: the reverse, resources this one references;
* ``in_same_app: {type, where, count_gte}``: resources of ``type`` in the same CDK app unit
  (same cloud assembly and CDK Stage; for plain templates the same file);
* ``dashboard_shows: true``: a CloudWatch dashboard of the same app unit shows this resource;
* ``construct_fqn: [GLOB, ...]``: the resource's construct or an ancestor has a matching
  tree.json fqn (what created it).

Every query is an index lookup on the graph (edges by node, resources by type), never a scan of
all alarms per function; per-app type lists are built once per run.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from .evaluate import (
    Assertion,
    CompileContext,
    CompileError,
    Env,
    Outcome,
    SkipResource,
    _num,
    _operand,
    _path,
    compile_assertion,
)
from .groups import TypeSelector
from .paths import WILDCARD, Path


def app_key(stack) -> tuple:
    """The CDK app unit of a stack: (assembly folder, assembly path) or the template file."""
    root = stack
    while root.parent is not None:
        root = root.parent
    if root.assembly_dir is not None:
        return ("assembly", str(root.assembly_dir), root.assembly_path)
    return ("file", str(root.template.path))


def _prefix_matches(edge_path: tuple, prefix: Path | None) -> bool:
    if prefix is None:
        return edge_path[:1] != ("DependsOn",)
    segs = prefix.segments
    if len(edge_path) < len(segs):
        return False
    for want, got in zip(segs, edge_path, strict=False):
        if want is WILDCARD:
            continue
        if want != got:
            return False
    return True


def _satisfies(env: Env, node, where: Assertion | None) -> bool:
    if where is None:
        return True
    try:
        return where.evaluate(env.for_node(node)).ok
    except SkipResource:
        return False


@dataclass
class Related(Assertion):
    """referenced_by / references."""

    direction: str  # "referenced_by" | "references"
    selector: TypeSelector
    path: Path | None
    where: Assertion | None
    count_gte: Any = 1
    count_lte: Any = None
    message: str | None = None

    def _others(self, env: Env) -> list:
        g = env.graph
        if self.direction == "referenced_by":
            edges = g.in_edges.get(env.node, ())
            ends = [(e.source, e.path) for e in edges]
        else:
            edges = g.out_edges.get(env.node, ())
            ends = [(e.target, e.path) for e in edges]
        seen: dict = {}
        for node, path in ends:
            if node in seen or node.kind != "resource" or node == env.node:
                continue
            t = node.type
            if not t or not self.selector.matches(t) or not _prefix_matches(path, self.path):
                continue
            seen[node] = None
        return list(seen)

    def evaluate(self, env: Env) -> Outcome:
        others = self._others(env)
        n = sum(1 for o in others if _satisfies(env, o, self.where))
        low = _num(env.value(self.count_gte))
        high = _num(env.value(self.count_lte)) if self.count_lte is not None else None
        if low is not None and n < low:
            return Outcome(False, env.say(self.message) or self._reason(n, f"at least {int(low)}"),
                           None, self)
        if high is not None and n > high:
            return Outcome(False, env.say(self.message) or self._reason(n, f"at most {int(high)}"),
                           None, self)
        return Outcome(True)

    def _reason(self, n: int, expected: str) -> str:
        verb = "referenced by" if self.direction == "referenced_by" else "references"
        through = f" through {self.path}" if self.path else ""
        that = f" that satisfy ({self.where.describe()})" if self.where else ""
        return f"{verb} {n} {self.selector} resource(s){through}{that}, expected {expected}"

    def describe(self) -> str:
        verb = "is referenced by" if self.direction == "referenced_by" else "references"
        that = f" where ({self.where.describe()})" if self.where else ""
        return f"{verb} a {self.selector}{that}"

    def walk(self):
        yield self
        if self.where:
            yield from self.where.walk()


@dataclass
class InSameApp(Assertion):
    selector: TypeSelector
    where: Assertion | None
    count_gte: Any = 1
    message: str | None = None

    def evaluate(self, env: Env) -> Outcome:
        nodes = env.run.app_nodes(app_key(env.stack), self.selector)
        need = _num(env.value(self.count_gte)) or 0
        n = 0
        for node in nodes:
            if _satisfies(env, node, self.where):
                n += 1
                if n >= need:
                    return Outcome(True)
        that = f" that satisfy ({self.where.describe()})" if self.where else ""
        return Outcome(False, env.say(self.message) or (
            f"the app ({_app_label(env.stack)}) has {n} {self.selector} resource(s){that}, "
            f"expected at least {int(need)}"), None, self)

    def describe(self) -> str:
        return f"the app has a {self.selector}"

    def walk(self):
        yield self
        if self.where:
            yield from self.where.walk()


_DASHBOARDS = TypeSelector(["AWS::CloudWatch::Dashboard"])


@dataclass
class DashboardShows(Assertion):
    message: str | None = None

    def evaluate(self, env: Env) -> Outcome:
        mine = app_key(env.stack)
        for e in env.graph.in_edges.get(env.node, ()):
            src = e.source
            if src.type == "AWS::CloudWatch::Dashboard" and app_key(src.stack) == mine:
                return Outcome(True)
        if self.message:
            return Outcome(False, env.say(self.message), None, self)
        # (stable texts: a grouped finding's fingerprint includes its reason)
        if not env.run.app_nodes(mine, _DASHBOARDS):
            return Outcome(False, f"the app ({_app_label(env.stack)}) has no CloudWatch "
                                  "dashboard", None, self)
        return Outcome(False, "not shown by any of the app's CloudWatch dashboards", None, self)

    def describe(self) -> str:
        return "a dashboard of the app shows it"


@dataclass
class ConstructFqn(Assertion):
    """``construct_fqn: [GLOB, ...]``: the resource's construct, or one of its ancestors, has a
    tree.json fqn matching a glob (``aws-cdk-lib.triggers.TriggerFunction``): what created the
    resource, from the assembly itself. False without tree.json."""

    patterns: tuple

    def evaluate(self, env: Env) -> Outcome:
        stack = env.stack
        path = stack.construct_path(env.node.logical_id)
        tree = getattr(stack, "tree", None)
        if path and tree is not None:
            for _owner, fqn in tree.owner_fqns(path):
                if any(fnmatch.fnmatchcase(fqn, p) for p in self.patterns):
                    return Outcome(True)
        return Outcome(False, f"no construct of {path or env.node.logical_id} has an fqn "
                              f"matching {', '.join(self.patterns)}", None, self)

    def describe(self) -> str:
        return f"created by a construct {' or '.join(self.patterns)}"


def _app_label(stack) -> str:
    root = stack
    while root.parent is not None:
        root = root.parent
    if root.cdk_stages:
        return "CDK Stage " + "/".join(root.cdk_stages)
    if root.assembly_dir is not None:  # the stacks of an app without CDK Stages
        return f"cloud assembly {root.assembly_dir.name}"
    return root.template_rel or root.name


def _body(raw, where: tuple) -> dict:
    if not isinstance(raw, dict):
        raise CompileError("expected a mapping", where)
    t = raw.get("type")
    if not (isinstance(t, str) or (isinstance(t, list) and t
                                   and all(isinstance(x, str) for x in t))):
        raise CompileError("type is required (a resource type, glob or group, or a list)",
                           where)
    return raw


def _selector(raw: dict) -> TypeSelector:
    t = raw["type"]
    return TypeSelector([t] if isinstance(t, str) else list(t))


def _related(direction: str):
    def build(raw, where: tuple, cc: CompileContext, spec: dict) -> Assertion:
        body = _body(raw, where)
        path = _path(body["path"], where + ("path",), cc) if "path" in body else None
        if path is not None and path.relative:
            raise CompileError("a relationship path is a property path of the other "
                               "resource; it cannot start with $", where + ("path",))
        cond = (compile_assertion(body["where"], where + ("where",), cc)
                if "where" in body else None)
        return Related(direction, _selector(body), path, cond,
                       _operand(body.get("count_gte", 1), where + ("count_gte",), cc),
                       _operand(body.get("count_lte"), where + ("count_lte",), cc),
                       body.get("message") or spec.get("message"))
    return build


def _in_same_app(raw, where: tuple, cc: CompileContext, spec: dict) -> Assertion:
    body = _body(raw, where)
    cond = compile_assertion(body["where"], where + ("where",), cc) if "where" in body else None
    return InSameApp(_selector(body), cond,
                     _operand(body.get("count_gte", 1), where + ("count_gte",), cc),
                     body.get("message") or spec.get("message"))


def _dashboard_shows(raw, where: tuple, cc: CompileContext, spec: dict) -> Assertion:
    if raw is not True:
        raise CompileError("dashboard_shows takes true", where)
    return DashboardShows(spec.get("message"))


def _construct_fqn(raw, where: tuple, cc: CompileContext, spec: dict) -> Assertion:
    if not (isinstance(raw, list) and raw and all(isinstance(p, str) and p for p in raw)):
        raise CompileError("construct_fqn takes a list of fqn globs", where)
    return ConstructFqn(tuple(raw))


RELATIONS = {
    "referenced_by": _related("referenced_by"),
    "references": _related("references"),
    "in_same_app": _in_same_app,
    "dashboard_shows": _dashboard_shows,
    "construct_fqn": _construct_fqn,
}
