"""Configuration: ``.cfncheck.yaml`` or ``[tool.cfncheck]`` in ``pyproject.toml``.

Validated against ``cfncheck/schemas/config.schema.json`` before use; an invalid file is an
:class:`~cfncheck.errors.InputError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import fnmatch
import json
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
        import tomllib

        try:
            doc = tomllib.loads(p.read_text())
        except FileNotFoundError:
            raise InputError("config file not found", str(p)) from None
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"invalid TOML: {e}", str(p), kind="config") from None
        data = (doc.get("tool") or {}).get("cfncheck") or {}
        node = None
    else:
        data, node = load_yaml_file(p)
        if data is None:
            data = {}
    validate_config(data, str(p), node)
    return Config(data, p)


def validate_config(data, name: str, node=None) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(x) for x in e.absolute_path) or "(top level)"
        raise InputError(f"invalid config at {where}: {e.message}", name,
                         line_of(node, list(e.absolute_path)), kind="config")
