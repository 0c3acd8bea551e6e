"""cfncheck inside ``cdk synth``: a CDK policy-validation plugin and the ``suppress()`` helper.

Install with the extra (``pip install cfncheck[cdk]``); the core package never needs
aws-cdk-lib, and this module is only imported by CDK apps::

    from cfncheck.cdk import CfncheckPlugin, suppress

    app = App(policy_validation_beta1=[CfncheckPlugin()])
    # or, on CDK versions that have it: Validations.of(app).add_plugins(CfncheckPlugin())

:class:`CfncheckPlugin` implements ``aws_cdk.IPolicyValidationPluginBeta1`` (and
``IPolicyValidationPlugin`` where the CDK version has it). CDK calls ``validate`` once per
plugin after the cloud assembly is written, with the templates of every stack of every Stage the
plugin is registered on (an App-level plugin sees the Stages ``Dev`` and ``Prod`` too). The
plugin loads the whole assembly those templates belong to (``cdk.out`` and its
``assembly-*`` folders, nested stacks, tree.json) and runs the same engine as
``cfncheck scan`` (:func:`cfncheck.engine.evaluate`) with the same config file (searched upward
from the working directory, or given), stage detection and suppressions, so rule ids and
messages are the same as ``cfncheck scan cdk.out``.

Each unsuppressed finding becomes one CDK violation, which CDK prints as a block per violating
construct: ``ruleName`` = check id, ``description`` = title and message on one line (plus
``(source: file:line)``, the app source line, when found), ``fix`` = the remediation **on the
first violation of each rule only** (CDK prints a violation's fix under every construct; the
others carry the fix's first paragraph in ``ruleMetadata.fix``), ``severity`` =
error|warning|info, and the resource (logical id, template path, property paths
``Properties.X.Y``). CDK derives the construct path from the logical id (the plugin passes it
itself through ``IPolicyValidationPlugin``). The report fails (``success`` False) when an
unsuppressed finding is at or above the fail threshold (``fail_on``, default config
``fail_on`` else ``error``): CDK then prints the report, writes ``cdk.out/validation-report.json``
and the synth fails; warnings are shown and do not fail.

Violations are ordered as CDK prints them (errors first). CDK's own annotations (W9301
``aws:cdk:warning``, E9302 ``aws:cdk:error``) are not repeated as violations: CDK reports them
itself; ``metadata.cdkAnnotations`` counts them. ``metadata.summary`` gives the counts, and the
same line is printed on stderr when the app exits, after CDK's report ("a closing count").
Every string is one line with control characters escaped (:func:`cfncheck.escape.one_line`).

Findings suppressed by cfncheck (``suppress()`` metadata, the config file, peer tools' metadata)
are not violations; the report's ``metadata`` lists them (``suppressed`` = count,
``suppressed.N`` = ``ID construct-path [source]: reason (expires ...)``). CDK's own
acknowledgements (``Validations.of(c).acknowledge(Acknowledgment(id="cfncheck::CC-S3-001",
reason=...))``) also work: CDK moves the violation to ``suppressedViolations``.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path
from typing import Any, Iterable

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationPluginBeta1,
    PolicyValidationPluginReportBeta1,
    PolicyViolatingResourceBeta1,
    PolicyViolationBeta1,
)

from . import __version__
from .errors import InputError
from .escape import one_line, printable, printable_prose

try:  # CDK >= 2.2xx: the non-beta interface (Validations.of(app).add_plugins)
    from aws_cdk import (
        IPolicyValidationPlugin,
        PolicyValidationPluginReport,
        PolicyViolatingResource,
        PolicyViolation,
    )
except ImportError:  # pragma: no cover - older aws-cdk-lib
    IPolicyValidationPlugin = None  # type: ignore[assignment,misc]

PLUGIN_NAME = "cfncheck"
#: CDK's own annotations as rules: CDK reports them itself, the plugin does not repeat them.
CDK_OWN = frozenset({"W9301", "E9302"})
_RANK = {"error": 0, "warning": 1, "info": 2}
_CLOSING: list[str] = []  # the last summary line, printed at exit
METADATA_KEY = "cfncheck"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTERFACES = tuple(i for i in (IPolicyValidationPluginBeta1, IPolicyValidationPlugin) if i)


# ---------------------------------------------------------------------------------------------
# suppress()


#: a check id (CC-S3-001, W9101, ACME-SQS-001) or a glob of them (CC-IAM-*, W91*)
_ID_GLOB = re.compile(r"^[A-Z*?\[][A-Z0-9_*?\[\]-]*$")


def suppress(construct, rule_id: str, reason: str, expires: str | None = None, *,
             apply_to_children: bool = False) -> None:
    """Accept a finding of ``rule_id`` on ``construct`` with a ``reason`` (required).

    Works on an L1 (``CfnResource``) or an L2 (its ``node.default_child``); with
    ``apply_to_children=True``, on every CloudFormation resource under the construct (for your
    own constructs, which have no default child). Appends ``{id, reason, expires?}`` to the
    resource metadata ``cfncheck: {suppress: [...]}``, which ``cfncheck scan``, the cfn-lint
    rules and this plugin all read. ``expires`` is ``YYYY-MM-DD``, the last day it applies.
    """
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ValueError("suppress(): rule_id must be a non-empty check id such as 'CC-S3-001'")
    if not _ID_GLOB.match(rule_id.strip()):
        hint = f" (did you mean {rule_id.strip().upper()}?)" \
            if _ID_GLOB.match(rule_id.strip().upper()) else ""
        raise ValueError(f"suppress(): {rule_id!r} is not a check id or glob: ids are upper "
                         f"case, such as 'CC-S3-001', 'W9101' or 'CC-IAM-*'{hint}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"suppress(): a reason is required to suppress {rule_id} "
                         "(say why the finding is accepted)")
    if expires is not None:
        if isinstance(expires, datetime.date):
            expires = expires.isoformat()
        if not isinstance(expires, str) or not _DATE.match(expires):
            raise ValueError(f"suppress(): expires must be a YYYY-MM-DD date, not {expires!r}")
        try:
            datetime.date.fromisoformat(expires)
        except ValueError:
            raise ValueError(f"suppress(): expires {expires!r} is not a valid date") from None
    entry: dict[str, str] = {"id": rule_id.strip(), "reason": reason.strip()}
    if expires:
        entry["expires"] = expires
    targets = _cfn_resources(construct, apply_to_children)
    if not targets:
        path = getattr(getattr(construct, "node", None), "path", construct)
        raise ValueError(f"suppress(): {path} is not a CloudFormation resource and has no "
                         "node.default_child; pass the L1 (CfnXxx) construct or "
                         "apply_to_children=True")
    for cfn in targets:
        current = cfn.get_metadata(METADATA_KEY)
        block = dict(current) if isinstance(current, dict) else {}
        existing = block.get("suppress")
        items = list(existing) if isinstance(existing, list) else []
        if entry not in items:
            items.append(dict(entry))
        block["suppress"] = items
        cfn.add_metadata(METADATA_KEY, block)


def _cfn_resources(construct, apply_to_children: bool) -> list:
    if CfnResource.is_cfn_resource(construct):
        return [construct]
    node = getattr(construct, "node", None)
    if node is None:
        return []
    if apply_to_children:
        return [c for c in node.find_all() if CfnResource.is_cfn_resource(c)]
    child = node.default_child
    return [child] if child is not None and CfnResource.is_cfn_resource(child) else []


# ---------------------------------------------------------------------------------------------
# the plugin


@jsii.implements(*_INTERFACES)
class CfncheckPlugin:
    """The cfncheck CDK policy-validation plugin.

    :param config: config file (default: ``.cfncheck.yaml`` / ``[tool.cfncheck]`` in
        ``pyproject.toml``, searched upward from the working directory, as the CLI does).
    :param stage: stage for every stack (like ``--stage``); default: detected per stack.
    :param fail_on: ``error`` (default: config ``fail_on`` else error), ``warning``, ``info`` or
        ``never``.
    :param policy_dirs: extra policy folders (like ``--policies``).
    :param repo_root: source locations are relative to it (default: the git root above the
        working directory, else the working directory).
    :param checks: explicit checks instead of the rule pack and policies (for tests).
    """

    def __init__(self, *, config: str | Path | None = None, stage: str | None = None,
                 fail_on: str | None = None, policy_dirs: Iterable[str | Path] = (),
                 repo_root: str | Path | None = None, checks: list | None = None) -> None:
        self._config = config
        self._stage = stage
        self._fail_on = fail_on
        self._policy_dirs = tuple(policy_dirs)
        self._repo_root = repo_root
        self._checks = checks
        self._rule_ids: list[str] | None = None
        #: the last ScanResult (for tests and for apps that want to post-process it)
        self.last_result = None

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return __version__

    @property
    def rule_ids(self) -> list[str] | None:
        if self._rule_ids is None:
            try:
                self._rule_ids = sorted(c.info.id for c in self._load_checks(self._load_config()))
            except InputError:
                self._rule_ids = []
        return self._rule_ids

    def _load_config(self):
        from .config import find_config, load_config

        return load_config(self._config if self._config is not None
                           else find_config(Path.cwd()))

    def _load_checks(self, cfg) -> list:
        if self._checks is not None:
            return list(self._checks)
        from .engine import collect_checks

        return collect_checks(cfg, self._policy_dirs)

    def validate(self, context) -> Any:
        modern = IPolicyValidationPlugin is not None and hasattr(type(context), "stack_templates")
        try:
            report = self._run([str(p) for p in context.template_paths])
        except InputError as e:
            report = {"success": False, "violations": [],
                      "metadata": {"error": f"cfncheck: {e}"}}
        return _to_cdk(report, modern)

    # The work, free of jsii types (unit-testable without a synth).
    def _run(self, template_paths: list[str]) -> dict:
        from .assembly import load
        from .engine import evaluate

        cfg = self._load_config()
        threshold = self._fail_on or cfg.fail_on or "error"
        if threshold not in ("error", "warning", "info", "never"):
            raise InputError(f"fail_on must be error, warning, info or never, not {threshold!r}")
        wanted = {Path(p).resolve() for p in template_paths}
        roots, plain = assembly_roots(wanted)
        loaded = load([*map(str, roots), *map(str, plain)])
        checks = self._load_checks(cfg)
        result = evaluate(loaded, cfg, checks, self._stage, jobs=1)
        self.last_result = result
        selected = _selected_stacks(result.stacks, wanted)
        by_key = {(s.template_rel, s.name): s for s in result.stacks}
        by_name = {s.name: s for s in result.stacks}
        repo_root = Path(self._repo_root) if self._repo_root else _git_root(Path.cwd())
        app_dir = _app_dir()
        mine = [f for f in result.findings if by_key.get((f.template, f.stack)) in selected]
        violations = []
        suppressed = []
        annotations = 0
        shown = []
        for f in sorted(mine, key=lambda f: _RANK[f.severity]):  # CDK's order (stable)
            stack = by_key[(f.template, f.stack)]
            if f.suppressed:
                suppressed.append(f)
                continue
            if f.rule_id in CDK_OWN:
                annotations += 1
                continue
            if f.source_location is None and f.construct_path:
                from .source_map import source_location

                f.source_location = source_location(stack, f.construct_path, repo_root,
                                                    app_dir=app_dir)
            violations.append(_violation(f, stack, by_name, first=f.rule_id not in
                                         {v["rule_name"] for v in violations}))
            shown.append(f)
        mine_ids = {id(f) for f in mine}
        gate = [f for f in result.gate(threshold) if id(f) in mine_ids]
        counts = {s: sum(1 for f in shown if f.severity == s) for s in _RANK}
        summary = (f"cfncheck: {len(shown)} findings ({counts['error']} errors, "
                   f"{counts['warning']} warnings, {counts['info']} info) of "
                   f"{len({f.rule_id for f in shown})} checks in {len(selected)} stacks, "
                   f"{len(suppressed)} suppressed; {len(gate)} at or above {threshold}"
                   + (f"; {annotations} CDK annotations reported by CDK itself"
                      if annotations else ""))
        metadata = {
            "cfncheckVersion": __version__,
            "config": str(cfg.path) if cfg.path else "(none)",
            "failOn": threshold,
            "stacks": str(len(selected)),
            "findings": str(len(violations)),
            "failing": str(len(gate)),
            "suppressed": str(len(suppressed)),
            "cdkAnnotations": str(annotations),
            "summary": summary,
        }
        for i, f in enumerate(suppressed, 1):
            s = f.suppressed
            metadata[f"suppressed.{i}"] = (
                f"{f.rule_id} {f.construct_path or f.stack + '/' + (f.logical_id or '')} "
                f"[{s.source}]: {s.reason}" + (f" (expires {s.expires})" if s.expires else ""))
        if result.errors:
            metadata["error"] = "cfncheck: " + "; ".join(str(e) for e in result.errors[:5])
        metadata = {k: one_line(v) for k, v in metadata.items()}
        if violations or result.errors:
            _closing(summary)
        return {"success": not gate and not result.errors, "violations": violations,
                "metadata": metadata}


def assembly_roots(templates: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(cloud assembly roots holding the templates, templates outside any assembly).

    ``cdk.out/assembly-Prod/X.template.json`` -> ``cdk.out`` (the outermost folder with a
    manifest.json), so Stages, tree.json and nested stacks are all seen.
    """
    roots: list[Path] = []
    plain: list[Path] = []
    for t in sorted(templates):
        folder = t.parent
        if not (folder / "manifest.json").is_file():
            plain.append(t)
            continue
        while (folder.parent / "manifest.json").is_file() and folder.parent != folder:
            folder = folder.parent
        if folder not in roots:
            roots.append(folder)
    return roots, plain


def _selected_stacks(stacks, wanted: set[Path]) -> set:
    """The stacks whose template CDK handed us, and the nested stacks under them."""
    out = set()
    for s in stacks:
        root = s
        while root.parent is not None:
            root = root.parent
        if root.template.path.resolve() in wanted or s.template.path.resolve() in wanted:
            out.add(s)
    return out


def _closing(summary: str) -> None:
    """Print ``summary`` on stderr when the app exits (after CDK's printed report)."""
    if not _CLOSING:
        import atexit

        atexit.register(_print_closing)
    _CLOSING.append(one_line(summary))


def _print_closing() -> None:
    if _CLOSING:  # (a test harness may have cleared it: nothing to say then)
        sys.stderr.write(_CLOSING[-1] + "\n")


def _violation(f, stack, stacks: dict | None = None, first: bool = True) -> dict:
    from .report import first_paragraph

    path = list(f.path)
    if f.logical_id and path[:2] == ["Resources", f.logical_id]:
        location = ".".join(str(p) for p in path[2:])
    else:
        location = ".".join(str(p) for p in path)
    description = one_line(f"{f.title}: {f.message}")
    src = f.source_location
    if src:
        description += printable(f" (source: {src['file']}:{src['line']})")
    meta = {"stage": f.stage, "stack": f.stack, "fingerprint": f.fingerprint,
            "templateLine": f"{f.file}:{f.line}"}
    if src:
        meta["source"] = f"{src['file']}:{src['line']}"
    if f.docs_url:
        meta["docs"] = f.docs_url
    if f.remediation:
        meta["fix"] = first_paragraph(f.remediation)
    return {
        "rule_name": f.rule_id,
        "description": description,
        "fix": (printable_prose(f.remediation) or None) if first else None,
        "severity": f.severity,
        "rule_metadata": {k: one_line(v) for k, v in meta.items()},
        "resources": _violating_resources(f, stack, location, stacks or {}),
    }


def _violating_resources(f, stack, location: str, stacks: dict) -> list[dict]:
    """The finding's resource; for a grouped finding each affected resource (CDK lists them
    under the one violation)."""
    if not f.related:
        return [{"resource_logical_id": f.logical_id or "",
                 "template_path": str(stack.template.path.resolve()),
                 "locations": [location] if location else [],
                 "construct_path": f.construct_path}]
    out = []
    for m in f.related:
        member_stack = stacks.get(m.get("stack"), stack)
        out.append({"resource_logical_id": m.get("logical_id") or "",
                    "template_path": str(member_stack.template.path.resolve()),
                    "locations": [],
                    "construct_path": m.get("construct_path")})
    return out


def _to_cdk(report: dict, modern: bool):
    """Plain dicts -> the CDK report structs of the interface CDK called us through."""
    if modern:
        report_cls, violation_cls, resource_cls = (PolicyValidationPluginReport, PolicyViolation,
                                                   PolicyViolatingResource)
    else:
        report_cls, violation_cls, resource_cls = (PolicyValidationPluginReportBeta1,
                                                   PolicyViolationBeta1,
                                                   PolicyViolatingResourceBeta1)
    violations = []
    for v in report["violations"]:
        resources = []
        for raw in v["resources"]:
            res = dict(raw)
            cp = res.pop("construct_path")
            if modern and cp:
                res["construct_path"] = cp
            resources.append(resource_cls(**res))
        violations.append(violation_cls(
            rule_name=v["rule_name"], description=v["description"], fix=v["fix"],
            severity=v["severity"], rule_metadata=v["rule_metadata"],
            violating_resources=resources))
    return report_cls(success=report["success"], violations=violations,
                      metadata=report["metadata"], plugin_version=__version__)


def _git_root(start: Path) -> Path:
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return start


def _app_dir() -> Path | None:
    """The CDK app folder: cdk.json above the running app's entry point or the cwd."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    starts = [Path(main).resolve().parent] if main else []
    starts.append(Path.cwd().resolve())
    for start in starts:
        for folder in [start, *start.parents]:
            if (folder / "cdk.json").is_file():
                return folder
    return None  # source_location() then looks above the assembly itself
