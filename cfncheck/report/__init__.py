"""Report writers. Each format is a module with ``render(result, options) -> str``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

FORMATS = {
    "text": "text",
    "json": "json_report",
}


@dataclass
class ReportOptions:
    fail_on: str = "error"
    color: bool | None = None
    sarif_root: str | None = None
    category: str | None = None
    extra: dict = field(default_factory=dict)


def render(fmt: str, result, options: ReportOptions) -> str:
    mod = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    return mod.render(result, options)
