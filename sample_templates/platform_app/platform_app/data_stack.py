"""Data: KMS key, RDS PostgreSQL (+ rotated secret), EFS, DynamoDB global table, S3 buckets."""
from aws_cdk import (
    Duration,
    Stack,
    aws_dynamodb as dynamodb,
    aws_ec2 as ec2,
    aws_efs as efs,
    aws_iam as iam,
    aws_kms as kms,
    aws_logs as logs,
    aws_rds as rds,
    aws_s3 as s3,
)
from constructs import Construct

from .config import REPLICA_REGION, SHARED_REPORTS_BUCKET, StageConfig
from .network_stack import NetworkStack


class DataStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig,
                 network: NetworkStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        vpc = network.vpc
        removal = config.removal_policy

        self.key = kms.Key(
            self, "DataKey",
            description=f"platform {config.env_name} data at rest",
            enable_key_rotation=True,
            removal_policy=removal,
        )

        # ------------------------------------------------------------------ RDS
        self.database = rds.DatabaseInstance(
            self, "Database",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_4),
            instance_type=ec2.InstanceType("t4g.medium" if config.is_prod else "t4g.micro"),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            credentials=rds.Credentials.from_generated_secret("platform_admin"),
            database_name="platform",
            storage_encrypted=True,
            storage_encryption_key=self.key,
            allocated_storage=50,
            multi_az=config.is_prod,
            backup_retention=Duration.days(14 if config.is_prod else 3),
            deletion_protection=config.is_prod,
            cloudwatch_logs_exports=["postgresql", "upgrade"],
            cloudwatch_logs_retention=logs.RetentionDays.ONE_MONTH,
            enable_performance_insights=True,
            performance_insight_encryption_key=self.key,
            auto_minor_version_upgrade=True,
            removal_policy=removal,
        )
        self.database.add_rotation_single_user(automatically_after=Duration.days(30))
        self.database.connections.allow_default_port_from(network.web_service, "web service")
        self.database.connections.allow_default_port_from(network.bastion, "bastion (psql)")

        # ------------------------------------------------------------------ EFS
        self.file_system = efs.FileSystem(
            self, "SharedFiles",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            encrypted=True,
            kms_key=self.key,
            lifecycle_policy=efs.LifecyclePolicy.AFTER_30_DAYS,
            performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
            throughput_mode=efs.ThroughputMode.ELASTIC,
            removal_policy=removal,
        )
        self.file_system.connections.allow_default_port_from(network.web_service, "web service")

        # ------------------------------------------------------------- DynamoDB
        self.sessions_table = dynamodb.TableV2(
            self, "SessionsTable",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            time_to_live_attribute="expiresAt",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
            ),
            replicas=[dynamodb.ReplicaTableProps(region=REPLICA_REGION)],
            removal_policy=removal,
        )

        # ------------------------------------------------------------------- S3
        # Exports land here; the bucket relies on S3's defaults for new buckets
        # (Block Public Access on, ACLs disabled, SSE-S3).
        self.exports_bucket = s3.Bucket(
            self, "ExportsBucket",
            enforce_ssl=True,
            versioned=config.is_prod,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=removal,
        )

        # The data-platform team owns the shared reports bucket; this app writes
        # reports into it and owns its bucket policy (the bucket has exactly one policy).
        self.export_role = iam.Role(
            self, "ExportRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Writes nightly exports",
        )
        self.exports_bucket.grant_read_write(self.export_role)
        shared_reports = s3.Bucket.from_bucket_name(self, "SharedReports", SHARED_REPORTS_BUCKET)
        policy = s3.BucketPolicy(self, "SharedReportsPolicy", bucket=shared_reports)
        policy.document.add_statements(
            iam.PolicyStatement(
                sid="AllowExportWrites",
                principals=[self.export_role],
                actions=["s3:PutObject"],
                resources=[shared_reports.arn_for_objects(f"{config.env_name}/*")],
            ),
            # TRUE DEFECT: this policy replaces the bucket's only policy and has no
            # aws:SecureTransport deny (S3 then accepts plain HTTP requests).
        )
