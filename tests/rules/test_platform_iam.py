"""The IAM rules on the platform fixture (sample_templates/platform, audited in
sample_templates/platform_app/AUDIT.md): exactly the findings the audit calls true, the false
ones gone or at info naming the construct that wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfncheck.engine import scan

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "sample_templates" / "platform" / "cdk.out"
IAM_RULES = ("W9101", "W9102", "W9103", "E9104", "E9105", "W9106")


@pytest.fixture(scope="module")
def platform():
    if not PLATFORM.is_dir():
        pytest.skip("sample_templates/platform is not on this branch yet")
    from cfncheck.config import Config
    from cfncheck.engine import collect_checks

    checks = [c for c in collect_checks(Config(), ())
              if c.info.id in IAM_RULES or c.info.id == "CC-LAMBDA-004"]
    result = scan([PLATFORM], checks=checks)
    assert result.errors == []
    return result.findings


def test_exact_iam_findings(platform):
    """Audit W-W9101, W-W9102-bastion, W-W9102-ecs: class 6 (library-generated), info with
    the writer; the bastion statement is one finding (W9101 takes it, W9102 does not repeat
    it). E-5 (InvokedViaFunctionUrl) and E-7 (CDK's default EFS policy) are gone."""
    got = sorted((f.stack, f.rule_id, f.logical_id, f.severity, _writer(f.message))
                 for f in platform if f.rule_id in IAM_RULES)
    expected = []
    for stage in ("Dev", "Prod"):
        expected += [
            (f"{stage}/Data", "W9102",
             "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB",
             "info", f"aws-cdk-lib.aws_logs.LogRetention (log_retention=) at {stage}/Data/"
             "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"),
            (f"{stage}/Network", "W9101", "BastionInstanceRoleDefaultPolicy457C3156", "info",
             f"aws-cdk-lib.aws_ec2.BastionHostLinux (BastionHostLinux) at {stage}/Network/Bastion"),
            (f"{stage}/Network", "W9102", "ClusterWorkerCapacityInstanceRoleDefaultPolicyFF147581",
             "info", f"aws-cdk-lib.aws_ecs.Cluster (Cluster.add_capacity) at {stage}/Network/"
             "Cluster"),
        ]
    assert got == sorted(expected)


def test_the_public_webhook_url_is_one_finding_per_stage(platform):
    """Audit E-5/E-6: the function URL with AuthType NONE is reported once per stage (on the
    URL, by CC-LAMBDA-004), its two permissions not at all."""
    webhook = sorted((f.stack, f.rule_id, f.logical_id) for f in platform
                     if "WebhookHandler" in (f.logical_id or ""))
    assert [(stack, rule) for stack, rule, _ in webhook] == [
        ("Dev/Api", "CC-LAMBDA-004"), ("Prod/Api", "CC-LAMBDA-004")]


def _writer(message: str) -> str | None:
    start = message.rfind(" (written by ")
    return message[start + 13:].removesuffix("; reported at info level)") if start >= 0 \
        else None
