"""W9301: CDK ``aws:cdk:warning`` annotations."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _constructs


class CdkWarning(_base.CfncheckRule):
    """Warnings CDK recorded in the cloud assembly while synthesizing (``aws:cdk:warning``
    metadata: deprecated APIs, ignored properties, risky defaults...), as findings at the
    construct that raised them.

    The annotation's construct path (``Prod/Api/ReportFunction``) is mapped to the resource
    that represents it: the L1 resource itself, else its ``Resource`` child
    (``Prod/Api/ReportFunction/Resource``), else the resource with the shortest path under it.
    A warning on a construct without resources (a stack, a Stage) is reported at the stack,
    without logical id, on the template's ``Resources`` section.
    """

    id = "W9301"
    shortdesc = "CDK synthesis warning"
    description = "Warnings CDK attached to constructs (aws:cdk:warning) must be resolved"
    source_url = "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Annotations.html"
    tags = ["cdk", "maintainability"]
    category = "cdk"
    security_severity = 3.0
    level = "warning"
    remediation = ("Do what the warning says (e.g. replace the deprecated property), or "
                   "acknowledge it in code with Annotations.of(construct)"
                   ".acknowledge_warning(id, reason).")
    rationale = ("CDK only prints these during synth, where they scroll by unnoticed; "
                 "deprecated APIs are removed in the next major version and the other "
                 "warnings usually describe a misconfiguration that deploys fine but behaves "
                 "differently than intended.")
    fix_example = (
        "# DEPRECATED: log_retention=logs.RetentionDays.ONE_WEEK\n"
        "fn = lambda_.Function(self, \"ReportFunction\", ...,\n"
        "    log_group=logs.LogGroup(self, \"ReportLogs\",\n"
        "                            retention=logs.RetentionDays.ONE_WEEK))")
    bad_example = (
        '"/Prod/Api/ReportFunction": [{"type": "aws:cdk:warning",\n'
        '  "data": "The API aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is '
        'deprecated ..."}]   (manifest / *.metadata.json)')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for ann in stack.annotations:
            if ann.level != self.level:
                continue
            lid = _constructs.resource_for_construct(stack, ann.construct_path)
            path = ("Resources", lid) if lid else ("Resources",)
            severity, suffix = _base.cdk_internal(stack, lid)
            rel = _constructs.relative(stack, ann.construct_path)
            message = " ".join(str(ann.message).split())
            yield Hit(stack, lid, path,
                      f"CDK {self.level} at {ann.construct_path}: {message}{suffix}",
                      key=f"{rel}|{message}", severity=severity)
