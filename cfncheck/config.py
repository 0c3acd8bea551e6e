"""Configuration: ``.cfncheck.yaml`` or ``[tool.cfncheck]`` in ``pyproject.toml``.

Validated against ``cfncheck/schemas/config.schema.json`` before use; an invalid file is an
:class:`~cfncheck.errors.InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import InputError
from .yamlio import escape, line_of, load_yaml_file

CONFIG_NAMES = (".cfncheck.yaml", ".cfncheck.yml")


@dataclass
class Config:
    data: dict = field(default_factory=dict)
    path: Path | None = None
    node: object = None  # YAML root node (for line numbers), None for TOML / defaults
    text: str = ""  # source text of a pyproject.toml (for line numbers)

    def line(self, path) -> int | None:
        """1-based line of the value at ``path`` (keys / indexes) in the config file."""
        if self.node is not None:
            return line_of(self.node, list(path))
        if self.text:
            return toml_line(self.text, list(path))
        return None

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    #: ``--check`` / ``--skip-check`` patterns from the command line (see :meth:`select`)
    cli_only: tuple = ()
    cli_skip: tuple = ()
    #: every check id known to this scan (set by :func:`check_references`)
    known_ids: frozenset = frozenset()

    def select(self, only=(), skip=()) -> "Config":
        """Apply ``--check`` (replaces ``rules.only``) and ``--skip-check`` (added to
        ``rules.disable``); comma-separated values are split. Validated with the config by
        :func:`check_references`."""
        self.cli_only = tuple(_split_ids(only))
        self.cli_skip = tuple(_split_ids(skip))
        return self

    @property
    def stages(self) -> dict:
        return self.data.get("stages") or {}

    @property
    def stage_names(self) -> tuple:
        """The stages a name may refer to: dev, staging, prod and ``custom_stages``."""
        from .stages import KNOWN_STAGES

        return (*KNOWN_STAGES, *(self.data.get("custom_stages") or ()))

    @property
    def stage_tokens(self) -> dict:
        return {k.lower(): v for k, v in (self.data.get("stage_tokens") or {}).items()}

    @property
    def policy_dirs(self) -> list[Path]:
        """Extra policy folders named by the config file, relative to it. They must resolve
        inside the repository (the git root above the config file, else the config's folder):
        on a pull request from a fork the config file is the attacker's (``--policies`` on the
        command line is the operator's choice and may point anywhere)."""
        out = []
        fence = self.repository_root
        for i, p in enumerate(self.data.get("policies") or []):
            folder = self.base / p
            try:
                folder.resolve().relative_to(fence)
            except ValueError:
                raise InputError(f"invalid config at policies/{i}: the policy folder "
                                 f"'{escape(p)}' is outside the repository ({fence}); a "
                                 "config file may only name "
                                 "folders inside it (use --policies for others)",
                                 str(self.path), self.line(("policies", i)),
                                 kind="config") from None
            out.append(folder)
        return out

    @property
    def repository_root(self) -> Path:
        """The git root above the config file, else the config file's folder."""
        base = self.base.resolve()
        for folder in [base, *base.parents]:
            if (folder / ".git").exists():
                return folder
        return base

    @property
    def builtin_policies(self) -> bool:
        return self.data.get("builtin_policies", True)

    @property
    def suppressions(self) -> list[dict]:
        return list(self.data.get("suppressions") or [])

    @property
    def peer_suppressions(self) -> bool:
        """Honour other tools' suppressions (cfn-lint, cdk-nag, checkov, cfn_nag, guard)."""
        return self.data.get("peer_suppressions", True)

    @property
    def packs(self) -> list[str] | None:
        """The packs of checks to run (``packs:``); None = the default (recommended)."""
        return list(self.data["packs"]) if self.data.get("packs") else None

    @property
    def fail_on(self) -> str | None:
        return self.data.get("fail_on")

    def parameter(self, check_id: str, name: str, default=None):
        params = (self.data.get("parameters") or {}).get(check_id) or {}
        return params.get(name, default)

    def enabled(self, check_id: str, opt_in: bool = False) -> bool:
        """Whether a check runs. An opt-in check (a house preference) runs only when
        ``rules.enable`` names it (id or glob) or ``only`` / ``--check`` names its exact id;
        ``disable`` and ``only`` still apply."""
        rules = self.data.get("rules") or {}
        only = self.cli_only or rules.get("only")
        if opt_in and check_id not in (only or ()) and not any(
                fnmatch.fnmatchcase(check_id, p) for p in rules.get("enable") or []):
            return False  # opt-in: enabled by rules.enable, or asked for by exact id
        if only and not any(fnmatch.fnmatchcase(check_id, p) for p in only):
            return False
        return not any(fnmatch.fnmatchcase(check_id, p)
                       for p in [*(rules.get("disable") or []), *self.cli_skip])

    def severity(self, check_id: str, default: str) -> str:
        return ((self.data.get("rules") or {}).get("severity") or {}).get(check_id, default)


def find_config(start: Path, scanned=()) -> Path | None:
    """The config file for a scan: the nearest .cfncheck.yaml, or pyproject.toml with
    [tool.cfncheck], from each scanned path upward (beside it, then above), then from
    ``start`` (the current folder) upward; each search stops at the git root."""
    for raw in scanned:
        p = Path(raw).resolve()
        found = _find_upward(p if p.is_dir() else p.parent)
        if found is not None:
            return found
    return _find_upward(start.resolve())


def _find_upward(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pp = folder / "pyproject.toml"
        if pp.is_file() and "[tool.cfncheck" in pp.read_text(errors="replace"):
            return pp
        if (folder / ".git").exists():
            break
    return None


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    if p.name == "pyproject.toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            try:
                import tomli as tomllib
            except ImportError:
                raise InputError("reading [tool.cfncheck] needs Python 3.11+ (or the tomli "
                                 "package); use .cfncheck.yaml instead", str(p),
                                 kind="config") from None
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("config file not found", str(p)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read config: {e}", str(p), kind="config") from None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            msg, line, col = _toml_error(e)
            raise InputError(f"invalid TOML: {msg}", str(p), line, col, kind="config") from None
        data = _plain((doc.get("tool") or {}).get("cfncheck") or {})
        validate_config(data, str(p), text=text)
        return Config(data, p, text=text)
    data, node = load_yaml_file(p)
    if data is None:
        data = {}
    validate_config(data, str(p), node)
    return Config(data, p, node=node)


def validate_config(data, name: str, node=None, text: str = "") -> None:
    errors = _schema_errors(data)
    if errors:
        e = errors[0]
        path = list(e.absolute_path)
        message = e.message
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            known = list(e.schema.get("properties") or {})
            extra = [k for k in e.instance if k not in known]
            if extra:
                path.append(extra[0])
                message = f"unknown key '{escape(extra[0])}'" + did_you_mean(extra[0], known) \
                    + f"; known keys: {', '.join(known)}"
        elif e.validator == "enum":
            message = f"'{escape(e.instance)}' is not one of " \
                f"{', '.join(map(str, e.validator_value))}" \
                + did_you_mean(str(e.instance), [str(v) for v in e.validator_value])
        else:
            message = escape(message, 200)
        where = escape("/".join(str(x) for x in path), 200) or "(top level)"
        line = line_of(node, path) if node is not None else \
            toml_line(text, path) if text else None
        raise InputError(f"invalid config at {where}: {message}", name, line, kind="config")
    for i, sup in enumerate(data.get("suppressions") or []):
        expires = sup.get("expires")
        try:
            if expires is not None:
                datetime.date.fromisoformat(expires)
        except ValueError:
            path = ["suppressions", i, "expires"]
            line = line_of(node, path) if node is not None else \
                toml_line(text, path) if text else None
            raise InputError(f"invalid config at suppressions/{i}/expires: "
                             f"'{escape(expires)}' is not a date (YYYY-MM-DD)", name, line,
                             kind="config") from None


def _schema_errors(data) -> list:
    """The config's JSON Schema errors, first by path. A config that passed before is not
    validated again: the user cache (:mod:`cfncheck.cache`) remembers the digest of its
    canonical JSON and of the schema, which keeps jsonschema off a pre-commit hook's path."""
    from . import cache as user_cache

    schema_text = resources.files("cfncheck.schemas").joinpath("config.schema.json") \
        .read_bytes()
    canonical = user_cache.canonical_json(data)  # None (always validated): YAML dates...
    k = user_cache.key("config", hashlib.sha256(canonical.encode("utf-8", "surrogatepass"))
                       .hexdigest(), hashlib.sha256(schema_text).hexdigest()) \
        if canonical is not None else None
    if k is not None and user_cache.load("config-valid", k, lambda v: v is True):
        return []
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(schema_text))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors and k is not None:
        user_cache.store("config-valid", k, True)
    return errors


def did_you_mean(word: str, candidates) -> str:
    """`` (did you mean X?)`` for the closest candidate, or ``""``."""
    import difflib

    candidates = [str(c) for c in candidates]
    word = str(word)
    for c in candidates:  # case only: cc-s3-001 -> CC-S3-001
        if c.lower() == word.lower() and c != word:
            return f" (did you mean {c}?)"
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _split_ids(values) -> list[str]:
    out = []
    for v in values or ():
        out.extend(p.strip() for p in str(v).split(",") if p.strip())
    return out


def id_problem(pattern: str, known) -> str | None:
    """Why the check id (or glob) ``pattern`` selects nothing, or None when it matches."""
    known = sorted(known)
    if any(fnmatch.fnmatchcase(k, pattern) for k in known):
        return None
    what = "no check id matches" if any(c in pattern for c in "*?[") else "no check has id"
    if what == "no check id matches":
        return f"{what} '{escape(pattern)}'"
    return f"{what} '{escape(pattern)}'" + did_you_mean(pattern, known)


def stage_problem(name, config: "Config") -> str | None:
    """Why ``name`` is not a configured stage, or None."""
    from .stages import TOKENS, UNKNOWN

    names = config.stage_names
    if not isinstance(name, str) or name in names or name == UNKNOWN:
        return None
    alias = TOKENS.get(name.lower())
    hint = f" (did you mean {alias}?)" if alias in names else did_you_mean(name, names)
    return f"'{escape(name)}' is not a configured stage{hint}; stages are " \
        f"{', '.join(names)} (declare others under custom_stages)"


def declared_parameters(check) -> dict:
    """Parameter name -> default of a loaded check (a rule class or a policy)."""
    params = getattr(check, "parameters", None) or {}
    if getattr(check.info, "kind", "") == "rule":
        return {k: v[0] for k, v in params.items()}
    return dict(params)


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _same_type(value, default) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(default, float)
                                                   or isinstance(value, int))
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        kinds = {type(d) for d in default}
        return not kinds or all(any(_same_type(v, d) for d in default) for v in value)
    return isinstance(value, type(default))


def check_references(config: "Config", checks, extra_ids=()) -> None:
    """Validate every name the config (and ``--check``/``--skip-check``) uses against what
    exists: check ids and globs (``rules.*``, ``parameters``, ``suppressions``), parameter names
    and value types, stage names. The known ids come from the loaded checks (rule pack,
    policies, extra policy folders) and ``extra_ids`` (the built-in CC-SUP checks). Raises an
    :class:`InputError` ``file:line: what is wrong (did you mean ...)``."""
    by_id = {c.info.id: c for c in checks}
    known = set(by_id) | set(extra_ids)
    config.known_ids = known  # for the notes on CDK-metadata suppressions (suppressions.py)
    data = config.data
    name = str(config.path) if config.path else None

    def fail(where: tuple, message: str):
        label = escape("/".join(str(p) for p in where), 200)
        raise InputError(f"invalid config at {label}: {message}", name, config.line(where),
                         kind="config")

    for opt, patterns in (("--check", config.cli_only), ("--skip-check", config.cli_skip)):
        for pattern in patterns:
            problem = id_problem(pattern, known)
            if problem:
                raise InputError(f"{opt} {escape(pattern)}: {problem}", kind="usage")
    rules = data.get("rules") or {}
    for key in ("disable", "only", "enable"):
        for i, pattern in enumerate(rules.get(key) or []):
            problem = id_problem(pattern, known) if isinstance(pattern, str) else None
            if problem:
                fail(("rules", key, i), problem)
    for cid in rules.get("severity") or {}:
        problem = id_problem(cid, known)
        if problem:
            fail(("rules", "severity", cid), problem)
    for i, sup in enumerate(config.suppressions):
        problem = id_problem(sup["id"], known)
        if problem:
            fail(("suppressions", i, "id"), problem)
        if "stage" in sup and stage_problem(sup["stage"], config):
            fail(("suppressions", i, "stage"), stage_problem(sup["stage"], config))
    for glob, stage in config.stages.items():
        if stage_problem(stage, config):
            fail(("stages", glob), stage_problem(stage, config))
    for token, stage in (data.get("stage_tokens") or {}).items():
        if stage_problem(stage, config):
            fail(("stage_tokens", token), stage_problem(stage, config))
    for cid, values in (data.get("parameters") or {}).items():
        check = by_id.get(cid)
        if check is None:
            # among equally close ids, the check that has the parameters named is meant
            wanted = set(values) if isinstance(values, dict) else set()
            fitting = [i for i, c in by_id.items()
                       if wanted and wanted <= set(declared_parameters(c))]
            fail(("parameters", cid), f"no check has id '{escape(cid)}'"
                 + (did_you_mean(cid, fitting) or did_you_mean(cid, known)))
        declared = declared_parameters(check)
        for pname, value in values.items():
            where = ("parameters", cid, pname)
            if pname not in declared:
                names = ", ".join(declared) or "none"
                fail(where, f"{cid} has no parameter '{escape(pname)}'"
                     + did_you_mean(pname, declared) + f" (its parameters: {names})")
            default = declared[pname]
            if isinstance(default, dict) and "default" in default:
                default = default["default"]
            per_stage = isinstance(value, dict) and not isinstance(default, dict)
            for stage, v in (value.items() if per_stage else [(None, value)]):
                if stage is not None and stage != "default" and stage_problem(stage, config):
                    fail((*where, stage), stage_problem(stage, config))
                if not _same_type(v, default):
                    fail((*where, stage) if stage is not None else where,
                         f"'{escape(v)}' is {_type_name(v)}; {cid} {pname} takes "
                         f"{_type_name(default)} (default {default!r})")
    for check in checks:
        for stage in check.info.stages or ():
            problem = stage_problem(stage, config)
            if problem:
                raise InputError(f"invalid policy at stages: {problem}", check.info.source_file,
                                 getattr(check, "stages_line", None), kind="policy")


def _plain(value):
    """TOML dates (``expires = 2025-06-30``) become ISO strings, as in the YAML config."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _toml_error(e) -> tuple[str, int | None, int | None]:
    """tomllib puts the position in the message: "... (at line 3, column 7)"."""
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", str(e))
    if not m:
        return str(e), None, None
    return str(e)[:m.start()], int(m.group(1)), int(m.group(2))


def toml_line(text: str, path: list) -> int | None:
    """Best-effort 1-based line of ``[tool.cfncheck]`` + ``path`` in a pyproject.toml.

    tomllib keeps no positions, so this follows the path through table headers
    (``[tool.cfncheck.rules]``, ``[[tool.cfncheck.suppressions]]``) and ``key =`` lines.
    """
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    section = ["tool", "cfncheck"]
    start = None
    for i, ln in enumerate(lines):
        m = header.match(ln)
        if m and _dotted(m.group(1))[:2] == section:
            start = i
            break
    if start is None:
        return None
    best = start
    cursor = start
    table = list(section)
    for part in path:
        if isinstance(part, int):
            # the part-th [[table]] header of the array of tables, else the part-th item line
            count = -1
            found = None
            for i in range(cursor, len(lines)):
                m = header.match(lines[i])
                if m and lines[i].lstrip().startswith("[[") and _dotted(m.group(1)) == table:
                    count += 1
                    if count == part:
                        found = i
                        break
            if found is None:
                found = cursor + 1 + part if cursor + 1 + part < len(lines) else None
                if found is None or not lines[found].strip():
                    return best + 1
            best = cursor = found
            continue
        key = str(part)
        found = None
        for i in range(cursor, len(lines)):
            m = header.match(lines[i])
            if m:
                names = _dotted(m.group(1))
                if names[:len(table) + 1] == [*table, key]:  # [t.key] or [t.key.sub]
                    found = i
                    break
                if i != cursor and names[:len(table)] != table:
                    break  # left the current table
                continue
            if re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", lines[i]) or \
                    re.search(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=", lines[i]):
                found = i
                break
        if found is None:
            return best + 1
        table = [*table, key]
        best = cursor = found
    return best + 1


def _dotted(name: str) -> list[str]:
    return [p.strip().strip("\"'") for p in name.split(".")]
