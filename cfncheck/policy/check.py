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
from .relations import _app_label as app_label
from .relations import app_key

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: extra placeholders of a group message (``group.message``)
GROUP_FIELDS = ("count", "resources", "scope")
GROUP_SCOPES = ("stack", "stage", "app")
#: how many affected resources a group message names before "and N more"
NAMED_IN_MESSAGE = 3
FIELDS = ("logical_id", "type", "stack", "stage", "construct_path", "reason", "title", "owner",
          "created_by")
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
                 message: str | None = None, spec: dict | None = None,
                 group: dict | None = None):
        self.info = info
        self.selector = selector
        self.assertion = assertion
        self.where = where
        self.parameters = dict(parameters or {})
        self.unresolved = unresolved
        self.cdk_internal = cdk_internal
        self.message = message or "{title}: {reason}"
        self.spec = spec or {}
        #: {"by": stack|stage|app, "primary": stack|first_resource, "when": always|none_pass,
        #:  "message": str}: one finding per group and failure reason (see run_grouped)
        self.group = group
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
        if self.group is not None:
            yield from self.run_grouped(state)
            return
        root_cause = RootCause(self, ctx)
        for node in self._nodes(ctx):
            v = self.verdict(state, node)
            if v.hit is not None and root_cause.keep(node, v.hit):
                yield v.hit

    def _nodes(self, ctx: ScanContext):
        stages = self.info.stages
        for t in self.selector.types_in(ctx.graph.by_type):
            for node in ctx.graph.resources(t):
                if stages is None or node.stack.stage in stages:
                    yield node

    def run_grouped(self, state: RunState) -> Iterable[Hit]:
        """One hit per group (stack, stage or app) and failure reason, listing every failing
        resource as related. With ``when: none_pass`` a group where some resource passes is
        not one fix away: its failing resources escape what the group does (a stack tagged
        through Tags.of() whose plain CfnResource providers are not reached, a dashboard that
        omits one function), so each is reported on its own."""
        by = self.group["by"]
        none_pass = self.group.get("when", "always") == "none_pass"
        groups: dict = {}  # scope key -> [passed?, {reason: [(node, verdict)]}]
        for node in self._nodes(state.ctx):
            v = self.verdict(state, node)
            if v.status == SKIP:
                continue
            g = groups.setdefault(_scope_key(node.stack, by), [False, {}])
            if v.status == PASS:
                g[0] = True
            elif v.hit is not None:
                g[1].setdefault(v.reason, []).append((node, v))
        for key in sorted(groups, key=str):
            passed, fails = groups[key]
            for reason in sorted(fails):
                members = sorted(fails[reason], key=lambda nv: (nv[0].stack.name,
                                                                nv[0].logical_id))
                if none_pass and passed:
                    yield from (v.hit for _, v in members)
                    continue
                yield self._group_hit(state, by, key, reason, members)

    def _group_hit(self, state: RunState, by: str, key, reason: str, members: list) -> Hit:
        first, first_v = members[0]
        stack = first.stack
        primary = self.group.get("primary") or ("stack" if by == "stack" else "first_resource")
        if primary == "stack":
            lid, path = None, ("Resources",)
        else:
            lid, path = first.logical_id, first_v.hit.path
        names = [n.logical_id for n, _ in members]
        shown = ", ".join(names[:NAMED_IN_MESSAGE]) + (
            f" and {len(names) - NAMED_IN_MESSAGE} more" if len(names) > NAMED_IN_MESSAGE
            else "")
        scope = {"stack": f"stack {stack.name}", "stage": f"stage {stack.stage}",
                 "app": app_label(stack)}[by]
        template = self.group.get("message") or "{title}: {count} resource(s) in {scope}: " \
                                                 "{reason}"
        message = self.format_message(state, first, reason, template, {
            "count": len(members), "resources": shown, "scope": scope})
        internal = [classify(n.stack, n.logical_id) for n, _ in members]
        if all(internal):  # say who created them, as a single finding would
            reasons = "; ".join(dict.fromkeys(i.reason for i in internal))
            message += f" (CDK-generated resources: {reasons})"
        severities = [v.hit.severity or self.info.severity for _, v in members]
        # the group is as severe as its most severe member (CDK-generated ones may be info)
        severity = max(severities, key=lambda s: {"error": 3, "warning": 2, "info": 1}[s])
        return Hit(stack, lid, path, message, key=f"group:{by}:{_scope_text(key)}:{reason}",
                   severity=None if severity == self.info.severity else severity,
                   related=tuple((n.stack, n.logical_id, v.hit.key) for n, v in members))

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
                       template: str | None = None, extra: dict | None = None) -> str:
        """``template`` (default: the policy's message) with its placeholders filled in
        (``extra``: more fields, e.g. a group's ``{count}``). Values are computed only when
        used (``{owner}`` reads tree.json)."""
        stack = node.stack

        def value(name: str) -> str:
            if extra and name in extra:
                return extra[name]
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
            if name == "created_by":
                owner = owner_text(stack, node.logical_id)
                return f" (created by {owner})" if owner else ""
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


class RootCause:
    """``supersedes`` within one run: one root cause, one finding. A finding of this policy is
    dropped when a policy that supersedes it (and runs) fails on the same resource; a finding
    of a superseding policy names the failures of the policies it supersedes there and takes
    the highest severity. Policies not in the run (``ctx.check_ids``) are ignored."""

    def __init__(self, policy: PolicyCheck, ctx: ScanContext):
        running = getattr(ctx, "check_ids", None) or frozenset()
        self.policy, self.ctx = policy, ctx
        self.over = [(p, w) for p, w in policy.superseded_by if p.info.id in running]
        self.under = [(p, w) for p, w in policy.absorbs if p.info.id in running]
        self.states: dict = {}

    def keep(self, node, hit: Hit) -> bool:
        if any(self._applies(p, when, node) and self._verdict(p, node).status == FAIL
               for p, when in self.over):
            return False  # reported once, by the policy that supersedes this one
        own = self.policy.severity_of(hit)
        for p, when in self.under:
            if not self._applies(self.policy, when, node):
                continue
            v = self._verdict(p, node)
            if v.status != FAIL or v.hit is None:
                continue
            hit.message += f"; also {p.info.id} ({p.info.title}): {v.reason}"
            theirs = p.severity_of(v.hit)
            if _RANK[theirs] > _RANK[own]:
                hit.severity = own = theirs
        return True

    def _state(self, p: PolicyCheck) -> RunState:
        st = self.states.get(p.info.id)
        if st is None:
            st = self.states[p.info.id] = RunState(self.ctx, p)
        return st

    def _verdict(self, p: PolicyCheck, node) -> Verdict:
        return p.verdict(self._state(p), node)

    def _applies(self, p: PolicyCheck, when, node) -> bool:
        """Whether the supersession condition ``when`` (``p``'s assertion) holds for ``node``."""
        if when is None:
            return True
        env = Env(node, node.resource, self._state(p), p.unresolved)
        try:
            return when.evaluate(env).ok
        except SkipResource:
            return False


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


def _scope_key(stack, by: str):
    if by == "stack":
        return ("stack", stack.assembly_path, stack.name)
    if by == "stage":
        return ("stage", stack.stage)
    return app_key(stack)


def _scope_text(key: tuple) -> str:
    return "/".join(str(k) for k in key[1:])



def message_errors(message: str, parameters: dict, extra: tuple = ()) -> list[str]:
    """Unknown placeholders in a message template (``extra``: more known fields)."""
    text = message.replace("{{", "").replace("}}", "")
    bad = []
    for name in PLACEHOLDER.findall(text):
        if name in FIELDS or name in extra:
            continue
        if name.startswith("param.") and name[6:] in parameters:
            continue
        if name.startswith("referrers.") and len(name) > len("referrers."):
            continue
        bad.append("{" + name + "}")
    return bad
