"""W9103: Allow statements with NotAction, NotResource or NotPrincipal."""

from __future__ import annotations

from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam


class NotActionAllow(_base.CfncheckRule):
    """Allow statements that use ``NotAction``, ``NotResource`` or ``NotPrincipal``.

    ``Allow`` + ``NotAction`` grants every action except the listed ones, including actions
    AWS adds later; ``Allow`` + ``NotResource`` grants access to every resource but a few;
    ``Allow`` + ``NotPrincipal`` grants access to everyone but a few. The same elements in a
    ``Deny`` statement are a normal guard-rail and are not reported. All policy documents are
    examined (identity, trust and resource policies).

    Statements aws-cdk-lib writes itself (ECS capacity instance roles, the bastion host, ECS
    Exec, CodePipeline action roles, log retention, custom-resource providers...) are reported
    at info level, naming the construct that wrote them ("written by
    aws-cdk-lib.aws_ec2.BastionHostLinux ... at Stack/Bastion"): they are recognised by the
    tree.json fqns above the policy resource and the statement's shape, from a catalogue
    recorded by synthesizing those constructs (``cfncheck/data/generated_iam.yaml``). A
    statement the app adds to the same role has another shape and keeps the rule's severity.
    """

    id = "W9103"
    shortdesc = "IAM Allow statement uses NotAction, NotResource or NotPrincipal"
    description = "Allow statements must list what they allow, not what they exclude"
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "reference_policies_elements_notaction.html")
    tags = ["security", "iam", "least-privilege"]
    category = "iam"
    security_severity = 6.0
    remediation = ("Rewrite the statement with Action / Resource / Principal listing what is "
                   "allowed; keep NotAction / NotResource for Deny statements.")
    rationale = ("An exclusion list grows silently: every new AWS action or resource is "
                 "allowed by default, so the policy grants more over time without any change.")
    fix_example = (
        "iam.PolicyStatement(\n"
        "    actions=[\"sqs:SendMessage\"],          # not not_actions=[\"iam:*\"]\n"
        "    resources=[queue.queue_arn])          # not not_resources=[...]")
    bad_example = '{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}'

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for doc in iam.policy_documents(stack):
            for stmt in doc.statements:
                if not stmt.allow:
                    continue
                used = []
                if stmt.not_actions is not None:
                    used.append(f"NotAction {iam.summarize(stmt.not_actions, 4)}")
                if stmt.not_resources is not None:
                    used.append(f"NotResource {iam.summarize(stmt.not_resources, 4)}")
                if stmt.not_principal:
                    used.append("NotPrincipal")
                if not used:
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} is an Allow with {' and '.join(used)}: it grants everything "
                    f"except what is listed{suffix}",
                    key=f"{doc.name}|{stmt.key}", severity=severity,
                )
