"""Base class of cfncheck's cfn-lint rules: one implementation, two ways to run it.

A rule subclasses :class:`CfncheckRule` and implements :meth:`CfncheckRule.check`, which yields
:class:`~cfncheck.checks.Hit` objects for one stack. ``cfncheck scan`` calls ``check`` with the
full scan context (every stack of the assembly, the cross-stack graph, stages, config, asset
folders). Plain ``cfn-lint template.json -a cfncheck.rules`` gets, for each rule class,
:func:`lint_rule_class`: the same class mixed with ``cfnlint.rules.CloudFormationLintRule``,
whose :meth:`CfnLintFace.match` builds the same context for the single template cfn-lint is
linting and turns the hits into ``RuleMatch`` objects (cfn-lint adds the lines).

``CfncheckRule`` itself does not import cfn-lint: importing cfn-lint's rule machinery loads sympy
and networkx (most of a one-template scan's start-up time), and ``cfncheck scan`` needs none of
it for JSON templates. The cfn-lint classes are built only when cfn-lint asks the package for
its members (``cfncheck.rules.__getattr__``).

Rule files import this module (``from cfncheck.rules import _base``) rather than the class, so
cfn-lint's rule discovery, which instantiates every rule class it finds in a module's namespace,
does not pick up the base class itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Iterable

from ..checks import CheckInfo, Hit, ScanContext

SEVERITY_BY_LETTER = {"E": "error", "W": "warning", "I": "info"}
DOCS_BASE = "https://github.com/cfncheck/cfncheck/blob/main/docs/rules.md"


class CfncheckRule:
    #: cfn-lint's rule metadata (CloudFormationLintRule's attributes)
    id: str = ""
    shortdesc: str = ""
    description: str = ""
    source_url: str = ""
    tags: list = []
    #: cfncheck metadata in addition to cfn-lint's id/shortdesc/description/source_url/tags
    remediation: str = ""
    category: str = ""
    security_severity: float | None = None
    precision: str = "high"
    #: a house preference: runs only when enabled (``rules: {enable: [ID]}``, a framework pack
    #: or ``all``); under plain cfn-lint it is an experimental rule (``--include-experimental``)
    opt_in: bool = False
    #: documentation (docs/rules.md is generated from these and the class docstring)
    rationale: str = ""  # why it matters
    fix_example: str = ""  # CDK Python snippet that fixes it
    bad_example: str = ""  # template snippet that fails it
    #: configurable parameters: name -> (default, description). Read them with
    #: :meth:`param`; override in .cfncheck.yaml (``parameters: {ID: {name: value}}``, values
    #: may be per stage) or on the cfn-lint command line (``-x ID:name=value``).
    parameters: dict = {}

    def __init__(self) -> None:
        super().__init__()
        if not hasattr(self, "config"):  # cfn-lint's face sets it from config_definition
            self.config = {name: default for name, (default, _) in self.parameters.items()}

    def param(self, ctx: ScanContext, stack, name: str):
        """A parameter for the stack's stage: config override, else the declared default."""
        return ctx.parameter(self.id, name, stack.stage, self.parameters[name][0])

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- cfncheck side ----------------------------------------------------------------------

    @property
    def info(self) -> CheckInfo:
        anchor = self.id.lower()
        return CheckInfo(
            id=self.id, title=self.shortdesc, severity=SEVERITY_BY_LETTER[self.id[0]],
            description=self.description, remediation=self.remediation,
            docs_url=self.source_url or f"{DOCS_BASE}#{anchor}", category=self.category,
            kind="rule", source_file=Path(__import__(type(self).__module__, fromlist=["x"])
                                          .__file__).name,
            tags=tuple(self.tags), security_severity=self.security_severity,
            precision=self.precision, opt_in=self.opt_in,
        )

    def run(self, ctx: ScanContext) -> Iterable[Hit]:
        for stack in ctx.stacks:
            yield from self.check(stack, ctx)


# -- cfn-lint side --------------------------------------------------------------------------


@cache
def lint_rule_class(cls: type) -> type:
    """``cls`` as a cfn-lint rule: mixed with ``CloudFormationLintRule`` (imported here)."""
    from cfnlint.rules import CloudFormationLintRule

    attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
             "__doc__": cls.__doc__}
    if cls.opt_in:  # cfn-lint runs experimental rules only with --include-experimental
        attrs["experimental"] = True
    face = type(cls.__name__, (CfnLintFace, cls, CloudFormationLintRule), attrs)
    return face


class CfnLintFace:
    """The cfn-lint side of a rule (mixed in by :func:`lint_rule_class`)."""

    def __init__(self) -> None:
        super().__init__()  # CfncheckRule, then CloudFormationLintRule
        for name, (default, desc) in self.parameters.items():
            kind = ("boolean" if isinstance(default, bool) else "integer"
                    if isinstance(default, int) else "list" if isinstance(default, list)
                    else "string")
            self.config_definition[name] = {"default": default, "type": kind,
                                            "itemtype": "string", "description": desc}
        self.configure()

    def match(self, cfn) -> list:
        """cfn-lint entry point. Hits a rule lowered in severity (CDK-generated resources,
        reported at info level by ``cfncheck scan``) are left out: cfn-lint has no per-match
        severity, and reporting them at the rule's level would be noise."""
        from cfnlint.rules import RuleMatch

        from ..config import Config
        from ..standalone import context_for_cfnlint

        stack, ctx = context_for_cfnlint(cfn)
        overrides = {k: v for k, v in self.config.items()
                     if k in self.parameters and v != self.parameters[k][0]}
        if overrides:
            ctx = ScanContext(stacks=ctx.stacks, graph=ctx.graph,
                              config=Config(data={"parameters": {self.id: overrides}}),
                              notes=ctx.notes)
        from ..suppressions import metadata_suppresses

        own = SEVERITY_BY_LETTER[self.id[0]]
        matches = []
        for hit in self.check(stack, ctx):
            if hit.severity is not None and hit.severity != own and hit.severity == "info":
                continue
            if metadata_suppresses(hit.stack.template.data, hit.logical_id, self.id):
                continue  # cfncheck.cdk.suppress() wrote it: honoured here as by `scan`
            matches.append(RuleMatch(list(hit.path), hit.message))
        return matches


def cdk_internal(stack, logical_id: str | None) -> tuple[str | None, str]:
    """(severity override, message suffix) for a resource CDK generated for itself.

    Findings on resources the app's authors did not write (LogRetention, bucket-notification
    handler, provider framework...) are kept, at info level, with the reason in the message.
    """
    from ..cdk_internals import classify

    internal = classify(stack, logical_id) if logical_id else None
    if internal is None:
        return None, ""
    return "info", f" (CDK-generated: {internal.reason}; reported at info level)"


def display_path(stack, logical_id: str | None, path: tuple) -> str:
    """``Properties.Environment.Variables.X`` / ``Statement[1]`` for messages."""
    start = 2 if logical_id and path[:2] == ("Resources", logical_id) else 0
    out = ""
    for p in path[start:]:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
