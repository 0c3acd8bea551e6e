"""W9303: experimental ``-alpha`` constructs."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _constructs


class AlphaConstructs(_base.CfncheckRule):
    """Constructs from experimental CDK modules (``@aws-cdk/aws-iot-alpha.TopicRule``,
    ``@aws-cdk/aws-apigatewayv2-alpha...``), found by their fqn in the assembly's ``tree.json``.

    Only the outermost experimental construct is reported (not each of its experimental
    children), at the resource that represents it (its ``Resource`` child or the first resource
    under it), else at the stack.
    """

    id = "W9303"
    shortdesc = "Experimental (-alpha) CDK construct"
    description = "Production stacks should not depend on experimental CDK modules"
    source_url = "https://docs.aws.amazon.com/cdk/v2/guide/versioning.html"
    tags = ["cdk", "maintainability"]
    category = "cdk"
    security_severity = 2.0
    remediation = ("Use the stable L2 from aws-cdk-lib if it exists, or the L1 (Cfn*) "
                   "construct; otherwise pin the -alpha package to an exact version and track "
                   "its breaking changes.")
    rationale = ("Experimental modules do not follow semantic versioning: any minor release "
                 "may rename or remove APIs, change defaults and thereby replace resources "
                 "on the next deploy.")
    fix_example = (
        "from aws_cdk import aws_iot as iot\n"
        "iot.CfnTopicRule(self, \"OrdersIngestRule\", topic_rule_payload=iot.CfnTopicRule."
        "TopicRulePayloadProperty(\n"
        "    sql=\"SELECT * FROM 'acme/orders/+'\", aws_iot_sql_version=\"2016-03-23\",\n"
        "    actions=[...]))")
    bad_example = ('"OrdersIngestRule": {"id": "OrdersIngestRule", "constructInfo": '
                   '{"fqn": "@aws-cdk/aws-iot-alpha.TopicRule"}}   (tree.json)')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        if stack.tree is None or not stack.construct_prefix:
            return
        for path, fqn, version in _constructs.alpha_constructs(stack.tree):
            if not _constructs.owns(stack, path):
                continue
            lid = _constructs.resource_for_construct(stack, path)
            where = ("Resources", lid) if lid else ("Resources",)
            severity, suffix = _base.cdk_internal(stack, lid)
            ver = f" {version}" if version else ""
            yield Hit(stack, lid, where,
                      f"{path} is an experimental construct {fqn}{ver}: its API and behaviour "
                      f"can change in any release{suffix}",
                      key=f"{_constructs.relative(stack, path)}|{fqn}", severity=severity)
