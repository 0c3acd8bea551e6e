"""Api stack: bucket, tables, functions + layer, REST API, CloudFront, SNS, log groups.

Every deliberate defect of the *defective* variant is marked ``DEFECT <n>``;
the numbers match the table in sample_templates/README.md.
"""
from typing import List, Optional

from aws_cdk import (
    Annotations,
    ArnFormat,
    Duration,
    RemovalPolicy,
    Stack,
    aws_apigateway as apigw,
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_codedeploy as codedeploy,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_s3_notifications as s3n,
    aws_sns as sns,
    aws_sqs as sqs,
)
from constructs import Construct

from .config import (
    ASSET_EXCLUDES,
    HARDCODED_ALERTS_TOPIC_ARN,
    LAMBDA_DIR,
    LAYER_DIR,
    StageConfig,
)
from .storage_stack import StorageNestedStack


class ApiStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        d = config.defective
        removal = config.stateful_removal_policy
        self.key: Optional[kms.Key] = None if d else self._logs_key(removal)

        # ------------------------------------------------------------------ S3
        if d:
            # DEFECT 3: public access not blocked, no SSL-only policy, hardcoded name.
            # DEFECT 5: DESTROY (also in Prod).  DEFECT 11: physical name.
            self.bucket = s3.Bucket(
                self, "DataBucket",
                bucket_name="acme-orders-prod-data",
                block_public_access=s3.BlockPublicAccess(
                    block_public_acls=False,
                    block_public_policy=False,
                    ignore_public_acls=False,
                    restrict_public_buckets=False,
                ),
                enforce_ssl=False,
                removal_policy=removal,
                # DEFECT 16 helper (both variants): AutoDeleteObjects provider in Dev.
                auto_delete_objects=not config.is_prod,
            )
        else:
            self.bucket = s3.Bucket(
                self, "DataBucket",
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                encryption=s3.BucketEncryption.S3_MANAGED,
                versioned=config.is_prod,
                removal_policy=removal,
                auto_delete_objects=not config.is_prod,  # helper resource, Dev only
            )

        # ------------------------------------------------------------ DynamoDB
        if d:
            # DEFECT 4: no PITR.  DEFECT 5: DESTROY in Prod.  DEFECT 11: table_name.
            self.orders_table = dynamodb.Table(
                self, "OrdersTable",
                table_name="orders",
                partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                removal_policy=removal,
            )
        else:
            self.orders_table = dynamodb.Table(
                self, "OrdersTable",
                partition_key=dynamodb.Attribute(name="orderId", type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True,
                ),
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=self.key,
                removal_policy=removal,
            )

        # ----------------------------------------------------------------- SNS
        self.alerts_topic = sns.Topic(
            self, "AlertsTopic",
            master_key=self.key,  # None (unencrypted) in the defective variant
            enforce_ssl=not d,
        )

        # ---------------------------------------------------- nested Storage
        self.storage = StorageNestedStack(
            self, "Storage", config=config, alerts_topic=self.alerts_topic, key=self.key,
        )

        # --------------------------------------------------------- functions
        self.layer = lambda_.LayerVersion(
            self, "SharedUtilsLayer",
            code=lambda_.Code.from_asset(str(LAYER_DIR / "shared_utils"), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_12],
            description="shared_utils helper package",
        )
        self.orders_fn = self._orders_function()
        self.report_fn = self._report_function()
        self.worker_fn = self._worker_function()
        self.functions: List[lambda_.Function] = [self.orders_fn, self.report_fn, self.worker_fn]

        # DEFECT 16 helper (both variants): BucketNotificationsHandler.
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.worker_fn),
            s3.NotificationKeyFilter(prefix="incoming/"),
        )

        # -------------------------------------------------------------- API
        self.api = self._rest_api()

        # -------------------------------------------------------- CloudFront
        self.distribution = self._distribution()

        # ------------------------------------------- defective-only extras
        if d:
            self._needless_codedeploy()
            self._alpha_construct()

    # ================================================================ helpers
    def _logs_key(self, removal: RemovalPolicy) -> kms.Key:
        """Customer-managed key for log groups, tables and the topic (fixed only)."""
        stack = Stack.of(self)
        key = kms.Key(
            self, "DataKey",
            description="Encrypts log groups, DynamoDB tables and the alerts topic",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        # CloudWatch Logs must be allowed to use the key for encrypted log groups.
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchLogs",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                service="logs", resource="log-group", resource_name="*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )}},
        ))
        # CloudWatch alarms publish to the encrypted topic.
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarms",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        ))
        return key

    def _log_group(self, construct_id: str, retention: logs.RetentionDays) -> logs.LogGroup:
        if self.config.defective:
            # DEFECT 2: no KMS key.
            return logs.LogGroup(
                self, construct_id, retention=retention, removal_policy=self.config.stateful_removal_policy,
            )
        return logs.LogGroup(
            self, construct_id,
            retention=retention,
            encryption_key=self.key,
            removal_policy=self.config.stateful_removal_policy,
        )

    def _code(self, folder: str) -> lambda_.Code:
        return lambda_.Code.from_asset(str(LAMBDA_DIR / folder), exclude=ASSET_EXCLUDES)

    def _orders_function(self) -> lambda_.Function:
        d = self.config.defective
        fn = lambda_.Function(
            self, "OrdersApiFunction",
            # DEFECT 11: hardcoded function name.
            function_name="orders-api" if d else None,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.main",
            code=self._code("orders_api"),
            layers=[self.layer],
            memory_size=256,
            # DEFECT 8: 15 minutes behind API Gateway (integration limit is 29 s).
            timeout=Duration.minutes(15) if d else Duration.seconds(10),
            tracing=None if d else lambda_.Tracing.ACTIVE,
            log_group=self._log_group("OrdersApiLogGroup", logs.RetentionDays.ONE_MONTH),
            environment={
                "TABLE_NAME": self.orders_table.table_name,
                "BUCKET_NAME": self.bucket.bucket_name,
                "LOG_LEVEL": "INFO",
            },
        )
        self.orders_table.grant_read_write_data(fn)
        if d:
            # DEFECT 1: wildcard resources and a service-wide action.
            # (Sids keep @aws-cdk/aws-iam:minimizePolicies from merging them.)
            fn.add_to_role_policy(iam.PolicyStatement(
                sid="OrdersAclAndAlerts",
                actions=["s3:PutObjectAcl", "sns:Publish"],
                resources=["*"],
            ))
            fn.add_to_role_policy(iam.PolicyStatement(
                sid="LegacyS3FullAccess",
                actions=["s3:*"],
                resources=["*"],
            ))
        else:
            self.bucket.grant_put(fn)
            self.alerts_topic.grant_publish(fn)
        return fn

    def _report_function(self) -> lambda_.Function:
        d = self.config.defective
        common = dict(
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.main",
            layers=[self.layer],
            memory_size=256,
            environment={"TABLE_NAME": self.orders_table.table_name},
        )
        if d:
            fn = lambda_.Function(
                self, "ReportFunction",
                # DEFECT 13: handler imports requests + pydantic (not in asset or layer).
                code=self._code("report_defective"),
                # DEFECT 8: 5 minutes behind API Gateway.
                timeout=Duration.minutes(5),
                # DEFECT 15: deprecated `log_retention` prop -> LogRetention singleton
                # custom resource (Custom::LogRetention); log group has no KMS key (DEFECT 2).
                log_retention=logs.RetentionDays.ONE_WEEK,
                **common,
            )
            fn.add_environment("REPORT_WEBHOOK_URL", "https://hooks.example.com/orders-report")
            # DEFECT 15 (annotation): aws-cdk-lib 2.275 only prints the logRetention
            # deprecation to stderr (jsii "[WARNING] ...#logRetention is deprecated"),
            # and the core APIs that annotate by themselves (Tag.add,
            # templateOptions.transform) are not exposed to Python. Record it in the
            # cloud assembly the way construct libraries do, with the same text:
            # aws:cdk:warning "The API aws-cdk-lib.aws_lambda.FunctionOptions#logRetention
            # is deprecated: use `logGroup` instead. ..." on Dev|Prod/Api/ReportFunction.
            Annotations.of(fn).add_deprecation(
                "aws-cdk-lib.aws_lambda.FunctionOptions#logRetention", "use `logGroup` instead",
            )
        else:
            fn = lambda_.Function(
                self, "ReportFunction",
                code=self._code("report"),
                timeout=Duration.seconds(10),
                tracing=lambda_.Tracing.ACTIVE,
                log_group=self._log_group("ReportLogGroup", logs.RetentionDays.ONE_MONTH),
                **common,
            )
        self.orders_table.grant_read_data(fn)
        return fn

    def _worker_function(self) -> lambda_.Function:
        d = self.config.defective
        audit_table = self.storage.audit_table  # nested-stack output -> parent
        # Fixed only: the function is invoked asynchronously (S3 notifications), so failed
        # events go to an encrypted dead-letter queue instead of being dropped.
        dlq = None if d else sqs.Queue(
            self, "WorkerDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=self.config.stateful_removal_policy,
        )
        fn = lambda_.Function(
            self, "WorkerFunction",
            dead_letter_queue=dlq,
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.main",
            code=self._code("worker"),
            layers=[self.layer],
            memory_size=128,
            # DEFECT 8: 15 minutes.
            timeout=Duration.minutes(15) if d else Duration.seconds(10),
            tracing=None if d else lambda_.Tracing.ACTIVE,
            log_group=self._log_group("WorkerLogGroup", logs.RetentionDays.TWO_WEEKS),
            environment={
                "AUDIT_TABLE_NAME": audit_table.table_name,
                # DEFECT 11: literal region/account in an environment variable.
                "ALERTS_TOPIC_ARN": HARDCODED_ALERTS_TOPIC_ARN if d else self.alerts_topic.topic_arn,
            },
        )
        audit_table.grant_write_data(fn)
        if d:
            fn.add_environment("DEPLOY_REGION", "eu-west-1")  # DEFECT 11
            # DEFECT 11: IAM resource ARN literal with region + account.
            fn.add_to_role_policy(iam.PolicyStatement(
                sid="PublishToHardcodedAlertsTopic",
                actions=["sns:Publish"],
                resources=[HARDCODED_ALERTS_TOPIC_ARN],
            ))
        else:
            self.alerts_topic.grant_publish(fn)
        return fn

    def _rest_api(self) -> apigw.RestApi:
        d = self.config.defective
        if d:
            # DEFECT 2: access-log group without retention (never expires) and no KMS.
            access_logs = self._log_group("ApiAccessLogs", logs.RetentionDays.INFINITE)
            # DEFECT 6: no method throttling (no MethodSettings), no usage plan / API key.
            deploy_options = apigw.StageOptions(
                stage_name="v1",
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.clf(),
            )
            method_options = None
        else:
            access_logs = self._log_group("ApiAccessLogs", logs.RetentionDays.THREE_MONTHS)
            deploy_options = apigw.StageOptions(
                stage_name="v1",
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
                # -> MethodSettings [{HttpMethod: "*", ResourcePath: "/*", Throttling...}]
                throttling_rate_limit=50,
                throttling_burst_limit=100,
                tracing_enabled=True,
                metrics_enabled=True,
            )
            method_options = apigw.MethodOptions(api_key_required=True)

        api = apigw.RestApi(
            self, "OrdersApi",
            description="Orders REST API",
            # DEFECT 16 helper (both variants): AWS::ApiGateway::Account + CloudWatch role.
            cloud_watch_role=True,
            deploy_options=deploy_options,
            default_method_options=method_options,
            endpoint_types=[apigw.EndpointType.REGIONAL],
        )
        orders_int = apigw.LambdaIntegration(self.orders_fn)
        api_root = api.root.add_resource("api")
        orders = api_root.add_resource("orders")
        orders.add_method("GET", orders_int)
        orders.add_method("POST", orders_int)
        orders.add_resource("{orderId}").add_method("GET", orders_int)
        api_root.add_resource("reports").add_method("GET", apigw.LambdaIntegration(self.report_fn))

        if not d:
            plan = api.add_usage_plan(
                "UsagePlan",
                description="Default consumer plan",
                throttle=apigw.ThrottleSettings(rate_limit=20, burst_limit=40),
                quota=apigw.QuotaSettings(limit=100_000, period=apigw.Period.MONTH),
                api_stages=[apigw.UsagePlanPerApiStage(api=api, stage=api.deployment_stage)],
            )
            key = api.add_api_key("ApiKey", description="Key for the CloudFront / partner clients")
            plan.add_api_key(key)
        return api

    def _distribution(self) -> cloudfront.Distribution:
        d = self.config.defective
        return cloudfront.Distribution(
            self, "Cdn",
            comment="Orders web + API",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,  # fine for static S3
            ),
            additional_behaviors={
                "/api/*": cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(self.api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # DEFECT 9: dynamic API responses cached with CachingOptimized.
                    cache_policy=(
                        cloudfront.CachePolicy.CACHING_OPTIMIZED if d
                        else cloudfront.CachePolicy.CACHING_DISABLED
                    ),
                    origin_request_policy=(
                        None if d else cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                ),
            },
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )

    def _needless_codedeploy(self) -> None:
        """DEFECT 12: CodeDeploy canary group + alias nobody asked for."""
        alias = lambda_.Alias(
            self, "ReportLiveAlias", alias_name="live", version=self.report_fn.current_version,
        )
        codedeploy.LambdaDeploymentGroup(
            self, "ReportDeploymentGroup",
            alias=alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
        )

    def _alpha_construct(self) -> None:
        """DEFECT 14: experimental construct from aws-cdk.aws-iot-alpha."""
        import aws_cdk.aws_iot_alpha as iot_alpha  # only needed by the defective variant

        iot_alpha.TopicRule(
            self, "OrdersIngestRule",
            description="Forward device order events (experimental L2)",
            sql=iot_alpha.IotSql.from_string_as_ver20160323("SELECT * FROM 'acme/orders/+'"),
        )
