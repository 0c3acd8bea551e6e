"""Real CDK output (tests/fixtures/data_services_app, see its app.py): public canned ACLs
(CC-S3-004), S3 origins of CloudFront (CC-CF-011), server access logging (CC-S3-005, opt-in),
RDS minor version upgrades (CC-RDS-010) and parameter-group TLS (CC-RDS-011) as aws-cdk-lib
synthesizes them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import collect_checks, scan

APP = Path(__file__).resolve().parents[1] / "fixtures" / "data_services_app" / "cdk.out"
RULES = ("CC-S3-004", "CC-S3-005", "CC-CF-011", "CC-RDS-010", "CC-RDS-011")


@cache
def findings(pack: str = "recommended") -> tuple:
    result = scan([APP], checks=collect_checks(Config(), packs=[pack]), jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id in RULES)


def shape(f) -> tuple:
    return (f.rule_id, f.severity, f.stack, f.logical_id)


def test_exact_findings_of_the_default_pack():
    assert sorted(shape(f) for f in findings()) == [
        # OAC (Cdn), OAI (LegacyCdn) and the website origin pass; with_bucket_defaults does not
        ("CC-CF-011", "warning", "Storage", "OpenCdn7803097B"),
        # RDS's default (true) is info; an explicit false is a warning
        ("CC-RDS-010", "info", "Database", "EngineDefault4F87CDD4"),
        ("CC-RDS-010", "info", "Database", "ForcedCF392AFB"),
        ("CC-RDS-010", "info", "Database", "Optional99D167FD"),
        ("CC-RDS-010", "warning", "Database", "PinnedA72699A1"),
        # postgres16 without rds.force_ssl relies on the engine default (1): info;
        # Forced (1) passes, Pinned (the default parameter group) is not judged
        ("CC-RDS-011", "info", "Database", "EngineDefault4F87CDD4"),
        ("CC-RDS-011", "warning", "Database", "Optional99D167FD"),
        # ACLs enabled and Block Public Access off for ACLs: public; with the defaults S3 refuses it
        ("CC-S3-004", "error", "Storage", "PublicAclE679141F"),
        ("CC-S3-004", "warning", "Storage", "RefusedAcl4D506B61"),
    ]


def test_access_logging_is_opt_in_and_spares_the_log_destination():
    assert not [f for f in findings() if f.rule_id == "CC-S3-005"]
    logged = sorted(f.logical_id for f in findings("all") if f.rule_id == "CC-S3-005")
    # Data logs to AccessLogs: neither is reported; every other bucket is
    assert logged == ["Anonymous9EBD45FA", "LegacyFA07BB5D", "PublicAclE679141F",
                      "RefusedAcl4D506B61", "SiteE53D7754", "Website32962D0B"]


def test_messages_state_why_the_acl_is_public_or_refused():
    by = {(f.rule_id, f.logical_id): f for f in findings()}
    assert by["CC-S3-004", "PublicAclE679141F"].message == (
        "Bucket PublicAclE679141F is public through its ACL: AccessControl is a public canned "
        "ACL, ACLs are enabled (ObjectOwnership) and Block Public Access does not block or "
        "ignore public ACLs")
    assert "ObjectOwnership BucketOwnerEnforced, the default since April 2023" in by[
        "CC-S3-004", "RefusedAcl4D506B61"].message
    assert by["CC-CF-011", "OpenCdn7803097B"].message == (
        "Distribution OpenCdn7803097B reads an S3 bucket without signing its requests: an S3 "
        "origin has neither OriginAccessControlId nor an OriginAccessIdentity (CloudFront "
        "reads the bucket anonymously)")


def test_rds_messages_name_the_parameter_and_the_default():
    by = {(f.rule_id, f.logical_id): f for f in findings()}
    assert by["CC-RDS-011", "Optional99D167FD"].message == (
        "DB instance Optional99D167FD accepts connections without TLS: its parameter group "
        "(PostgreSQL or SQL Server) does not set rds.force_ssl to 1 (the engine default is 0 "
        "before PostgreSQL 15 and on SQL Server)")
    assert by["CC-RDS-011", "EngineDefault4F87CDD4"].message == (
        "DB instance EngineDefault4F87CDD4's parameter group does not set rds.force_ssl; the "
        "engine default of PostgreSQL 15 and later (1) requires TLS: declare it so the intent "
        "is visible")
    assert by["CC-RDS-010", "PinnedA72699A1"].message == (
        "DB instance PinnedA72699A1 does not receive minor version upgrades: "
        "AutoMinorVersionUpgrade is false (security fixes in minor versions are not applied)")
