"""Storage nested stack: audit table + events queue (fan-out of the alerts topic)."""
from typing import Optional

from aws_cdk import NestedStack, aws_dynamodb as dynamodb, aws_kms as kms, aws_sns as sns
from aws_cdk import aws_iam as iam, aws_sqs as sqs, Duration
from constructs import Construct

from .config import StageConfig


class StorageNestedStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        alerts_topic: sns.ITopic,
        key: Optional[kms.IKey],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = config.stateful_removal_policy

        if config.defective:
            # DEFECT 4: no point-in-time recovery.  DEFECT 5: DESTROY in Prod.
            self.audit_table = dynamodb.Table(
                self, "AuditTable",
                partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                removal_policy=removal,
            )
        else:
            self.audit_table = dynamodb.Table(
                self, "AuditTable",
                partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True,
                ),
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=key,  # parent-stack key -> nested-stack parameter
                removal_policy=removal,
            )

        self.events_queue = sqs.Queue(
            self, "EventsQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=not config.defective,
            retention_period=Duration.days(4),
            removal_policy=removal,
        )
        # The topic lives in the parent stack: its ARN becomes a nested-stack
        # parameter. (topic.add_subscription() would put the subscription in the
        # parent and make the nested stack depend on its parent.)
        sns.Subscription(
            self, "AlertsToEventsQueue",
            topic=alerts_topic,
            protocol=sns.SubscriptionProtocol.SQS,
            endpoint=self.events_queue.queue_arn,
            raw_message_delivery=True,
        )
        self.events_queue.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("sns.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[self.events_queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": alerts_topic.topic_arn}},
        ))
