"""The nested Storage stack: an archive table built by a small construct of the app."""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct


class Archive(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, fixed: bool) -> None:
        super().__init__(scope, construct_id)
        dynamodb.Table(
            self, "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=fixed),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )


class StorageStack(cdk.NestedStack):
    def __init__(self, scope: Construct, construct_id: str, *, fixed: bool) -> None:
        super().__init__(scope, construct_id)
        Archive(self, "Archive", fixed=fixed)
