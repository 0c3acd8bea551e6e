"""W9202: literal 12-digit account ids that duplicate what the template could reference."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _hardcoded


class HardcodedAccount(_base.CfncheckRule):
    """String property values and outputs with a literal 12-digit account id (the account
    field of an ARN, also across the literal parts of ``Fn::Join``/``Fn::Sub``; an ECR
    registry host; the whole value of an account-like property such as ``SourceAccount`` or a
    principal ``{"AWS": "123456789012"}``) that duplicate what the template could reference:

    * a literal ARN of a resource the app itself defines (matched by service, type and name:
      its literal physical name, or its construct id when the name is generated), e.g.
      ``arn:aws:dynamodb:us-east-1:123456789012:table/orders`` of its own ``orders`` table:
      reference the resource instead; the message names the literal region too (W9201 does
      not report the same literal again while this rule is enabled);
    * the stack's own account where it is known (inferred, for an environment-agnostic stack,
      from the literal ARNs of its own resources) as a bare value -> ``AWS::AccountId``.

    Every other account id is reported at info with the reason: another account than the
    stack's (trust policies, EventBridge targets in another account: a design, not a defect),
    an ARN of a resource the app does not define (a secret or certificate ARN passed in as
    configuration), or a stack where nothing shows its own account. Not reported at all: the
    account of an environment-bound stack (CDK writes it itself), CDK bootstrap names, the
    publisher accounts of well-known public layers (Powertools for AWS Lambda 017000801446 and
    094274105915, Lambda Insights, the Parameters and Secrets and AppConfig extensions, ADOT),
    and accounts in the ``allow`` parameter (a central logging account, ELB log delivery...).
    """

    id = "W9202"
    shortdesc = "Hardcoded account id"
    description = "Use the AWS::AccountId pseudo parameter instead of literal account ids"
    source_url = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "pseudo-parameter-reference.html#cfn-pseudo-param-accountid")
    tags = ["portability", "hardcoded"]
    category = "hardcoded-values"
    security_severity = 2.0
    remediation = ("Reference resources the app defines instead of writing their ARNs "
                   "(table.table_arn); where the value is the stack's own account use "
                   "Stack.of(self).account / Aws.ACCOUNT_ID (AWS::AccountId); pass other "
                   "accounts in as configuration (context, SSM parameter).")
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
        for j in _hardcoded.judgements(stack, ctx):
            if not _hardcoded.mine(j, self.id, ctx):
                continue
            what = ",".join(j.accounts if self.id == "W9202" and j.accounts else j.regions)
            where = _base.display_path(stack, j.logical_id, j.paths[0])
            yield Hit(stack, j.logical_id, j.paths[0], _hardcoded.describe(stack, j, self.id),
                      key=f"{where}|{what}", severity=j.severity)
