"""Network and compute: VPC, ALB (HTTPS + redirect), ECS cluster (EC2 capacity + Fargate), ECR, bastion.

True defect by design (see AUDIT.md): the bastion host accepts SSH from 0.0.0.0/0.
"""
from aws_cdk import (
    Aspects,
    Duration,
    Stack,
    aws_autoscaling as autoscaling,
    aws_certificatemanager as acm,
    aws_ec2 as ec2,
    aws_ecr as ecr,
    aws_ecs as ecs,
    aws_elasticloadbalancingv2 as elbv2,
    aws_logs as logs,
)
from constructs import Construct

from .config import StageConfig


class NetworkStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        self.vpc = ec2.Vpc(
            self, "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.20.0.0/16" if config.is_prod else "10.10.0.0/16"),
            max_azs=2,
            nat_gateways=2 if config.is_prod else 1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                logs.LogGroup(
                    self, "FlowLogGroup",
                    retention=logs.RetentionDays.ONE_MONTH,
                    removal_policy=config.removal_policy,
                ),
            ),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )

        # ------------------------------------------------------------------ ECR
        self.repository = ecr.Repository(
            self, "ServiceRepository",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            lifecycle_rules=[ecr.LifecycleRule(max_image_count=20)],
            removal_policy=config.removal_policy,
            empty_on_delete=not config.is_prod,
        )

        # ------------------------------------------------------------------ ECS
        self.cluster = ecs.Cluster(
            self, "Cluster",
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        # EC2 capacity for the batch workers (cheaper for steady load than Fargate).
        self.cluster.add_capacity(
            "WorkerCapacity",
            instance_type=ec2.InstanceType("t3.medium"),
            machine_image=ecs.EcsOptimizedImage.amazon_linux2023(),
            min_capacity=1,
            max_capacity=4 if config.is_prod else 2,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        # add_capacity() has no require_imdsv2 option; the aspect is the documented way.
        Aspects.of(self.cluster).add(autoscaling.AutoScalingGroupRequireImdsv2Aspect())

        task = ecs.FargateTaskDefinition(self, "WebTask", cpu=512, memory_limit_mib=1024)
        task.add_container(
            "web",
            image=ecs.ContainerImage.from_ecr_repository(self.repository, "1.4.2"),
            port_mappings=[ecs.PortMapping(container_port=8080)],
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="web",
                log_group=logs.LogGroup(
                    self, "WebLogGroup",
                    retention=logs.RetentionDays.ONE_MONTH,
                    removal_policy=config.removal_policy,
                ),
            ),
            environment={"STAGE": config.env_name},
            readonly_root_filesystem=True,
        )
        self.web_service = ecs.FargateService(
            self, "WebService",
            cluster=self.cluster,
            task_definition=task,
            desired_count=2 if config.is_prod else 1,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            enable_execute_command=True,  # on-call shell access (ECS Exec)
            min_healthy_percent=100,
        )

        # ------------------------------------------------------------------ ALB
        self.alb = elbv2.ApplicationLoadBalancer(
            self, "PublicAlb",
            vpc=self.vpc,
            internet_facing=True,
            drop_invalid_header_fields=True,
        )
        certificate = acm.Certificate.from_certificate_arn(
            self, "Certificate", self.node.get_context(config.certificate_arn_context_key),
        )
        https = self.alb.add_listener(
            "Https",
            port=443,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
        )
        https.add_targets(
            "Web",
            port=8080,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.web_service],
            health_check=elbv2.HealthCheck(path="/healthz", interval=Duration.seconds(30)),
            deregistration_delay=Duration.seconds(30),
        )
        self.alb.add_redirect(source_port=80, target_port=443)

        # -------------------------------------------------------------- bastion
        self.bastion = ec2.BastionHostLinux(
            self, "Bastion",
            vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            require_imdsv2=True,
        )
        # TRUE DEFECT: SSH from anywhere (someone's "temporary" fix; the bastion is
        # meant to be reached through Session Manager).
        self.bastion.allow_ssh_access_from(ec2.Peer.any_ipv4())
