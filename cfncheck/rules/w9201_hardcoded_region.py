"""W9201: literal AWS region names that duplicate what the template could reference."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _hardcoded


class HardcodedRegion(_base.CfncheckRule):
    """String property values and outputs with a literal region name (``eu-west-1``, also
    inside ARNs, endpoints, availability zones and the literal parts of
    ``Fn::Join``/``Fn::Sub``) that duplicate what the template could reference:

    * the stack's own region where it is known: a bare value such as ``DEPLOY_REGION:
      eu-west-1`` in an environment-agnostic stack whose own resources' literal ARNs (or its
      functions' layer ARNs) show it is deployed to eu-west-1 -> ``AWS::Region``;
    * the region of a Lambda layer ARN in a function's ``Layers`` (a layer must be in the
      function's region) -> ``AWS::Region``;
    * a literal ARN of a resource the app defines, without an account id (with one, W9202
      reports it while it is enabled: one literal, one finding).

    Every other literal region is reported at info with the reason: another region than the
    stack's (replicas, cross-region calls: a design, not a defect), an ARN of a resource the
    app does not define (configuration such as a certificate or secret ARN), an endpoint URL,
    or an environment-agnostic stack where nothing shows its region. Not reported at all: the
    region of an environment-bound stack (``env=Environment(region=...)``: CDK itself writes
    that region for ``Stack.of(self).region``), CDK bootstrap names, ``Metadata`` and
    description-like properties, properties that name another region on purpose (``Region``,
    ``Regions``, ``RegionName``...), ``us-east-1`` in CloudFront resources and ACM / WAF ARNs,
    and regions in the ``allow`` parameter. The same region written several times in one
    resource for one reason (a custom resource's ``Create`` and ``Update`` calls) is one
    finding naming every place.
    """

    id = "W9201"
    shortdesc = "Hardcoded region name"
    description = "Use the AWS::Region pseudo parameter instead of literal region names"
    source_url = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "pseudo-parameter-reference.html#cfn-pseudo-param-region")
    tags = ["portability", "hardcoded"]
    category = "hardcoded-values"
    security_severity = 2.0
    remediation = ("Where the value is the stack's own region (a deploy-region variable, a "
                   "layer ARN) use Stack.of(self).region / Aws.REGION (AWS::Region); instead of "
                   "writing the ARN of a resource the app defines, reference it "
                   "(topic.topic_arn); pass other regions in as configuration.")
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
        for j in _hardcoded.judgements(stack, ctx):
            if not _hardcoded.mine(j, self.id, ctx):
                continue
            what = ",".join(j.accounts if self.id == "W9202" and j.accounts else j.regions)
            where = _base.display_path(stack, j.logical_id, j.paths[0])
            yield Hit(stack, j.logical_id, j.paths[0], _hardcoded.describe(stack, j, self.id),
                      key=f"{where}|{what}", severity=j.severity)
