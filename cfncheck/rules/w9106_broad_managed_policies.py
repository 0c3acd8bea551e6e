"""W9106: broad AWS managed policies attached to roles, users and groups."""

from __future__ import annotations

import re
from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base

_AWS_MANAGED = re.compile(r"^arn:[^:]+:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
#: managed policies that grant (nearly) everything
ADMIN_LIKE = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
#: which resource types attach managed policies, and where
ATTACHMENTS = {
    "AWS::IAM::Role": "ManagedPolicyArns",
    "AWS::IAM::User": "ManagedPolicyArns",
    "AWS::IAM::Group": "ManagedPolicyArns",
    "AWS::SSO::PermissionSet": "ManagedPolicies",
}


class BroadManagedPolicies(_base.CfncheckRule):
    """AWS managed policies that grant administrator or full-service access attached through
    ``ManagedPolicyArns`` of ``AWS::IAM::Role``/``User``/``Group`` (and ``ManagedPolicies`` of
    ``AWS::SSO::PermissionSet``): ``AdministratorAccess`` (and its ``AdministratorAccess-*``
    variants), ``PowerUserAccess``, ``IAMFullAccess`` and every ``*FullAccess`` policy.

    ARNs built the way CDK writes them (``Fn::Join`` of ``arn:``, ``Ref AWS::Partition`` and
    ``:iam::aws:policy/...``, or ``Fn::Sub`` with ``${AWS::Partition}``) are resolved first.
    Narrow service-role policies such as ``AWSLambdaBasicExecutionRole`` are not reported.
    """

    id = "W9106"
    shortdesc = "Broad AWS managed policy attached"
    description = ("Roles, users and groups must not get AdministratorAccess, PowerUserAccess, "
                   "IAMFullAccess or *FullAccess managed policies")
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "access_policies_job-functions.html")
    tags = ["security", "iam", "least-privilege"]
    category = "iam"
    security_severity = 7.0
    remediation = ("Replace the managed policy with an inline or customer-managed policy "
                   "listing the actions and resources needed (CDK grant methods), or a narrow "
                   "AWS managed policy (e.g. AmazonS3ReadOnlyAccess scoped further by a "
                   "permissions boundary).")
    rationale = ("Full-access managed policies grant every action of a service on every "
                 "resource, and AWS extends them when the service grows; AdministratorAccess "
                 "and IAMFullAccess let the holder grant itself anything.")
    fix_example = (
        "# instead of role.add_managed_policy(\n"
        "#     iam.ManagedPolicy.from_aws_managed_policy_name(\"AmazonDynamoDBFullAccess\"))\n"
        "table.grant_read_write_data(role)")
    bad_example = (
        '"ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},\n'
        '                       ":iam::aws:policy/AdministratorAccess"]]}]')
    parameters = {
        "allow": ([], "managed policy names accepted (glob), e.g. [\"AWSXrayFullAccess\"]"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = self.param(ctx, stack, "allow") or []
        for lid, res in stack.resources.items():
            if not isinstance(res, dict):
                continue
            prop = ATTACHMENTS.get(res.get("Type"))
            props = res.get("Properties")
            if prop is None or not isinstance(props, dict):
                continue
            arns = props.get(prop)
            if not isinstance(arns, list):
                continue
            for i, value in enumerate(arns):
                for pattern in iam.resolve_patterns(value):
                    m = _AWS_MANAGED.match(pattern)
                    if not m:
                        continue
                    name = m.group("name")
                    if not _broad(name) or any(iam.glob_match(a, name) for a in allow):
                        continue
                    severity, suffix = _base.cdk_internal(stack, lid)
                    yield Hit(stack, lid, ("Resources", lid, "Properties", prop, i),
                              f"{res['Type']} {lid} attaches the AWS managed policy {name} "
                              f"({_why(name)}){suffix}",
                              key=f"{prop}|{name}", severity=severity)
                    break


def _broad(name: str) -> bool:
    return (name in ADMIN_LIKE or name.startswith("AdministratorAccess")
            or name.endswith("FullAccess"))


def _why(name: str) -> str:
    if name.startswith("AdministratorAccess"):
        return "every action on every resource"
    if name == "PowerUserAccess":
        return "every action except most of IAM and Organizations"
    if name == "IAMFullAccess":
        return "full control of IAM, so it can grant itself anything"
    return "every action of the service on every resource"
