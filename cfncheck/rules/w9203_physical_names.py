"""W9203: explicit literal physical names."""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base

#: resource type -> the property that sets its physical name
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::Events::EventBus": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::CodeBuild::Project": "Name",
    "AWS::Cognito::UserPoolDomain": "Domain",
    "AWS::ApiGateway::ApiKey": "Name",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::EC2::SecurityGroup": "GroupName",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "Name",
    "AWS::Elasticsearch::Domain": "DomainName",
    "AWS::OpenSearchService::Domain": "DomainName",
}


class PhysicalNames(_base.CfncheckRule):
    """Resources whose physical name is set to a literal string (``BucketName``,
    ``TableName``, ``FunctionName``, ``RoleName``, ``TopicName``, ``QueueName``,
    ``LogGroupName``, ``StateMachineName``, secret and parameter ``Name``...). A name built
    only from literals with ``Fn::Join``/``Fn::Sub`` counts as literal; a name that includes a
    reference or pseudo parameter (``${AWS::StackName}-data``) does not.

    The message says what the name breaks, from the type's name scope: S3 bucket names are
    global and IAM names account-wide, so a copy of the stack in another region fails; other
    names are unique per account and region. A regional name that already includes the
    stack's stage (``orders-prod`` in stage prod) collides with no other stage or region: it
    is reported at info (only a replacement of the resource fails). Security group names are
    unique per VPC, so a second copy of the stack collides only in the same VPC; API keys
    (``AWS::ApiGateway::ApiKey`` ``Name``) need not have unique names, so their literal name is
    info: only a replacement fails. Also checked: CodeDeploy deployment configs and groups,
    ELBv2 load balancers, OpenSearch / Elasticsearch domains.
    """

    id = "W9203"
    shortdesc = "Literal physical resource name"
    description = "Let CloudFormation generate physical names, or derive them from the stack"
    source_url = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                  "aws-properties-name.html")
    tags = ["reliability", "hardcoded"]
    category = "hardcoded-values"
    security_severity = 1.0
    remediation = ("Drop the name property (CDK generates a unique name; pass bucket.bucket_name "
                   "/ table.table_name to whoever needs it), or derive it from the stage or "
                   "stack name.")
    rationale = ("A fixed name makes a second copy of the stack (another stage or region in the "
                 "same account, a blue/green deployment) fail with 'already exists', and any "
                 "change that requires replacement fails because the new resource cannot take "
                 "the old one's name.")
    fix_example = (
        "bucket = s3.Bucket(self, \"DataBucket\")          # no bucket_name\n"
        "fn.add_environment(\"BUCKET_NAME\", bucket.bucket_name)")
    bad_example = '"DataBucket": {"Type": "AWS::S3::Bucket",\n' \
                  '               "Properties": {"BucketName": "acme-orders-prod-data"}}'
    parameters = {
        "allow": ([], "names accepted (glob), e.g. [\"/aws/vendedlogs/*\"]"),
        "types": ([], "extra TYPE=Property pairs to check, e.g. [\"AWS::Glue::Job=Name\"]"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        allow = self.param(ctx, stack, "allow") or []
        props_by_type = dict(NAME_PROPERTIES)
        for pair in self.param(ctx, stack, "types") or []:
            rtype, _, prop = str(pair).partition("=")
            if rtype and prop:
                props_by_type[rtype] = prop
        for lid, res in stack.resources.items():
            if not isinstance(res, dict):
                continue
            prop = props_by_type.get(res.get("Type"))
            props = res.get("Properties")
            if prop is None or not isinstance(props, dict) or prop not in props:
                continue
            name = _literal(props[prop])
            if name is None or any(fnmatch.fnmatchcase(name, a) for a in allow):
                continue
            severity, suffix = _base.cdk_internal(stack, lid)
            message, info = _consequence(res["Type"], name, stack.stage)
            yield Hit(stack, lid, ("Resources", lid, "Properties", prop),
                      f"{res['Type']} {lid} has the literal {prop} {name!r}: {message}{suffix}",
                      key=prop, severity="info" if info else severity)


#: types whose names are unique beyond one account and region
GLOBAL_NAMES = {"AWS::S3::Bucket": "S3 bucket names are global (across all accounts and "
                                   "regions)"}
GLOBAL_NAMES.update({t: "IAM names are unique in the account across all regions" for t in (
    "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::ManagedPolicy",
    "AWS::IAM::InstanceProfile")})

#: types whose names are unique in a narrower scope than the account and region: what a
#: second copy of the stack must not share with the first
NARROW_NAMES = {"AWS::EC2::SecurityGroup": "VPC"}

#: types whose names need not be unique: a literal name only stops CloudFormation from
#: replacing the resource (its documentation of the Name property says so)
REPLACEMENT_ONLY = {"AWS::ApiGateway::ApiKey"}


def _consequence(rtype: str, name: str, stage: str) -> tuple[str, bool]:
    """What a literal name breaks, from the type's name scope and whether the name already
    includes the stack's stage; (message, info only)."""
    staged = bool(stage) and stage != "unknown" and re.search(
        rf"(?<![a-z0-9]){re.escape(stage.lower())}(?![a-z0-9])", name.lower()) is not None
    replace = ("any change that replaces the resource fails with 'already exists' (the new "
               "one cannot take the old one's name)")
    if rtype in REPLACEMENT_ONLY:
        return ("names of this type need not be unique, but CloudFormation cannot replace a "
                "resource with a custom name: any change that requires replacement fails", True)
    narrow = NARROW_NAMES.get(rtype)
    if narrow is not None:
        if staged:
            return (f"the name includes its stage ({stage}) and is unique per {narrow}, so "
                    "other stages do not collide; only a change that replaces the resource "
                    "fails with 'already exists'", True)
        return (f"names are unique per {narrow}: another copy of this stack in the same "
                f"{narrow} (a second stage there) fails with 'already exists', and {replace}",
                False)
    scope = GLOBAL_NAMES.get(rtype)
    if scope is None:
        if staged:
            return (f"the name includes its stage ({stage}) and is unique per account and "
                    "region, so other stages and regions do not collide; only a change that "
                    "replaces the resource fails with 'already exists'", True)
        return ("another copy of this stack in the same account and region (a second stage "
                f"there) fails with 'already exists', and {replace}", False)
    if staged:
        return (f"the name includes its stage ({stage}), but {scope}: a copy of this stack in "
                f"another region or account fails with 'already exists', and {replace}",
                False)
    return (f"{scope}: another copy of this stack (a second stage or region) fails with "
            f"'already exists', and {replace}", False)


def _literal(value: object) -> str | None:
    """The name if the value is made of literals only, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 \
                and isinstance(arg[0], str) and isinstance(arg[1], list):
            parts = [_literal(p) for p in arg[1]]
            return None if any(p is None for p in parts) else arg[0].join(parts)  # type: ignore
        if fn == "Fn::Sub" and isinstance(arg, str) and "${" not in arg.replace("${!", ""):
            return arg.replace("${!", "${")
    return None
