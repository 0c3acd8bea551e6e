"""W9202: literal 12-digit AWS account ids in resource properties and outputs."""

from __future__ import annotations

import re
from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _strings

#: an account id as an ARN field (":123456789012:"), an ECR registry host, or a bare value
_IN_ARN = re.compile(r"(?:^|:)(\d{12})(?=:|$)")
_ECR = re.compile(r"(?<![0-9])(\d{12})\.dkr\.ecr\.")
_BARE = re.compile(r"^\d{12}$")
_LAYER_ARN = re.compile(r"arn:[^:]*:lambda:[^:]*:\d{12}:layer:")
#: keys where a bare 12-digit value is an account id
ACCOUNT_KEYS = re.compile(r"account|owner|principal|^AWS$", re.IGNORECASE)


class HardcodedAccount(_base.CfncheckRule):
    """String property values and outputs that contain a literal 12-digit account id: as the
    account field of an ARN (``arn:aws:sns:eu-west-1:123456789012:alerts``, also across the
    literal parts of ``Fn::Join``/``Fn::Sub``), in an ECR registry host
    (``123456789012.dkr.ecr...``), or as the whole value of an account-like property
    (``SourceAccount``, ``AccountId``, a principal ``{"AWS": "123456789012"}``).

    Not reported: the account of an environment-bound stack (CDK writes it itself), CDK
    bootstrap names, the publisher account of Lambda layer ARNs (a layer published by another
    account, e.g. AWS Lambda Powertools), and accounts in the allow-list (central logging
    account, ELB log-delivery accounts...).
    """

    id = "W9202"
    shortdesc = "Hardcoded account id"
    description = "Use the AWS::AccountId pseudo parameter instead of literal account ids"
    source_url = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "pseudo-parameter-reference.html#cfn-pseudo-param-accountid")
    tags = ["portability", "hardcoded"]
    category = "hardcoded-values"
    security_severity = 2.0
    remediation = ("Use Stack.of(self).account / Aws.ACCOUNT_ID (AWS::AccountId), or pass "
                   "other accounts in as configuration (context, SSM parameter).")
    rationale = ("A literal account id ties the template to one account: deployed to "
                 "another stage account it grants or points to resources of the wrong "
                 "account, often without any error.")
    fix_example = (
        "topic_arn = Stack.of(self).format_arn(service=\"sns\", resource=\"alerts-topic\")\n"
        "# or: f\"arn:{Aws.PARTITION}:sns:{Aws.REGION}:{Aws.ACCOUNT_ID}:alerts-topic\"")
    bad_example = '"Resource": "arn:aws:sns:eu-west-1:123456789012:alerts-topic"'
    parameters = {
        "allow": ([], "account ids accepted (e.g. a central logging account)"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = {str(a) for a in self.param(ctx, stack, "allow") or []}
        own = iam.stack_account(stack)
        for lit in _strings.literal_strings(stack):
            value = lit.value
            if not any(c.isdigit() for c in value) or _strings.CDK_BOOTSTRAP.search(value):
                continue
            found = []
            if ":" in value and not _LAYER_ARN.search(value):
                found += _IN_ARN.findall(value)
            found += _ECR.findall(value)
            if _BARE.match(value) and ACCOUNT_KEYS.search(lit.key or ""):
                found.append(value)
            found = [a for a in dict.fromkeys(found) if a != own and a not in allow]
            if not found:
                continue
            severity, suffix = _base.cdk_internal(stack, lit.logical_id)
            where = _base.display_path(stack, lit.logical_id, lit.path)
            owner = f"{lit.resource_type} {lit.logical_id} " if lit.logical_id else ""
            yield Hit(stack, lit.logical_id, lit.path,
                      f"{owner}{where} has the literal account id {', '.join(found)} in "
                      f"{value[:120]!r}: use AWS::AccountId (Stack.of(self).account){suffix}",
                      key=f"{where}|{','.join(sorted(found))}", severity=severity)
