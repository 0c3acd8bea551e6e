"""A compiled policy as a :class:`~cfncheck.checks.Check`: per-resource verdicts and hits.

:class:`PolicyCheck` holds everything compiled once at load time (type selector, filter,
assertion tree, message template). :meth:`PolicyCheck.run` creates a :class:`RunState` once per
scan (parameters resolved per stage and cached, per-app type lists) and evaluates each resource
of the selected types, taken from the graph's type index. :meth:`PolicyCheck.verdict` is what
both the scan and ``cfncheck policy test`` use: PASS, FAIL (with the hit) or SKIP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..cdk_internals import classify, owner_text
from ..checks import CheckInfo, Hit, ScanContext
from .evaluate import Assertion, Env, SkipResource
from .groups import TypeSelector
from .paths import path_text

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
FIELDS = ("logical_id", "type", "stack", "stage", "construct_path", "reason", "title", "owner")
_RANK = {"error": 3, "warning": 2, "info": 1}


@dataclass
class ServiceDefault:
    """``service_default``: when ``when`` holds the resource relies on a safe service default
    and is reported at ``severity`` with ``message`` instead of being judged by the assertion."""

    when: Assertion
    severity: str
    message: str


def link_supersessions(policies: list["PolicyCheck"]) -> None:
    """Resolve ``supersedes`` ids among the policies loaded together (unknown ids: ignored,
    e.g. a superseded policy from a pack that is not loaded)."""
    by_id = {p.info.id: p for p in policies}
    for p in policies:
        p.absorbs = []
        p.superseded_by = []
    for p in policies:
        for other_id, when in p.supersedes:
            other = by_id.get(other_id)
            if other is not None and other is not p:
                p.absorbs.append((other, when))
                other.superseded_by.append((p, when))


@dataclass
class Verdict:
    status: str  # PASS | FAIL | SKIP
    reason: str = ""
    hit: Hit | None = None


class RunState:
    """Per-scan data of one policy: parameter values per stage, per-app resource lists."""

    def __init__(self, ctx: ScanContext, policy: "PolicyCheck"):
        self.ctx = ctx
        self.graph = ctx.graph
        self.policy = policy
        self._params: dict = {}
        self._apps: dict = {}

    def param(self, name: str, stage: str):
        key = (name, stage)
        if key not in self._params:
            self._params[key] = self.ctx.parameter(self.policy.info.id, name, stage,
                                                   self.policy.parameters.get(name))
        return self._params[key]

    def fill(self, node, text: str) -> str:
        """Placeholders of an assertion's message, for ``node``."""
        return self.policy.format_message(self, node, "", text)

    def app_nodes(self, app, selector: TypeSelector) -> list:
        from .relations import app_key

        by_app = self._apps.get(selector)
        if by_app is None:
            by_app = self._apps[selector] = {}
            for t in selector.types_in(self.graph.by_type):
                for node in self.graph.resources(t):
                    by_app.setdefault(app_key(node.stack), []).append(node)
        return by_app.get(app, [])


class PolicyCheck:
    def __init__(self, info: CheckInfo, selector: TypeSelector, assertion: Assertion,
                 where: Assertion | None = None, parameters: dict | None = None,
                 unresolved: str = "fail", cdk_internal: str = "report",
                 message: str | None = None, spec: dict | None = None):
        self.info = info
        self.selector = selector
        self.assertion = assertion
        self.where = where
        self.parameters = dict(parameters or {})
        self.unresolved = unresolved
        self.cdk_internal = cdk_internal
        self.message = message or "{title}: {reason}"
        self.spec = spec or {}
        self.service_default: ServiceDefault | None = None
        # (id, condition or None) from the policy file; resolved by link_supersessions into
        # (policy, condition) pairs; the condition is the superseding policy's assertion
        self.supersedes: tuple = ()
        self.absorbs: list = []
        self.superseded_by: list = []

    def __repr__(self) -> str:
        return f"PolicyCheck({self.info.id})"

    def run(self, ctx: ScanContext) -> Iterable[Hit]:
        state = RunState(ctx, self)
        stages = self.info.stages
        running = getattr(ctx, "check_ids", None) or frozenset()
        over = [(p, w) for p, w in self.superseded_by if p.info.id in running]
        under = [(p, w) for p, w in self.absorbs if p.info.id in running]
        states: dict = {}
        for t in self.selector.types_in(ctx.graph.by_type):
            for node in ctx.graph.resources(t):
                if stages is not None and node.stack.stage not in stages:
                    continue
                v = self.verdict(state, node)
                if v.hit is None:
                    continue
                if over and any(_fails(p, ctx, states, node) for p in over):
                    continue  # reported once, by the policy that supersedes this one
                if under:
                    _absorb(self, v.hit, under, ctx, states, node)
                yield v.hit

    def applies_to(self, node) -> bool:
        t = node.type
        return bool(t) and self.selector.matches(t) and (
            self.info.stages is None or node.stack.stage in self.info.stages)

    def verdict(self, state: RunState, node) -> Verdict:
        if not self.applies_to(node):
            return Verdict(SKIP, "not applicable (type or stage)")
        stack, lid = node.stack, node.logical_id
        internal = classify(stack, lid)
        if internal is not None and self.cdk_internal == "skip":
            return Verdict(SKIP, f"CDK-generated: {internal.reason}")
        env = Env(node, node.resource, state, self.unresolved)
        default = self.service_default
        try:
            if self.where is not None and not self.where.evaluate(env).ok:
                return Verdict(SKIP, "filtered out by where")
            relies = default is not None and default.when.evaluate(env).ok
            out = None if relies else self.assertion.evaluate(env)
        except SkipResource as e:
            return Verdict(SKIP, f"unresolved: {e}")
        severity = None
        if relies:
            reason = "relies on the service default"
            path, key = ("Resources", lid), "service-default"
            message = self.format_message(state, node, reason, default.message)
            severity = default.severity
        else:
            if out.ok:
                return Verdict(PASS)
            reason = out.reason
            at = tuple(out.at) if out.at else ()
            path = ("Resources", lid) + at
            want = tuple(out.want) if out.want else at
            key = path_text(want, node.resource, stable=True) if want else ""
            message = self.format_message(state, node, out.reason)
        if internal is not None:
            message += f" (CDK-generated resource: {internal.reason})"
            if self.cdk_internal == "info":
                severity = "info"
        return Verdict(FAIL, reason, Hit(stack, lid, path, message, key, severity))

    def severity_of(self, hit: Hit) -> str:
        return hit.severity or self.info.severity

    def format_message(self, state: RunState, node, reason: str,
                       template: str | None = None) -> str:
        """``template`` (default: the policy's message) with its placeholders filled in.
        Values are computed only when used (``{owner}`` reads tree.json)."""
        stack = node.stack

        def value(name: str) -> str:
            if name == "logical_id":
                return node.logical_id
            if name == "type":
                return node.type or ""
            if name == "stack":
                return stack.name
            if name == "stage":
                return stack.stage
            if name == "construct_path":
                return stack.construct_path(node.logical_id) or ""
            if name == "reason":
                return reason
            if name == "title":
                return self.info.title
            if name == "owner":
                return owner_text(stack, node.logical_id)
            if name.startswith("referrers."):
                return referrers_text(state.graph, node, name[len("referrers."):])
            raise KeyError(name)

        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name.startswith("param."):
                return str(state.param(name[6:], stack.stage))
            try:
                return str(value(name))
            except KeyError:
                return m.group(0)

        text = (template if template is not None else self.message)
        text = text.replace("{{", "\x00").replace("}}", "\x01")
        return PLACEHOLDER.sub(sub, text).replace("\x00", "{").replace("\x01", "}")


def _state(p: PolicyCheck, ctx: ScanContext, states: dict) -> RunState:
    st = states.get(p.info.id)
    if st is None:
        st = states[p.info.id] = RunState(ctx, p)
    return st


def _applies(p: PolicyCheck, when, ctx: ScanContext, states: dict, node) -> bool:
    """Whether the supersession condition ``when`` (``p``'s assertion) holds for ``node``."""
    if when is None:
        return True
    env = Env(node, node.resource, _state(p, ctx, states), p.unresolved)
    try:
        return when.evaluate(env).ok
    except SkipResource:
        return False


def _fails(pair: tuple, ctx: ScanContext, states: dict, node) -> bool:
    p, when = pair
    return (_applies(p, when, ctx, states, node)
            and p.verdict(_state(p, ctx, states), node).status == FAIL)


def _absorb(policy: PolicyCheck, hit: Hit, others: list[PolicyCheck], ctx: ScanContext,
            states: dict, node) -> None:
    """Name the superseded policies' failures on the same resource in ``hit`` (which takes
    the highest severity of them)."""
    own = policy.severity_of(hit)
    for p, when in others:
        if not _applies(policy, when, ctx, states, node):
            continue
        v = p.verdict(_state(p, ctx, states), node)
        if v.status != FAIL or v.hit is None:
            continue
        hit.message += f"; also {p.info.id} ({p.info.title}): {v.reason}"
        theirs = p.severity_of(v.hit)
        if _RANK[theirs] > _RANK[own]:
            hit.severity = own = theirs


def referrers_text(graph, node, rtype: str) -> str:
    """``{referrers.TYPE}``: the resources of ``TYPE`` that reference ``node`` (construct path,
    else logical id), e.g. the Lambda alias whose UpdatePolicy names a deployment group."""
    seen: dict = {}
    for e in graph.in_edges.get(node, ()):
        src = e.source
        if src.kind == "resource" and src.type == rtype and src != node:
            path = src.stack.construct_path(src.logical_id)
            seen[(path or src.logical_id).removesuffix("/Resource")] = None
    return ", ".join(seen) if seen else "none"


def message_errors(message: str, parameters: dict) -> list[str]:
    """Unknown placeholders in a message template."""
    text = message.replace("{{", "").replace("}}", "")
    bad = []
    for name in PLACEHOLDER.findall(text):
        if name in FIELDS:
            continue
        if name.startswith("param.") and name[6:] in parameters:
            continue
        if name.startswith("referrers.") and len(name) > len("referrers."):
            continue
        bad.append("{" + name + "}")
    return bad
