"""The CDK app behind the benchmark: ``--stacks`` service stacks of ``--functions`` functions.

Run by ``bench/generate.py`` with the CDK venv's Python (aws-cdk-lib); not imported by cfncheck.
One CDK Stage (``Prod``) holds the stacks ``Service00``, ``Service01``, ... Each stack has one
REST API, one S3 bucket and one CloudWatch dashboard, and for every function: an IAM role and
policy (grants on the stack's bucket and the function's table), a log group, a DynamoDB table,
an API Gateway resource and method (+ two invoke permissions) and an Errors alarm. The Duration
alarm of every function lives in the *next* stack (the last stack's in itself), a monitoring
pattern common in monorepos: the assembly is one graph connected by cross-stack exports and
imports, the hard case for splitting work across processes.

Properties vary with the index (retention set or not, PITR or not, public access block or not,
a wildcard statement every few functions) so checks find a realistic mix of defects.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aws_cdk import App, Duration, RemovalPolicy, Stack, Stage, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_dynamodb as ddb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

HANDLER = Path(__file__).resolve().parent / "lambda"

CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
    "aws:cdk:disable-stack-trace": True,
}


class ServiceStack(Stack):
    def __init__(self, scope, cid: str, *, index: int, functions: int, **kw) -> None:
        super().__init__(scope, cid, **kw)
        self.functions: list[lambda_.Function] = []
        bucket = s3.Bucket(
            self, "Data",
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL if index % 3 else None,
            removal_policy=RemovalPolicy.RETAIN,
            versioned=index % 2 == 0,
        )
        api = apigw.RestApi(
            self, "Api", rest_api_name=f"service-{index:02d}",
            deploy_options=apigw.StageOptions(
                stage_name="prod", throttling_rate_limit=100 if index % 2 else None,
                throttling_burst_limit=200 if index % 2 else None),
        )
        widgets = []
        for j in range(functions):
            table = ddb.Table(
                self, f"Table{j:02d}",
                partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True) if j % 2 else None,
                removal_policy=RemovalPolicy.RETAIN if j % 4 else RemovalPolicy.DESTROY,
            )
            log_group = logs.LogGroup(
                self, f"Fn{j:02d}Logs",
                retention=logs.RetentionDays.ONE_MONTH if j % 3 else None,
                removal_policy=RemovalPolicy.RETAIN,
            )
            fn = lambda_.Function(
                self, f"Fn{j:02d}",
                runtime=lambda_.Runtime.PYTHON_3_12,
                handler="handler.main",
                code=lambda_.Code.from_asset(str(HANDLER)),
                timeout=Duration.seconds(10 if j % 5 else 900),
                memory_size=256,
                log_group=log_group,
                environment={"TABLE": table.table_name, "BUCKET": bucket.bucket_name},
            )
            table.grant_read_write_data(fn)
            bucket.grant_read(fn)
            if j % 7 == 0:
                fn.add_to_role_policy(iam.PolicyStatement(
                    actions=["s3:PutObjectAcl", "sns:Publish"], resources=["*"]))
            resource = api.root.add_resource(f"fn{j:02d}")
            resource.add_method("GET", apigw.LambdaIntegration(fn), api_key_required=j % 2 == 0)
            errors = fn.metric_errors(period=Duration.minutes(5))
            cw.Alarm(self, f"Fn{j:02d}Errors", metric=errors, threshold=1,
                     evaluation_periods=1)
            widgets.append(cw.GraphWidget(title=f"fn{j:02d}", left=[errors]))
            self.functions.append(fn)
        cw.Dashboard(self, "Dashboard", widgets=[widgets])
        Tags.of(self).add("Owner", f"team-{index % 5}")
        if index % 4:
            Tags.of(self).add("Environment", "prod")


def build(app: App, stacks: int, functions: int) -> None:
    stage = Stage(app, "Prod")
    services = [ServiceStack(stage, f"Service{i:02d}", index=i, functions=functions)
                for i in range(stacks)]
    # Duration alarms for stack i's functions live in stack i+1 (the last stack watches its
    # own): cross-stack references, so the whole assembly is one connected graph.
    for i, svc in enumerate(services):
        watcher = services[min(i + 1, stacks - 1)]
        for j, fn in enumerate(svc.functions):
            cw.Alarm(watcher, f"Watch{i:02d}Fn{j:02d}Duration",
                     metric=fn.metric_duration(period=Duration.minutes(5)),
                     threshold=5000, evaluation_periods=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks", type=int, required=True)
    parser.add_argument("--functions", type=int, required=True)
    parser.add_argument("--outdir", required=True)
    args = parser.parse_args()
    app = App(outdir=str(Path(args.outdir).resolve()), context=CLI_CONTEXT)
    build(app, args.stacks, args.functions)
    app.synth()


if __name__ == "__main__":
    main()
