"""Delivery: CodePipeline (S3 source -> CodeBuild -> CodeDeploy) and a canary-deployed worker.

This stack is deliberately left without Environment/Owner tags (tag grouping).
True defect by design (see AUDIT.md): the worker's canary deployment group has no
alarms, so CodeDeploy cannot roll a bad version back.
"""
from aws_cdk import (
    Duration,
    Stack,
    aws_codebuild as codebuild,
    aws_codedeploy as codedeploy,
    aws_codepipeline as codepipeline,
    aws_codepipeline_actions as actions,
    aws_dynamodb as dynamodb,
    aws_lambda as lambda_,
    aws_s3 as s3,
)
from constructs import Construct

from .bundling import bundled_code
from .config import StageConfig


class DeliveryStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # ------------------------------------------------ canary-deployed worker
        worker = lambda_.Function(
            self, "WorkerFunction",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="handler.handler",
            code=bundled_code("worker", lambda_.Runtime.PYTHON_3_13),
            timeout=Duration.seconds(60),
            environment={"STAGE": config.env_name},
        )
        releases = dynamodb.TableV2(
            self, "ReleasesTable",
            partition_key=dynamodb.Attribute(name="release", type=dynamodb.AttributeType.STRING),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
            ),
            removal_policy=config.removal_policy,
        )
        releases.grant_write_data(worker)
        worker.add_environment("RELEASES_TABLE", releases.table_name)
        alias = lambda_.Alias(self, "WorkerLive", alias_name="live", version=worker.current_version)
        codedeploy.LambdaDeploymentGroup(
            self, "WorkerDeployment",
            alias=alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
            # TRUE DEFECT: no alarms -> nothing can trigger the automatic rollback.
        )

        # ------------------------------------------------------------- pipeline
        source_bucket = s3.Bucket(
            self, "SourceBucket",
            versioned=True,  # required by the S3 source action
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            removal_policy=config.removal_policy,
        )
        build = codebuild.PipelineProject(
            self, "Build",
            environment=codebuild.BuildEnvironment(
                build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                compute_type=codebuild.ComputeType.SMALL,
            ),
            build_spec=codebuild.BuildSpec.from_object({
                "version": "0.2",
                "phases": {
                    "install": {"runtime-versions": {"python": "3.12"}},
                    "build": {"commands": ["pip install -r requirements.txt", "python -m pytest -q",
                                           "python -m build --outdir dist"]},
                },
                "artifacts": {"files": ["appspec.yml", "dist/**/*", "scripts/**/*"]},
            }),
            timeout=Duration.minutes(20),
        )
        application = codedeploy.ServerApplication(self, "LegacyApp")
        deployment_group = codedeploy.ServerDeploymentGroup(
            self, "LegacyFleet",
            application=application,
            ec2_instance_tags=codedeploy.InstanceTagSet({"app": ["legacy-reports"], "stage": [config.env_name]}),
            deployment_config=codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME,
            install_agent=True,
        )

        source_output = codepipeline.Artifact("Source")
        build_output = codepipeline.Artifact("Build")
        codepipeline.Pipeline(
            self, "Pipeline",
            pipeline_type=codepipeline.PipelineType.V2,
            restart_execution_on_update=True,
            stages=[
                codepipeline.StageProps(stage_name="Source", actions=[
                    actions.S3SourceAction(
                        action_name="Source", bucket=source_bucket, bucket_key="legacy-reports/source.zip",
                        output=source_output, trigger=actions.S3Trigger.EVENTS,
                    ),
                ]),
                codepipeline.StageProps(stage_name="Build", actions=[
                    actions.CodeBuildAction(action_name="Build", project=build, input=source_output,
                                            outputs=[build_output]),
                ]),
                codepipeline.StageProps(stage_name="Deploy", actions=[
                    actions.CodeDeployServerDeployAction(action_name="Deploy", input=build_output,
                                                         deployment_group=deployment_group),
                ]),
            ],
        )
