"""End to end on the committed sample assemblies: exact findings of the engine-owned policies
(CC-S3-001, CC-LOGS-001, CC-RET-001, CC-DDB-001, CC-LAMBDA-001/002) through ``engine.scan``,
the same path ``cfncheck scan`` takes (stages, construct paths, file and line)."""

from __future__ import annotations

from functools import cache

import pytest

from cfncheck.config import Config
from cfncheck.engine import scan
from cfncheck.policy.loader import builtin_dir, load_policy_file
from tests.samples import DEFECTIVE, FIXED

NAMES = ("s3/block_public_access", "logs/kms_encryption", "general/retain_stateful_prod",
         "dynamodb/pitr", "lambda/timeout", "lambda/api_timeout")
IDS = {"CC-S3-001", "CC-LOGS-001", "CC-RET-001", "CC-DDB-001", "CC-LAMBDA-001", "CC-LAMBDA-002"}


@cache
def findings(path):
    checks = [load_policy_file(builtin_dir() / f"{n}.yaml") for n in NAMES]
    result = scan([path], Config(), checks=checks)
    assert not result.errors
    return result.findings


def rows(found, stage):
    return [(f.rule_id, f.stack, f.logical_id, f.construct_path, f.file.rsplit("/", 1)[-1],
             f.line, f.key, f.severity) for f in found if f.stage == stage]


API = "ProdApi2466CF1F.template.json"
NESTED = "ProdApiStorageDD1EDF8B.nested.template.json"

PROD = [
    ("CC-S3-001", "Prod/Api", "DataBucketE3889A50", "Prod/Api/DataBucket/Resource", API, 9,
     "Properties.PublicAccessBlockConfiguration.BlockPublicAcls", "error"),
    ("CC-RET-001", "Prod/Api", "DataBucketE3889A50", "Prod/Api/DataBucket/Resource", API, 16,
     "DeletionPolicy", "error"),
    ("CC-DDB-001", "Prod/Api", "OrdersTable315BB997", "Prod/Api/OrdersTable/Resource", API, 186,
     "Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "error"),
    ("CC-RET-001", "Prod/Api", "OrdersTable315BB997", "Prod/Api/OrdersTable/Resource", API, 203,
     "DeletionPolicy", "error"),
    ("CC-LOGS-001", "Prod/Api", "OrdersApiLogGroup0E78A56E",
     "Prod/Api/OrdersApiLogGroup/Resource", API, 274, "Properties.KmsKeyId", "info"),
    ("CC-RET-001", "Prod/Api", "OrdersApiLogGroup0E78A56E",
     "Prod/Api/OrdersApiLogGroup/Resource", API, 278, "DeletionPolicy", "error"),
    ("CC-LAMBDA-002", "Prod/Api", "OrdersApiFunctionF46D4A7F",
     "Prod/Api/OrdersApiFunction/Resource", API, 414, "Properties.Timeout", "error"),
    ("CC-LAMBDA-002", "Prod/Api", "ReportFunction3CBC8DF1", "Prod/Api/ReportFunction/Resource",
     API, 530, "Properties.Timeout", "error"),
    ("CC-LOGS-001", "Prod/Api", "ReportFunctionLogRetentionD61715D5",
     "Prod/Api/ReportFunction/LogRetention/Resource", API, 552, "Properties.LogGroupName",
     "info"),
    ("CC-LOGS-001", "Prod/Api", "WorkerLogGroup31FDBE4A", "Prod/Api/WorkerLogGroup/Resource",
     API, 674, "Properties.KmsKeyId", "info"),
    ("CC-RET-001", "Prod/Api", "WorkerLogGroup31FDBE4A", "Prod/Api/WorkerLogGroup/Resource",
     API, 678, "DeletionPolicy", "error"),
    ("CC-LAMBDA-001", "Prod/Api", "WorkerFunctionACE6A4B0", "Prod/Api/WorkerFunction/Resource",
     API, 798, "Properties.Timeout", "warning"),
    ("CC-LOGS-001", "Prod/Api", "ApiAccessLogsE9DF007D", "Prod/Api/ApiAccessLogs/Resource", API,
     869, "Properties.KmsKeyId", "info"),
    ("CC-RET-001", "Prod/Api", "ApiAccessLogsE9DF007D", "Prod/Api/ApiAccessLogs/Resource", API,
     872, "DeletionPolicy", "error"),
    ("CC-DDB-001", "Prod/Api/Storage", "AuditTableB07F8EEB",
     "Prod/Api/Storage/AuditTable/Resource", NESTED, 5,
     "Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", "error"),
    ("CC-RET-001", "Prod/Api/Storage", "AuditTableB07F8EEB",
     "Prod/Api/Storage/AuditTable/Resource", NESTED, 29, "DeletionPolicy", "error"),
    ("CC-RET-001", "Prod/Api/Storage", "EventsQueueB96EB0D2",
     "Prod/Api/Storage/EventsQueue/Resource", NESTED, 41, "DeletionPolicy", "error"),
]


def test_defective_prod_exact_findings():
    assert rows(findings(DEFECTIVE), "prod") == PROD


def test_defective_dev_same_defects_except_retain():
    dev = rows(findings(DEFECTIVE), "dev")
    assert not [r for r in dev if r[0] == "CC-RET-001"]  # Dev may Delete
    expected = {(r[0], r[2]) for r in PROD if r[0] != "CC-RET-001"}
    assert {(r[0], r[2]) for r in dev} == expected
    assert {r[1] for r in dev} == {"Dev/Api", "Dev/Api/Storage"}


def test_fixed_has_no_findings():
    assert findings(FIXED) == []


def test_messages():
    by = {(f.rule_id, f.logical_id): f.message for f in findings(DEFECTIVE) if f.stage == "prod"}
    assert by[("CC-S3-001", "DataBucketE3889A50")] == (
        "Bucket DataBucketE3889A50 does not block all public access: "
        "Properties.PublicAccessBlockConfiguration.BlockPublicAcls is false, expected true; "
        "Properties.PublicAccessBlockConfiguration.BlockPublicPolicy is false, expected true; "
        "Properties.PublicAccessBlockConfiguration.IgnorePublicAcls is false, expected true; "
        "Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets is false, expected true")
    assert by[("CC-RET-001", "OrdersTable315BB997")] == (
        "AWS::DynamoDB::Table OrdersTable315BB997 is not retained in prod: DeletionPolicy is "
        '"Delete", expected one of ["Retain","RetainExceptOnCreate"]; UpdateReplacePolicy is '
        '"Delete", expected one of ["Retain"]')
    assert by[("CC-LAMBDA-001", "WorkerFunctionACE6A4B0")] == (
        "Function WorkerFunctionACE6A4B0 has a timeout above the limit of its stage (15 s, "
        "stage: prod): Properties.Timeout is 900, expected <= 15")
    # one function, one timeout finding: the stage cap (CC-LAMBDA-001) is named in it
    assert by[("CC-LAMBDA-002", "ReportFunction3CBC8DF1")] == (
        "Function ReportFunction3CBC8DF1 serves a REST API but may run longer than the API "
        "Gateway integration timeout (29 s): Properties.Timeout is 300, expected <= 29; also "
        "CC-LAMBDA-001 (Lambda function timeouts stay within the stage limit): "
        "Properties.Timeout is 300, expected <= 15")
    assert ("CC-LAMBDA-001", "ReportFunction3CBC8DF1") not in by
    assert by[("CC-DDB-001", "AuditTableB07F8EEB")] == (
        "Table AuditTableB07F8EEB has no point-in-time recovery: "
        "Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is absent")
    assert by[("CC-LOGS-001", "ReportFunctionLogRetentionD61715D5")].startswith(
        "Log group ReportFunctionLogRetentionD61715D5 is not encrypted with a customer managed "
        "KMS key: the log group is created by Lambda for Prod/Api/ReportFunction "
        "(aws_lambda.Function) at its first invocation and only its retention is managed "
        "(Custom::LogRetention")


def test_fingerprints_are_stable_and_distinct():
    found = [f for f in findings(DEFECTIVE)]
    fps = [f.fingerprint for f in found]
    assert len(set(fps)) == len(fps)
    again = [f.fingerprint for f in scan([DEFECTIVE], Config(), checks=[
        load_policy_file(builtin_dir() / f"{n}.yaml") for n in NAMES]).findings]
    assert sorted(again) == sorted(fps)


@pytest.mark.parametrize("override, expected", [
    ({"max_timeout": {"default": 1000}}, set()),
    ({"max_timeout": {"default": 30, "prod": 500}}, {"WorkerFunctionACE6A4B0",
                                                     "OrdersApiFunctionF46D4A7F"}),
])
def test_config_overrides_parameters_per_stage(override, expected):
    found = scan([DEFECTIVE], Config({"parameters": {"CC-LAMBDA-001": override}}),
                 checks=[load_policy_file(builtin_dir() / "lambda/timeout.yaml")]).findings
    assert {f.logical_id for f in found if f.stage == "prod"} == expected


def test_the_full_cli_scan_reports_these_findings():
    import json

    from typer.testing import CliRunner

    from cfncheck.cli import app

    r = CliRunner().invoke(app, ["scan", str(DEFECTIVE), "-f", "json"])
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    got = [(f["rule_id"], f["stack"], f["logical_id"], f["construct_path"],
            f["file"].rsplit("/", 1)[-1], f["line"], f["key"], f["severity"])
           for f in data["findings"] if f["rule_id"] in IDS and f["stage"] == "prod"]
    # the full default pack: CC-LAMBDA-001 is opt-in (not run); the API handlers' timeouts
    # are CC-LAMBDA-002's
    default = [r for r in PROD if r[0] != "CC-LAMBDA-001"]
    assert sorted(got) == sorted(default)
    r = CliRunner().invoke(app, ["scan", str(FIXED), "-f", "json"])
    data = json.loads(r.stdout)
    assert [f for f in data["findings"] if f["rule_id"] in IDS] == []
