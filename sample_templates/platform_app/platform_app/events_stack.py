"""Events: forward order events to the organisation's central bus (account 222222222222)
and let that account's auditors read this one."""
from aws_cdk import Stack, aws_events as events, aws_events_targets as targets, aws_iam as iam
from constructs import Construct

from .config import CENTRAL_ACCOUNT, CENTRAL_EVENT_BUS_ARN, StageConfig


class EventsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        bus = events.EventBus(self, "OrdersBus", event_bus_name=f"orders-{config.env_name}")
        central = events.EventBus.from_event_bus_arn(self, "CentralBus", CENTRAL_EVENT_BUS_ARN)
        events.Rule(
            self, "ForwardToCentral",
            event_bus=bus,
            description="Forward order lifecycle events to the central bus",
            event_pattern=events.EventPattern(source=["acme.orders"], detail_type=["OrderPlaced", "OrderShipped"]),
            targets=[targets.EventBus(central)],
        )
        bus.archive(
            "OrdersArchive",
            event_pattern=events.EventPattern(source=["acme.orders"]),
        )

        iam.Role(
            self, "CentralAuditRole",
            assumed_by=iam.AccountPrincipal(CENTRAL_ACCOUNT),
            description="Read-only access for the central security team",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("SecurityAudit")],
        )
