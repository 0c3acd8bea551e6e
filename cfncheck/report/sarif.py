"""SARIF 2.1.0 report for GitHub code scanning (and any SARIF viewer).

What is in it, and why:

* ``tool.driver.rules``: every check that ran (sorted by id), with name, short and full
  description, help (text and markdown, with the fix), ``helpUri``, ``defaultConfiguration``,
  and properties ``tags`` (``security`` where it applies), ``security-severity`` (a string
  score; GitHub shows critical/high/medium/low from it), ``precision`` and ``problem.severity``.
* one result per finding: ``ruleId`` + ``ruleIndex``, ``level``, a message whose first sentence
  is the check title, one physical location relative to the repository root (``%SRCROOT%``)
  with a region, a logical location with the CDK construct path, ``partialFingerprints``
  (``cfncheck/v1``: the finding's fingerprint, stable across line moves and re-synthesis), and
  ``suppressions`` (``[]`` when not suppressed; ``inSource`` for metadata and peer
  suppressions, ``external`` for the config file and baselines, with the justification).
* ``automationDetails.id``: ``cfncheck/<category or stage>/`` so uploads for several stages or
  apps do not replace each other.
* input errors as ``toolExecutionNotifications`` (and ``executionSuccessful: false``).

See :mod:`cfncheck.report.locations` for how locations are chosen when ``cdk.out`` is not
committed.

GitHub's upload limits (https://docs.github.com/en/code-security/code-scanning/
troubleshooting-sarif-uploads/results-exceed-limit and .../file-too-large): at most
:data:`MAX_RESULTS` results per run and :data:`MAX_GZIP_BYTES` gzipped. Beyond either, the most
severe results are kept (unsuppressed before suppressed, then error, warning, note, in scan
order), the run's ``properties.truncated`` says how many were left out and why, and a warning is
left in ``options.extra["warnings"]`` for the CLI to print on stderr. Strings keep their content
(JSON escapes control characters); lone surrogates become U+FFFD (:data:`ESCAPE`).
"""

from __future__ import annotations

import gzip
import json
import re
from types import SimpleNamespace

from .. import __version__
from ..escape import no_surrogates
from . import first_paragraph, is_security, rule_infos, security_severity
from .locations import Locator

SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/cfncheck/cfncheck"
FINGERPRINT_KEY = "cfncheck/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
IN_SOURCE = {"metadata", "cfn-lint", "cdk-nag", "checkov", "cfn_nag", "guard"}
ESCAPE = no_surrogates
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10_000_000  # GitHub: 10 MB (gzipped); decimal, to stay on the safe side
_RANK = {"error": 0, "warning": 1, "note": 2}


def render(result, options) -> str:
    doc = to_sarif(result, options)
    text = json.dumps(doc, indent=2) + "\n"
    if len(text) > MAX_GZIP_BYTES and _gz(text) > MAX_GZIP_BYTES:
        run = doc["runs"][0]
        total = run["properties"].get("truncated", {}).get("results", len(run["results"]))
        keep = len(run["results"])
        while keep > 0:
            keep = max(0, int(keep * MAX_GZIP_BYTES / _gz(text) * 0.9))
            _truncate(run, keep, total, options, "the gzipped file would exceed 10 MB")
            text = json.dumps(doc, indent=2) + "\n"
            if _gz(text) <= MAX_GZIP_BYTES:
                break
    return text


def _gz(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6))


def _truncate(run: dict, keep: int, total: int, options, why: str) -> None:
    """Keep the ``keep`` most severe results of ``run`` (in their order)."""
    results = run["results"]
    order = sorted(range(len(results)), key=lambda i: (bool(results[i]["suppressions"]),
                                                       _RANK[results[i]["level"]], i))
    kept = sorted(order[:keep])
    run["results"] = [results[i] for i in kept]
    run["properties"]["truncated"] = {
        "results": total, "kept": len(kept), "omitted": total - len(kept), "reason": why,
        "kept_first": "unsuppressed, then error, warning, note"}
    msg = (f"SARIF: {total - len(kept)} of {total} results left out ({why}); the most severe "
           f"{len(kept)} were kept")
    warnings = options.extra.setdefault("warnings", [])
    warnings[:] = [w for w in warnings if not w.startswith("SARIF:")] + [msg]


def to_sarif(result, options) -> dict:
    infos = rule_infos(result)
    index = {rid: i for i, rid in enumerate(infos)}
    locator = Locator(result, options)
    results = [_result(f, infos[f.rule_id], index[f.rule_id], locator)
               for f in result.findings]
    run = {
        "tool": {"driver": {
            "name": "cfncheck",
            "fullName": "cfncheck: compliance checks for AWS CDK cloud assemblies",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": [_rule(info, options) for info in infos.values()],
        }},
        "automationDetails": {"id": automation_id(result, options)},
        "columnKind": "unicodeCodePoints",
        "invocations": [_invocation(result, locator)],
        "results": results,
        "properties": {
            "failOn": options.fail_on,
            "stacks": [{"name": s.name, "stage": s.stage} for s in result.stacks],
            "peerSuppressions": list(result.peer_suppressions),
            **({"baseline": result.baseline} if result.baseline else {}),
        },
    }
    if len(results) > MAX_RESULTS:
        _truncate(run, MAX_RESULTS, len(results), options,
                  f"GitHub accepts at most {MAX_RESULTS} results per run")
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def automation_id(result, options) -> str:
    """``cfncheck/<category>/``; the category defaults to the scanned stage(s)."""
    cat = (options.category or "").strip().strip("/")
    if not cat:
        stages = sorted({s.stage for s in result.stacks if s.parent is None})
        cat = stages[0] if len(stages) == 1 else "all" if not stages else "+".join(stages)
    if not cat.startswith("cfncheck/") and cat != "cfncheck":
        cat = f"cfncheck/{cat}"
    return cat + "/"


def rule_name(title: str, rule_id: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name or re.sub(r"[^A-Za-z0-9]", "", rule_id)


def _control_tags(info, options) -> list[str]:
    """Framework control ids as tags (``NIST-800-53-rev5/AC-3``; see cfncheck/packs.py)."""
    from ..packs import control_tags, report_frameworks

    return control_tags(info.id, report_frameworks(options)) if options is not None else []


def _rule(info, options=None) -> dict:
    description = (info.description or info.title).strip()
    fix = (info.remediation or "").strip()
    md = [description]
    if fix:
        md += ["", "**Fix**", "", fix]
    if info.docs_url:
        md += ["", f"[Documentation]({info.docs_url})"]
    text = description + (f"\n\nFix: {fix}" if fix else "")
    tags = [str(t) for t in info.tags or ()]
    if is_security(info) and "security" not in tags:
        tags.insert(0, "security")
    if info.category and info.category not in tags:
        tags.append(info.category)
    tags += _control_tags(info, options)
    props = {"tags": tags, "precision": info.precision or "high",
             "problem.severity": PROBLEM_SEVERITY[info.severity], "kind": info.kind}
    score = security_severity(info)
    if score is not None:
        props["security-severity"] = score
    if info.stages is not None:
        props["stages"] = list(info.stages)
    rule = {
        "id": info.id,
        "name": rule_name(info.title, info.id),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": description},
        "help": {"text": text, "markdown": "\n".join(md)},
        "defaultConfiguration": {"level": LEVELS[info.severity]},
        "properties": props,
    }
    if info.docs_url:
        rule["helpUri"] = info.docs_url
    return rule


def _message(f, loc) -> str:
    sentences = [f.title.strip(), f.message.strip()]
    if loc.via != "template" and loc.template_ref:
        what = {"source": "the CDK source line that created the construct",
                "cdk.json": "the CDK app (cdk.json)"}.get(loc.via, loc.via)
        sentences.append(f"Found at {loc.template_ref} in the synthesized template (not "
                         f"committed); shown at {what}")
    if f.remediation:
        sentences.append(f"Fix: {first_paragraph(f.remediation).rstrip(':')}")
    return " ".join(_sentence(s) for s in sentences if s)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _result(f, info, rule_index: int, locator: Locator) -> dict:
    loc = locator.locate(f)
    artifact = {"uri": loc.uri}
    if loc.relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    location: dict = {"physicalLocation": {
        "artifactLocation": artifact,
        "region": {"startLine": loc.line, "startColumn": loc.column},
    }}
    if f.logical_id or f.construct_path:
        logical = {"name": f.logical_id or f.construct_path.rsplit("/", 1)[-1],
                   "fullyQualifiedName": f.construct_path or f"{f.stack}/{f.logical_id}",
                   "kind": "resource"}
        location["logicalLocations"] = [logical]
    elif f.related and f.stack:  # a stack's grouped finding: the stack is its location
        location["logicalLocations"] = [{"name": f.stack.rsplit("/", 1)[-1],
                                         "fullyQualifiedName": f.stack, "kind": "module"}]
    out = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "kind": "fail",
        "message": {"text": _message(f, loc)},
        "locations": [location],
        **_related_locations(f, locator),
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "suppressions": [],
        "properties": {
            "stage": f.stage, "stack": f.stack, "logicalId": f.logical_id,
            "resourceType": f.resource_type, "constructPath": f.construct_path,
            "template": f.file, "templateLine": f.line, "templateColumn": f.column,
            "templatePath": [str(p) for p in f.path],
        },
    }
    if f.severity != info.severity:
        out["properties"]["severityOverride"] = f.severity
    if f.covers:  # a merged finding: the other checks it stands for
        out["properties"]["covers"] = [c["rule_id"] for c in f.covers]
    if f.suppressed:
        s = f.suppressed
        sup = {"kind": "inSource" if s.source in IN_SOURCE else "external",
               "status": "accepted", "justification": s.reason,
               "properties": {"source": s.source}}
        if s.expires:
            sup["properties"]["expires"] = s.expires
        out["suppressions"] = [sup]
    return out


def _related_locations(f, locator: Locator) -> dict:
    """SARIF ``relatedLocations`` of a grouped finding: each affected resource (template or
    CDK source line, and its construct path as a logical location)."""
    if not f.related:
        return {}
    out = []
    for i, m in enumerate(f.related, start=1):
        member = SimpleNamespace(stack=m.get("stack") or f.stack, file=m.get("file") or f.file,
                                 line=m.get("line") or 1, column=1,
                                 construct_path=m.get("construct_path"),
                                 logical_id=m.get("logical_id"), source_location=None)
        loc = locator.locate(member)
        artifact = {"uri": loc.uri}
        if loc.relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        name = m.get("logical_id") or member.stack
        what = f"{name} ({m['resource_type']})" if m.get("resource_type") else name
        related = {"id": i,
                   "physicalLocation": {"artifactLocation": artifact,
                                        "region": {"startLine": loc.line,
                                                   "startColumn": loc.column}},
                   "message": {"text": f"Affected resource {i} of {len(f.related)}: {what}"
                               + (" (suppressed)" if m.get("suppressed") else "")}}
        if m.get("logical_id"):
            related["logicalLocations"] = [{
                "name": m["logical_id"],
                "fullyQualifiedName": m.get("construct_path") or f"{member.stack}/{name}",
                "kind": "resource"}]
        out.append(related)
    return {"relatedLocations": out}


def _invocation(result, locator: Locator) -> dict:
    notes = []
    for e in result.errors:
        n = {"level": "error", "message": {"text": e.message},
             "descriptor": {"id": f"cfncheck/{e.kind}"}}
        if e.file:
            from pathlib import Path

            rel = locator.relative(Path(e.file))
            try:
                uri = Path(e.file).resolve().as_uri()
            except (ValueError, OSError):  # not a name any file system holds
                uri = e.file
            phys = {"artifactLocation": {"uri": rel, "uriBaseId": "%SRCROOT%"} if rel
                    else {"uri": uri}}
            if e.line:
                phys["region"] = {"startLine": e.line, **({"startColumn": e.column}
                                                         if e.column else {})}
            n["locations"] = [{"physicalLocation": phys}]
        notes.append(n)
    inv = {"executionSuccessful": not result.errors}
    if notes:
        inv["toolExecutionNotifications"] = notes
    return inv
