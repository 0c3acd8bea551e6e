"""The service policies of issue 15 on the platform fixture (sample_templates/platform/cdk.out).

The app is built with aws-cdk-lib defaults and sensible settings plus planted defects
(sample_templates/platform_app/AUDIT.md). Of the services it uses beyond serverless (VPC,
security groups, EC2, ALB, ECS, ECR, RDS, EFS, Secrets Manager, KMS, CodeBuild), the owner
agrees with exactly these findings: SSH open to the world on the bastion (T-1, error), no ALB
access logs (warning) and no ALB deletion protection in Prod (warning), and ECR's default
AES-256 encryption stated at info. Everything the AUDIT lists as sensible must stay quiet.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import scan

APP = Path(__file__).resolve().parents[2] / "sample_templates" / "platform" / "cdk.out"
PREFIXES = ("CC-EC2-", "CC-VPC-", "CC-ELB-", "CC-RDS-", "CC-SECRETS-", "CC-EFS-", "CC-KMS-",
            "CC-SM-", "CC-ECR-", "CC-ECS-", "CC-CB-", "CC-TRAIL-", "CC-ELASTICACHE-", "CC-OS-",
            "CC-REDSHIFT-", "CC-KINESIS-", "CC-DOCDB-", "CC-NEPTUNE-", "CC-MQ-", "CC-DMS-",
            "CC-COGNITO-", "CC-MSK-", "CC-APPSYNC-", "CC-SFN-", "CC-FIREHOSE-", "CC-BACKUP-",
            "CC-SAGEMAKER-")
OPT_IN = ("CC-RDS-006", "CC-ECR-002")

EXPECTED = sorted([
    # T-1: bastion.allow_ssh_access_from(Peer.any_ipv4())
    ("CC-EC2-001", "Dev/Network", "BastionInstanceSecurityGroup71C3847E", "error"),
    ("CC-EC2-001", "Prod/Network", "BastionInstanceSecurityGroup71C3847E", "error"),
    # AUDIT: "acceptable true warnings: no access logs, deletion protection off (Prod)"
    ("CC-ELB-004", "Dev/Network", "PublicAlb84330974", "warning"),
    ("CC-ELB-004", "Prod/Network", "PublicAlb84330974", "warning"),
    ("CC-ELB-005", "Prod/Network", "PublicAlb84330974", "warning"),
    # ECR encrypts with AES-256 by default: a customer managed key is hardening, info
    ("CC-ECR-003", "Dev/Network", "ServiceRepository46595ECE", "info"),
    ("CC-ECR-003", "Prod/Network", "ServiceRepository46595ECE", "info"),
])


@cache
def findings(enable: tuple = ()) -> tuple:
    config = Config({"rules": {"enable": list(enable)}} if enable else {})
    result = scan([APP], config, jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id.startswith(PREFIXES))


def rows(found) -> list:
    return sorted((f.rule_id, f.stack, f.logical_id, f.severity) for f in found)


def test_exact_service_findings_on_the_platform_app():
    assert rows(findings()) == EXPECTED


def test_opt_in_preferences_stay_quiet_on_sensible_settings():
    # the repository has immutable tags; the database uses a rotated generated secret and no
    # IAM auth, which the opt-in preference reports only when a team enables it
    assert sorted(set(rows(findings(OPT_IN))) - set(EXPECTED)) == [
        ("CC-RDS-006", "Dev/Data", "DatabaseB269D8BB", "warning"),
        ("CC-RDS-006", "Prod/Data", "DatabaseB269D8BB", "warning"),
    ]


def test_ssh_finding_states_the_fact():
    (f,) = [f for f in findings() if f.rule_id == "CC-EC2-001" and f.stack == "Prod/Network"]
    assert f.message == (
        "Security group BastionInstanceSecurityGroup71C3847E is open to the internet on an "
        "administration port: an ingress rule allows SSH (22), RDP (3389) or all traffic from "
        "anywhere (0.0.0.0/0 or ::/0)")
    assert f.construct_path == "Prod/Network/Bastion/Resource/InstanceSecurityGroup/Resource"


def test_sensible_settings_are_quiet():
    quiet = {f.logical_id for f in findings()}
    for lid in ("PublicAlbSecurityGroup66576C5F",       # 80/443 from anywhere on a public ALB
                "PublicAlbRedirect80To443AFFBE3E1",      # HTTP listener redirecting to HTTPS
                "PublicAlbHttpsDC58202E",                # TLS13-1-2-2021-06
                "Bastion6045F255", "BastionLaunchTemplateFB9A7A66",
                "ClusterWorkerCapacityLaunchTemplateABA0247C",   # IMDSv2 required
                "Vpc8378EB38", "ClusterEB0386A7", "WebTask51ED7374",
                "DatabaseB269D8BB", "SharedFiles05D4D94A", "DataKey17AFBB84", "Build45A36621"):
        assert lid not in quiet, lid
