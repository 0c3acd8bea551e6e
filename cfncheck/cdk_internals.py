"""Recognise resources that AWS CDK generates for itself (not written by the app's authors).

Peers' most common false positives come from these: custom-resource provider functions and
their roles (BucketNotificationsHandler, LogRetention, AutoDeleteObjects, AwsCustomResource,
BucketDeployment, the provider framework), the API Gateway CloudWatch role and account, and
``AWS::CDK::Metadata``. Policies can exclude them or report them at a lower severity; the
finding then says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .assembly import Stack


@dataclass(frozen=True)
class Internal:
    kind: str
    reason: str


_SEGMENT_RULES: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"^BucketNotificationsHandler[0-9a-f]{32}$"), "BucketNotificationsHandler",
     "CDK's bucket-notifications handler (created by bucket.add_event_notification)"),
    (re.compile(r"^LogRetention[0-9a-f]{32}$"), "LogRetention",
     "CDK's LogRetention singleton function (created by the log_retention property)"),
    (re.compile(r"^Custom::S3AutoDeleteObjectsCustomResourceProvider$"), "AutoDeleteObjects",
     "CDK's auto-delete-objects provider (created by auto_delete_objects=True)"),
    (re.compile(r"^AWS[0-9a-f]{32}$"), "AwsCustomResource",
     "CDK's AwsCustomResource singleton function"),
    (re.compile(r"^Custom::CDKBucketDeployment[0-9A-Fa-f]{32}"), "BucketDeployment",
     "CDK's BucketDeployment handler"),
    (re.compile(r"^Custom::.+CustomResourceProvider$"), "CustomResourceProvider",
     "a CDK custom-resource provider"),
    (re.compile(r"^SingletonLambda[0-9a-f]{32}$"), "SingletonFunction",
     "a CDK singleton function"),
    (re.compile(r"^framework-on(Event|Timeout|IsComplete)$"), "ProviderFramework",
     "CDK's custom-resource provider framework"),
    (re.compile(r"^CustomVpcRestrictDefaultSG"), "VpcRestrictDefaultSG",
     "CDK's restrict-default-security-group provider"),
    (re.compile(r"^Custom::CrossRegion"), "CrossRegionReferences",
     "CDK's cross-region reference handler"),
]

_TYPES = {
    "AWS::CDK::Metadata": Internal("CDKMetadata", "CDK's version-reporting resource"),
}


def classify(stack: Stack, logical_id: str) -> Internal | None:
    """Why a resource is CDK-generated, or None if the app wrote it."""
    res = stack.resources.get(logical_id)
    rtype = res.get("Type") if isinstance(res, dict) else None
    if rtype in _TYPES:
        return _TYPES[rtype]
    path = stack.construct_path(logical_id)
    if not path:
        return None
    segments = path.split("/")
    for seg in segments:
        for pattern, kind, reason in _SEGMENT_RULES:
            if pattern.search(seg):
                return Internal(kind, reason)
    # RestApi(cloud_watch_role=True): <Api>/CloudWatchRole/Resource and <Api>/Account
    if len(segments) >= 2:
        if rtype == "AWS::IAM::Role" and segments[-2] == "CloudWatchRole":
            return Internal("ApiGatewayCloudWatchRole", "the API Gateway CloudWatch role CDK "
                            "creates for a RestApi (cloud_watch_role=True)")
        if rtype == "AWS::ApiGateway::Account":
            return Internal("ApiGatewayAccount", "the API Gateway account setting CDK creates "
                            "for a RestApi (cloud_watch_role=True)")
    return None
