"""Suppressions: accepted findings stay in the output, marked, and are hidden from the gate.

Three sources, in this order (the first that applies wins):

1. **Resource metadata** written by the CDK app (``cfncheck.cdk.suppress`` sets it)::

       Metadata:
         cfncheck:
           suppress:
             - {id: CC-S3-001, reason: "public website bucket", expires: 2026-06-30}

   ``id`` may be a glob (``CC-IAM-*``). The same block in the template's top-level ``Metadata``
   applies to every resource of that template. A reason is required: an entry without one is
   ignored and reported as **CC-SUP-002**; an entry past its ``expires`` date (the last day it
   applies) is ignored and reported as **CC-SUP-001**; an entry that is not a mapping with an
   ``id`` or has an invalid date is reported as **CC-SUP-003**.
2. **Other tools' suppressions** already in the metadata: cfn-lint
   ``Metadata.cfn-lint.config.ignore_checks``, cdk-nag ``Metadata.cdk_nag.rules_to_suppress``,
   checkov ``Metadata.checkov.skip``, cfn_nag ``Metadata.cfn_nag.rules_to_suppress`` and
   cfn-guard ``Metadata.guard.SuppressedRules``. They are mapped to cfncheck checks through the
   reviewed table ``cfncheck/data/peer_suppressions.yaml``; every one found is listed in the
   output (``result.peer_suppressions``), mapped or not. cfn-lint ids match cfncheck's own
   cfn-lint rules directly, by prefix, as in cfn-lint.
3. **The config file**: ``suppressions: [{id, path?, stack?, stage?, resource?, reason,
   expires?}]`` where ``path`` is a construct-path glob (it survives logical-id hash churn).
   An expired entry is reported as CC-SUP-001 at its line in the config file.

A *grouped* finding (one finding for a stack or CDK Stage, the affected resources in
``related``) is suppressed as a whole by a suppression of the group's stack (template-level
metadata, or a config entry without ``resource``/``path``); a suppression on one affected
resource (its metadata, or a config entry naming it) marks that member ``suppressed`` in
``related``, and when every member is, the finding is suppressed.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fnmatch
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

from .checks import CheckInfo, Hit
from .findings import Finding, Suppression

SUP_EXPIRED = CheckInfo(
    id="CC-SUP-001", title="Expired suppression", severity="warning", kind="builtin",
    category="suppressions", precision="very-high", tags=("maintainability",),
    description="A suppression is past its 'expires' date, so it no longer applies: the "
                "findings it covered are reported again.",
    remediation="Fix the finding, or review the acceptance and move 'expires' forward "
                "(the date is the last day the suppression applies).",
)
SUP_NO_REASON = CheckInfo(
    id="CC-SUP-002", title="Suppression without a reason", severity="error", kind="builtin",
    category="suppressions", precision="very-high", tags=("maintainability",),
    description="A cfncheck suppression must say why the finding is accepted; one without a "
                "reason is ignored.",
    remediation="Add a reason: suppress(construct, 'CC-S3-001', reason='public website "
                "bucket') or {id: ..., reason: ...} in the resource's cfncheck metadata.",
)
SUP_INVALID = CheckInfo(
    id="CC-SUP-003", title="Invalid suppression", severity="error", kind="builtin",
    category="suppressions", precision="very-high", tags=("maintainability",),
    description="A cfncheck suppression entry cannot be read (it is not a mapping with an "
                "'id', or its 'expires' is not a YYYY-MM-DD date), so it is ignored.",
    remediation="Write entries as {id: CHECK_ID, reason: '...', expires: 'YYYY-MM-DD'} under "
                "Metadata.cfncheck.suppress.",
)
BUILTIN_CHECKS = (SUP_EXPIRED, SUP_NO_REASON, SUP_INVALID)

PEER_TOOLS = ("cfn-lint", "cdk-nag", "checkov", "cfn_nag", "guard")
_CFNLINT_ID = re.compile(r"^[EWI]\d{4}$")


@dataclass
class _Entry:
    """One usable suppression (already checked for reason and expiry)."""

    pattern: str  # cfncheck id glob, or a peer rule id
    reason: str
    expires: str | None
    source: str  # "metadata", "config" or a peer tool name
    targets: tuple = ()  # peer entries: cfncheck id globs it maps to
    record: dict | None = None  # peer entries: the listing record (its count is updated)
    used: int = 0  # findings it suppressed

    def matches(self, rule_id: str) -> bool:
        if self.source == "metadata" or self.source == "config":
            return fnmatch.fnmatchcase(rule_id, self.pattern)
        if self.source == "cfn-lint" and _CFNLINT_ID.match(rule_id) and \
                rule_id.startswith(self.pattern):
            return True
        return any(fnmatch.fnmatchcase(rule_id, t) for t in self.targets)

    def suppression(self) -> Suppression:
        reason = self.reason
        if self.source in PEER_TOOLS:
            reason = f"{self.pattern}: {reason}"
        return Suppression(self.source, reason, self.expires)


@dataclass
class _Scope:
    """Entries of one resource (or of a whole template when logical_id is None)."""

    entries: list[_Entry] = field(default_factory=list)


@cache
def peer_mapping() -> dict[str, dict[str, tuple[str, ...]]]:
    """tool -> peer rule id -> cfncheck id globs, from cfncheck/data/peer_suppressions.yaml."""
    from .yamlio import load_yaml_text  # the safe loader that refuses duplicate keys

    text = resources.files("cfncheck.data").joinpath("peer_suppressions.yaml").read_text()
    data, _ = load_yaml_text(text, "cfncheck/data/peer_suppressions.yaml")
    out: dict[str, dict[str, tuple[str, ...]]] = {t: {} for t in PEER_TOOLS}
    for topic in (data.get("topics") or {}).values():
        ids = tuple(topic.get("cfncheck") or ())
        for tool, peer_ids in (topic.get("peers") or {}).items():
            for pid in peer_ids:
                out.setdefault(tool, {})
                out[tool][str(pid)] = tuple(sorted({*out[tool].get(str(pid), ()), *ids}))
    return out


def apply_suppressions(findings: list[Finding], stacks, config, result,
                       today: datetime.date | None = None) -> None:
    """Mark findings suppressed in place; add CC-SUP-* findings for bad suppressions.

    Also records every peer suppression found in ``result.peer_suppressions`` and adds the
    CC-SUP-* checks to ``result.checks`` (they always run).
    """
    today = today or datetime.date.today()
    builtin: list[Finding] = []
    peers: list[dict] = []
    scopes: dict[tuple, _Scope] = {}  # (stack name, logical id | None) -> scope

    def emit(info: CheckInfo, stack, lid, path, message, key) -> None:
        if not config.enabled(info.id):
            return
        from .engine import to_finding

        builtin.append(to_finding(info, Hit(stack, lid, tuple(path), message, key=key), config))

    peer_list = peers if config.peer_suppressions else None
    check_ids = [c.id for c in result.checks]
    for stack in stacks:
        md = stack.template.data.get("Metadata")
        if isinstance(md, dict):
            scope = scopes.setdefault((stack.name, None), _Scope())
            _read_metadata(md, stack, None, ("Metadata",), scope, today, emit, peer_list,
                           check_ids)
        for lid, res in stack.resources.items():
            md = res.get("Metadata") if isinstance(res, dict) else None
            if not isinstance(md, dict):
                continue
            scope = scopes.setdefault((stack.name, lid), _Scope())
            _read_metadata(md, stack, lid, ("Resources", lid, "Metadata"), scope, today, emit,
                           peer_list, check_ids)

    config_entries = _config_entries(config, today, builtin)
    used = [0] * len(config_entries)

    def match(f: Finding) -> Suppression | None:
        for key in ((f.stack, f.logical_id), (f.stack, None)):
            if f.logical_id is None and key[1] is not None:
                continue
            scope = scopes.get(key)
            hit = next((e for e in scope.entries if e.matches(f.rule_id)), None) \
                if scope else None
            if hit is not None:
                hit.used += 1
                if hit.record is not None:
                    hit.record["suppressed"] += 1
                return hit.suppression()
        for i, (entry, cond) in enumerate(config_entries):
            if entry is not None and _config_matches(cond, f):
                used[i] += 1
                return entry.suppression()
        return None

    for f in [*findings, *builtin]:
        if f.suppressed:
            continue
        if f.related:
            f.suppressed = _match_group(f, match)
        else:
            f.suppressed = match(f)

    findings.extend(builtin)
    _note_unused_metadata(scopes, stacks, config, result)
    for i, (entry, cond) in enumerate(config_entries):
        if entry is not None and not used[i]:
            result.notes.append(f"config suppression {i + 1} (id {cond['id']}"
                                + (f", path {cond['path']}" if cond.get("path") else "")
                                + ") matched no finding")
    existing = {c.id for c in result.checks}
    result.checks.extend(c for c in BUILTIN_CHECKS
                         if c.id not in existing and config.enabled(c.id))
    if hasattr(result, "peer_suppressions"):
        result.peer_suppressions.extend(peers)


def _match_group(f: Finding, match) -> Suppression | None:
    """A grouped finding (``f.related``): suppressed as a whole by a suppression of its stack
    (template-level metadata, config entries without a resource or path), else member by
    member: each affected resource whose own metadata or a config entry (``resource``/``path``)
    suppresses the check is marked ``suppressed`` in ``related``; when every member is, so is
    the finding. Suppressions written for the per-resource findings of earlier versions thus
    keep working."""
    whole = match(replace(f, logical_id=None, construct_path=None, related=[]))
    if whole is not None:
        return whole
    first = None
    for m in f.related:
        view = replace(f, stack=m.get("stack") or f.stack, logical_id=m.get("logical_id"),
                       construct_path=m.get("construct_path"), related=[])
        sup = match(view) if m.get("logical_id") else None
        if sup is not None:
            m["suppressed"] = sup.reason
            first = first or sup
    if first is not None and all(m.get("suppressed") for m in f.related):
        return Suppression(first.source, f"every affected resource is suppressed "
                                         f"({first.reason})", first.expires)
    return None


def _note_unused_metadata(scopes: dict, stacks, config, result) -> None:
    """One note per suppressed id that matched no finding anywhere it is written (as for
    unused config suppressions), naming the first resources and, for an id that is no check's,
    the closest id."""
    from .config import id_problem

    known = getattr(config, "known_ids", None) or {c.id for c in result.checks}
    by_name = {s.name: s for s in stacks}
    unused: dict[str, list[str]] = {}
    for (stack_name, lid), scope in scopes.items():
        for e in scope.entries:
            if e.source == "metadata" and not e.used:
                stack = by_name.get(stack_name)
                cpath = stack.construct_path(lid) if stack is not None and lid else None
                unused.setdefault(e.pattern, []).append(
                    cpath or (f"{stack_name}/{lid}" if lid else f"{stack_name} (template)"))
    for pattern, places in unused.items():
        problem = id_problem(pattern, known)
        shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3
                                         else "")
        result.notes.append(f"cfncheck metadata suppression of {pattern} matched no finding "
                            f"({shown})" + (f": {problem}" if problem else ""))


def metadata_suppresses(template: dict, logical_id: str | None, rule_id: str,
                        today: datetime.date | None = None) -> bool:
    """Whether the cfncheck metadata of the resource (or the template's top-level Metadata)
    accepts a finding of ``rule_id``: for plain cfn-lint (``-a cfncheck.rules``), which reads
    no cfncheck suppressions itself. Entries without a reason or expired do not apply."""
    today = today or datetime.date.today()
    blocks = []
    res = (template.get("Resources") or {}).get(logical_id) if logical_id else None
    if isinstance(res, dict):
        blocks.append(res.get("Metadata"))
    blocks.append(template.get("Metadata"))
    for md in blocks:
        own = md.get("cfncheck") if isinstance(md, dict) else None
        entries = own.get("suppress") if isinstance(own, dict) else None
        for raw in entries if isinstance(entries, list) else ():
            entry = _own_entry(raw, None, None, ("",), today, lambda *a: None)
            if entry is not None and entry.matches(rule_id):
                return True
    return False


def _read_metadata(md: dict, stack, lid, base: tuple, scope: _Scope, today, emit,
                   peers: list | None, check_ids: list[str]) -> None:
    own = md.get("cfncheck")
    if own is not None:
        entries = own.get("suppress") if isinstance(own, dict) else None
        where = (*base, "cfncheck", "suppress")
        if not isinstance(entries, list):
            emit(SUP_INVALID, stack, lid, (*base, "cfncheck"),
                 "Metadata 'cfncheck' must be {suppress: [{id, reason, expires?}]}: it is "
                 "ignored.", "cfncheck-metadata")
        else:
            for i, raw in enumerate(entries):
                entry = _own_entry(raw, stack, lid, (*where, i), today, emit)
                if entry is not None:
                    scope.entries.append(entry)
    if peers is None:
        return
    construct_path = stack.construct_path(lid) if lid else None
    for tool, rule, reason, expires in _peer_entries(md):
        mapped = peer_mapping().get(tool, {}).get(rule, ())
        if tool == "cfn-lint":  # cfncheck's cfn-lint rules: by prefix, as cfn-lint does
            mapped = tuple(sorted({*mapped, *(c for c in check_ids
                                              if _CFNLINT_ID.match(c) and c.startswith(rule))}))
        record = {"tool": tool, "rule": rule, "reason": reason, "stack": stack.name,
                  "logical_id": lid, "construct_path": construct_path,
                  "mapped_to": list(mapped), "suppressed": 0,
                  "file": stack.template_rel}
        peers.append(record)
        if not mapped:
            continue
        if expires and _parse_date(expires) and _parse_date(expires) < today:
            continue
        scope.entries.append(_Entry(rule, reason or f"suppressed for {tool}", expires, tool,
                                    tuple(mapped), record))


def _own_entry(raw, stack, lid, path: tuple, today, emit) -> _Entry | None:
    if isinstance(raw, str):
        raw = {"id": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"].strip():
        emit(SUP_INVALID, stack, lid, path, "A cfncheck suppression entry must be a mapping "
             "with an 'id' (a check id or glob): it is ignored.", f"invalid:{path[-1]}")
        return None
    rid = raw["id"].strip()
    reason = raw.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < 3:
        emit(SUP_NO_REASON, stack, lid, path, f"The suppression of {rid} has no reason, so it "
             "is ignored: add reason='why this is accepted'.", f"metadata:{rid}")
        return None
    expires = raw.get("expires")
    if expires is not None:
        day = _parse_date(expires)
        if day is None:
            emit(SUP_INVALID, stack, lid, path, f"The suppression of {rid} has an invalid "
                 f"'expires' {expires!r} (expected YYYY-MM-DD), so it is ignored.",
                 f"metadata:{rid}")
            return None
        if day < today:
            emit(SUP_EXPIRED, stack, lid, path, f"The suppression of {rid} expired on "
                 f"{day.isoformat()} ({reason.strip()!r}), so it no longer applies.",
                 f"metadata:{rid}")
            return None
        expires = day.isoformat()
    return _Entry(rid, reason.strip(), expires, "metadata")


def _peer_entries(md: dict):
    """(tool, rule id, reason, expires) for every peer suppression in a Metadata block."""
    lint = md.get("cfn-lint")
    if isinstance(lint, dict):
        cfg = lint.get("config")
        ignore = cfg.get("ignore_checks") if isinstance(cfg, dict) else None
        for rule in _strings(ignore):
            yield "cfn-lint", rule, "", None
    nag = md.get("cdk_nag")
    if isinstance(nag, dict):
        for item in _dicts(nag.get("rules_to_suppress")):
            reason = item.get("reason") if isinstance(item.get("reason"), str) else ""
            if item.get("is_reason_encoded") is True:
                try:
                    reason = base64.b64decode(reason, validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    pass
            if isinstance(item.get("id"), str):
                yield "cdk-nag", item["id"], reason, None
    checkov = md.get("checkov")
    if isinstance(checkov, dict):
        for item in _dicts(checkov.get("skip")):
            if isinstance(item.get("id"), str):
                comment = item.get("comment")
                yield "checkov", item["id"], comment if isinstance(comment, str) else "", None
    cfn_nag = md.get("cfn_nag")
    if isinstance(cfn_nag, dict):
        for item in _dicts(cfn_nag.get("rules_to_suppress")):
            if isinstance(item.get("id"), str):
                reason = item.get("reason")
                yield "cfn_nag", item["id"], reason if isinstance(reason, str) else "", None
    guard = md.get("guard")
    if isinstance(guard, dict):
        rules = guard.get("SuppressedRules")
        for rule in _strings(rules):
            yield "guard", rule, "", None
        # the registry's own tests also write `- RULE_NAME: reason`
        for item in _dicts(rules):
            if len(item) == 1:
                (rule, reason), = item.items()
                if isinstance(rule, str):
                    yield "guard", rule, reason if isinstance(reason, str) else "", None


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _config_entries(config, today, builtin: list[Finding]) -> list[tuple]:
    """(entry or None when expired, the raw condition) for each config suppression."""
    out = []
    for i, s in enumerate(config.suppressions):
        day = _parse_date(s.get("expires")) if s.get("expires") else None
        if day is not None and day < today:
            out.append((None, s))
            if config.enabled(SUP_EXPIRED.id):
                builtin.append(_config_finding(config, i, s, day))
            continue
        out.append((_Entry(s["id"], s["reason"].strip(), day.isoformat() if day else None,
                           "config"), s))
    return out


def _config_finding(config, i: int, s: dict, day: datetime.date) -> Finding:
    from .engine import display_path

    what = s["id"] + (f" at {s['path']}" if s.get("path") else "")
    line = config.line(("suppressions", i, "expires")) or config.line(("suppressions", i)) or 0
    return Finding(
        rule_id=SUP_EXPIRED.id,
        severity=config.severity(SUP_EXPIRED.id, SUP_EXPIRED.severity),
        title=SUP_EXPIRED.title,
        message=f"The config suppression of {what} expired on {day.isoformat()} "
                f"({s['reason'].strip()!r}), so it no longer applies.",
        remediation=SUP_EXPIRED.remediation,
        stage="unknown", stack="", template="",
        file=display_path(config.path) if config.path else "",
        line=line, column=1 if line else 0,
        path=("suppressions", i),
        key=f"config:{s['id']}:{s.get('path', '')}:{s.get('stack', '')}:{s.get('stage', '')}"
            f":{s.get('resource', '')}",
        category=SUP_EXPIRED.category,
    )


def _config_matches(cond: dict, f: Finding) -> bool:
    if not fnmatch.fnmatchcase(f.rule_id, cond["id"]):
        return False
    if "path" in cond and not fnmatch.fnmatchcase(f.construct_path or "", cond["path"]):
        return False
    if "stack" in cond and not fnmatch.fnmatchcase(f.stack, cond["stack"]):
        return False
    if "stage" in cond and f.stage != cond["stage"]:
        return False
    if "resource" in cond and not fnmatch.fnmatchcase(f.logical_id or "", cond["resource"]):
        return False
    return True
