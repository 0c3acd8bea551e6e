"""Conformance with the peers' own test suites (bench/conformance.py, bench/conformance_map.yaml).

Against the shared oracle folders (``shared/oracles`` and ``shared/oracles-more`` beside the
repository or one of its parents, skipped when absent): every concern agrees with the peers on
at least 95% of the mapped, well-formed cases, every remaining disagreement is explained in the
map, no oracle template crashes cfncheck, the map covers every peer check (``not_covered`` only
with a documented reason, else ``todo``), and the generated table in docs/conformance.md and
bench/coverage_todo.md are up to date. The harness itself is tested on a tiny hand-written oracle
folder, so it is exercised even where the shared folders are missing.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = next((p / "shared" for p in REPO.parents
               if (p / "shared" / "oracles-more" / "README.md").is_file()), REPO.parent / "shared")
ORACLES = SHARED / "oracles"
ORACLES_MORE = SHARED / "oracles-more"
MISSION = ("iam", "logs", "s3", "dynamodb", "apigateway", "lambda", "cloudfront", "sns", "alarms",
           "retain")


def _load_harness():
    spec = importlib.util.spec_from_file_location("bench_conformance",
                                                  REPO / "bench" / "conformance.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


conformance = _load_harness()


@pytest.fixture(scope="module")
def report():
    if not (ORACLES / "README.md").is_file() or not (ORACLES_MORE / "README.md").is_file():
        pytest.skip(f"no oracle folders at {SHARED}")
    return conformance.run([ORACLES, ORACLES_MORE])


def test_every_mission_concern_agrees_at_least_95_percent(report):
    rows = {r["concern"]: r for r in report["concerns"]}
    for concern in MISSION:
        row = rows[concern]
        assert row["scored"] > 0, f"{concern}: no scored case"
    for concern, row in rows.items():  # every concern with scored cases, the new ones too
        assert row["agreement"] is None or row["agreement"] >= 95.0, (concern, row, [
            f"{d['check']} {d['key']}" for d in report["disagreements"]
            if d["concern"] == concern])
    assert conformance.failures(report, 95.0) == []


def test_coverage_counts_every_peer_check_and_by_design_stays_under_10_percent(report):
    cov = report["coverage"]["peers"]
    assert cov["checkov"]["checks"] == 137 and cov["guard"]["checks"] == 213
    for peer, r in cov.items():
        assert r["mapped"] + r["not_covered"] + r["todo"] == r["checks"], peer
        # not_covered only with a documented reason (the map loader refuses any other)
        assert set(r["not_covered_by_reason"]) <= set(conformance.NOT_COVERED_REASONS), peer
        assert r["mapped"] >= 28, peer  # what the existing checks cover; policy writers add more
    # by-design differences over all mapped, scored cases of both peers stay under 10%
    design = sum(r["by_design_or_quirk"] for r in cov.values())
    mapped = sum(r["mapped_cases"] for r in cov.values())
    assert design < 0.10 * mapped, (design, mapped)


def test_generated_docs_table_and_todo_list_are_up_to_date(report):
    """docs/conformance.md's table and bench/coverage_todo.md come from this run: regenerate
    with `bench/conformance.py ../shared/oracles ../shared/oracles-more --write`."""
    doc = conformance.DOC_FILE.read_text()
    assert conformance.render_docs(report, doc) == doc, "docs/conformance.md is stale"
    assert conformance.TODO_FILE.read_text() == conformance.todo_markdown(report), \
        "bench/coverage_todo.md is stale"


def test_every_disagreement_is_explained_and_the_map_has_no_stale_entries(report):
    assert report["unexplained"] == []
    assert report["stale_map_entries"] == []


def test_no_oracle_template_crashes_and_input_errors_are_clear(report):
    assert report["crashes"] == []
    assert report["templates_scanned"] > 2000
    for e in report["input_errors"]:
        assert "Traceback" not in e["error"] and e["error"].strip(), e
    # the only templates cfncheck refuses are empty documents and a missing logical id
    assert {e["file"].split("/")[1] for e in report["input_errors"]} <= {"guard"}
    assert all("not a CloudFormation template" in e["error"] or "must be a mapping" in e["error"]
               for e in report["input_errors"])


def test_the_map_covers_every_peer_check_in_the_oracles(report):
    unmapped = {c["check"] for c in report["cases"]
                if c["reason"] == "peer check not in the mapping file"}
    assert unmapped == set()
    peers = {c["peer"] for c in report["cases"]}
    assert peers == {"checkov", "guard", "cfn-lint"}


def test_suppressed_guard_cases_are_scored_through_peer_suppressions(report):
    """Guard SKIPs that come from Metadata.guard / cfn_nag suppressions agree because cfncheck
    honours those suppressions (cfncheck/data/peer_suppressions.yaml), not by exclusion."""
    sup = [c for c in report["cases"] if c["quality"] == "suppressed-by-metadata"
           and c["status"] in ("agree", "disagree")]
    assert len(sup) > 60
    agree = [c for c in sup if c["status"] == "agree"]
    assert len(agree) == len(sup)
    assert sum(1 for c in agree if c["suppressed"]) > 40  # a finding exists, suppressed


def test_retain_labels_are_rederived_for_retain_semantics(report):
    rows = {c["key"]: c for c in report["cases"] if c["peer"] == "cfn-lint"}
    # I3011 PASS (both attributes present) but Delete: CC-RET-001 fails it in prod
    delete = rows["cfnlint/retain_policies/integration__ref-types.yaml"
                  "#AWS::Logs::LogGroup.LogGroup"]
    assert (delete["expected"], delete["actual"], delete["status"]) == ("FAIL", "FAIL", "agree")
    keep = rows["cfnlint/retain_policies/integration__aws-dynamodb-table.yaml"
                "#AWS::DynamoDB::Table.Table1"]
    assert (keep["expected"], keep["actual"], keep["status"]) == ("PASS", "PASS", "agree")


# ------------------------------------------------------------------ the harness on a tiny oracle

BUCKET_OPEN = {"Resources": {"Open": {"Type": "AWS::S3::Bucket"}}}
BUCKET_BPA = {"Resources": {"Closed": {"Type": "AWS::S3::Bucket", "Properties": {
    "PublicAccessBlockConfiguration": {k: True for k in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")}}}}}
TINY_MAP = """
version: 1
concerns: {s3: S3}
checks:
  checkov:
    CKV_AWS_53: {concern: s3, cfncheck: [CC-S3-001]}
  guard:
    S3_BUCKET_VERSIONING_ENABLED: {concern: s3, todo: versioning is not checked yet}
exclusions: []
explained: []
"""


def tiny_oracle(tmp_path: Path, open_label: str) -> Path:
    root = tmp_path / "oracles"
    d = root / "checkov" / "CKV_AWS_53_S3BlockPublicACLs"
    d.mkdir(parents=True)
    (d / "open.json").write_text(json.dumps(BUCKET_OPEN))
    (d / "closed.json").write_text(json.dumps(BUCKET_BPA))
    (d / "expected.json").write_text(json.dumps({"check_id": "CKV_AWS_53", "results_by_file": [
        {"file": "open.json", "resource": "AWS::S3::Bucket.Open", "expected": open_label},
        {"file": "closed.json", "resource": "AWS::S3::Bucket.Closed", "expected": "PASSED"}]}))
    g = root / "guard" / "S3_BUCKET_VERSIONING_ENABLED"
    g.mkdir(parents=True)
    (g / "case_1.yaml").write_text("{}\n")
    (g / "case_2.yaml").write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")
    (g / "expected.json").write_text(json.dumps({"rule": "S3_BUCKET_VERSIONING_ENABLED",
                                                 "aspect": "versioning",
                                                 "semantics": "FAIL unless every AWS::S3::Bucket "
                                                              "enables versioning.",
                                                 "cases": [
        {"file": "case_1.yaml", "expected": "SKIP", "input_quality": "empty-template"},
        {"file": "case_2.yaml", "expected": "FAIL", "input_quality": "ok"}]}))
    (tmp_path / "map.yaml").write_text(TINY_MAP)
    return root


def test_harness_scores_per_resource_and_lists_input_errors(tmp_path, capsys):
    root = tiny_oracle(tmp_path, "FAILED")
    code = conformance.main([str(root), "--map", str(tmp_path / "map.yaml"),
                             "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    r = json.loads((tmp_path / "r.json").read_text())
    s3 = r["concerns"][0]
    assert (s3["concern"], s3["cases"], s3["agree"], s3["disagree"], s3["agreement"],
            s3["ill_formed"], s3["not_covered"], s3["todo"]) == ("s3", 4, 2, 0, 100.0, 0, 0, 2)
    cov = r["coverage"]
    assert cov["peers"]["checkov"]["coverage"] == 100.0
    assert (cov["peers"]["guard"]["mapped"], cov["peers"]["guard"]["todo"]) == (0, 1)
    assert cov["todo"] == {"S3": [{"peer": "guard", "id": "S3_BUCKET_VERSIONING_ENABLED",
                                   "types": ["AWS::S3::Bucket"], "aspect": "versioning",
                                   "concern": "s3", "note": "versioning is not checked yet"}]}
    cases = {c["key"]: c for c in r["cases"]}
    open_case = cases["checkov/CKV_AWS_53_S3BlockPublicACLs/open.json#AWS::S3::Bucket.Open"]
    assert open_case["findings"] == ["CC-S3-001@Open"]
    # the empty template is run too (not covered), and its clear input error is listed
    assert [e["file"] for e in r["input_errors"]] == [
        "oracles/guard/S3_BUCKET_VERSIONING_ENABLED/case_1.yaml"]
    assert r["crashes"] == []
    assert "| S3 | 4 | 2 | 0 | 100.0% |" in out


def test_harness_does_not_score_a_guard_case_labelled_unknown(tmp_path):
    """UNKNOWN: the upstream test and the guard engine disagree; no peer verdict to score."""
    root = tiny_oracle(tmp_path, "FAILED")
    exp_file = root / "guard" / "S3_BUCKET_VERSIONING_ENABLED" / "expected.json"
    exp = json.loads(exp_file.read_text())
    exp["cases"][1]["expected"] = "UNKNOWN"
    exp_file.write_text(json.dumps(exp))
    (case,) = [c for c in conformance.guard_cases(root, {}) if c.file.endswith("case_2.yaml")]
    assert (case.label, case.expected) == ("UNKNOWN", None)


def test_harness_fails_below_the_threshold_and_names_the_disagreement(tmp_path, capsys):
    root = tiny_oracle(tmp_path, "PASSED")  # the peer says the open bucket is fine
    code = conformance.main([str(root), "--map", str(tmp_path / "map.yaml")])
    out = capsys.readouterr().out
    assert code == 1
    assert "s3: agreement 50.0% < 95.0%" in out
    assert ("checkov CKV_AWS_53 checkov/CKV_AWS_53_S3BlockPublicACLs/open.json"
            "#AWS::S3::Bucket.Open: peer PASSED, cfncheck FAIL (CC-S3-001@Open)") in out
    assert "UNEXPLAINED" in out
    # explained, it stays a disagreement but no longer an unexplained one; 50% passes at 50
    (tmp_path / "map.yaml").write_text(TINY_MAP.replace("explained: []", """explained:
  - {check: CKV_AWS_53, case: "checkov/CKV_AWS_53_S3BlockPublicACLs/open.json#AWS::S3::Bucket.Open",
     reason: a test reason}"""))
    assert conformance.main([str(root), "--map", str(tmp_path / "map.yaml"),
                             "--min-agreement", "50"]) == 0
    assert "reason: a test reason" in capsys.readouterr().out


def test_harness_refuses_a_bad_map_or_folder(tmp_path, capsys):
    root = tiny_oracle(tmp_path, "FAILED")
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY_MAP.replace("cfncheck: [CC-S3-001]", "cfncheck: [CC-NOPE-001]"))
    assert conformance.main([str(root), "--map", str(bad)]) == 2
    assert "unknown cfncheck ids ['CC-NOPE-001']" in capsys.readouterr().err
    bad.write_text(TINY_MAP.replace("{concern: s3, todo: versioning is not checked yet}",
                                    "{concern: s3}"))
    assert conformance.main([str(root), "--map", str(bad)]) == 2
    assert "exactly one of 'cfncheck' ids, a 'not_covered' reason or a 'todo' note" in \
        capsys.readouterr().err
    # not_covered takes only a documented reason; anything else a template decides is todo
    bad.write_text(TINY_MAP.replace("{concern: s3, todo: versioning is not checked yet}",
                                    "{concern: s3, not_covered: not in our baseline}"))
    assert conformance.main([str(root), "--map", str(bad)]) == 2
    assert "'not_covered' must be one of sam-only, cfn-lint, not-decidable, deprecated" in \
        capsys.readouterr().err
    bad.write_text(TINY_MAP.replace("{concern: s3, todo: versioning is not checked yet}",
                                    "{concern: s3, not_covered: deprecated, note: retired}"))
    assert conformance.main([str(root), "--map", str(bad)]) == 0
    assert conformance.main([str(tmp_path / "missing"), "--map", str(tmp_path / "map.yaml")]) == 2


def test_map_reasons_are_one_line_and_entries_complete():
    data = conformance.load_map()
    for peer, checks in data["checks"].items():
        for cid, entry in checks.items():
            for key in ("reason", "not_covered", "todo", "note"):
                if key in entry:
                    text = str(entry[key]).strip()
                    assert text and "\n" not in text, (peer, cid, key)
    for item in [*data["exclusions"], *data["explained"]]:
        assert "\n" not in item["reason"].strip(), item["case"]
