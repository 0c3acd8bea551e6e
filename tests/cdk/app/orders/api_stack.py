"""The Api stack: buckets, the orders table, an audit log group, and a nested Storage stack."""

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cfncheck.cdk import suppress

from .storage import StorageStack


class ApiStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, variant: str) -> None:
        super().__init__(scope, construct_id)
        fixed = variant == "fixed"
        key = kms.Key(self, "DataKey", enable_key_rotation=True)

        s3.Bucket(self, "UploadsBucket",
                  block_public_access=s3.BlockPublicAccess.BLOCK_ALL if fixed else None,
                  encryption=s3.BucketEncryption.KMS if fixed else None,
                  encryption_key=key if fixed else None,
                  enforce_ssl=fixed)

        website = s3.Bucket(self, "WebsiteBucket", encryption=s3.BucketEncryption.S3_MANAGED,
                            block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
        suppress(website, "CC-S3-002", "served through CloudFront with an origin access "
                 "control; reviewed by security", expires="2099-12-31")

        dynamodb.Table(
            self, "OrdersTable",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=fixed),
            removal_policy=cdk.RemovalPolicy.RETAIN if fixed else cdk.RemovalPolicy.DESTROY,
        )

        logs.LogGroup(self, "AuditLogs", retention=logs.RetentionDays.ONE_YEAR if fixed else None,
                      encryption_key=key if fixed else None,
                      removal_policy=cdk.RemovalPolicy.RETAIN)

        StorageStack(self, "Storage", fixed=fixed)
