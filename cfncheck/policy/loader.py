"""Finding, validating and compiling policy files.

Each file is read with the safe YAML loader (:mod:`cfncheck.yamlio`), validated against
``policies/policy.schema.json`` with jsonschema, then compiled (paths parsed, regular
expressions compiled with google-re2, parameters and message placeholders checked). Anything
wrong is an :class:`~cfncheck.errors.InputError` of kind ``policy`` naming the file, the line
and what is wrong. Compiled policies are cached per file (path, size, mtime) for the process.

Across processes, the *validated* data of each policy file is kept in the user cache
(:mod:`cfncheck.cache`, JSON keyed by a hash of the file's bytes and of the policy schema): a
file read before skips YAML parsing and schema validation (most of the start-up time of a
one-template scan) and is only compiled, which is cheap and still checks every path, operator
and pattern. A changed file has another key; an unreadable or malformed entry is ignored.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path

from ..checks import CheckInfo
from ..config import did_you_mean
from ..errors import InputError
from ..yamlio import escape, line_of, load_yaml_file
from .check import (
    GROUP_FIELDS,
    PolicyCheck,
    ServiceDefault,
    link_supersessions,
    message_errors,
)
from .evaluate import OPERATORS, CompileContext, CompileError, compile_assertion
from .groups import GROUPS, TypeSelector, known_resource_types
from .relations import RELATIONS

POLICY_SUFFIXES = (".yaml", ".yml")
BUILTIN_ID = r"^CC-[A-Z0-9]+-[0-9]{3}$"
#: spellings from other policy languages -> our operator (for "did you mean")
OPERATOR_ALIASES = {
    "less_than": "lt", "less_than_or_equal": "lte", "less_or_equal": "lte",
    "greater_than": "gt", "greater_than_or_equal": "gte", "greater_or_equal": "gte",
    "eq": "equals", "equal": "equals", "ne": "not_equals", "not_equal": "not_equals",
    "exist": "exists", "is_present": "exists", "matches": "regex", "match": "regex",
    "one_of": "in", "any_of": "in", "none_of": "not_in", "includes": "contains",
    "min_length": "length_gte", "max_length": "length_lte",
}


def builtin_dir() -> Path:
    """The folder of the built-in pack (``policies/``, package data ``cfncheck.policies``)."""
    return Path(str(resources.files("cfncheck.policies")))


@cache
def policy_schema() -> dict:
    return json.loads((builtin_dir() / "policy.schema.json").read_text())


@cache
def tests_schema() -> dict:
    return json.loads((builtin_dir() / "policy-tests.schema.json").read_text())


MAX_FOLDER_DEPTH = 4  # policies/<service>/<slug>.yaml is depth 1; deeper trees are refused


def policy_files(folder: Path) -> list[Path]:
    """Policy files in ``folder`` and its subfolders (``policies/<service>/<slug>.yaml``).

    A folder named ``tests`` holds the PASS/FAIL cases of the policies beside it, never
    policies; hidden folders are skipped. Symlinked folders are not followed."""
    if not folder.is_dir():
        raise InputError("policy folder not found", str(folder), kind="policy")
    return sorted(f for d, _ in _policy_folders(folder, 0) for f in yaml_files(d))


def tests_files(folder: Path) -> list[Path]:
    """Tests files of the policies under ``folder``: YAML files directly in every ``tests/``
    beside them (``tests/templates/`` and the like hold case material, not tests files)."""
    return sorted(f for d, depth in _policy_folders(folder, 0) if depth < MAX_FOLDER_DEPTH
                  and _subfolder(d / "tests") for f in yaml_files(d / "tests"))


def _policy_folders(folder: Path, depth: int):
    """(folder, depth) for ``folder`` and every subfolder that may hold policies."""
    yield folder, depth
    if depth < MAX_FOLDER_DEPTH:
        for d in sorted(folder.iterdir()):
            if d.name != "tests" and _subfolder(d):
                yield from _policy_folders(d, depth + 1)


def _subfolder(d: Path) -> bool:
    return d.is_dir() and not d.is_symlink() and not d.name.startswith((".", "_"))


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files directly in ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if p.suffix in POLICY_SUFFIXES and p.is_file())


def schema_error(data, schema: dict, file: str, node, what: str) -> InputError | None:
    import jsonschema
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(schema)
    error = best_match(validator.iter_errors(data), key=_relevance)
    if error is None:
        return None
    where = list(error.absolute_path)
    label = _dotted(where)
    message = escape(_message(error), 300)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in known]
        if extra:
            where.append(extra[0])  # the line of the unexpected key
            hint = OPERATOR_ALIASES.get(extra[0])
            message = f"unknown key '{escape(extra[0])}'" + (
                f" (did you mean {hint}?)" if hint and hint in known
                else did_you_mean(extra[0], known))
            if set(OPERATORS) & set(known):
                message += f"; operators: {', '.join(OPERATORS)}"
            else:
                message += f"; allowed here: {', '.join(known)}"
    return InputError(f"invalid {what} at {escape(label, 200)}: {message}", file,
                      line_of(node, where), kind="policy")


def _relevance(error):
    from jsonschema.exceptions import relevance

    # prefer the deepest error (the one inside the assertion that is actually wrong)
    return (len(error.absolute_path),) + tuple(relevance(error))


def _message(error) -> str:
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        return deepest.message
    return error.message


def _dotted(where: list) -> str:
    out = ""
    for p in where:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "(top level)"


def load_policy_file(path: str | Path) -> PolicyCheck:
    p = Path(path)
    st = p.stat() if p.exists() else None
    return _load_cached(str(p.resolve()) if st else str(p),
                        (st.st_size, st.st_mtime_ns) if st else None, str(p))


def _load_folder(files: list[Path]) -> list[PolicyCheck]:
    """The policies of one folder. The validated data of every file is also kept as one user
    cache entry keyed by the files' names, sizes and modification times, so a warm scan reads
    one file instead of two per policy (a changed, added or removed file is a new key; the
    per-file entries, keyed by content, still decide when the set entry is missing)."""
    from .. import cache as user_cache

    try:
        stamps = [(str(f), *_stat_key(f)) for f in files]
    except OSError:
        stamps = None
    k = user_cache.key("policy-set", json.dumps(stamps), _schema_digest()) if stamps else None
    data = user_cache.load("policy-set", k, lambda v: isinstance(v, list)
                           and len(v) == len(files)) if k else None
    if data is not None:
        try:
            return [compile_policy(d, str(f), None, validated=True)
                    for d, f in zip(data, files, strict=True)]
        except Exception:  # noqa: BLE001 - a corrupt entry: read the files themselves below
            pass
    checks = [load_policy_file(f) for f in files]
    if k is not None:
        raw = [c.spec for c in checks]
        if all(isinstance(d, dict) and user_cache.canonical_json(d) is not None
               for d in raw):
            user_cache.store("policy-set", k, raw)
    return checks


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@cache
def _load_cached(resolved: str, _stamp, shown: str) -> PolicyCheck:
    from .. import cache as user_cache

    try:
        raw = Path(shown).read_bytes()
    except OSError:
        raw = None
    k = user_cache.key("policy", hashlib.sha256(raw).hexdigest(), _schema_digest()) \
        if raw is not None else None
    if k is not None:
        data = user_cache.load("policy", k, lambda v: isinstance(v, dict) and "id" in v)
        if data is not None:
            try:
                return compile_policy(data, shown, None, validated=True)
            except Exception:  # noqa: BLE001 - a corrupt entry: read the file itself below
                pass
    data, node = load_yaml_file(shown)
    check = compile_policy(data, shown, node)
    if k is not None and user_cache.canonical_json(data) is not None:
        user_cache.store("policy", k, data)
    return check


@cache
def _schema_digest() -> str:
    return hashlib.sha256((builtin_dir() / "policy.schema.json").read_bytes()).hexdigest()


def compile_policy(data, file: str, node=None, validated: bool = False) -> PolicyCheck:
    """A policy from its data: schema validation (unless ``validated``: data of a file that
    passed it before, from the user cache), then compilation."""
    if data is None:
        raise InputError("policy file is empty", file, kind="policy")
    if not validated:  # data from the user cache passed both checks when it was stored
        types = data.get("resource_types") if isinstance(data, dict) else None
        for i, rtype in enumerate([types] if isinstance(types, str) else
                                  types if isinstance(types, list) else []):
            problem = resource_type_problem(rtype) if isinstance(rtype, str) and rtype else None
            if problem:
                where = ["resource_types"] if isinstance(types, str) else ["resource_types", i]
                raise InputError(f"invalid policy at {_dotted(where)}: {problem}", file,
                                 line_of(node, where), kind="policy")
    err = None if validated else schema_error(data, policy_schema(), file, node, "policy")
    if err is not None:
        raise err
    params = data.get("parameters") or {}
    cc = CompileContext(parameters=params, relations=RELATIONS)

    def fail(e: CompileError):
        return InputError(f"invalid policy at {escape(_dotted(list(e.where)), 200)}: "
                          f"{escape(str(e), 300)}", file,
                          line_of(node, list(e.where)), kind="policy")

    try:
        assertion = compile_assertion(data["assert"], ("assert",), cc)
        where = compile_assertion(data["where"], ("where",), cc) if "where" in data else None
    except CompileError as e:
        raise fail(e) from None
    default = data.get("service_default")
    try:
        default_when = (compile_assertion(default["when"], ("service_default", "when"), cc)
                        if default else None)
    except CompileError as e:
        raise fail(e) from None
    templates = [(data.get("message"), ("message",))]
    if default:
        templates.append((default["message"], ("service_default", "message")))
    for tree, at in ((assertion, ("assert",)), (where, ("where",)), (default_when,
                                                                      ("service_default",))):
        for a in tree.walk() if tree is not None else ():
            text = getattr(a, "message", None)
            if isinstance(text, str):
                templates.append((text, at))
    for text, at in templates:
        bad = message_errors(text, params) if text else []
        if bad:
            raise fail(CompileError(f"unknown placeholder {', '.join(bad)} (known: "
                                    "{logical_id} {type} {stack} {stage} {construct_path} "
                                    "{reason} {title} {owner} {created_by} {param.NAME} "
                                    "{referrers.TYPE})", at))
    message = data.get("message")
    group = data.get("group")
    if group is not None:
        if group.get("primary") == "stack" and group["by"] != "stack":
            raise fail(CompileError(f"primary: stack needs by: stack (a {group['by']} group "
                                    "spans stacks)", ("group", "primary")))
        bad = message_errors(group.get("message", ""), params, GROUP_FIELDS)
        if bad:
            raise fail(CompileError(f"unknown placeholder {', '.join(bad)} (known: those of "
                                    "message and {count} {resources} {scope})",
                                    ("group", "message")))
    stages = data.get("stages")
    info = CheckInfo(
        id=data["id"],
        title=data["title"],
        severity=data["severity"],
        description=data["description"].strip(),
        remediation=data["remediation"].strip(),
        docs_url=data.get("docs", ""),
        category=data["category"],
        kind="policy",
        source_file=file,
        tags=tuple(data.get("tags") or ()),
        security_severity=data.get("security_severity"),
        stages=tuple(stages) if stages else None,
        combine=dict(data["combine"]) if data.get("combine") else None,
        opt_in=bool(data.get("opt_in", False)),
    )
    check = PolicyCheck(info, TypeSelector(data["resource_types"]), assertion, where, params,
                        data.get("unresolved", "fail"), data.get("cdk_internal", "report"),
                        message, data, group)
    if default:
        check.service_default = ServiceDefault(default_when, default.get("severity", "info"),
                                               default["message"])
    supersedes = []
    for i, item in enumerate(data.get("supersedes") or ()):
        if isinstance(item, str):
            supersedes.append((item, None))
            continue
        try:
            when = compile_assertion(item["when"], ("supersedes", i, "when"), cc)
        except CompileError as e:
            raise fail(e) from None
        supersedes.append((item["id"], when))
    check.supersedes = tuple(supersedes)
    # stage names are checked against the config's stages when the checks are collected
    check.stages_line = line_of(node, ["stages"]) if stages else None
    return check


def resource_type_problem(rtype: str) -> str | None:
    """Why a ``resource_types`` entry names no CloudFormation type, or None. Exact types are
    checked against the resource specification cfn-lint ships (us-east-1 provider schemas),
    globs must match one of them, groups must exist; ``Custom::*`` types are free."""
    import fnmatch

    if rtype.startswith("Custom::") or rtype.startswith("@") and rtype in GROUPS:
        return None
    if rtype.startswith("@"):
        return f"unknown type group '{escape(rtype)}'" + did_you_mean(rtype, GROUPS) \
            + f" (groups: {', '.join(GROUPS)})"
    known = known_resource_types()
    if not known:  # cfn-lint's data missing: nothing to compare with
        return None
    if any(c in rtype for c in "*?["):
        if any(fnmatch.fnmatchcase(t, rtype) for t in known):
            return None
        return f"no CloudFormation resource type matches '{escape(rtype)}'"
    if rtype in known:
        return None
    return f"'{escape(rtype)}' is not a CloudFormation resource type" \
        + did_you_mean(rtype, known)


def load_policies(paths) -> list[PolicyCheck]:
    """Policies from folders and files, in order; the first error is raised."""
    out: list[PolicyCheck] = []
    seen: set = set()
    for raw in paths:
        p = Path(raw)
        key = p.resolve() if p.exists() else p
        if key in seen:  # the same folder from the config and --policies, spelt differently
            continue
        seen.add(key)
        if p.is_dir():
            out.extend(_load_folder(policy_files(p)))
        elif p.is_file():
            out.append(load_policy_file(p))
        else:
            raise InputError("policy file or folder not found", str(p), kind="policy")
    link_supersessions(out)
    return out
