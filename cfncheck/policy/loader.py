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
from ..errors import InputError
from ..yamlio import line_of, load_yaml_file
from .check import PolicyCheck, message_errors
from .evaluate import CompileContext, CompileError, compile_assertion
from .groups import TypeSelector
from .relations import RELATIONS

POLICY_SUFFIXES = (".yaml", ".yml")
BUILTIN_ID = r"^CC-[A-Z0-9]+-[0-9]{3}$"


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
    out: list[Path] = []
    _walk(folder, 0, out, skip={"tests"})
    return sorted(out)


def tests_files(folder: Path) -> list[Path]:
    """Tests files of the policies under ``folder``: YAML files directly in every ``tests/``."""
    out: list[Path] = []
    for sub in _subfolders(folder, 0):
        if sub.name == "tests":
            out.extend(p for p in sub.iterdir() if p.suffix in POLICY_SUFFIXES and p.is_file())
    return sorted(out)


def _subfolders(folder: Path, depth: int):
    yield folder
    if depth >= MAX_FOLDER_DEPTH:
        return
    for d in sorted(folder.iterdir()):
        if d.is_dir() and not d.is_symlink() and not d.name.startswith((".", "_")):
            if folder.name == "tests":
                continue  # tests/templates/ etc. hold case material, not tests files
            yield from _subfolders(d, depth + 1)


def _walk(folder: Path, depth: int, out: list[Path], skip: set[str]) -> None:
    for p in folder.iterdir():
        if p.is_file() and p.suffix in POLICY_SUFFIXES:
            out.append(p)
        elif (p.is_dir() and not p.is_symlink() and p.name not in skip
              and not p.name.startswith((".", "_")) and depth < MAX_FOLDER_DEPTH):
            _walk(p, depth + 1, out, skip)


def schema_error(data, schema: dict, file: str, node, what: str) -> InputError | None:
    import jsonschema
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(schema)
    error = best_match(validator.iter_errors(data), key=_relevance)
    if error is None:
        return None
    where = list(error.absolute_path)
    label = _dotted(where)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in known]
        if extra:
            where.append(extra[0])  # the line of the unexpected key
    return InputError(f"invalid {what} at {label}: {_message(error)}", file,
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
    if k is not None and _json_clean(data):
        user_cache.store("policy", k, data)
    return check


@cache
def _schema_digest() -> str:
    return hashlib.sha256((builtin_dir() / "policy.schema.json").read_bytes()).hexdigest()


def _json_clean(data) -> bool:
    """Whether the data survives JSON unchanged (YAML dates and the like do not: not cached)."""
    try:
        return json.loads(json.dumps(data)) == data
    except (TypeError, ValueError):
        return False


def compile_policy(data, file: str, node=None, validated: bool = False) -> PolicyCheck:
    """A policy from its data: schema validation (unless ``validated``: data of a file that
    passed it before, from the user cache), then compilation."""
    if data is None:
        raise InputError("policy file is empty", file, kind="policy")
    err = None if validated else schema_error(data, policy_schema(), file, node, "policy")
    if err is not None:
        raise err
    params = data.get("parameters") or {}
    cc = CompileContext(parameters=params, relations=RELATIONS)

    def fail(e: CompileError):
        return InputError(f"invalid policy at {_dotted(list(e.where))}: {e}", file,
                          line_of(node, list(e.where)), kind="policy")

    try:
        assertion = compile_assertion(data["assert"], ("assert",), cc)
        where = compile_assertion(data["where"], ("where",), cc) if "where" in data else None
    except CompileError as e:
        raise fail(e) from None
    message = data.get("message")
    if message:
        bad = message_errors(message, params)
        if bad:
            raise fail(CompileError(f"unknown placeholder {', '.join(bad)} (known: "
                                    "{logical_id} {type} {stack} {stage} {construct_path} "
                                    "{reason} {title} {param.NAME})", ("message",)))
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
    )
    return PolicyCheck(info, TypeSelector(data["resource_types"]), assertion, where, params,
                       data.get("unresolved", "fail"), data.get("cdk_internal", "report"),
                       message, data)


def load_policies(paths) -> list[PolicyCheck]:
    """Policies from folders and files, in order; the first error is raised."""
    out: list[PolicyCheck] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(load_policy_file(f) for f in policy_files(p))
        elif p.is_file():
            out.append(load_policy_file(p))
        else:
            raise InputError("policy file or folder not found", str(p), kind="policy")
    return out
