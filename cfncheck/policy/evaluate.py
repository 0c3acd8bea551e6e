"""Assertions of the policy language: compiled once from YAML, evaluated per resource.

:func:`compile_assertion` turns an assertion mapping into a tree of :class:`Assertion` objects
(paths parsed, regular expressions compiled with google-re2, operands checked); evaluating one
against an :class:`Env` (a resource, and an element when inside ``every``/``some``/``lookup``)
gives an :class:`Outcome`: whether it holds, why not, and where in the resource.

Intrinsic functions are handled on purpose. A comparison on a value that is ``Ref``/``Fn::*``
is *unresolved* and follows the test's (or the policy's) ``unresolved`` mode: ``fail``,
``pass`` or ``skip`` (the whole resource is skipped, :class:`SkipResource`). ``Fn::If`` is
looked through: the test is applied to both branches (``AWS::NoValue`` = absent), and only if
the branches disagree is the value unresolved. ``Ref: AWS::NoValue`` is an absent value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

import re2

from .groups import TypeSelector
from .paths import (
    ABSENT,
    FOUND,
    HIDDEN,
    Path,
    PathError,
    is_intrinsic,
    is_no_value,
    parse_path,
    resolve,
)
from .paths import path_text as _path_text

if TYPE_CHECKING:
    from ..graph import Graph, Node

PASS, FAIL, UNRESOLVED = "pass", "fail", "unresolved"
MAX_REASONS = 4
UNRESOLVED_MODES = ("fail", "pass", "skip")


class CompileError(ValueError):
    """A policy that passes the JSON schema but is still wrong; ``where`` = path in the file."""

    def __init__(self, message: str, where: tuple):
        super().__init__(message)
        self.where = where


class SkipResource(Exception):
    """An unresolved value with ``unresolved: skip``: the resource is not checked."""


@dataclass
class Outcome:
    ok: bool
    reason: str = ""
    at: tuple | None = None  # path inside the resource that decided it (None: the resource)
    test: "Assertion | None" = None  # the failing leaf
    want: tuple | None = None  # the full path that was asked for when ``at`` is a parent


@dataclass
class Env:
    """What an assertion is evaluated against."""

    node: "Node"
    root: dict  # the resource
    run: Any  # the per-run state (cfncheck.policy.check.RunState)
    unresolved: str = "fail"  # the policy's default
    element: Any = None
    element_at: tuple = ()
    in_element: bool = False

    @property
    def stack(self):
        return self.node.stack

    @property
    def graph(self) -> "Graph":
        return self.run.graph

    def param(self, name: str):
        return self.run.param(name, self.node.stack.stage)

    def value(self, operand):
        return self.param(operand.name) if isinstance(operand, Param) else operand

    def at_element(self, value, at: tuple) -> "Env":
        return replace(self, element=value, element_at=at, in_element=True)

    def for_node(self, node: "Node") -> "Env":
        return Env(node, node.resource, self.run, self.unresolved)

    def say(self, text: str | None) -> str | None:
        """An author's message with its placeholders (``{logical_id}``, ``{owner}``, ...)
        filled in for this resource; values from the template are never expanded."""
        if not text or "{" not in text:
            return text
        fill = getattr(self.run, "fill", None)
        return fill(self.node, text) if fill is not None else text


@dataclass(frozen=True)
class Param:
    name: str

    def __str__(self) -> str:
        return f"parameter {self.name}"


@dataclass(frozen=True)
class PathOperand:
    """``{path: $.ToPort}`` as the operand of equals / not_equals: another value of the same
    resource (or element), compared literally (intrinsic or absent: unresolved)."""

    path: Path

    def __str__(self) -> str:
        return f"the value of {self.path}"


class Assertion:
    def evaluate(self, env: Env) -> Outcome:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def walk(self):
        """This assertion and every nested one."""
        yield self


# -- combinators ------------------------------------------------------------------------------

@dataclass
class _Combinator(Assertion):
    """all / any: a list of assertions, and an optional message that replaces the generated
    explanation of a failure (never a type guard's: that one means "not applicable")."""

    items: list
    message: str | None = None
    joiner = ""

    def evaluate(self, env: Env) -> Outcome:
        out = self._evaluate(env)
        if not out.ok and self.message and not _is_type_guard(out.test):
            return Outcome(False, env.say(self.message), out.at, out.test, out.want)
        return out

    def _evaluate(self, env: Env) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return self.joiner.join(f"({a.describe()})" for a in self.items)

    def walk(self):
        yield self
        for a in self.items:
            yield from a.walk()


@dataclass
class All(_Combinator):
    joiner = " and "

    def _evaluate(self, env: Env) -> Outcome:
        last = Outcome(True)
        failures: list[Outcome] = []
        for a in self.items:
            last = a.evaluate(env)
            if not last.ok:
                if _is_type_guard(last.test):
                    return last  # not this kind of resource: nothing more to explain
                failures.append(last)
        if not failures:
            return Outcome(True, at=last.at)
        # explain every failing part, not only the first (all four BPA flags, both policies)
        first = failures[0]
        reasons = list(dict.fromkeys(f.reason for f in failures))
        if len(reasons) > MAX_REASONS:
            reasons = reasons[:MAX_REASONS] + [f"{len(reasons) - MAX_REASONS} more"]
        return Outcome(False, "; ".join(reasons), first.at, first.test, first.want)


@dataclass
class Any_(_Combinator):
    joiner = " or "

    def _evaluate(self, env: Env) -> Outcome:
        failures = []
        for a in self.items:
            out = a.evaluate(env)
            if out.ok:
                return out
            failures.append(out)
        # alternatives that failed on a Type test ("this kind of resource") explain nothing
        real = [f for f in failures if not _is_type_guard(f.test)] or failures
        reasons = list(dict.fromkeys(f.reason for f in real))
        return Outcome(False, " or ".join(reasons), real[0].at, real[0].test, real[0].want)


@dataclass
class Not(Assertion):
    item: Assertion
    message: str | None = None

    def evaluate(self, env: Env) -> Outcome:
        out = self.item.evaluate(env)
        if out.ok:
            return Outcome(False, env.say(self.message)
                           or f"{self.item.describe()}, which is not allowed", out.at, self)
        return Outcome(True, at=out.at)

    def describe(self) -> str:
        return f"not ({self.item.describe()})"

    def walk(self):
        yield self
        yield from self.item.walk()


def _is_type_guard(test) -> bool:
    return isinstance(test, Test) and test.path.segments == ("Type",)


# -- property tests ---------------------------------------------------------------------------

def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _num(v) -> float | None:
    if _is_num(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def equal(v, x) -> bool:
    """CloudFormation-aware equality: ``true`` matches ``"true"``, ``15`` matches ``"15"``."""
    if isinstance(x, bool):
        if isinstance(v, bool):
            return v is x
        return isinstance(v, str) and v.strip().lower() == ("true" if x else "false")
    if _is_num(x):
        n = _num(v) if not isinstance(v, bool) else None
        return n is not None and n == float(x)
    if isinstance(x, str):
        if isinstance(v, str):
            return v == x
        if _is_num(v):
            return _num(x) is not None and float(v) == _num(x)
        if isinstance(v, bool):
            return x.strip().lower() == ("true" if v else "false")
        return False
    if x is None:
        return v is None
    return v == x


def short(v, limit: int = 60) -> str:
    if isinstance(v, str):
        text = json.dumps(v)
    else:
        try:
            text = json.dumps(v, default=str, separators=(",", ":"))
        except (TypeError, ValueError):
            text = str(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_of(v) -> str:
    if is_intrinsic(v):
        return "intrinsic"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if _is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    return "object"


# operators that hold on an absent value
_ABSENT_HOLDS = {"not_equals", "not_in", "not_regex", "secure_parameter"}
_NO_DEFAULT = object()
COMPARISONS = ("equals", "not_equals", "in", "not_in", "regex", "not_regex", "gt", "gte", "lt",
               "lte", "contains", "length_gte", "length_lte", "type", "exists")
OPERATORS = COMPARISONS + ("includes_all", "has_tags", "references", "secure_parameter")


@dataclass
class Test(Assertion):
    path: Path
    op: str
    operand: Any
    quantifier: str = "all"
    unresolved: str | None = None
    message: str | None = None
    regex: Any = None  # compiled re2 pattern
    selector: TypeSelector | None = None  # references
    count_gte: Any = 1  # references
    default: Any = _NO_DEFAULT  # the value CloudFormation assumes when the property is absent

    # -- description --
    def expectation(self, env: Env | None = None) -> str:
        x = self.operand
        if env is not None:
            x = env.value(x)
        xs = short(x) if not isinstance(x, (Param, PathOperand)) else str(x)
        return {
            "exists": "present" if x is True else "absent",
            "equals": xs,
            "not_equals": f"anything but {xs}",
            "in": f"one of {xs}",
            "not_in": f"none of {xs}",
            "regex": f"to match /{x}/",
            "not_regex": f"not to match /{x}/",
            "gt": f"> {xs}", "gte": f">= {xs}", "lt": f"< {xs}", "lte": f"<= {xs}",
            "contains": f"to contain {xs}",
            "length_gte": f"length >= {xs}", "length_lte": f"length <= {xs}",
            "type": f"a {x}",
            "includes_all": f"to include all of {xs}",
            "has_tags": f"tags {xs}",
            "references": f"a reference to {self.selector}",
            "secure_parameter": "no parameter declared without NoEcho or with a Default",
        }[self.op]

    def describe(self) -> str:
        q = "some " if self.quantifier == "any" and self.path.multi else ""
        if self.op == "exists":
            return f"{q}{self.path} {'exists' if self.operand is True else 'is absent'}"
        if self.op == "has_tags":
            return f"the resource has tags {short(self.operand)}"
        return f"{q}{self.path} is {self.expectation()}"

    # -- evaluation --
    def evaluate(self, env: Env) -> Outcome:
        if self.op == "has_tags":
            return self._has_tags(env)
        values = resolve(self.path, env.root, (), env.element, env.element_at)
        if self.op == "includes_all":
            return self._includes_all(env, values)
        if self.path.multi:
            present = [v for v in values if not v.empty]
            if not present:
                where = values[0].at if values else env.element_at
                if self.quantifier == "any" or (self.op == "exists" and self.operand is True):
                    return self._fail(env, f"{self._text(values[0].want if values else ())} "
                                      "has no elements", where)
                return Outcome(True, at=where)
            first_fail = None
            for v in present:
                out = self._one(env, v)
                if out.ok and self.quantifier == "any":
                    return out
                if not out.ok:
                    if self.quantifier == "all":
                        return out
                    first_fail = first_fail or out
            if self.quantifier == "all":
                return Outcome(True, at=present[0].at)
            return self._fail(env, f"no value of {self.path} is {self.expectation(env)} "
                              f"(e.g. {first_fail.reason})", first_fail.at)
        return self._one(env, values[0])

    def _text(self, at: tuple) -> str:
        return _path_text(at)

    def _fail(self, env: Env, reason: str, at: tuple | None, want: tuple | None = None
              ) -> Outcome:
        return Outcome(False, env.say(self.message) or reason, at, self, want)

    def _unresolved(self, env: Env, at: tuple, value, why: str = "") -> Outcome:
        mode = self.unresolved or env.unresolved
        reason = why or f"{self._text(at)} is not a literal value ({short(value)})"
        if mode == "pass":
            return Outcome(True, at=at)
        if mode == "skip":
            raise SkipResource(reason)
        return Outcome(False, reason, at, self)  # the author's message would mislead here

    def _one(self, env: Env, v) -> Outcome:
        if v.status == HIDDEN:
            return self._unresolved(env, v.at, v.value, f"{self._text(v.at)} is not a literal "
                                    f"value ({short(v.value)}), so {self.path} is unknown")
        if v.status == ABSENT and self.default is not _NO_DEFAULT and not v.empty \
                and self.op != "exists":
            state, reason = self._apply(env, env.value(self.default), v.want)
            if state == PASS:
                return Outcome(True, at=v.at)
            return self._fail(env, f"{reason} ({self._text(v.want)} is absent, so "
                                   f"{short(env.value(self.default))} by default)", v.at,
                              v.want)
        if v.status == ABSENT:
            if self.op in _ABSENT_HOLDS or (self.op == "exists" and self.operand is False):
                return Outcome(True, at=v.at)
            return self._fail(env, f"{self._text(v.want)} is absent", v.at, v.want)
        state, reason = self._apply(env, v.value, v.at)
        if state == PASS:
            return Outcome(True, at=v.at)
        if state == UNRESOLVED:
            return self._unresolved(env, v.at, v.value, reason)
        return self._fail(env, reason, v.at)

    def _apply(self, env: Env, value, at: tuple) -> tuple[str, str]:
        """(state, reason) of the operator on one present value, looking through Fn::If."""
        if self.op == "exists":
            branches = set(_if_presence(value))
            if len(branches) > 1:
                return UNRESOLVED, (f"{self._text(at)} depends on condition "
                                    f"{_condition_name(value)} ({short(value)})")
            present = branches.pop()
            if present == self.operand:
                return PASS, ""
            return FAIL, (f"{self._text(at)} is present ({short(value)}), expected absent"
                          if present else f"{self._text(at)} is absent")
        if self.op == "references":
            return self._references(env, value, at)
        if self.op == "secure_parameter":
            return self._secure_parameter(env, value, at)
        if self.op == "type" and env.value(self.operand) == "intrinsic":
            return (PASS, "") if is_intrinsic(value) else \
                (FAIL, f"{self._text(at)} is {short(value)}, expected an intrinsic function")
        if is_intrinsic(value):
            branches = _if_branches(value)
            if branches is None:
                return UNRESOLVED, ""
            states = []
            for b in branches:
                if b is _ABSENT:
                    ok = self.op in _ABSENT_HOLDS
                    states.append((PASS, "") if ok else (FAIL, f"{self._text(at)} is absent "
                                                               "when the condition says so"))
                else:
                    states.append(self._literal(env, b, at))
            kinds = {s for s, _ in states}
            if kinds == {PASS}:
                return PASS, ""
            if kinds == {FAIL}:
                return FAIL, states[0][1] + " (in every branch of Fn::If)"
            return UNRESOLVED, (f"{self._text(at)} depends on condition "
                                f"{_condition_name(value)} ({short(value)})")
        return self._literal(env, value, at)

    def _secure_parameter(self, env: Env, value, at: tuple) -> tuple[str, str]:
        """A ``Ref`` to a parameter of the template (in every branch of ``Fn::If``) must be
        declared with ``NoEcho: true`` and no ``Default``; any other value holds (literals are
        judged by other tests). Parameters of a nested stack are filled in by the parent
        stack, not by a person, and are not judged."""
        stack = env.node.stack
        params = stack.template.data.get("Parameters") if stack.parent is None else None
        if not isinstance(params, dict):
            return PASS, ""
        for b in _if_leaves(value):
            name = b.get("Ref") if isinstance(b, dict) and len(b) == 1 else None
            decl = params.get(name) if isinstance(name, str) else None
            if not isinstance(decl, dict):
                continue
            if not equal(decl.get("NoEcho"), True):
                return FAIL, (f"{self._text(at)} is parameter {name}, declared without "
                              "NoEcho: true (the console and DescribeStacks show its value)")
            if "Default" in decl:
                return FAIL, (f"{self._text(at)} is parameter {name}, whose Default writes the "
                              "secret in the template")
        return PASS, ""

    def _literal(self, env: Env, v, at: tuple) -> tuple[str, str]:
        op = self.op
        x = env.value(self.operand)
        where = self._text(at)

        def got() -> str:  # built only for failures (expectation() is not free)
            return f"{where} is {short(v)}, expected {self.expectation(env)}"

        if is_intrinsic(v):
            return UNRESOLVED, ""
        if isinstance(x, PathOperand):
            other = resolve(x.path, env.root, (), env.element, env.element_at)
            if len(other) != 1 or other[0].status != FOUND or is_intrinsic(other[0].value):
                return UNRESOLVED, f"{x.path} is absent or not a literal value"
            x = other[0].value
        if op == "equals":
            return (PASS, "") if equal(v, x) else (FAIL, got())
        if op == "not_equals":
            return (FAIL, got()) if equal(v, x) else (PASS, "")
        if op in ("in", "not_in"):
            hit = any(equal(v, o) for o in (x if isinstance(x, list) else [x]))
            return (PASS, "") if hit == (op == "in") else (FAIL, got())
        if op in ("regex", "not_regex"):
            pattern = self.regex if not isinstance(self.operand, Param) else _regex(x)
            if _is_num(v):
                v = str(v)
            if not isinstance(v, str):
                return FAIL, f"{where} is {short(v)}, not a string"
            hit = pattern.search(v) is not None
            return (PASS, "") if hit == (op == "regex") else (FAIL, got())
        if op in ("gt", "gte", "lt", "lte"):
            n, limit = _num(v), _num(x)
            if n is None or limit is None:
                return FAIL, f"{where} is {short(v)}, not a number"
            ok = {"gt": n > limit, "gte": n >= limit, "lt": n < limit, "lte": n <= limit}[op]
            return (PASS, "") if ok else (FAIL, got())
        if op == "contains":
            if isinstance(v, list):
                if any(equal(el, x) for el in v):
                    return PASS, ""
                if any(is_intrinsic(el) for el in v):
                    return UNRESOLVED, f"{where} has intrinsic elements and no literal {short(x)}"
                return FAIL, f"{where} does not contain {short(x)}"
            if isinstance(v, str):
                return (PASS, "") if str(x) in v else (FAIL, f"{where} ({short(v)}) does not "
                                                             f"contain {short(x)}")
            if isinstance(v, dict):
                return (PASS, "") if x in v else (FAIL, f"{where} has no key {short(x)}")
            return FAIL, f"{where} is {short(v)}, not a list or string"
        if op in ("length_gte", "length_lte"):
            if not isinstance(v, (list, str, dict)):
                return FAIL, f"{where} is {short(v)}, which has no length"
            n = len(v)
            ok = n >= _num(x) if op == "length_gte" else n <= _num(x)
            return (PASS, "") if ok else (FAIL, f"{where} has length {n}, expected "
                                                f"{self.expectation(env)}")
        if op == "type":
            t = _type_of(v)
            return (PASS, "") if t == x else (FAIL, f"{where} is a {t}, expected a {x}")
        raise AssertionError(op)  # pragma: no cover

    def _includes_all(self, env: Env, values) -> Outcome:
        wanted = env.value(self.operand)
        have: list = []
        hidden = None
        where = values[0].at if values else ()
        for v in values:
            if v.status == HIDDEN:
                hidden = hidden or v
                continue
            if v.status != FOUND:
                continue
            val = v.value
            if self.path.multi:
                items = [val]
            elif isinstance(val, list):
                items = val
            elif isinstance(val, dict) and not is_intrinsic(val):
                items = list(val)
            else:
                items = [val]
            for it in items:
                if is_intrinsic(it):
                    hidden = hidden or v
                else:
                    have.append(it)
        missing = [w for w in wanted if not any(equal(h, w) for h in have)]
        if not missing:
            return Outcome(True, at=where)
        if hidden is not None:
            return self._unresolved(env, hidden.at, hidden.value,
                                    f"{self.path} has intrinsic values; missing literal "
                                    f"{short(missing)}")
        return self._fail(env, f"{self.path} lacks {short(missing)}", where)

    def _references(self, env: Env, value, at: tuple) -> tuple[str, str]:
        nodes = {n for n in env.graph.resolve(env.stack, value)
                 if n.kind == "resource" and n.type and self.selector.matches(n.type)}
        need = _num(env.value(self.count_gte)) or 0
        if len(nodes) >= need:
            return PASS, ""
        return FAIL, (f"{self._text(at)} references {len(nodes)} {self.selector} "
                      f"resource(s), expected at least {int(need)}")

    def _has_tags(self, env: Env) -> Outcome:
        wanted = [str(k) for k in env.value(self.operand)]
        values = resolve(self.path, env.root, (), env.element, env.element_at)
        v = values[0]
        keys: set[str] = set(str(k) for k in (env.stack.tags or {}))
        parent = env.stack.parent
        while parent is not None:  # CloudFormation propagates stack tags to nested stacks
            keys.update(str(k) for k in (parent.tags or {}))
            parent = parent.parent
        hidden = None
        if v.status == HIDDEN:
            hidden = v
        elif v.status == FOUND:
            tags = v.value
            if is_intrinsic(tags):
                hidden = v
            elif isinstance(tags, list):
                for t in tags:
                    if isinstance(t, dict) and not is_intrinsic(t):
                        k = t.get("Key", t.get("key"))
                        if isinstance(k, str):
                            keys.add(k)
                        elif k is not None:
                            hidden = hidden or v
                    elif not is_no_value(t):
                        hidden = hidden or v
            elif isinstance(tags, dict):
                keys.update(str(k) for k in tags)
        missing = [k for k in wanted if k not in keys]
        at = v.at
        if not missing:
            return Outcome(True, at=at)
        if hidden is not None:
            return self._unresolved(env, hidden.at, hidden.value,
                                    f"tags are partly intrinsic; missing literal "
                                    f"{', '.join(missing)}")
        return self._fail(env, f"missing tag{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(missing)}", at)


_ABSENT = object()


def _if_branches(value, depth: int = 0) -> list | None:
    """The literal values an ``Fn::If`` can take (nested Ifs flattened), None if any branch is
    another intrinsic function. ``AWS::NoValue`` -> the absent marker."""
    if is_no_value(value):
        return [_ABSENT]
    if not is_intrinsic(value):
        return [value]
    arg = value.get("Fn::If")
    if depth > 8 or not (isinstance(arg, list) and len(arg) == 3):
        return None
    out = []
    for branch in arg[1:]:
        sub = _if_branches(branch, depth + 1)
        if sub is None:
            return None
        out.extend(sub)
    return out


def _if_leaves(value, depth: int = 0) -> list:
    """The values an ``Fn::If`` can take (nested Ifs flattened), intrinsic ones included."""
    arg = value.get("Fn::If") if isinstance(value, dict) and len(value) == 1 else None
    if depth > 8 or not (isinstance(arg, list) and len(arg) == 3):
        return [value]
    return [leaf for branch in arg[1:] for leaf in _if_leaves(branch, depth + 1)]


def _if_presence(value, depth: int = 0) -> list[bool]:
    """Whether the value is present in each branch of (nested) ``Fn::If``."""
    if is_no_value(value):
        return [False]
    arg = value.get("Fn::If") if isinstance(value, dict) and len(value) == 1 else None
    if depth > 8 or not (isinstance(arg, list) and len(arg) == 3):
        return [True]
    return _if_presence(arg[1], depth + 1) + _if_presence(arg[2], depth + 1)


def _condition_name(value) -> str:
    arg = value.get("Fn::If") if isinstance(value, dict) else None
    return str(arg[0]) if isinstance(arg, list) and arg else "?"


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad pattern is reported as a policy error, not on stderr


def _regex(pattern: str):
    return re2.compile(pattern, options=_RE2_OPTIONS)


# -- element quantifiers and joins -------------------------------------------------------------

def _elements(env: Env, paths):
    """(status, items) for every/some over one path or a list of paths: items are
    (at, element), in path order; status 'hidden' -> value.

    A path contributes each value of a ``[*]`` path, each element of a list, or a single
    mapping as one element (``DefaultCacheBehavior`` beside ``CacheBehaviors``); a missing
    path contributes nothing; any other scalar is not a list.
    """
    items = []
    for path in paths if isinstance(paths, list) else [paths]:
        for v in resolve(path, env.root, (), env.element, env.element_at):
            if v.status == HIDDEN:
                return HIDDEN, v
            if v.status != FOUND:
                continue
            if is_intrinsic(v.value) and not path.multi:
                return HIDDEN, v
            if path.multi or isinstance(v.value, dict):
                items.append((v.at, v.value))
            elif isinstance(v.value, list):
                items.extend((v.at + (i,), el) for i, el in enumerate(v.value)
                             if not is_no_value(el))
            else:
                return "scalar", v
    return FOUND, items


def _paths_text(paths) -> str:
    return " and ".join(map(str, paths)) if isinstance(paths, list) else str(paths)


def _unresolved_elements(env: Env, v, path: Path, mode: str | None) -> Outcome:
    mode = mode or env.unresolved
    reason = (f"{_path_text(v.at)} is not a literal value ({short(v.value)}), so "
              f"{_paths_text(path)} is unknown")
    if mode == "pass":
        return Outcome(True, at=v.at)
    if mode == "skip":
        raise SkipResource(reason)
    return Outcome(False, reason, v.at)


@dataclass
class _Quantifier(Assertion):
    """every / some: the elements at ``path`` (one path, or several whose elements are taken in
    order) that pass ``where``, each judged by ``item`` with ``$`` bound to it."""

    path: Path | list
    item: Assertion
    where: Assertion | None = None
    unresolved: str | None = None
    message: str | None = None

    def _candidates(self, env: Env):
        """An Outcome to return at once (unresolved or not a list), else a lazy iterator of
        (at, element env) for the elements that pass ``where``."""
        status, items = _elements(env, self.path)
        if status == HIDDEN:
            return _unresolved_elements(env, items, self.path, self.unresolved)
        if status == "scalar":
            return Outcome(False, env.say(self.message) or f"{_path_text(items.at)} is not a list",
                           items.at, self)
        return ((at, sub) for at, el in items for sub in [env.at_element(el, at)]
                if self.where is None or self.where.evaluate(sub).ok)

    def walk(self):
        yield self
        if self.where:
            yield from self.where.walk()
        yield from self.item.walk()


@dataclass
class Every(_Quantifier):
    def evaluate(self, env: Env) -> Outcome:
        candidates = self._candidates(env)
        if isinstance(candidates, Outcome):
            return candidates
        for at, sub in candidates:
            out = self.item.evaluate(sub)
            if not out.ok:
                if self.message:
                    return Outcome(False, env.say(self.message), out.at if out.at else at, self)
                return out
        return Outcome(True)

    def describe(self) -> str:
        return f"every element of {_paths_text(self.path)} satisfies ({self.item.describe()})"


@dataclass
class Some(_Quantifier):
    count_gte: Any = 1

    def evaluate(self, env: Env) -> Outcome:
        candidates = self._candidates(env)
        if isinstance(candidates, Outcome):
            return candidates
        need = _num(env.value(self.count_gte)) or 0
        n, first = 0, None
        for at, sub in candidates:
            out = self.item.evaluate(sub)
            if out.ok:
                n += 1
                if n >= need:
                    return Outcome(True, at=at)
            else:
                first = first or out
        first_path = self.path[0] if isinstance(self.path, list) else self.path
        values = resolve(first_path, env.root, (), env.element, env.element_at)
        where = first.at if first else (values[0].at if values else None)
        reason = (f"{n} element(s) of {_paths_text(self.path)} satisfy "
                  f"({self.item.describe()}), expected at least {int(need)}")
        if first is not None:
            reason += f"; e.g. {first.reason}"
        return Outcome(False, env.say(self.message) or reason, where, self)

    def describe(self) -> str:
        return f"some element of {_paths_text(self.path)} satisfies ({self.item.describe()})"


@dataclass
class Lookup(Assertion):
    path: Path
    key: str
    equals: Any  # a Path ($-relative or absolute) or a literal
    item: Assertion
    message: str | None = None

    def evaluate(self, env: Env) -> Outcome:
        if isinstance(self.equals, Path):
            vals = resolve(self.equals, env.root, (), env.element, env.element_at)
            v = vals[0]
            if v.status != FOUND:
                return Outcome(False, env.say(self.message)
                               or f"{_path_text(v.want or v.at)} is absent", v.at, self)
            wanted = v.value
        else:
            wanted = env.value(self.equals)
        if is_intrinsic(wanted):
            return Test(self.path, "exists", True)._unresolved(env, env.element_at, wanted)
        status, items = _elements(env, self.path)
        if status == HIDDEN:
            return _unresolved_elements(env, items, self.path, None)
        if status == "scalar":
            items = []
        found = [(at, el) for at, el in items
                 if isinstance(el, dict) and self.key in el and equal(el[self.key], wanted)]
        if not found:
            return Outcome(False, env.say(self.message) or f"no element of {self.path} has "
                           f"{self.key} = {short(wanted)}", env.element_at or None, self)
        for at, el in found:
            out = self.item.evaluate(env.at_element(el, at))
            if not out.ok:
                return out
        return Outcome(True, at=found[0][0])

    def describe(self) -> str:
        return (f"the element of {self.path} whose {self.key} is {self.equals} satisfies "
                f"({self.item.describe()})")

    def walk(self):
        yield self
        yield from self.item.walk()


# -- compilation -----------------------------------------------------------------------------

@dataclass
class CompileContext:
    parameters: dict  # name -> default value (possibly per stage)
    relations: dict = field(default_factory=dict)  # keyword -> compile function


def compile_assertion(spec: Any, where: tuple, cc: CompileContext) -> Assertion:
    if not isinstance(spec, dict):
        raise CompileError("an assertion must be a mapping", where)
    # "references" is a relationship, or a property test when a path is given
    forms = [k for k in ("all", "any", "not", "every", "some", "lookup", *cc.relations)
             if k in spec and not (k == "references" and "path" in spec)]
    ops = [k for k in OPERATORS if k in spec and not (k == "references" and "path" not in spec)]
    if "path" in spec or ops:
        forms.append("path")
    if len(forms) != 1:
        if not forms:
            raise CompileError("an assertion needs one of: all, any, not, every, some, lookup, "
                               f"{', '.join(cc.relations)}, or path with an operator", where)
        raise CompileError(f"an assertion has exactly one form, found {', '.join(forms)}",
                           where)
    form = forms[0]
    if form in ("all", "any"):
        items = spec[form]
        if not isinstance(items, list) or not items:
            raise CompileError(f"{form} needs a non-empty list of assertions", where + (form,))
        compiled = [compile_assertion(a, where + (form, i), cc) for i, a in enumerate(items)]
        return (All if form == "all" else Any_)(compiled, spec.get("message"))
    if form == "not":
        return Not(compile_assertion(spec["not"], where + ("not",), cc), spec.get("message"))
    if form in ("every", "some"):
        body = spec[form]
        raw = body.get("path")
        path = ([_path(p, where + (form, "path", i), cc) for i, p in enumerate(raw)]
                if isinstance(raw, list) else _path(raw, where + (form, "path"), cc))
        item = compile_assertion(body.get("assert"), where + (form, "assert"), cc)
        cond = (compile_assertion(body["where"], where + (form, "where"), cc)
                if "where" in body else None)
        common = dict(where=cond, unresolved=body.get("unresolved"), message=body.get("message"))
        if form == "every":
            return Every(path, item, **common)
        return Some(path, item, **common,
                    count_gte=_operand(body.get("count_gte", 1), where + (form, "count_gte"), cc))
    if form == "lookup":
        body = spec["lookup"]
        path = _path(body.get("path"), where + ("lookup", "path"), cc)
        eq = body.get("equals")
        if isinstance(eq, str) and eq.startswith("$"):
            eq = _path(eq, where + ("lookup", "equals"), cc)
        else:
            eq = _operand(eq, where + ("lookup", "equals"), cc)
        return Lookup(path, str(body.get("key")), eq,
                      compile_assertion(body.get("assert"), where + ("lookup", "assert"), cc),
                      body.get("message"))
    if form in cc.relations:
        return cc.relations[form](spec[form], where + (form,), cc, spec)
    return _compile_test(spec, ops, where, cc)


def _compile_test(spec: dict, ops: list, where: tuple, cc: CompileContext) -> Test:
    if len(ops) != 1:
        raise CompileError("a property test needs exactly one operator (" + ", ".join(OPERATORS)
                           + f"), found {', '.join(ops) or 'none'}", where)
    op = ops[0]
    raw_path = spec.get("path")
    if raw_path is None:
        if op != "has_tags":
            raise CompileError(f"{op} needs a path", where)
        raw_path = "Properties.Tags"
    path = _path(raw_path, where + ("path",), cc)
    raw = spec[op]
    if op in ("equals", "not_equals") and isinstance(raw, dict) and set(raw) == {"path"}:
        operand = PathOperand(_path(raw["path"], where + (op, "path"), cc))
        if operand.path.multi:
            raise CompileError("a {path: ...} operand names one value (no [*])",
                               where + (op, "path"))
    else:
        operand = _operand(raw, where + (op,), cc)
    test = Test(path, op, operand, spec.get("quantifier", "all"), spec.get("unresolved"),
                spec.get("message"))
    if "default" in spec:
        test.default = _operand(spec["default"], where + ("default",), cc)
    if test.quantifier == "any" and not path.multi:
        raise CompileError("quantifier applies to paths with [*] only", where + ("quantifier",))
    if op in ("regex", "not_regex") and not isinstance(operand, Param):
        try:
            test.regex = _regex(operand)
        except re2.error as e:
            why = e.args[0].decode(errors="replace") if e.args and isinstance(
                e.args[0], bytes) else str(e)
            raise CompileError(f"invalid regular expression {operand!r}: {why}", where + (op,)) \
                from None
    if op == "references":
        t = operand.get("type") if isinstance(operand, dict) else None
        if isinstance(t, str):
            t = [t]
        if not (isinstance(t, list) and t and all(isinstance(x, str) for x in t)):
            raise CompileError("references needs {type: GLOB}", where + (op,))
        test.selector = TypeSelector(t)
        test.count_gte = _operand(operand.get("count_gte", 1), where + (op, "count_gte"), cc)
    if op == "exists" and not isinstance(operand, bool):
        raise CompileError("exists takes true or false", where + (op,))
    if op == "secure_parameter" and operand is not True:
        raise CompileError("secure_parameter takes true", where + (op,))
    return test


def _path(raw, where: tuple, cc: CompileContext) -> Path:
    try:
        return parse_path(raw)
    except PathError as e:
        raise CompileError(str(e), where) from None


def _operand(raw, where: tuple, cc: CompileContext):
    if isinstance(raw, dict) and set(raw) == {"param"}:
        name = raw["param"]
        if name not in cc.parameters:
            known = ", ".join(sorted(cc.parameters)) or "none"
            raise CompileError(f"unknown parameter {name!r} (declared: {known})",
                               where + ("param",))
        return Param(name)
    return raw


Relation = Callable[[Any, tuple, CompileContext, dict], Assertion]
