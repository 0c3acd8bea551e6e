"""E9104: iam:PassRole on every role."""

from __future__ import annotations

from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam


class PassRoleAllRoles(_base.CfncheckRule):
    """Identity-policy Allow statements whose actions cover ``iam:PassRole`` (``iam:PassRole``,
    ``iam:Pass*``, ``iam:*``, ``*``) on ``Resource: "*"`` or on every role of an account
    (``arn:aws:iam::123456789012:role/*``, also when built with ``Fn::Join``/``Fn::Sub``).

    A statement narrowed with the ``iam:PassedToService`` condition is still reported, at
    warning level: the principal can still hand any role trusted by that service to it.

    One statement, one finding: when the PassRole comes with wildcards W9101 would report
    (``*``, ``iam:*``, ``s3:*`` beside it), this finding names them and W9101 / W9102 leave the
    statement alone.

    Statements aws-cdk-lib writes itself (ECS capacity instance roles, the bastion host, ECS
    Exec, CodePipeline action roles, log retention, custom-resource providers...) are reported
    at info level, naming the construct that wrote them ("written by
    aws-cdk-lib.aws_ec2.BastionHostLinux ... at Stack/Bastion"): they are recognised by the
    tree.json fqns above the policy resource and the statement's shape, from a catalogue
    recorded by synthesizing those constructs (``cfncheck/data/generated_iam.yaml``). A
    statement the app adds to the same role has another shape and keeps the rule's severity.
    """

    id = "E9104"
    shortdesc = "iam:PassRole allowed on every role"
    description = "iam:PassRole must be limited to the roles the principal hands to services"
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "id_roles_use_passrole.html")
    tags = ["security", "iam", "privilege-escalation"]
    category = "iam"
    security_severity = 8.8
    remediation = ("Scope iam:PassRole to the ARNs of the roles that are passed (in CDK, "
                   "role.grant_pass_role(principal)), and add an iam:PassedToService "
                   "condition.")
    rationale = ("PassRole on \"*\" lets the principal give any role in the account, "
                 "administrator roles included, to a Lambda function, an EC2 instance or a "
                 "Glue job it controls, and act with that role's permissions: a classic "
                 "privilege escalation path.")
    fix_example = "execution_role.grant_pass_role(deployer_role)"
    bad_example = '{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}'

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        w9101 = ctx.config.enabled("W9101")
        w9101_allow = ctx.parameter("W9101", "allow", stack.stage, []) or []
        for doc in iam.policy_documents(stack):
            for stmt in doc.statements:
                covering, wide = iam.passrole_on_all_roles(doc, stmt)
                if not covering:
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                passed_to = [k for _, k, _ in stmt.condition_keys()
                             if k.lower() == "iam:passedtoservice"]
                note = ""
                if passed_to and severity is None:
                    severity = "warning"
                    note = " (narrowed by iam:PassedToService, still any role of that service)"
                # one statement, one finding: W9101 leaves this statement to E9104
                wildcards = iam.broad_wildcards(stmt, w9101_allow) if w9101 else []
                also = (f"; the statement also allows wildcard actions: "
                        f"{'; '.join(wildcards)}" if wildcards else "")
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} allows iam:PassRole (via {', '.join(covering)}) on "
                    f"{', '.join(repr(w) for w in dict.fromkeys(wide))}{note}{also}{suffix}",
                    key=f"{doc.name}|{stmt.key}", severity=severity,
                )
