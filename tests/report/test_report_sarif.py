"""SARIF 2.1.0 output: schema-valid, rules metadata, repo-relative locations, stable
fingerprints, suppressions, automation ids, and locations when cdk.out is not committed."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from cfncheck.report import ReportOptions, render
from cfncheck.report.sarif import automation_id
from tests.report.fake_checks import BUCKET, DEFECTIVE, ROOT, run_scan

SHARED_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-2.1.0.json"
VENDORED_SCHEMA = ROOT / "tests" / "sarif-schema" / "sarif-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    path = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else VENDORED_SCHEMA
    schema = json.loads(path.read_text())
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def git_repo(tmp_path: Path, track_assembly: bool) -> Path:
    """tmp/repo (a git work tree) with app/cdk.json and app/cdk.out (tracked or ignored)."""
    repo = tmp_path / "repo"
    app = repo / "app"
    shutil.copytree(DEFECTIVE, app / "cdk.out")
    (app / "cdk.json").write_text('{\n  "app": "python3 app.py",\n  "context": {}\n}\n')
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    if not track_assembly:
        (repo / ".gitignore").write_text("cdk.out/\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    return repo


def sarif(result, **kw) -> dict:
    return json.loads(render("sarif", result, ReportOptions(**kw)))


def test_valid_against_schema_with_rules_and_results(validator, tmp_path):
    repo = git_repo(tmp_path, track_assembly=True)
    result = run_scan(repo / "app" / "cdk.out")
    doc = sarif(result, scanned=[str(repo / "app" / "cdk.out")])
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, errors[0]
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CC-SUP-001", "CC-SUP-002", "CC-SUP-003", "T-DDB-001",
                                        "T-LOGS-001", "T-S3-001"]
    s3 = rules[5]
    assert s3["name"] == "BucketsBlockPublicAccess"
    assert s3["shortDescription"] == {"text": "Buckets block public access"}
    assert s3["fullDescription"] == {"text": "Every bucket blocks public access."}
    assert "**Fix**" in s3["help"]["markdown"] and "```python" in s3["help"]["markdown"]
    assert s3["helpUri"] == "https://example.com/docs/T-S3-001"
    assert s3["properties"]["security-severity"] == "8.1"
    assert s3["properties"]["tags"][:2] == ["security", "s3"]
    assert s3["properties"]["precision"] == "very-high"
    assert s3["defaultConfiguration"] == {"level": "error"}
    ddb = rules[3]
    assert ddb["properties"]["security-severity"] == "5.5"  # derived from severity warning
    logs = rules[4]
    assert "security-severity" not in logs["properties"]  # not a security rule
    assert "security" not in logs["properties"]["tags"]

    results = run["results"]
    assert len(results) == len(result.findings) == 12
    by_rule = {}
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        by_rule.setdefault(r["ruleId"], []).append(r)
    prod_bucket = next(r for r in by_rule["T-S3-001"] if r["properties"]["stack"] == "Prod/Api")
    assert prod_bucket["level"] == "error"
    assert prod_bucket["message"]["text"].startswith(
        "Buckets block public access. AWS::S3::Bucket DataBucketE3889A50 lacks ")
    loc = prod_bucket["locations"][0]
    tpl = "app/cdk.out/assembly-Prod/ProdApi2466CF1F.template.json"
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": tpl, "uriBaseId": "%SRCROOT%"}
    finding = next(f for f in result.findings if f.rule_id == "T-S3-001" and
                   f.stack == "Prod/Api")
    assert loc["physicalLocation"]["region"] == {"startLine": finding.line,
                                                 "startColumn": finding.column}
    assert finding.line > 1
    assert loc["logicalLocations"] == [{"name": "DataBucketE3889A50",
                                        "fullyQualifiedName": "Prod/Api/DataBucket/Resource",
                                        "kind": "resource"}]
    assert prod_bucket["partialFingerprints"] == {"cfncheck/v1": finding.fingerprint}
    assert prod_bucket["suppressions"] == []
    assert by_rule["T-LOGS-001"][0]["level"] == "note"
    assert run["automationDetails"] == {"id": "cfncheck/dev+prod/"}
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_uris_relative_to_sarif_root(tmp_path):
    repo = git_repo(tmp_path, track_assembly=True)
    result = run_scan(repo / "app" / "cdk.out")
    doc = sarif(result, sarif_root=str(repo / "app"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"]}
    assert uris == {"cdk.out/assembly-Dev/DevApi52A53550.template.json",
                    "cdk.out/assembly-Dev/DevApiStorage4B4A13B7.nested.template.json",
                    "cdk.out/assembly-Prod/ProdApi2466CF1F.template.json",
                    "cdk.out/assembly-Prod/ProdApiStorageDD1EDF8B.nested.template.json"}


def test_uncommitted_assembly_points_at_cdk_json(validator, tmp_path):
    repo = git_repo(tmp_path, track_assembly=False)
    result = run_scan(repo / "app" / "cdk.out")
    doc = sarif(result, scanned=[str(repo / "app" / "cdk.out")])
    assert not list(validator.iter_errors(doc))
    for r in doc["runs"][0]["results"]:
        phys = r["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "app/cdk.json"
        assert phys["region"] == {"startLine": 2, "startColumn": 1}  # the "app" line
        tpl = r["properties"]["template"]
        assert f"Found at app/cdk.out/{Path(tpl).relative_to(repo / 'app' / 'cdk.out')}:" \
            f"{r['properties']['templateLine']}:" in r["message"]["text"]
        assert "shown at the CDK app (cdk.json)" in r["message"]["text"]


def test_uncommitted_assembly_prefers_the_cdk_source_line(tmp_path, monkeypatch):
    repo = git_repo(tmp_path, track_assembly=False)
    (repo / "app" / "stacks.py").write_text("# app\n" * 30)
    calls = []

    def fake_source_location(stack, construct_path, repo_root):
        calls.append((stack.name, construct_path, Path(repo_root)))
        if construct_path.endswith("DataBucket/Resource"):
            return {"file": "app/stacks.py", "line": 21, "how": "construct-id"}
        return None

    monkeypatch.setattr("cfncheck.source_map.source_location", fake_source_location)
    result = run_scan(repo / "app" / "cdk.out")
    doc = sarif(result, scanned=[str(repo / "app" / "cdk.out")])
    assert ("Prod/Api", "Prod/Api/DataBucket/Resource", repo.resolve()) in calls
    for r in doc["runs"][0]["results"]:
        phys = r["locations"][0]["physicalLocation"]
        if r["ruleId"] == "T-S3-001":
            assert phys["artifactLocation"]["uri"] == "app/stacks.py"
            assert phys["region"]["startLine"] == 21
            assert "shown at the CDK source line that created the construct" in \
                r["message"]["text"]
        else:
            assert phys["artifactLocation"]["uri"] == "app/cdk.json"


def _shuffle(value, rng):
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffle(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffle(v, rng) for v in value]
    return value


def test_fingerprints_stable_across_runs_and_key_reordering(tmp_path):
    first = sarif(run_scan(DEFECTIVE))
    second = sarif(run_scan(DEFECTIVE))

    def prints(doc):
        return sorted((r["ruleId"], r["properties"]["stack"], r["properties"]["logicalId"],
                       r["partialFingerprints"]["cfncheck/v1"]) for r in doc["runs"][0]["results"])

    def lines(doc):
        return sorted((r["properties"]["stack"], r["properties"]["logicalId"],
                       r["properties"]["templateLine"]) for r in doc["runs"][0]["results"])

    assert prints(first) == prints(second)
    copy = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)
    rng = random.Random(7)
    for tpl in copy.glob("assembly-*/*.template.json"):
        data = json.loads(tpl.read_text())
        tpl.write_text(json.dumps(_shuffle(data, rng), indent=4))
    third = sarif(run_scan(copy))
    assert prints(third) == prints(first)
    assert lines(third) != lines(first)  # the lines did move
    assert len({p[3] for p in prints(first)}) == 12  # and every finding has its own


def test_suppressed_findings_are_kept_with_justification(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)
    tpl = copy / "assembly-Prod" / "ProdApi2466CF1F.template.json"
    data = json.loads(tpl.read_text())
    data["Resources"]["DataBucketE3889A50"]["Metadata"]["cfncheck"] = {
        "suppress": [{"id": "T-S3-*", "reason": "public website bucket"}]}
    data["Resources"]["OrdersTable315BB997"]["Metadata"]["cdk_nag"] = {
        "rules_to_suppress": [{"id": "AwsSolutions-DDB3", "reason": "rebuilt from events"}]}
    tpl.write_text(json.dumps(data, indent=1))
    from cfncheck.config import Config

    cfg = Config({"suppressions": [{"id": "T-LOGS-001", "stack": "Prod/*",
                                    "reason": "retention set by a platform aspect"}]})
    result = run_scan(copy, cfg)
    doc = sarif(result)
    sups = {(r["ruleId"], r["properties"]["stack"], r["properties"]["logicalId"]):
            r["suppressions"] for r in doc["runs"][0]["results"]}
    assert sups[("T-S3-001", "Prod/Api", "DataBucketE3889A50")] == [
        {"kind": "inSource", "status": "accepted", "justification": "public website bucket",
         "properties": {"source": "metadata"}}]
    assert sups[("T-S3-001", "Dev/Api", "DataBucketE3889A50")] == []
    assert sups[("T-LOGS-001", "Prod/Api", "WorkerLogGroup31FDBE4A")] == [
        {"kind": "external", "status": "accepted",
         "justification": "retention set by a platform aspect", "properties": {"source": "config"}}]
    assert sups[("T-LOGS-001", "Dev/Api", "WorkerLogGroup31FDBE4A")] == []
    peers = doc["runs"][0]["properties"]["peerSuppressions"]
    assert [(p["tool"], p["rule"], p["logical_id"]) for p in peers] == [
        ("cdk-nag", "AwsSolutions-DDB3", "OrdersTable315BB997")]


def test_automation_id_from_category_or_stage():
    result = run_scan(DEFECTIVE, stage="prod")
    assert automation_id(result, ReportOptions()) == "cfncheck/prod/"
    assert automation_id(result, ReportOptions(category="orders-app")) == "cfncheck/orders-app/"
    assert automation_id(result, ReportOptions(category="cfncheck/x/")) == "cfncheck/x/"


def test_rule_severity_and_input_errors_as_notifications(validator, tmp_path):
    bad = tmp_path / "broken.template.json"
    bad.write_text("{ not json")
    result = run_scan(bad)
    doc = sarif(result, sarif_root=str(tmp_path))
    assert not list(validator.iter_errors(doc))
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    note = inv["toolExecutionNotifications"][0]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "broken.template.json", "uriBaseId": "%SRCROOT%"}
    assert BUCKET.id in [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]


def test_defective_sample_with_the_real_checks(validator):
    """The issue's acceptance run: the real rule pack and policies on the defective sample."""
    from cfncheck.config import Config
    from cfncheck.engine import scan

    docs = [sarif(scan([str(DEFECTIVE)], Config()), sarif_root=str(ROOT)) for _ in range(2)]
    doc = docs[0]
    assert not list(validator.iter_errors(doc))
    run = doc["runs"][0]
    if not run["results"]:
        pytest.skip("no rule pack or policies installed")
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert any("security-severity" in r["properties"] for r in rules.values())
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules.values()
               if "security-severity" in r["properties"])
    for r in run["results"]:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("sample_templates/serverless-defective/cdk.out/assembly-"), uri
        assert r["message"]["text"].startswith(rules[r["ruleId"]]["shortDescription"]["text"]
                                               .rstrip(".") + ".")
    assert [r["partialFingerprints"] for r in docs[0]["runs"][0]["results"]] == \
        [r["partialFingerprints"] for r in docs[1]["runs"][0]["results"]]
