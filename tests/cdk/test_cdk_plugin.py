"""cfncheck.cdk: the CDK policy-validation plugin inside a real synthesis, and suppress().

The app in tests/cdk/app (Stages Dev and Prod, an Api stack with a nested Storage stack) is
synthesized twice in subprocesses, as ``cdk synth`` runs it (working directory = the app folder,
``CDK_OUTDIR`` set): the defective variant through ``App(policy_validation_beta1=[...])``, the
fixed variant through ``Validations.of(app).add_plugins(...)``. Both run concurrently (~10 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk")

from cfncheck.config import load_config  # noqa: E402
from cfncheck.engine import scan  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
APP = Path(__file__).resolve().parent / "app"
API_STACK = APP / "orders" / "api_stack.py"
STORAGE = APP / "orders" / "storage.py"
UPLOADS = 's3.Bucket(self, "UploadsBucket"'
STORAGE_ID = 'StorageStack(self, "Storage"'


def line_of(path: Path, needle: str) -> int:
    """1-based line of the only line of ``path`` containing ``needle``."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


@pytest.fixture(scope="module")
def synths(tmp_path_factory):
    out = tmp_path_factory.mktemp("cdk")
    procs = {}
    for variant, register in (("defective", "beta1"), ("fixed", "validations")):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update(CDK_OUTDIR=str(out / variant), CFNCHECK_VARIANT=variant,
                   CFNCHECK_REGISTER=register)
        procs[variant] = subprocess.Popen([sys.executable, "app.py"], cwd=APP, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True)
    results = {}
    for variant, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=240)
        report_file = out / variant / "validation-report.json"
        report = json.loads(report_file.read_text()) if report_file.exists() else None
        results[variant] = {"rc": proc.returncode, "stderr": stderr, "stdout": stdout,
                            "report": report, "outdir": out / variant}
    return results


def cfncheck_report(report: dict | None) -> dict | None:
    if report is None:
        return None
    mine = [r for r in report["pluginReports"] if r["pluginName"] == "cfncheck"]
    assert len(mine) <= 1
    return mine[0] if mine else None


def flat(plugin_report: dict) -> list[dict]:
    """One row per (violation, construct)."""
    rows = []
    for v in plugin_report["violations"]:
        for c in v["violatingConstructs"]:
            rows.append({**v, "construct": c})
    return rows


def test_defective_synth_fails_with_violations_in_every_stage(synths):
    d = synths["defective"]
    assert d["rc"] != 0, "errors must fail the synth"
    assert "ValidationFailed" in d["stderr"]
    rep = cfncheck_report(d["report"])
    assert rep["conclusion"] == "failure"
    assert rep["pluginVersion"]
    rows = flat(rep)
    errors = sorted((r["ruleName"], r["construct"]["constructPath"]) for r in rows
                    if r["severity"] == "error")
    assert errors == [
        ("CC-DDB-001", "Dev/Api/OrdersTable/Resource"),  # no point-in-time recovery
        ("CC-DDB-001", "Dev/Api/Storage/Archive/Table/Resource"),
        ("CC-DDB-001", "Prod/Api/OrdersTable/Resource"),
        ("CC-DDB-001", "Prod/Api/Storage/Archive/Table/Resource"),
        # DeletionPolicy Delete: an error in the Prod Stage only (stage from the CDK Stage)
        ("CC-RET-001", "Prod/Api/OrdersTable/Resource"),
        # (CC-S3-001 on UploadsBucket is info: it relies on S3's Block Public Access default)
        ("CC-S3-002", "Dev/Api/UploadsBucket/Resource"),
        ("CC-S3-002", "Prod/Api/UploadsBucket/Resource"),
    ]
    s3_002 = next(r for r in rows if r["ruleName"] == "CC-S3-002"
                  and r["construct"]["constructPath"].startswith("Prod/"))
    assert s3_002["description"].startswith("S3 buckets deny requests that do not use TLS: "
                                            "S3 bucket accepts requests over plain HTTP "
                                            "(AWS::S3::Bucket UploadsBucket5E5E9B64)")
    s3_002_fix = next(r["suggestedFix"] for r in rows if r["ruleName"] == "CC-S3-002"
                      and r.get("suggestedFix"))  # given once per rule
    assert "enforce_ssl=True" in s3_002_fix
    assert s3_002["ruleMetadata"]["fix"].startswith("Set `enforce_ssl=True` on the bucket")
    assert s3_002["construct"]["cloudFormationResource"]["templatePath"] == \
        "assembly-Prod/ProdApi2466CF1F.template.json"
    assert s3_002["construct"]["cloudFormationResource"]["logicalId"] == "UploadsBucket5E5E9B64"
    assert s3_002["construct"]["constructFqn"] == "aws-cdk-lib.aws_s3.CfnBucket"
    assert s3_002["ruleMetadata"]["stage"] == "prod"
    assert s3_002["ruleMetadata"]["stack"] == "Prod/Api"
    # the nested stack of each Stage is checked too
    nested = {r["construct"]["constructPath"] for r in rows
              if r["construct"]["cloudFormationResource"]["templatePath"].endswith(
                  ".nested.template.json")}
    assert nested == {"Dev/Api/Storage/Archive/Table/Resource",
                      "Prod/Api/Storage/Archive/Table/Resource"}
    # warnings are reported but are not what fails the synth
    assert {r["severity"] for r in rows} == {"error", "warning", "info"}
    assert rep["metadata"]["failing"] == str(len(errors))
    # CDK's printed report names the rule, the construct path and the fix
    assert "Prod/Api/UploadsBucket/Resource (UploadsBucket5E5E9B64)" in d["stderr"]
    assert "Acknowledge with 'cfncheck::CC-S3-002'" in d["stderr"]


def test_plugin_findings_equal_cfncheck_scan(synths):
    d = synths["defective"]
    rep = cfncheck_report(d["report"])
    result = scan([d["outdir"]], load_config(APP / ".cfncheck.yaml"), jobs=1)
    # a grouped finding is one violation listing each affected resource's construct; CDK's
    # own annotations (W9301, E9302) are reported by CDK itself
    expected = sorted((f.rule_id, cp, f.severity, " ".join(f"{f.title}: {f.message}".split()))
                      for f in result.findings if not f.suppressed
                      and f.rule_id not in ("W9301", "E9302")
                      for cp in ([m["construct_path"] for m in f.related] if f.related
                                 else [f.construct_path]))
    got = sorted((r["ruleName"], r["construct"]["constructPath"], r["severity"],
                  r["description"].split(" (source: ")[0]) for r in flat(rep))
    assert got == expected
    assert len(expected) >= 10
    suppressed = sorted((f.rule_id, f.construct_path, f.suppressed.source, f.suppressed.reason)
                        for f in result.findings if f.suppressed)
    listed = sorted(v for k, v in rep["metadata"].items() if k.startswith("suppressed."))
    assert len(listed) == len(suppressed) == int(rep["metadata"]["suppressed"])
    for (rule, cp, source, reason), text in zip(suppressed, listed, strict=True):
        assert text.startswith(f"{rule} {cp} [{source}]: {reason}")


def test_suppressed_findings_are_reported_with_their_reason(synths):
    rep = cfncheck_report(synths["defective"]["report"])
    md = rep["metadata"]
    listed = sorted(v for k, v in md.items() if k.startswith("suppressed."))
    assert listed == [
        "CC-S3-002 Dev/Api/WebsiteBucket/Resource [metadata]: served through CloudFront with "
        "an origin access control; reviewed by security (expires 2099-12-31)",
        "CC-S3-002 Prod/Api/WebsiteBucket/Resource [metadata]: served through CloudFront with "
        "an origin access control; reviewed by security (expires 2099-12-31)",
        "CC-S3-003 Dev/Api/UploadsBucket/Resource [config]: dev uploads bucket, SSE-S3 "
        "default is enough",
    ]
    assert md["config"] == str(APP / ".cfncheck.yaml")
    violated = {(r["ruleName"], r["construct"]["constructPath"]) for r in flat(rep)}
    assert ("CC-S3-002", "Prod/Api/WebsiteBucket/Resource") not in violated
    assert ("CC-S3-003", "Dev/Api/UploadsBucket/Resource") not in violated
    assert ("CC-S3-003", "Prod/Api/UploadsBucket/Resource") in violated


def test_source_line_points_at_the_python_app(synths):
    d = synths["defective"]
    rows = flat(cfncheck_report(d["report"]))

    def source(rule, cp):
        row = next(r for r in rows if r["ruleName"] == rule
                   and r["construct"]["constructPath"] == cp)
        return row["ruleMetadata"]["source"]

    bucket = f"tests/cdk/app/orders/api_stack.py:{line_of(API_STACK, UPLOADS)}"
    assert source("CC-S3-002", "Prod/Api/UploadsBucket/Resource") == bucket
    assert source("CC-S3-001", "Dev/Api/UploadsBucket/Resource") == bucket
    # inside the app's own construct class, in the nested stack: the Table(...) call line
    table = line_of(STORAGE, "dynamodb.Table(")
    assert source("CC-DDB-001", "Prod/Api/Storage/Archive/Table/Resource") == \
        f"tests/cdk/app/orders/storage.py:{table}"
    # CDK's name for the nested stack resource maps to StorageStack(self, "Storage", ...)
    # (CC-TAG-001 now reports the stack's missing tags once, at the stack: ask the map itself)
    from cfncheck.source_map import source_location

    api = next(s for s in scan([d["outdir"]], jobs=1).stacks if s.name == "Prod/Api")
    loc = source_location(api, "Prod/Api/Storage.NestedStack/Storage.NestedStackResource",
                          APP.parents[2], app_dir=APP)
    assert f"{loc['file']}:{loc['line']}" == \
        f"tests/cdk/app/orders/api_stack.py:{line_of(API_STACK, STORAGE_ID)}"
    # and the synth output shows it on the finding's line
    assert f"(source: {bucket}) (cfncheck)" in d["stderr"]


def test_printed_report_is_one_line_per_violation_with_each_fix_once(synths):
    d = synths["defective"]
    rep = cfncheck_report(d["report"])
    rows = flat(rep)
    rules = {r["ruleName"] for r in rows}
    # one line of description per violation, the remediation once per rule
    assert all("\n" not in r["description"] for r in rows)
    with_fix = [v for v in rep["violations"] if v.get("suggestedFix")]
    assert sorted(v["ruleName"] for v in with_fix) == sorted(rules)
    # CDK prints a violation's fix under each of its constructs (a grouped finding has several)
    assert d["stderr"].count("Suggested fix:") == sum(len(v["violatingConstructs"])
                                                      for v in with_fix)
    assert all(r["ruleMetadata"].get("fix") for r in rows)  # the first paragraph, for each
    # CDK prints errors first; the fix goes with the first one it prints of each rule
    severities = [r["severity"] for r in rep["violations"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    # a closing count after CDK's report
    summary = rep["metadata"]["summary"]
    assert summary.startswith(f"cfncheck: {len(rep['violations'])} findings (")
    assert f"of {len(rules)} checks in " in summary
    assert d["stderr"].rstrip().splitlines()[-1] == summary


def test_fixed_synth_is_clean(synths):
    f = synths["fixed"]
    assert f["rc"] == 0, f["stderr"][-3000:]
    assert cfncheck_report(f["report"]) is None  # CDK omits reports without violations
    assert "cfncheck" not in f["stderr"]
    # ... and cfncheck scan agrees; only the accepted (suppressed) findings remain
    result = scan([f["outdir"]], load_config(APP / ".cfncheck.yaml"), jobs=1)
    assert result.errors == []
    assert sorted((x.rule_id, x.construct_path) for x in result.findings) == [
        ("CC-S3-002", "Dev/Api/WebsiteBucket/Resource"),
        ("CC-S3-002", "Prod/Api/WebsiteBucket/Resource"),
    ]
    assert all(x.suppressed for x in result.findings)
