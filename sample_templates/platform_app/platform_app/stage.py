"""One deployment stage (Dev or Prod) of the platform."""
from aws_cdk import Stage, Tags
from constructs import Construct

from .api_stack import ApiStack
from .config import OWNER, StageConfig
from .data_stack import DataStack
from .delivery_stack import DeliveryStack
from .events_stack import EventsStack
from .monitoring_stack import MonitoringStack
from .network_stack import NetworkStack


class PlatformStage(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, env=config.env, **kwargs)
        name = config.env_name
        tags = {"Environment": name, "Owner": OWNER}

        network = NetworkStack(self, "Network", config=config, tags=tags,
                               description=f"Platform ({name}): VPC, ALB, ECS, bastion")
        data = DataStack(self, "Data", config=config, network=network, tags=tags,
                         description=f"Platform ({name}): RDS, EFS, DynamoDB, S3, KMS")
        # Api: resource tags only (Tags.of below), no stack tags: resources CDK renders as
        # plain CfnResource (the Trigger provider's function and role) carry no tags.
        api = ApiStack(self, "Api", config=config, data=data,
                       description=f"Platform ({name}): REST and HTTP APIs, functions")
        MonitoringStack(self, "Monitoring", config=config, api=api, tags=tags,
                        description=f"Platform ({name}): alarms" + (" and dashboard" if config.is_prod else ""))
        EventsStack(self, "Events", config=config, tags=tags,
                    description=f"Platform ({name}): event forwarding to the central account")
        # No tags here: the delivery team never adopted the tagging standard.
        DeliveryStack(self, "Delivery", config=config,
                      description=f"Platform ({name}): pipeline and canary-deployed worker")

        # With @aws-cdk/core:explicitStackTags, stack tags (manifest "tags", applied by
        # CloudFormation to every resource) only come from Stack(tags=...); Tags.of() tags
        # the taggable constructs in the template.
        for stack in (network, data, api):
            for key, value in tags.items():
                Tags.of(stack).add(key, value)
