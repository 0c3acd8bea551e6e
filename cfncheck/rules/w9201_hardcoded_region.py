"""W9201: literal AWS region names in resource properties and outputs."""

from __future__ import annotations

import re
from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _strings

REGION = re.compile(
    r"(?<![A-Za-z0-9])((?:us-gov|us-iso|us-isob|eusc|us|eu|ap|sa|ca|me|af|il|mx|cn)-"
    r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2})"
    r"[a-z]?(?![A-Za-z0-9])")
#: keys whose value is meant to be another region (replicas, stack sets, cross-region reads)
CROSS_REGION_KEYS = {"Region", "Regions", "RegionName", "RegionOrder", "DestinationRegion",
                     "SourceRegion", "ReplicaRegion", "ReplicaRegions", "StackSetRegions"}
_GLOBAL_ARN = re.compile(r"arn:[^:]*:(acm|wafv2|waf):us-east-1:")


class HardcodedRegion(_base.CfncheckRule):
    """String property values and outputs that contain a literal region name (``eu-west-1``,
    also inside ARNs, endpoints such as ``sqs.eu-west-1.amazonaws.com``, availability zones and
    the literal parts of ``Fn::Join``/``Fn::Sub``) where ``AWS::Region`` would fit.

    Not reported: the region of an environment-bound stack (``env=Environment(region=...)``:
    CDK itself writes that region into the template), CDK bootstrap names
    (``cdk-hnb659fds-assets-...``), ``Metadata`` and description-like properties, properties
    that name another region on purpose (``Region``, ``Regions``, ``RegionName``...), and
    ``us-east-1`` in CloudFront resources and in ACM / WAF ARNs, which must live there.
    """

    id = "W9201"
    shortdesc = "Hardcoded region name"
    description = "Use the AWS::Region pseudo parameter instead of literal region names"
    source_url = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "pseudo-parameter-reference.html#cfn-pseudo-param-region")
    tags = ["portability", "hardcoded"]
    category = "hardcoded-values"
    security_severity = 2.0
    remediation = ("Use Stack.of(self).region / Aws.REGION (AWS::Region) or build ARNs with "
                   "Stack.of(self).format_arn(...); pass other regions in as configuration.")
    rationale = ("A template with a literal region cannot be deployed to another region "
                 "without edits, and when it is (disaster recovery, a new stage), the resources "
                 "silently keep pointing at the old region.")
    fix_example = (
        "fn.add_environment(\"DEPLOY_REGION\", Stack.of(self).region)\n"
        "topic_arn = Stack.of(self).format_arn(service=\"sns\", resource=\"alerts-topic\")")
    bad_example = '"Environment": {"Variables": {"DEPLOY_REGION": "eu-west-1"}}'
    parameters = {
        "allow": ([], "region names accepted anywhere (e.g. [\"us-east-1\"])"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = set(self.param(ctx, stack, "allow") or [])
        own = iam.stack_region(stack)
        for lit in _strings.literal_strings(stack):
            if lit.key in CROSS_REGION_KEYS or "region" not in _region_hint(lit.value):
                continue
            if _strings.CDK_BOOTSTRAP.search(lit.value):
                continue
            cloudfront = (lit.resource_type or "").startswith("AWS::CloudFront::")
            regions = []
            for m in REGION.finditer(lit.value):
                region = m.group(1)
                if region == own or region in allow:
                    continue
                if region == "us-east-1" and (cloudfront or _GLOBAL_ARN.search(lit.value)):
                    continue
                regions.append(region)
            if not regions:
                continue
            severity, suffix = _base.cdk_internal(stack, lit.logical_id)
            where = _base.display_path(stack, lit.logical_id, lit.path)
            owner = f"{lit.resource_type} {lit.logical_id} " if lit.logical_id else ""
            what = "ARN" if "arn:" in lit.value else "value"
            yield Hit(stack, lit.logical_id, lit.path,
                      f"{owner}{where} has the literal region "
                      f"{', '.join(dict.fromkeys(regions))} in "
                      f"the {what} {lit.value[:120]!r}: use AWS::Region "
                      f"(Stack.of(self).region){suffix}",
                      key=f"{where}|{','.join(sorted(set(regions)))}", severity=severity)


def _region_hint(value: str) -> str:
    """Cheap pre-filter: 'region' when the value might hold a region name."""
    return "region" if any(d in value for d in ("-east-", "-west-", "-north", "-south",
                                                 "-central-")) else ""
