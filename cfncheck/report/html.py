"""A self-contained HTML report: the assembly drawn, with the findings on it.

One file that works offline (a CI artifact, a laptop): the CSS, the JavaScript (ours and the
vendored Cytoscape.js + dagre layered layout, see ``vendor/VENDORED.md``) and the scan data are
inline; a Content-Security-Policy forbids every network request and every script but ours
(by hash). Three views:

* **Overview**: the gate result and the command/config, stages x stacks with counts per severity
  (suppressed and baselined apart), and, when the checks carry framework controls, a
  per-control table.
* **Findings**: filterable by severity, check, stage, stack and free text; each row has the
  construct path, the template location (a link into the repository when the GitHub
  environment variables are set), the CDK source line when known, the message and the fix.
  Suppressed and baselined findings are in a view of their own with reason and expiry.
* **Assembly**: stacks (nested stacks inside their parents) as compound nodes, resources as
  nodes labelled by construct id and type, references as edges, cross-stack references
  (exports, weak references, nested parameters) between stacks; nodes coloured by their worst
  finding. Large assemblies start with stacks collapsed (one node each).

Every string from the assembly is attacker-controlled: the data travels as JSON inside a
``<script type="application/json">`` block with ``<``, ``>``, ``&`` and line separators escaped,
and the page's script writes it into the DOM with ``textContent`` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import sys
from collections import Counter
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from urllib.parse import quote

from .. import __version__
from ..escape import no_surrogates
from . import active, stack_rows
from .locations import Locator
from .locations import link_base as repo_link_base

#: The writer's escape at the boundary (cfncheck.report.escaped): lone surrogates in any
#: field (a rule id, a stack name) cannot be encoded in the page; the DOM gets the rest as
#: textContent.
ESCAPE = no_surrogates

#: Above this many resources the assembly view starts with every stack collapsed.
COLLAPSE_ABOVE = 400
#: Findings beyond this many are left out of the page (the count says so).
MAX_FINDINGS = 20_000
#: Longest string kept from the assembly in any field (messages are cut with an ellipsis).
MAX_FIELD = 4_000

VENDORED = ("cytoscape.min.js", "dagre.min.js", "cytoscape-dagre.js")


@cache
def _asset(folder: str, name: str) -> str:
    return (resources.files("cfncheck.report") / folder / name).read_text(encoding="utf-8")


def _cut(value, limit: int = MAX_FIELD) -> str:
    # Lone surrogates cannot be encoded in the page (the escaped view already replaced them
    # when the page comes from report.render; payload() may also be given a raw result).
    text = "" if value is None else no_surrogates(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def script_json(data) -> str:
    """JSON that is inert inside ``<script type="application/json">`` (no ``</script>``, no
    ``<!--``, no line separators that some parsers treat as newlines)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def payload(result, options) -> dict:
    """The data the page shows (also what the tests inspect)."""
    locator = Locator(result, options)
    link_base = repo_link_base()
    stacks = list(result.stacks)
    stack_ix = {s.name: i for i, s in enumerate(stacks)}
    node_ix: dict[tuple[str, str], int] = {}
    nodes: list[list] = []
    for si, s in enumerate(stacks):
        for lid, res in s.resources.items():
            rtype = res.get("Type") if isinstance(res, dict) else None
            cpath = s.construct_path(lid) or ""
            label = cpath.rsplit("/", 2)[-2] if cpath.endswith("/Resource") else \
                cpath.rsplit("/", 1)[-1]
            node_ix[(s.name, lid)] = len(nodes)
            nodes.append([si, _cut(lid, 300), _cut(rtype if isinstance(rtype, str) else "", 200),
                          _cut(label or lid, 200), _cut(cpath, 1000)])
    edges = _edges(result, node_ix)

    rules: dict[str, dict] = {}
    for c in result.checks:
        rules[c.id] = {"title": _cut(c.title, 500), "severity": c.severity,
                       "remediation": _cut(c.remediation, 8000), "docs": _safe_url(c.docs_url),
                       "controls": _controls(c, options)}
    findings = []
    for f in result.findings[:MAX_FINDINGS]:
        if f.rule_id not in rules:
            rules[f.rule_id] = {"title": _cut(f.title, 500), "severity": f.severity,
                                "remediation": _cut(f.remediation, 8000),
                                "docs": _safe_url(f.docs_url), "controls": {}}
        loc = locator.locate(f)
        label = f"{loc.uri}:{loc.line}" if loc.relative else f"{f.file}:{f.line}"
        link = f"{link_base}{quote(loc.uri)}#L{int(loc.line)}" if link_base and loc.relative \
            else ""
        src = f.source_location or None
        sup = f.suppressed
        related = [node_ix[key] for key in ((r.get("stack") or f.stack, r.get("logical_id"))
                                            for r in f.related) if key in node_ix]
        findings.append({
            "rule": _cut(f.rule_id, 100), "sev": f.severity, "stage": _cut(f.stage, 100),
            "stack": stack_ix.get(f.stack, -1), "stackName": _cut(f.stack, 500),
            "node": node_ix.get((f.stack, f.logical_id), -1) if f.logical_id else -1,
            "lid": _cut(f.logical_id, 300), "type": _cut(f.resource_type, 200),
            "cpath": _cut(f.construct_path, 1000), "where": _cut(label, 1000), "link": link,
            "src": (f"{_cut(src.get('file'), 1000)}:{int(src.get('line') or 0)}"
                    if isinstance(src, dict) and src.get("file") else ""),
            "msg": _cut(f.message), "related": related,
            "sup": ({"source": _cut(sup.source, 100), "reason": _cut(sup.reason, 2000),
                     "expires": _cut(sup.expires, 40)} if sup else None),
            "fp": f.fingerprint,
        })

    baselined = Counter(f.stack or "(config)" for f in result.findings
                        if f.suppressed and f.suppressed.source == "baseline")
    rows = []
    for r in stack_rows(result):
        base = baselined[r["stack"]]
        rows.append({"stage": _cut(r["stage"], 100), "stack": _cut(r["stack"], 500),
                     "error": r["error"], "warning": r["warning"], "info": r["info"],
                     "suppressed": r["suppressed"] - base, "baselined": base})
    gate = result.gate(options.fail_on)
    return {
        "meta": {
            "tool": "cfncheck", "version": __version__,
            "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": _cut(" ".join(shlex.quote(a) for a in sys.argv[1:]), 2000),
            "config": _cut(getattr(result, "config", None) or options.config_path or "", 1000),
            "scanned": [_cut(p, 1000) for p in options.scanned],
            "failOn": options.fail_on,
            "failed": bool(result.errors) or bool(gate),
            "gateCount": len(gate), "inputErrors": [_cut(str(e), 2000) for e in result.errors],
            "notes": [_cut(n, 2000) for n in result.notes],
            "active": len(active(result)), "total": len(result.findings),
            "omitted": max(0, len(result.findings) - MAX_FINDINGS),
            "collapse": len(nodes) > COLLAPSE_ABOVE,
        },
        "stacks": [{"name": _cut(s.name, 500), "stage": _cut(s.stage, 100),
                    "parent": stack_ix.get(s.parent.name, -1) if s.parent else -1,
                    "template": _cut(s.template_rel, 1000)} for s in stacks],
        "rows": rows, "nodes": nodes, "edges": edges, "rules": rules, "findings": findings,
        "controls": _control_rows(options),
    }


def _edges(result, node_ix) -> list[list]:
    graph = getattr(result, "graph", None)
    if graph is None:
        return []
    seen: set[tuple[int, int]] = set()
    out: list[list] = []
    for src, edges in graph.out_edges.items():
        a = node_ix.get((src.stack.name, src.logical_id))
        if a is None:
            continue
        for e in edges:
            t = e.target
            if t.kind != "resource":
                continue
            b = node_ix.get((t.stack.name, t.logical_id))
            if b is None or a == b or (a, b) in seen:
                continue
            seen.add((a, b))
            out.append([a, b, e.kind, 1 if t.stack is not src.stack else 0])
    return out


def _controls(info, options) -> dict:
    """framework -> control ids of a check, for the frameworks the report shows."""
    from ..packs import controls_of, report_frameworks

    shown = set(report_frameworks(options))
    return {fw: [str(c) for c in ids] for fw, ids in sorted(controls_of(info.id).items())
            if fw in shown}


def _control_rows(options) -> list[dict]:
    """The per-control summary the CLI computed for the selected framework packs
    (:func:`cfncheck.packs.control_summary`), or nothing without a framework pack."""
    rows = (getattr(options, "extra", None) or {}).get("controls") or []
    out = []
    for r in rows:
        d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
        out.append({"framework": str(d["framework"]), "control": str(d["control"]),
                    "checks": [str(c) for c in d["checks"]],
                    "failing": int(d.get("resources_failing") or 0),
                    "passing": d.get("resources_passing"),
                    "status": "fail" if d.get("resources_failing") else "pass"})
    return out


def _safe_url(url) -> str:
    url = str(url or "")
    return url if url.startswith("https://") and len(url) < 2000 else ""


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def render(result, options) -> str:
    data = script_json(payload(result, options))
    scripts = [_asset("vendor", n) for n in VENDORED] + [_asset("html_assets", "report.js")]
    # A script element must not contain "</script" (the vendored files do not; checked).
    for s in scripts:
        if "</script" in s.lower():
            raise ValueError("a vendored script contains </script")
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           f"script-src {' '.join(_csp_hash(s) for s in scripts)}; base-uri 'none'; "
           "form-action 'none'; connect-src 'none'; frame-src 'none'")
    style = _asset("html_assets", "report.css")
    body = _asset("html_assets", "report.html")
    script_tags = "\n".join(f"<script>{s}</script>" for s in scripts)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>cfncheck report</title>\n<style>{style}</style></head>\n<body>\n{body}\n"
        f"<script type=\"application/json\" id=\"cfncheck-data\">{data}</script>\n"
        f"{script_tags}\n</body></html>\n"
    )
