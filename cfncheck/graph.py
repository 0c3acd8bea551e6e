"""The resource graph over every loaded stack, and the query API that rules and policies share.

Nodes are resources, parameters and outputs of every stack. Edges come from ``Ref``,
``Fn::GetAtt`` (both forms), ``Fn::Sub`` (both forms, ``${X}``/``${X.Attr}``, ``${!x}`` ignored),
refs embedded in ``Fn::Join`` and any other structure, ``DependsOn``, nested-stack parameters and
outputs, strong cross-stack references (``Export`` + ``Fn::ImportValue``), weak ones
(``Fn::GetStackOutput`` with ``StackName``/``OutputName``), and physical-name matches where
CloudWatch uses names rather than refs (alarm dimensions such as ``ApiName``, dashboard bodies).

Every edge is *resolved*: a ref to a nested stack's parameter, an import, or a nested stack's
output is followed to the resource that finally provides the value, so "which alarms watch this
function" finds an alarm in a monitoring stack that imports the function's name from the
application stack. The edge keeps the property path in the referring resource and the hops.

Why not cfn-lint's graph (``cfnlint.graph.Graph``): it is built per template from cfn-lint's
marked ``Template`` (the slow part of cfn-lint, see README "Performance"), and it does not cross
stacks, nested stacks or CDK Stages, which is exactly what alarms, dashboards and exports need.

Indexes are built once: resources by type, incoming and outgoing edges by node, exports by name,
so every query is a dictionary lookup (no scan over all alarms per function).
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from . import fn_sub
from .assembly import Stack

PSEUDO_PREFIX = "AWS::"
#: properties that carry a resource's physical name, by resource type
NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGatewayV2::Api": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
}


@dataclass(frozen=True)
class Node:
    stack: Stack
    logical_id: str
    kind: str = "resource"  # "resource" | "parameter" | "output"

    @property
    def resource(self) -> dict:
        section = {"resource": "Resources", "parameter": "Parameters", "output": "Outputs"}
        value = self.stack.template.data.get(section[self.kind], {})
        value = value.get(self.logical_id) if isinstance(value, dict) else None
        return value if isinstance(value, dict) else {}

    @property
    def type(self) -> str | None:
        t = self.resource.get("Type") if self.kind == "resource" else None
        return t if isinstance(t, str) else None

    def __repr__(self) -> str:
        return f"Node({self.stack.name}:{self.logical_id})"


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    path: tuple  # where in the source resource, e.g. ("Properties", "Dimensions", 0, "Value")
    kind: str  # "Ref", "GetAtt", "Sub", "DependsOn", "Name"
    attribute: str | None = None  # for GetAtt
    via: tuple = field(default=())  # hops: ("import", name), ("parameter", name), ...


class Graph:
    def __init__(self, stacks: Iterable[Stack]):
        self.stacks = list(stacks)
        self.by_type: dict[str, list[Node]] = defaultdict(list)
        self.out_edges: dict[Node, list[Edge]] = defaultdict(list)
        self.in_edges: dict[Node, list[Edge]] = defaultdict(list)
        self._exports: dict[str, list[tuple[Stack, str]]] = defaultdict(list)
        self._stacks_by_name: dict[str, list[Stack]] = defaultdict(list)
        self._names: dict[str, list[Node]] = defaultdict(list)
        self._resolving: set = set()
        self._output_cache: dict[tuple, list[Edge]] = {}
        self._build()

    # -- queries ---------------------------------------------------------------------------

    def resources(self, type_pattern: str = "*") -> list[Node]:
        """Resources whose type matches (exact, or a glob such as ``AWS::Lambda::*``)."""
        if not any(c in type_pattern for c in "*?["):
            return list(self.by_type.get(type_pattern, ()))
        out: list[Node] = []
        for t, nodes in self.by_type.items():
            if fnmatch.fnmatchcase(t, type_pattern):
                out.extend(nodes)
        return out

    def node(self, stack: Stack, logical_id: str) -> Node:
        return Node(stack, logical_id)

    def referrers(self, target: Node, source_type: str | None = None,
                  path_prefix: tuple | None = None, kinds: Iterable[str] | None = None
                  ) -> list[Edge]:
        """Edges into ``target``: who references it, from which type, through which path."""
        return _filter(self.in_edges.get(target, ()), "source", source_type, path_prefix, kinds)

    def references(self, source: Node, target_type: str | None = None,
                   path_prefix: tuple | None = None, kinds: Iterable[str] | None = None
                   ) -> list[Edge]:
        """Edges out of ``source``: what it references, of which type, from which path."""
        return _filter(self.out_edges.get(source, ()), "target", target_type, path_prefix, kinds)

    def resolve(self, stack: Stack, value: object) -> list[Node]:
        """The nodes a value (e.g. ``{"Ref": "Fn"}`` or an import) finally points at."""
        return [e.target for e in self._edges_in_value(Node(stack, "?"), value, ())]

    def named(self, name: str) -> list[Node]:
        """Resources whose literal physical name (FunctionName, Name, ...) is ``name``."""
        return list(self._names.get(name, ()))

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        for stack in self.stacks:
            self._stacks_by_name[stack.stack_name].append(stack)
            outputs = stack.template.data.get("Outputs")
            if isinstance(outputs, dict):
                for oid, out in outputs.items():
                    exp = out.get("Export") if isinstance(out, dict) else None
                    name = exp.get("Name") if isinstance(exp, dict) else None
                    if isinstance(name, str):
                        self._exports[name].append((stack, oid))
            for lid, res in stack.resources.items():
                if not isinstance(res, dict):
                    continue
                rtype = res.get("Type")
                if isinstance(rtype, str):
                    node = Node(stack, lid)
                    self.by_type[rtype].append(node)
                    prop = NAME_PROPERTIES.get(rtype)
                    props = res.get("Properties")
                    if prop and isinstance(props, dict) and isinstance(props.get(prop), str):
                        self._names[props[prop]].append(node)
        for stack in self.stacks:
            for lid, res in stack.resources.items():
                if not isinstance(res, dict):
                    continue
                src = Node(stack, lid)
                edges = list(self._edges_in_value(src, res.get("Properties"), ("Properties",)))
                # a Lambda alias names its CodeDeploy deployment group in its UpdatePolicy
                if isinstance(res.get("UpdatePolicy"), dict):
                    edges.extend(self._edges_in_value(src, res["UpdatePolicy"],
                                                      ("UpdatePolicy",)))
                deps = res.get("DependsOn")
                deps = [deps] if isinstance(deps, str) else deps
                for i, dep in enumerate(deps if isinstance(deps, list) else []):
                    if isinstance(dep, str) and dep in stack.resources:
                        p = ("DependsOn", i) if isinstance(res["DependsOn"], list) \
                            else ("DependsOn",)
                        edges.append(Edge(src, Node(stack, dep), p, "DependsOn"))
                if res.get("Type") in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"):
                    edges.extend(self._name_edges(src, res))
                for e in _unique(edges):
                    self.out_edges[src].append(e)
                    self.in_edges[e.target].append(e)

    def _named_near(self, src: Node, name: str) -> list[Node]:
        """Resources named ``name``, preferring the referrer's own CDK Stage (assembly)."""
        nodes = self._names.get(name, ())
        same = [n for n in nodes if n.stack.assembly_path == src.stack.assembly_path]
        return same or list(nodes)

    def _name_edges(self, src: Node, res: dict) -> Iterator[Edge]:
        """CloudWatch names things by physical name: match literal names to resources."""
        if not self._names:
            return
        props = res.get("Properties")
        props = props if isinstance(props, dict) else {}
        if res.get("Type") == "AWS::CloudWatch::Alarm":
            for path, dim in _dimensions(props):
                value = dim.get("Value")
                if isinstance(value, str):
                    for node in self._named_near(src, value):
                        yield Edge(src, node, path + ("Value",), "Name")
        else:
            body = parse_dashboard(props.get("DashboardBody"))
            for s in _strings(body):
                for node in self._named_near(src, s):
                    yield Edge(src, node, ("Properties", "DashboardBody"), "Name")

    def _edges_in_value(self, src: Node, value: object, path: tuple,
                        stack: Stack | None = None) -> Iterator[Edge]:
        """Edges for the refs in ``value``, resolved in ``stack`` (default: the source's)."""
        stack = stack or src.stack
        todo = [(value, path)]
        while todo:
            v, p = todo.pop()
            if isinstance(v, list):
                todo.extend((item, p + (i,)) for i, item in enumerate(v))
                continue
            if not isinstance(v, dict):
                continue
            if len(v) == 1:
                (fn, arg), = v.items()
                if fn == "Ref" and isinstance(arg, str):
                    yield from self._ref(src, stack, arg, None, p, "Ref", ())
                    continue
                if fn == "Fn::GetAtt":
                    lid, attr = _getatt(arg)
                    if lid:
                        yield from self._ref(src, stack, lid, attr, p, "GetAtt", ())
                        continue
                if fn == "Fn::Sub":
                    yield from self._sub(src, stack, arg, p)
                    continue
                if fn == "Fn::ImportValue":
                    if isinstance(arg, str):
                        yield from self._import(src, arg, p, ())
                        continue
                if fn == "Fn::GetStackOutput" and isinstance(arg, dict):
                    yield from self._stack_output(src, arg, p)
                    continue
            todo.extend((item, p + (k,)) for k, item in v.items())

    def _sub(self, src: Node, stack: Stack, arg: object, p: tuple) -> Iterator[Edge]:
        variables: dict = {}
        text = arg
        if isinstance(arg, list) and arg:
            text = arg[0]
            if len(arg) > 1 and isinstance(arg[1], dict):
                variables = arg[1]
                for k, item in variables.items():
                    yield from self._edges_in_value(src, item, p + ("Fn::Sub", 1, k), stack)
        if not isinstance(text, str):
            return
        for name in fn_sub.references(text):
            if name in variables:
                continue
            lid, _, attr = name.partition(".")
            yield from self._ref(src, stack, lid, attr or None, p, "Sub", ())

    def _ref(self, src: Node, stack: Stack, lid: str, attr: str | None, p: tuple, kind: str,
             via: tuple, depth: int = 0) -> Iterator[Edge]:
        if lid.startswith(PSEUDO_PREFIX) or depth > 20:
            return
        data = stack.template.data
        resources = stack.resources
        if lid in resources:
            res = resources[lid]
            if (attr and attr.startswith("Outputs.") and isinstance(res, dict)
                    and res.get("Type") == "AWS::CloudFormation::Stack"):
                child = next((c for c in stack.children if c.parent_logical_id == lid), None)
                if child is not None:
                    yield from self._output(src, child, attr[len("Outputs."):], p, kind,
                                            via + (("nested-output", attr),), depth)
                    return
            yield Edge(src, Node(stack, lid), p, kind, attr, via)
            return
        params = data.get("Parameters")
        if isinstance(params, dict) and lid in params:
            if stack.parent is not None and stack.parent_logical_id:
                pres = stack.parent.resources.get(stack.parent_logical_id)
                pprops = pres.get("Properties") if isinstance(pres, dict) else None
                pvals = pprops.get("Parameters") if isinstance(pprops, dict) else None
                if isinstance(pvals, dict) and lid in pvals:
                    for e in self._parameter_edges(stack, lid, pvals[lid]):
                        yield _rebase(e, src, p, kind, via + (("parameter", lid),))
                    return
            yield Edge(src, Node(stack, lid, "parameter"), p, kind, attr, via)

    def _output(self, src: Node, stack: Stack, oid: str, p: tuple, kind: str, via: tuple,
                depth: int) -> Iterator[Edge]:
        for e in self._output_edges(stack, oid):
            yield _rebase(e, src, p, kind, via + e.via)

    def _parameter_edges(self, stack: Stack, lid: str, value: object) -> list[Edge]:
        """What the parent passes to a nested stack's parameter resolves to (memoized)."""
        key = ("parameter", id(stack), lid)
        cached = self._output_cache.get(key)
        if cached is not None:
            return cached
        if key in self._resolving:
            return []
        self._resolving.add(key)
        try:
            found: dict = {}
            for e in self._edges_in_value(Node(stack, lid, "parameter"), value, (),
                                          stack.parent):
                found.setdefault((e.target, e.attribute), e)
        finally:
            self._resolving.discard(key)
        self._output_cache[key] = edges = list(found.values())
        return edges

    def _output_edges(self, stack: Stack, oid: str) -> list[Edge]:
        """What an output's value resolves to, computed once per output (memoized: outputs
        that import the same export twice at every level would otherwise take exponential
        time), one edge per target; a cycle of exports and imports is cut where it closes."""
        key = (id(stack), oid)
        cached = self._output_cache.get(key)
        if cached is not None:
            return cached
        outputs = stack.template.data.get("Outputs")
        out = outputs.get(oid) if isinstance(outputs, dict) else None
        if not isinstance(out, dict) or key in self._resolving:
            return []  # absent, or an export/import cycle
        self._resolving.add(key)
        try:
            found: dict = {}
            for e in self._edges_in_value(Node(stack, oid, "output"), out.get("Value"), ()):
                found.setdefault((e.target, e.attribute), e)
        finally:
            self._resolving.discard(key)
        self._output_cache[key] = edges = list(found.values())
        return edges

    def _import(self, src: Node, name: str, p: tuple, via: tuple) -> Iterator[Edge]:
        candidates = self._exports.get(name, [])
        same = [c for c in candidates if c[0].assembly_path == src.stack.assembly_path]
        for stack, oid in (same or candidates)[:1]:
            yield from self._output(src, stack, oid, p, "Import", via + (("import", name),), 0)

    def _stack_output(self, src: Node, arg: dict, p: tuple) -> Iterator[Edge]:
        name, out = arg.get("StackName"), arg.get("OutputName")
        if not isinstance(name, str) or not isinstance(out, str):
            return
        stacks = self._stacks_by_name.get(name, [])
        same = [s for s in stacks if s.assembly_path == src.stack.assembly_path]
        for stack in (same or stacks)[:1]:
            yield from self._output(src, stack, out, p, "StackOutput",
                                    (("stack-output", f"{name}.{out}"),), 0)


def _rebase(e: Edge, src: Node, p: tuple, kind: str, via: tuple) -> Edge:
    return Edge(src, e.target, p, kind, e.attribute, via)


def _getatt(arg: object) -> tuple[str | None, str | None]:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        return arg[0], arg[1] if isinstance(arg[1], str) else None
    if isinstance(arg, str) and "." in arg:
        lid, attr = arg.split(".", 1)
        return lid, attr
    return None, None


def _unique(edges: list[Edge]) -> list[Edge]:
    seen = set()
    out = []
    for e in edges:
        k = (e.target, e.path, e.kind, e.attribute)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def _filter(edges: Iterable[Edge], end: str, rtype: str | None, path_prefix: tuple | None,
            kinds: Iterable[str] | None) -> list[Edge]:
    kinds = set(kinds) if kinds else None
    out = []
    for e in edges:
        if rtype is not None:
            t = getattr(e, end).type
            if t is None or not fnmatch.fnmatchcase(t, rtype):
                continue
        if path_prefix is not None and tuple(e.path[: len(path_prefix)]) != tuple(path_prefix):
            continue
        if kinds is not None and e.kind not in kinds:
            continue
        out.append(e)
    return out


def _dimensions(props: dict) -> Iterator[tuple[tuple, dict]]:
    dims = props.get("Dimensions")
    if isinstance(dims, list):
        for i, d in enumerate(dims):
            if isinstance(d, dict):
                yield ("Properties", "Dimensions", i), d
    metrics = props.get("Metrics")
    if isinstance(metrics, list):
        for i, m in enumerate(metrics):
            stat = m.get("MetricStat") if isinstance(m, dict) else None
            metric = stat.get("Metric") if isinstance(stat, dict) else None
            dims = metric.get("Dimensions") if isinstance(metric, dict) else None
            if isinstance(dims, list):
                for j, d in enumerate(dims):
                    if isinstance(d, dict):
                        yield ("Properties", "Metrics", i, "MetricStat", "Metric",
                               "Dimensions", j), d


def _strings(value: object) -> Iterator[str]:
    """Every string in a parsed JSON value (iteratively: bodies can be deep)."""
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, list):
            todo.extend(v)
        elif isinstance(v, dict):
            todo.extend(v.values())


def dashboard_body_text(body: object, placeholder: str = "__REF__") -> str:
    """The dashboard body as text, with intrinsic values replaced by a quoted placeholder.

    CDK emits ``DashboardBody`` as ``Fn::Join`` of literal JSON pieces and refs; this yields text
    that ``json.loads`` can read, for policies that look inside the widgets.
    """
    if isinstance(body, str):
        return body
    if isinstance(body, dict) and len(body) == 1:
        (fn, arg), = body.items()
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep = arg[0] if isinstance(arg[0], str) else ""
            items = arg[1] if isinstance(arg[1], list) else []
            return sep.join(dashboard_body_text(i, placeholder) for i in items)
        if fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            return fn_sub.render(text, lambda _name: placeholder) if isinstance(text, str) \
                else ""
    return placeholder


def parse_dashboard(body: object) -> dict | None:
    try:
        data = json.loads(dashboard_body_text(body))
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
