"""Recognise resources that AWS CDK generates for itself (not written by the app's authors).

Peers' most common false positives come from these: custom-resource provider functions and
their roles (BucketNotificationsHandler, LogRetention, AutoDeleteObjects, AwsCustomResource,
BucketDeployment, the Trigger provider, the provider framework), the API Gateway CloudWatch role
and account, and ``AWS::CDK::Metadata``. Policies can exclude them or report them at a lower
severity; the finding then says why, naming the construct.

Recognition reads the construct tree (``tree.json``), not a list of names:

* a resource inside a construct whose fqn is one of CDK's provider *classes*
  (``aws-cdk-lib.CustomResourceProviderBase`` and its subclasses, every framework construct of
  ``aws-cdk-lib.custom_resources.Provider``): any provider CDK or a library builds that way is
  recognised, including ones added in later CDK versions;
* a *singleton*: a construct directly under the stack whose id is a purpose followed by a 32-hex
  UUID (``SingletonFunction`` and CDK's singleton constructs name their one-per-stack child
  ``<purpose><uuid>``), e.g. AwsCustomResource's ``AWS679f...``, BucketDeployment's
  ``Custom::CDKBucketDeployment8693...``, ``LogRetentionaae0...``;
* a resource whose own construct is one of those (e.g. a provider's role or log group).

Without ``tree.json`` (a plain template with ``aws:cdk:path`` metadata) the same singleton and
provider naming conventions are matched on the construct path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .assembly import Stack


@dataclass(frozen=True)
class Internal:
    kind: str
    reason: str


#: construct classes (tree.json fqn) whose whole subtree CDK generates
_PROVIDER_FQNS = {
    "aws-cdk-lib.CustomResourceProviderBase": "CustomResourceProvider",
    "aws-cdk-lib.CustomResourceProvider": "CustomResourceProvider",
    "aws-cdk-lib.custom_resources.Provider": "ProviderFramework",
    "aws-cdk-lib.custom_resources.WaiterStateMachine": "ProviderFramework",
}
#: singletons: ``<purpose><32 hex>`` directly under the stack (SingletonFunction's convention)
_SINGLETON = re.compile(r"^(?P<purpose>.*?)(?P<uuid>[0-9a-fA-F]{32})$")
#: friendlier names for well-known singleton purposes (the reason text only; recognition does
#: not depend on this table)
_PURPOSES = {
    "AWS": ("AwsCustomResource", "CDK's AwsCustomResource singleton function"),
    "Custom::CDKBucketDeployment": ("BucketDeployment", "CDK's BucketDeployment handler"),
    "LogRetention": ("LogRetention", "CDK's LogRetention singleton function (created by the "
                     "log_retention property)"),
    "BucketNotificationsHandler": ("BucketNotificationsHandler", "CDK's bucket-notifications "
                                   "handler (created by bucket.add_event_notification)"),
    "SingletonLambda": ("SingletonFunction", "a CDK singleton function"),
}
#: custom-resource provider ids (``Custom::<Name>CustomResourceProvider``) -> what created it
_PROVIDER_PURPOSES = {
    "Custom::S3AutoDeleteObjectsCustomResourceProvider": (
        "AutoDeleteObjects", "CDK's auto-delete-objects provider (created by "
        "auto_delete_objects=True)"),
    "AWSCDK.TriggerCustomResourceProviderCustomResourceProvider": (
        "TriggerProvider", "CDK's Trigger provider (created by triggers.Trigger / "
        "TriggerFunction; it invokes your trigger function during deployment)"),
    "Custom::VpcRestrictDefaultSGCustomResourceProvider": (
        "VpcRestrictDefaultSG", "CDK's restrict-default-security-group provider"),
}
_PROVIDER_ID = re.compile(r"CustomResourceProvider$")
_FRAMEWORK_ID = re.compile(r"^(framework-on(Event|Timeout|IsComplete)|waiter-state-machine)$")

_TYPES = {
    "AWS::CDK::Metadata": Internal("CDKMetadata", "CDK's version-reporting resource"),
}


def classify(stack: Stack, logical_id: str) -> Internal | None:
    """Why a resource is CDK-generated, or None if the app wrote it (once per resource: every
    policy asks)."""
    known = stack.memo("cdk_internals.classify", lambda _: {})
    if logical_id not in known:
        known[logical_id] = _classify(stack, logical_id)
    return known[logical_id]


def _classify(stack: Stack, logical_id: str) -> Internal | None:
    res = stack.resources.get(logical_id)
    rtype = res.get("Type") if isinstance(res, dict) else None
    if rtype in _TYPES:
        return _TYPES[rtype]
    path = stack.construct_path(logical_id)
    if not path:
        return None
    path = path.lstrip("/")
    found = _from_tree(stack, path)
    if found is None and (stack.tree is None or stack.tree.fqn(path) is None):
        found = _from_names(stack, path)
    if found is not None:
        return found
    # RestApi(cloud_watch_role=True): <Api>/CloudWatchRole/Resource and <Api>/Account
    segments = path.split("/")
    if len(segments) >= 2:
        if rtype == "AWS::IAM::Role" and segments[-2] == "CloudWatchRole":
            return Internal("ApiGatewayCloudWatchRole", "the API Gateway CloudWatch role CDK "
                            "creates for a RestApi (cloud_watch_role=True)")
        if rtype == "AWS::ApiGateway::Account":
            return Internal("ApiGatewayAccount", "the API Gateway account setting CDK creates "
                            "for a RestApi (cloud_watch_role=True)")
    return None


def _from_tree(stack: Stack, path: str) -> Internal | None:
    tree = stack.tree
    if tree is None:
        return None
    for p, fqn in tree.owner_fqns(path):
        kind = _PROVIDER_FQNS.get(fqn)
        if kind is not None:
            cid = p.rsplit("/", 1)[-1]
            if kind == "CustomResourceProvider":
                k, reason = _PROVIDER_PURPOSES.get(cid, (kind, "a CDK custom-resource "
                                                          f"provider ({cid})"))
                return Internal(k, f"{reason}; construct {p} ({_short(fqn)})")
            return Internal(kind, f"CDK's custom-resource provider framework; construct {p} "
                                  f"({_short(fqn)})")
    library = _library_function(stack, path)
    if library is not None:
        return library
    singleton = _singleton(stack, path)
    if singleton is not None:
        p, purpose = singleton
        kind, reason = _PURPOSES.get(purpose, ("SingletonFunction",
                                               f"a CDK singleton construct ({purpose or p})"))
        fqn = tree.fqn(p)
        return Internal(kind, f"{reason}; construct {p}" + (f" ({_short(fqn)})" if fqn else ""))
    return None


#: construct classes that only hold other constructs: a function under one of them is the app's
_CONTAINERS = {"aws-cdk-lib.App", "aws-cdk-lib.Stage", "aws-cdk-lib.Stack",
               "aws-cdk-lib.NestedStack", "aws-cdk-lib.Resource"}
_FUNCTION_L2 = "aws-cdk-lib.aws_lambda.Function"


def _library_function(stack: Stack, path: str) -> Internal | None:
    """A Lambda function (and what belongs to it: role, log group) that an aws-cdk-lib
    construct creates inside itself, e.g. the ECS instance-drain hook of
    ``Cluster.add_capacity`` under ``aws_autoscaling.AutoScalingGroup``. The app's own
    functions sit under the app's constructs (fqn ``constructs.Construct`` or the stack)."""
    tree = stack.tree
    chain = list(tree.owner_fqns(path))  # innermost first
    fn = next((i for i, (_, fqn) in enumerate(chain) if fqn == _FUNCTION_L2), None)
    if fn is None:
        return None
    prefix = stack.construct_prefix.strip("/")
    for p, fqn in chain[fn + 1:]:
        if prefix and (p == prefix or not p.startswith(prefix + "/")):
            break  # the stack and above
        if fqn.startswith("aws-cdk-lib.") and fqn not in _CONTAINERS:
            return Internal("LibraryFunction", f"a function aws-cdk-lib's {_short(fqn)} creates "
                                               f"for itself; construct {chain[fn][0]} (inside "
                                               f"{p})")
    return None


def _singleton(stack: Stack, path: str) -> tuple[str, str] | None:
    prefix = stack.construct_prefix.strip("/")
    if not prefix or not path.startswith(prefix + "/"):
        return None
    cid = path[len(prefix) + 1:].split("/", 1)[0]
    m = _SINGLETON.match(cid)
    if m is None:
        return None
    return f"{prefix}/{cid}", m.group("purpose")


def _from_names(stack: Stack, path: str) -> Internal | None:
    """Without tree.json: the same conventions on the construct path alone."""
    for seg in path.split("/"):
        if seg in _PROVIDER_PURPOSES:
            return Internal(*_PROVIDER_PURPOSES[seg])
        if _PROVIDER_ID.search(seg):
            return Internal("CustomResourceProvider", f"a CDK custom-resource provider ({seg})")
        if _FRAMEWORK_ID.match(seg):
            return Internal("ProviderFramework", "CDK's custom-resource provider framework")
        m = _SINGLETON.match(seg)
        if m is not None and (m.group("purpose") in _PURPOSES or not m.group("purpose")
                              or m.group("purpose").startswith("Custom::")):
            return Internal(*_PURPOSES.get(m.group("purpose"), (
                "SingletonFunction", f"a CDK singleton construct ({seg})")))
    return None


def _short(fqn: str) -> str:
    return fqn[len("aws-cdk-lib."):] if fqn.startswith("aws-cdk-lib.") else fqn


def owner_text(stack: Stack, logical_id: str) -> str:
    """The construct that created a resource, for messages: the nearest enclosing construct
    above the resource's own (``Prod/Api/Database (aws_rds.DatabaseInstance)`` for the
    ``Prod/Api/Database/LogRetentionpostgresql/Resource`` of an RDS log export), from tree.json;
    the construct path alone without one, "" when unknown."""
    found = owner_of(stack, logical_id)
    if found is None:
        return ""
    path, fqn = found
    return f"{path} ({_short(fqn)})" if fqn else path


def owner_of(stack: Stack, logical_id: str) -> tuple[str, str | None] | None:
    path = stack.construct_path(logical_id)
    if not path:
        return None
    parts = path.lstrip("/").split("/")
    if len(parts) >= 2 and parts[-1] in ("Resource", "Default"):
        parts = parts[:-1]  # the L1 child of an L2: the L2 is the resource's own construct
    if len(parts) < 2:
        return None
    owner = "/".join(parts[:-1])
    if owner == stack.construct_prefix.strip("/"):
        return None  # directly in the stack: the app created it
    fqn = stack.tree.fqn(owner) if stack.tree is not None else None
    return owner, fqn
