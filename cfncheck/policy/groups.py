"""Resource-type selectors: exact types, globs (``AWS::ApiGateway::*``) and groups.

Groups come from cfn-lint's data, so they follow cfn-lint releases:

* ``@stateful``: ``cfnlint/data/AdditionalSpecs/StatefulResources.json`` (the types cfn-lint's
  own rule I3011 asks a DeletionPolicy for);
* ``@taggable``: types whose cfn-lint resource schema (us-east-1 provider schema) has a ``Tags``
  property. Schemas are read lazily, only for types that occur in the scanned templates; the
  answers are kept in the user cache (:mod:`cfncheck.cache`, keyed by cfn-lint's version), so
  cfn-lint's schema machinery (which imports most of cfn-lint) is loaded only for a type never
  seen before.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from importlib import util as import_util
from pathlib import Path

GROUPS = ("@stateful", "@taggable")
#: types where DeletionPolicy/UpdateReplacePolicy "Snapshot" is supported (CloudFormation docs)
SNAPSHOT_TYPES = frozenset({
    "AWS::EC2::Volume", "AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance",
    "AWS::Redshift::Cluster", "AWS::DocDB::DBCluster",
})


@cache
def cfnlint_dir() -> Path:
    """cfn-lint's package folder, found without importing cfn-lint (its ``__init__`` imports
    the whole linter)."""
    spec = import_util.find_spec("cfnlint")
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def stateful_types() -> frozenset[str]:
    text = (cfnlint_dir() / "data" / "AdditionalSpecs" / "StatefulResources.json").read_text()
    return frozenset(json.loads(text).get("ResourceTypes", {}))


@cache
def _taggable_cache() -> tuple[str, dict]:
    from importlib.metadata import version

    from .. import cache as user_cache

    k = user_cache.key("taggable", version("cfn-lint"))
    known = user_cache.load("taggable", k, lambda v: isinstance(v, dict) and all(
        isinstance(t, str) and isinstance(b, bool) for t, b in v.items())) or {}
    return k, known


@cache
def known_resource_types() -> frozenset[str]:
    """Every resource type of cfn-lint's bundled CloudFormation resource specification
    (us-east-1 provider schemas, the most complete region)."""
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
        return frozenset(PROVIDER_SCHEMA_MANAGER.get_resource_types("us-east-1"))
    except Exception:  # noqa: BLE001 - cfn-lint's data layout changed: do not block policies
        return frozenset()


@cache
def is_taggable(rtype: str) -> bool:
    """Whether cfn-lint's schema for ``rtype`` has a top-level ``Tags`` property."""
    if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
        return False
    k, known = _taggable_cache()
    if rtype not in known:
        from .. import cache as user_cache

        known[rtype] = _schema_has_tags(rtype)
        user_cache.store("taggable", k, known)
    return known[rtype]


def _schema_has_tags(rtype: str) -> bool:
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype)
    except Exception:  # unknown type (or one cfn-lint does not know): not taggable
        return False
    props = schema.schema.get("properties") if isinstance(schema.schema, dict) else None
    return isinstance(props, dict) and "Tags" in props


class TypeSelector:
    """Matches resource types against a list of exact types, globs and groups."""

    def __init__(self, patterns: list[str]):
        self.patterns = list(patterns)
        self.exact = {p for p in patterns if not p.startswith("@") and not _is_glob(p)}
        self.globs = [p for p in patterns if _is_glob(p)]
        self.groups = [p for p in patterns if p.startswith("@")]
        self._cache: dict[str, bool] = {}

    def matches(self, rtype: str) -> bool:
        hit = self._cache.get(rtype)
        if hit is None:
            hit = self._cache[rtype] = self._matches(rtype)
        return hit

    def _matches(self, rtype: str) -> bool:
        if rtype in self.exact:
            return True
        if any(fnmatch.fnmatchcase(rtype, g) for g in self.globs):
            return True
        for g in self.groups:
            if g == "@stateful" and rtype in stateful_types():
                return True
            if g == "@taggable" and is_taggable(rtype):
                return True
        return False

    def types_in(self, present) -> list[str]:
        """The types among ``present`` (e.g. the graph's type index keys) this selects."""
        return sorted(t for t in present if self.matches(t))

    def __str__(self) -> str:
        return ", ".join(self.patterns)


def _is_glob(p: str) -> bool:
    return any(c in p for c in "*?[")
