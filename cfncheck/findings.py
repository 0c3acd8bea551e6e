"""The findings model: what every check produces and every report consumes.

A :class:`Finding` names the rule, the stage, the stack, the resource (logical id, type, CDK
construct path) and the place in the template (file, line, column), with a message and a fix.

Its :attr:`Finding.fingerprint` identifies the *defect*, not the line: it hashes the rule id, the
assembly path of the stack, the resource's construct path (or logical id when there is none) and
a rule-supplied ``key`` (e.g. the property path or statement index). Lines moving, keys being
reordered by a re-synthesis, or unrelated resources being added leave it unchanged. Baselines and
SARIF ``partialFingerprints`` use it.

**Grouped findings.** When one change fixes several resources (one ``tags=`` per stack, one
dashboard per CDK Stage), a check reports ONE finding for the group: its location is the group's
primary location (the stack, or its first affected resource) and :attr:`Finding.related` lists
every affected resource (``logical_id``, ``resource_type``, ``construct_path``, ``stack``,
``file``, ``line``). The related resources are not part of the fingerprint (the rule's ``key``
names the group), so a resource joining or leaving the group keeps the finding's identity.

**Merged findings.** Checks of one *combine family* (the three Lambda alarm policies) that fail
on the same resource are merged after suppressions into one finding carried by the lowest id;
:attr:`Finding.covers` lists the other ids with their own fingerprints (baselines match any).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1, "never": 99}

#: JSON output schema version (see docs/json-output.md). Bump on incompatible change.
JSON_SCHEMA_VERSION = "1.1"


@dataclass
class Suppression:
    """Why a finding is suppressed: where the suppression came from and its reason."""

    source: str  # "metadata", "config", "cfn-lint", "cdk-nag", "checkov", "cfn_nag", "baseline"
    reason: str
    expires: str | None = None


@dataclass
class Finding:
    rule_id: str
    severity: str
    title: str
    message: str
    remediation: str = ""
    stage: str = "unknown"
    stack: str = ""  # display name, e.g. "Prod/Api" or "Prod/Api/Storage" for a nested stack
    assembly_path: str = ""  # e.g. "assembly-Prod"
    template: str = ""  # template file relative to the scanned folder
    logical_id: str | None = None
    resource_type: str | None = None
    construct_path: str | None = None
    file: str = ""  # path of the template as given (for display and SARIF)
    line: int = 0
    column: int = 0
    path: tuple = ()  # JSON path inside the template, e.g. ("Resources", "Bucket", "Properties")
    key: str = ""  # rule-supplied discriminator for the fingerprint
    docs_url: str = ""
    category: str = ""
    source_location: dict | None = None  # CDK app source line: {"file", "line"}
    suppressed: Suppression | None = None
    fingerprint: str = field(default="")
    #: grouped finding: every affected resource, {logical_id, resource_type, construct_path,
    #: stack, file, line} (+ "suppressed": reason when that member alone is suppressed)
    related: list = field(default_factory=list)
    #: merged finding: the other checks it stands for, [{rule_id, fingerprint}]
    covers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")
        self.path = tuple(self.path)
        if not self.fingerprint:
            self.fingerprint = compute_fingerprint(self)

    def to_dict(self) -> dict:
        """The JSON form (docs/json-output.md): every field in declaration order, ``path`` as
        a list, ``suppressed`` as a bool plus ``suppression`` (written out by hand: the generic
        ``dataclasses.asdict`` deep-copies every value and was a tenth of a large scan). The
        ``related`` and ``covers`` entries are the finding's own dicts: do not modify them."""
        d = {name: getattr(self, name) for name in _FINDING_FIELDS}
        d["path"] = list(self.path)
        d["source_location"] = dict(self.source_location) if self.source_location else None
        d["related"] = list(self.related)  # entries shared, not copied: a group can list
        d["covers"] = list(self.covers)  # thousands of members, and writers only read them
        sup = self.suppressed
        d["suppressed"] = bool(sup)
        d["suppression"] = ({"source": sup.source, "reason": sup.reason, "expires": sup.expires}
                            if sup else None)
        return d

    def sort_key(self) -> tuple:
        return (self.assembly_path, self.stack, self.template, self.line, self.column,
                self.rule_id, self.logical_id or "", self.key)


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


def compute_fingerprint(f: Finding) -> str:
    if f.related:  # a group: its key names the scope and the failure, not the members
        return _hash([f.rule_id, f.assembly_path, "group", f.key])
    return resource_fingerprint(f.rule_id, f.assembly_path, f.stack, f.construct_path,
                                f.logical_id, f.key)


def resource_fingerprint(rule_id: str, assembly_path: str, stack: str,
                         construct_path: str | None, logical_id: str | None, key: str) -> str:
    """The fingerprint of a finding on one resource (also what each member of a grouped
    finding would have on its own: baselines written before grouping match through it)."""
    # The construct path already contains the stack path; without one, the stack name does.
    where = construct_path or logical_id or ""
    return _hash([rule_id, assembly_path, "" if construct_path else stack, where, key])


def _hash(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]
