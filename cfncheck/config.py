"""Configuration: ``.cfncheck.yaml`` or ``[tool.cfncheck]`` in ``pyproject.toml``.

Validated against ``cfncheck/schemas/config.schema.json`` before use; an invalid file is an
:class:`~cfncheck.errors.InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import InputError
from .yamlio import line_of, load_yaml_file

CONFIG_NAMES = (".cfncheck.yaml", ".cfncheck.yml")


@cache
def config_schema() -> dict:
    return json.loads(resources.files("cfncheck.schemas").joinpath("config.schema.json")
                      .read_text())


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

    @property
    def stages(self) -> dict:
        return self.data.get("stages") or {}

    @property
    def stage_tokens(self) -> dict:
        return {k.lower(): v for k, v in (self.data.get("stage_tokens") or {}).items()}

    @property
    def policy_dirs(self) -> list[Path]:
        return [self.base / p for p in self.data.get("policies") or []]

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

    def enabled(self, check_id: str) -> bool:
        rules = self.data.get("rules") or {}
        only = rules.get("only")
        if only and not any(fnmatch.fnmatchcase(check_id, p) for p in only):
            return False
        return not any(fnmatch.fnmatchcase(check_id, p) for p in rules.get("disable") or [])

    def severity(self, check_id: str, default: str) -> str:
        return ((self.data.get("rules") or {}).get("severity") or {}).get(check_id, default)


def find_config(start: Path) -> Path | None:
    """The nearest .cfncheck.yaml, or pyproject.toml with [tool.cfncheck], from start upward."""
    start = start.resolve()
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
    import jsonschema

    validator = jsonschema.Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(x) for x in e.absolute_path) or "(top level)"
        line = line_of(node, list(e.absolute_path)) if node is not None else \
            toml_line(text, list(e.absolute_path)) if text else None
        raise InputError(f"invalid config at {where}: {e.message}", name, line, kind="config")
    for i, sup in enumerate(data.get("suppressions") or []):
        expires = sup.get("expires")
        try:
            if expires is not None:
                datetime.date.fromisoformat(expires)
        except ValueError:
            path = ["suppressions", i, "expires"]
            line = line_of(node, path) if node is not None else \
                toml_line(text, path) if text else None
            raise InputError(f"invalid config at suppressions/{i}/expires: {expires!r} is not "
                             "a date (YYYY-MM-DD)", name, line, kind="config") from None


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
            if m and i != cursor:
                names = _dotted(m.group(1))
                if names == [*table, key]:
                    found = i
                    break
                if names[:len(table)] != table:
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
