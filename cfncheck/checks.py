"""The check interface shared by the cfn-lint rule pack and the YAML policy engine.

A check has a :class:`CheckInfo` (its public, stable id and documentation) and a ``run(ctx)``
that yields :class:`Hit` objects: the stack, the resource, the path in the template, a message
and a fingerprint ``key``; a *grouped* hit also lists every affected resource in ``related``
(one finding for a change that fixes them all, e.g. one ``tags=`` per stack). The engine
(:mod:`cfncheck.engine`) turns hits into :class:`~cfncheck.findings.Finding` objects, adding
stage, construct path, file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Protocol

if TYPE_CHECKING:
    from .assembly import Stack
    from .config import Config
    from .graph import Graph


@dataclass
class CheckInfo:
    id: str
    title: str
    severity: str  # "error" | "warning" | "info"
    description: str = ""
    remediation: str = ""
    docs_url: str = ""
    category: str = ""
    kind: str = "rule"  # "rule" (cfn-lint rule class) | "policy" (YAML) | "builtin"
    source_file: str = ""
    tags: tuple = ()  # e.g. ("security", "iam")
    security_severity: float | None = None  # 0.0-10.0, for SARIF
    precision: str = "high"  # SARIF precision: very-high | high | medium | low
    stages: tuple | None = None  # stages it applies to; None = all
    #: checks of one family failing on the same resource are merged into one finding (see
    #: :func:`cfncheck.engine.merge_families`): {"family", "label", "message"}
    combine: dict | None = None
    opt_in: bool = False  # a house preference: runs only when the config enables it


@dataclass
class Hit:
    stack: "Stack"
    logical_id: str | None
    path: tuple  # template path, e.g. ("Resources", "Bucket", "Properties", "BucketName")
    message: str
    key: str = ""  # discriminator for the fingerprint (e.g. property path, statement index)
    severity: str | None = None  # overrides the check's severity (e.g. lower for CDK internals)
    remediation: str | None = None
    #: a grouped finding: every affected resource as (stack, logical id) or (stack, logical
    #: id, key its own hit would have); the hit's own stack/logical_id is the group's primary
    #: location (logical_id None = the stack itself) and its key names the group
    related: tuple = ()


@dataclass
class ScanContext:
    stacks: list["Stack"]
    graph: "Graph"
    config: "Config"
    notes: list[str] = field(default_factory=list)
    check_ids: frozenset = frozenset()  # ids of the checks in this run (for `supersedes`)

    def parameter(self, check_id: str, name: str, stage: str, default=None):
        """A check parameter for a stage: config override first, then the check's default.

        Values may be per stage: ``{default: 30, prod: 15}``; a stage missing from a mapping
        without ``default`` (``{prod: 15}``) keeps the check's own default.
        """
        value = self.config.parameter(check_id, name, default)
        if value is not default and isinstance(value, dict) and not isinstance(
                stage_value(default, "default"), dict) and stage not in value and \
                "default" not in value:
            return stage_value(default, stage)  # {prod: 15}: other stages keep the default
        return stage_value(value, stage)


def stage_value(value, stage: str):
    """``{default: 30, prod: 15}`` -> 15 for prod, 30 otherwise; plain values pass through."""
    if isinstance(value, dict) and ("default" in value or stage in value) and \
            all(isinstance(k, str) for k in value):
        if stage in value:
            return value[stage]
        return value.get("default")
    return value


class Check(Protocol):
    info: CheckInfo

    def run(self, ctx: ScanContext) -> Iterable[Hit]: ...
