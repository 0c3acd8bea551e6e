"""API: REST API (Lambda token authorizer, IAM, one public GET), HTTP API, function URLs,
a Trigger, a cross-region custom resource and the functions behind them.

True defects by design (see AUDIT.md): the orders handler behind API Gateway has a
300 s timeout (API Gateway gives up after 29 s); the webhook's function URL has
auth NONE; the report exporter ships requirements.txt without the packages.
"""
import jsii
from aws_cdk import (
    Duration,
    Stack,
    aws_apigateway as apigw,
    aws_apigatewayv2 as apigwv2,
    aws_apigatewayv2_integrations as integrations,
    aws_cloudwatch as cloudwatch,
    aws_codedeploy as codedeploy,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_lambda_event_sources as event_sources,
    aws_logs as logs,
    aws_sqs as sqs,
    custom_resources as cr,
    triggers,
)
from constructs import Construct

from .bundling import bundled_code
from .config import ASSET_EXCLUDES, GLOBAL_PARAMETERS_REGION, LAMBDA_DIR, StageConfig
from .data_stack import DataStack


@jsii.implements(apigwv2.IAccessLogSettings)
class HttpAccessLogs:
    """IAccessLogSettings is an interface, not a struct, in the Python binding."""

    def __init__(self, destination: apigwv2.IAccessLogDestination) -> None:
        self._destination = destination

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self):
        return None  # CDK's default JSON format


def code(name: str) -> lambda_.Code:
    return lambda_.Code.from_asset(str(LAMBDA_DIR / name), exclude=ASSET_EXCLUDES)


class ApiStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig,
                 data: DataStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        env = {"STAGE": config.env_name, "POWERTOOLS_SERVICE_NAME": "platform"}

        # ------------------------------------------------------------ functions
        self.orders_fn = lambda_.Function(
            self, "OrdersHandler",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.handler",
            code=code("orders_api"),
            timeout=Duration.seconds(300),  # TRUE DEFECT: API Gateway times out at 29 s
            memory_size=512,
            tracing=lambda_.Tracing.ACTIVE,
            environment={**env, "TABLE_NAME": data.sessions_table.table_name},
        )
        data.sessions_table.grant_read_write_data(self.orders_fn)

        # Gradual deployment of the orders handler, rolled back on errors.
        self.orders_alias = lambda_.Alias(
            self, "OrdersLive", alias_name="live", version=self.orders_fn.current_version,
        )
        self.orders_errors = cloudwatch.Alarm(
            self, "OrdersAliasErrors",
            metric=self.orders_alias.metric_errors(period=Duration.minutes(1)),
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        codedeploy.LambdaDeploymentGroup(
            self, "OrdersDeployment",
            alias=self.orders_alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
            alarms=[self.orders_errors],
        )

        authorizer_fn = lambda_.Function(
            self, "TokenAuthorizerFunction",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=code("authorizer"),
            timeout=Duration.seconds(5),
            environment=env,
        )

        # python3.14 + AWS's official Powertools layer (by ARN).
        powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", config.powertools_layer_arn,
        )
        self.items_fn = lambda_.Function(
            self, "ItemsHandler",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=code("items_api"),
            layers=[powertools],
            timeout=Duration.seconds(10),
            memory_size=256,
            tracing=lambda_.Tracing.ACTIVE,
            environment={**env, "TABLE_NAME": data.sessions_table.table_name},
        )
        data.sessions_table.grant_read_data(self.items_fn)

        # Webhook receiver for the payment provider, and an internal status endpoint.
        self.webhook_fn = lambda_.Function(
            self, "WebhookHandler",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=code("webhook"),
            timeout=Duration.seconds(10),
            environment=env,
        )
        self.webhook_url = self.webhook_fn.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.NONE,  # TRUE DEFECT: anyone can invoke
        )
        status_fn = lambda_.Function(
            self, "StatusHandler",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=code("status"),
            timeout=Duration.seconds(5),
            environment=env,
        )
        status_fn.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)

        # TRUE DEFECT: requirements.txt shipped without the packages (nobody bundled it).
        self.report_fn = lambda_.Function(
            self, "ReportExporter",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="handler.handler",
            code=code("report_exporter"),
            timeout=Duration.minutes(5),
            memory_size=1024,
            environment={**env, "BUCKET": data.exports_bucket.bucket_name},
        )
        data.exports_bucket.grant_put(self.report_fn)

        # Ingest function bundled locally with the in-repo acme_common package, fed by a
        # queue with a dead-letter queue (both rely on SQS's default SSE-SQS encryption).
        self.ingest_fn = lambda_.Function(
            self, "IngestHandler",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=bundled_code("ingest", lambda_.Runtime.PYTHON_3_13),
            timeout=Duration.seconds(30),
            environment=env,
        )
        ingest_dlq = sqs.Queue(
            self, "IngestDeadLetters", retention_period=Duration.days(14), enforce_ssl=True,
            removal_policy=config.removal_policy,
        )
        self.ingest_queue = sqs.Queue(
            self, "IngestQueue",
            visibility_timeout=Duration.seconds(180),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=ingest_dlq),
            enforce_ssl=True,
            removal_policy=config.removal_policy,
        )
        self.ingest_fn.add_event_source(
            event_sources.SqsEventSource(self.ingest_queue, batch_size=10, report_batch_item_failures=True),
        )

        # ------------------------------------------------------------- REST API
        access_logs = logs.LogGroup(
            self, "RestApiAccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=config.removal_policy,
        )
        self.rest_api = apigw.RestApi(
            self, "OrdersApi",
            description=f"Orders API ({config.env_name})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            deploy_options=apigw.StageOptions(
                stage_name=config.env_name,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=200,
                throttling_burst_limit=400,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=["https://app.example.com"],
                allow_methods=["GET", "POST"],
            ),
        )
        token_authorizer = apigw.TokenAuthorizer(
            self, "TokenAuthorizer",
            handler=authorizer_fn,
            results_cache_ttl=Duration.minutes(5),
        )
        orders_integration = apigw.LambdaIntegration(self.orders_alias)
        orders = self.rest_api.root.add_resource("orders")
        for verb in ("GET", "POST"):
            orders.add_method(verb, orders_integration, authorizer=token_authorizer)
        order = orders.add_resource("{orderId}")
        order.add_method("GET", orders_integration, authorizer=token_authorizer)

        admin = self.rest_api.root.add_resource("admin").add_resource("reports")
        admin.add_method(
            "POST", apigw.LambdaIntegration(self.report_fn),
            authorization_type=apigw.AuthorizationType.IAM,
        )
        # Public health check for the uptime monitor.
        self.rest_api.root.add_resource("health").add_method(
            "GET",
            apigw.MockIntegration(
                integration_responses=[apigw.IntegrationResponse(status_code="200")],
                request_templates={"application/json": '{"statusCode": 200}'},
            ),
            method_responses=[apigw.MethodResponse(status_code="200")],
        )
        self.rest_api.add_usage_plan(
            "DefaultPlan",
            throttle=apigw.ThrottleSettings(rate_limit=100, burst_limit=200),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )

        # ------------------------------------------------------------- HTTP API
        self.http_api = apigwv2.HttpApi(
            self, "ItemsHttpApi",
            description=f"Items API ({config.env_name})",
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=["https://app.example.com"],
                allow_methods=[apigwv2.CorsHttpMethod.GET],
            ),
            create_default_stage=False,  # the $default stage below sets throttling and access logs
        )
        apigwv2.HttpStage(
            self, "ItemsDefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200),
            access_log_settings=HttpAccessLogs(apigwv2.LogGroupLogDestination(logs.LogGroup(
                self, "HttpApiAccessLogs",
                retention=logs.RetentionDays.THREE_MONTHS,
                removal_policy=config.removal_policy,
            ))),
        )
        self.http_api.add_routes(
            path="/items/{id}",
            methods=[apigwv2.HttpMethod.GET],
            integration=integrations.HttpLambdaIntegration("ItemsIntegration", self.items_fn),
        )

        # ---------------------------------------------------------------- trigger
        # Seeds reference data into the sessions table after every deployment.
        seed = triggers.TriggerFunction(
            self, "SeedReferenceData",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=code("seed"),
            timeout=Duration.minutes(2),
            environment={"TABLE_NAME": data.sessions_table.table_name},
            execute_after=[self.orders_fn],
        )
        data.sessions_table.grant_write_data(seed)

        # ------------------------------------------------- cross-region lookup
        # The organisation publishes its WAF web ACL ARN in us-east-1 only.
        parameter_name = "/org/shared/waf-web-acl-arn"
        get_parameter = cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": parameter_name},
            region=GLOBAL_PARAMETERS_REGION,
            physical_resource_id=cr.PhysicalResourceId.of(parameter_name),
        )
        self.shared_acl = cr.AwsCustomResource(
            self, "SharedWebAclLookup",
            on_create=get_parameter,
            on_update=get_parameter,
            policy=cr.AwsCustomResourcePolicy.from_statements([
                iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[
                        Stack.of(self).format_arn(
                            service="ssm", region=GLOBAL_PARAMETERS_REGION,
                            resource="parameter", resource_name=parameter_name.lstrip("/"),
                        ),
                    ],
                ),
            ]),
            install_latest_aws_sdk=False,
        )
