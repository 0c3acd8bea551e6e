"""IAM statements that aws-cdk-lib writes itself (the user cannot change them).

The catalogue (``cfncheck/data/generated_iam.yaml``) is recorded, not written by hand:
``tools/refresh_generated_iam.py`` scans the fixture app ``tests/fixtures/generated_iam_app``
(one stack per construct that writes statements of its own: ECS cluster capacity, bastion
host, ECS Exec, CodePipeline actions, log retention, custom-resource providers, ...) with the
IAM rules and records every statement they report.

An entry says *where* the statement lives and *what* it says:

* ``chain``: the constructs from the policy resource up to the outermost library construct
  (innermost first), by tree.json fqn. Nodes whose fqn says nothing (``constructs.Construct``,
  ``CfnResource``, a custom-resource provider) carry their construct id when the library
  chose it (singletons at the stack root, such as ``LogRetentionaae0...``), else ``*``.
* ``statement``: effect, actions, resources, principals and condition, normalised so that
  references to the app's own resources (``${Table.Arn}``) and the region and account fields
  of ARNs match whatever the app has there.

A statement of a scanned stack is library-generated when the constructs above its policy
resource start with an entry's chain (the library construct may sit anywhere in the app's
tree) *and* it has the entry's shape; its actions may be the union of several entries' (CDK's
``@aws-cdk/aws-iam:minimizePolicies`` merges statements that differ only in their actions). A
statement the user adds to the same role (``asg.add_to_role_policy(...)``) has another shape,
or brings an action no entry has when CDK merges it, and is judged normally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

import re2

from . import iam

GENERIC_FQNS = ("constructs.Construct", "aws-cdk-lib.CfnResource",
                "aws-cdk-lib.CustomResourceProviderBase", "aws-cdk-lib.CustomResourceProvider")
_REF = re2.compile(r"\$\{[^}]*\}")  # RE2: linear on hostile ``${${${...``
_SINGLETON_ID = re.compile(r"[0-9a-fA-F]{32}")
_FIELD = r"(?:\$\{[^}]*\}|[^:$])*"
_ARN = re2.compile(rf"^arn:(?P<partition>{_FIELD}):(?P<service>{_FIELD}):(?P<region>{_FIELD}):"
                  rf"(?P<account>{_FIELD}):(?P<rest>(?s:.*))$")


@dataclass(frozen=True)
class Entry:
    writer: str  # fqn of the construct (or class) whose code writes the statement
    api: str  # what the app does to make it write it
    resource_type: str
    document: str  # PolicyDocument.name: "PolicyDocument", "Policies[sns-publish]"
    chain: tuple  # ("aws-cdk-lib.aws_iam.CfnPolicy", ..., "constructs.Construct#LogRetention...")
    shape: str  # normalised statement (see :func:`shape`)


@dataclass(frozen=True)
class Origin:
    """Who wrote a statement: the catalogue entries (several when CDK merged the statements of
    several writers into one, as ``@aws-cdk/aws-iam:minimizePolicies`` does) and, for each,
    the construct of the app that holds it (the outermost node of the matched chain)."""

    found: tuple  # ((Entry, construct path, fqn), ...)

    @property
    def entry(self) -> Entry:
        return self.found[0][0]

    @property
    def message(self) -> str:
        writers = list(dict.fromkeys(f"{e.writer} ({e.api})" for e, _, _ in self.found))
        wheres = list(dict.fromkeys(
            path if fqn in (e.writer, *GENERIC_FQNS) else f"{path} ({fqn})"
            for e, path, fqn in self.found))
        return f"written by {' and '.join(writers)} at {' and '.join(wheres)}"


# ---------------------------------------------------------------------------------------------
# normalisation (shared by the recorder and the matcher)


def normalise_value(pattern: str) -> str:
    """References to the app's resources become ``${ref}``; an ARN's region and account
    fields become ``${region}`` / ``${account}`` (literal or pseudo parameter alike)."""
    pattern = _REF.sub(lambda m: m.group(0) if m.group(0).startswith("${AWS::")
                       else "${ref}", str(pattern))  # str: RE2 rebuilds str subclasses
    m = _ARN.match(pattern)
    if m is None:
        return pattern
    region = m.group("region") if m.group("region") in ("", "*") else "${region}"
    account = (m.group("account") if m.group("account") in ("", "*", "aws")
               else "${account}")
    return f"arn:{m.group('partition')}:{m.group('service')}:{region}:{account}:{m.group('rest')}"


def shape(stmt: iam.Statement) -> str:
    """One line that says what a statement grants, independent of the app's names."""
    def norm(values: Iterable[str] | None) -> str:
        if values is None:
            return "-"
        return ",".join(sorted({normalise_value(v) for v in values}))

    parts = [f"effect={stmt.effect}",
             f"action={norm(a.lower() for a in stmt.actions) if stmt.actions else '-'}",
             f"notaction={norm(a.lower() for a in stmt.not_actions) if stmt.not_actions else '-'}",
             f"resource={norm(stmt.resources)}", f"notresource={norm(stmt.not_resources)}"]
    if stmt.principals is not None:
        kind = "notprincipal" if stmt.not_principal else "principal"
        parts.append(kind + "=" + ";".join(f"{k}:{norm(v)}"
                                           for k, v in sorted(stmt.principals.items())))
    conds = sorted(f"{op.lower()}:{key.lower()}={norm(vals)}"
                   for op, key, vals in stmt.condition_keys())
    if conds:
        parts.append("condition=" + ";".join(conds))
    return " ".join(parts)


def chain_of(stack, logical_id: str) -> list[tuple[str, str, str]]:
    """(construct path, fqn, chain element) from a resource up to the stack, innermost first.
    Stops below the stack (and below a nested stack's own construct path)."""
    tree = stack.tree
    cp = stack.construct_path(logical_id)
    if tree is None or not cp:
        return []
    prefix = stack.construct_prefix
    parts = cp.strip("/").split("/")
    out = []
    while parts:
        p = "/".join(parts)
        if prefix and p == prefix:
            break
        node = tree.nodes.get(p)
        fqn = node.get("fqn") if node else None
        if fqn:
            out.append((p, fqn, _element(fqn, parts[-1], len(parts) - 1 == _depth(prefix))))
        parts.pop()
    return out


def _depth(prefix: str) -> int:
    return len(prefix.strip("/").split("/")) if prefix else 0


def _element(fqn: str, cid: str, stack_child: bool) -> str:
    """A chain element: the fqn, with the construct id when the library chose it (a singleton
    at the stack root: ``LogRetention<uuid>``, ``Custom::...Provider``), ``#*`` for other
    nodes whose fqn says nothing (``constructs.Construct``)."""
    if stack_child and (_SINGLETON_ID.search(cid) or "::" in cid):
        return f"{fqn}#{cid}"
    if fqn in GENERIC_FQNS:
        return f"{fqn}#*"
    return fqn


# ---------------------------------------------------------------------------------------------
# the catalogue


@lru_cache(maxsize=1)
def catalogue() -> dict[str, list[Entry]]:
    """The catalogue (see :func:`index`), loaded once from the package data; its parsed form
    is kept in the user cache by content, so a warm scan does not import PyYAML."""
    import hashlib

    from . import cache as user_cache

    text = resources.files("cfncheck.data").joinpath("generated_iam.yaml").read_text()
    k = user_cache.key("generated-iam", hashlib.sha256(text.encode()).hexdigest())
    data = user_cache.load("generated-iam", k, lambda v: isinstance(v, dict))
    if data is not None:
        try:
            return index(data)
        except (KeyError, TypeError, AttributeError):  # a corrupt entry: the file itself
            pass
    import yaml

    data = yaml.safe_load(text) or {}
    user_cache.store("generated-iam", k, data)
    return index(data)


def index(data: dict) -> dict[str, list[Entry]]:
    """Entries by their shape without the actions (see :func:`split_shape`), the most
    specific chain first."""
    out: dict[str, list[Entry]] = {}
    for e in data.get("statements") or []:
        entry = Entry(writer=e["writer"], api=e["api"], resource_type=e["resource_type"],
                      document=e["document"], chain=tuple(e["chain"]), shape=e["shape"])
        out.setdefault(split_shape(entry.shape)[1], []).append(entry)
    for entries in out.values():
        entries.sort(key=lambda en: -len(en.chain))
    return out


def split_shape(text: str) -> tuple[frozenset, str]:
    """(actions, the rest of the shape): ``effect=Allow action=a,b rest`` -> ({a, b}, ...)."""
    effect, action, rest = (text.split(" ", 2) + ["", ""])[:3]
    actions = action.removeprefix("action=")
    return (frozenset(actions.split(",")) if actions not in ("", "-") else frozenset(),
            f"{effect} {rest}")


def origin(stack, doc: iam.PolicyDocument, stmt: iam.Statement,
           entries: dict[str, list[Entry]] | None = None) -> Origin | None:
    """The library constructs that wrote this statement, or None if the app's authors did.

    The statement's actions must be exactly the union of whole catalogue statements with the
    same resources, principals and condition on a matching chain: CDK merges statements that
    differ only in their actions into one, and an action the app added matches none."""
    entries = catalogue() if entries is None else entries
    actions, rest = split_shape(shape(stmt))
    candidates = entries.get(rest)
    if not candidates or not actions:
        return None
    chain = stack.memo(f"generated_iam.chain:{doc.logical_id}",
                       lambda s: chain_of(s, doc.logical_id))
    elements = [el for _, _, el in chain]
    found, covered, seen = [], set(), set()
    for entry in candidates:
        entry_actions = split_shape(entry.shape)[0]
        if entry.resource_type != doc.resource_type or entry.document != doc.name \
                or entry_actions in seen or not entry_actions <= actions:
            continue
        n = len(entry.chain)
        if n and len(elements) >= n and all(
                _element_matches(want, have)
                for want, have in zip(entry.chain, elements[:n], strict=True)):
            seen.add(entry_actions)
            covered |= entry_actions
            path, fqn, _ = chain[n - 1]
            found.append((entry, path, fqn))
    return Origin(tuple(found)) if found and covered == actions else None


def _element_matches(want: str, have: str) -> bool:
    """``fqn`` matches that fqn whatever the id; ``fqn#*`` any id; ``fqn#id`` only that id."""
    want_fqn, _, want_id = want.partition("#")
    have_fqn, _, have_id = have.partition("#")
    return want_fqn == have_fqn and want_id in ("", "*", have_id)
