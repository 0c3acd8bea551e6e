"""One deployment stage (Dev or Prod): the Api stack and the Monitoring stack."""
from aws_cdk import Stage, Tags
from constructs import Construct

from .api_stack import ApiStack
from .config import StageConfig
from .monitoring_stack import MonitoringStack

OWNER = "platform-team"


class ServerlessStage(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        stack_tags = None
        if config.defective:
            # DEFECT 10: Dev only gets Environment (no Owner); Prod gets no tags at all.
            if not config.is_prod:
                Tags.of(self).add("Environment", config.env_name)
        else:
            Tags.of(self).add("Environment", config.env_name)
            Tags.of(self).add("Owner", OWNER)
            # With @aws-cdk/core:explicitStackTags, Tags.of() only tags resources;
            # stack-level tags (manifest "tags") must be given to the Stack itself.
            stack_tags = {"Environment": config.env_name, "Owner": OWNER}

        api = ApiStack(
            self, "Api", config=config, tags=stack_tags,
            description=f"Orders service ({config.env_name}): API, functions, storage, CDN",
        )
        MonitoringStack(
            self, "Monitoring", config=config, api_stack=api, tags=stack_tags,
            description=f"Orders service ({config.env_name}): alarms and dashboard",
        )
