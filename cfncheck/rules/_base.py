"""Base class of cfncheck's cfn-lint rules: one implementation, two ways to run it.

A rule subclasses :class:`CfncheckRule` (itself a ``cfnlint.rules.CloudFormationLintRule``) and
implements :meth:`CfncheckRule.check`, which yields :class:`~cfncheck.checks.Hit` objects for one
stack. ``cfncheck scan`` calls ``check`` with the full scan context (every stack of the assembly,
the cross-stack graph, stages, config, asset folders). Plain ``cfn-lint --append-rules
cfncheck.rules`` calls :meth:`match`, which builds the same context for the single template
cfn-lint is linting and turns the hits into ``RuleMatch`` objects (cfn-lint adds the lines).

Rule files import this module (``from cfncheck.rules import _base``) rather than the class, so
cfn-lint's rule discovery, which instantiates every rule class it finds in a module's namespace,
does not pick up the base class itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ..checks import CheckInfo, Hit, ScanContext

SEVERITY_BY_LETTER = {"E": "error", "W": "warning", "I": "info"}
DOCS_BASE = "https://github.com/cfncheck/cfncheck/blob/main/docs/rules.md"


class CfncheckRule(CloudFormationLintRule):
    #: cfncheck metadata in addition to cfn-lint's id/shortdesc/description/source_url/tags
    remediation: str = ""
    category: str = ""
    security_severity: float | None = None
    precision: str = "high"

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
            precision=self.precision,
        )

    def run(self, ctx: ScanContext) -> Iterable[Hit]:
        for stack in ctx.stacks:
            yield from self.check(stack, ctx)

    # -- cfn-lint side ----------------------------------------------------------------------

    def match(self, cfn) -> list[RuleMatch]:
        from ..standalone import context_for_cfnlint

        stack, ctx = context_for_cfnlint(cfn)
        matches = []
        for hit in self.check(stack, ctx):
            path = list(hit.path)
            matches.append(RuleMatch(path, hit.message))
        return matches
