"""Suppressions: resource/template metadata, the config file, peers' suppressions (mapped
through cfncheck/data/peer_suppressions.yaml), and the CC-SUP-* findings for bad ones."""

from __future__ import annotations

import datetime
import json
import shutil

import pytest
import yaml

from cfncheck.config import Config
from cfncheck.suppressions import PEER_TOOLS, peer_mapping
from tests.report.fake_checks import DEFECTIVE, run_scan

TODAY = datetime.date.today()
PROD = "assembly-Prod/ProdApi2466CF1F.template.json"


@pytest.fixture
def assembly(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)

    def edit(fn, rel=PROD):
        tpl = copy / rel
        data = json.loads(tpl.read_text())
        fn(data)
        tpl.write_text(json.dumps(data, indent=1))
        return copy

    return edit


def meta(data, lid):
    return data["Resources"][lid].setdefault("Metadata", {})


def state(result, rule, stack, lid):
    f = next(f for f in result.findings if (f.rule_id, f.stack, f.logical_id) == (rule, stack,
                                                                                   lid))
    return f.suppressed


def test_metadata_suppression_with_reason_and_future_expiry(assembly):
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(cfncheck={"suppress": [
        {"id": "T-S3-001", "reason": "static website", "expires": "2999-12-31"}]}))
    r = run_scan(path)
    s = state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50")
    assert (s.source, s.reason, s.expires) == ("metadata", "static website", "2999-12-31")
    assert state(r, "T-S3-001", "Dev/Api", "DataBucketE3889A50") is None
    assert not r.gate("warning") or all(f.stack != "Prod/Api" or f.rule_id != "T-S3-001"
                                        for f in r.gate("warning"))
    assert [f.rule_id for f in r.findings if f.rule_id.startswith("CC-SUP")] == []


def test_suppression_without_reason_is_refused_and_reported(assembly):
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(cfncheck={"suppress": [
        {"id": "T-S3-001"}, {"id": "T-DDB-001", "reason": "  "}]}))
    r = run_scan(path)
    assert state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50") is None  # ignored
    sup = [f for f in r.findings if f.rule_id == "CC-SUP-002"]
    assert [(f.stack, f.logical_id, f.severity) for f in sup] == [
        ("Prod/Api", "DataBucketE3889A50", "error")] * 2
    assert sup[0].message == ("The suppression of T-S3-001 has no reason, so it is ignored: "
                              "add reason='why this is accepted'.")
    assert sup[0].path == ("Resources", "DataBucketE3889A50", "Metadata", "cfncheck",
                           "suppress", 0)
    text = (path / PROD).read_text().splitlines()
    assert '"id": "T-S3-001"' in text[sup[0].line - 1] or '{' in text[sup[0].line - 1]
    assert sup[0].construct_path == "Prod/Api/DataBucket/Resource"
    assert sup[0].fingerprint != sup[1].fingerprint
    assert "CC-SUP-002" in [c.id for c in r.checks]


def test_expired_suppression_no_longer_applies_and_is_a_finding(assembly):
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(cfncheck={"suppress": [
        {"id": "T-S3-001", "reason": "until the migration", "expires": yesterday}]}))
    r = run_scan(path)
    assert state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50") is None
    [exp] = [f for f in r.findings if f.rule_id == "CC-SUP-001"]
    assert exp.severity == "warning" and exp.logical_id == "DataBucketE3889A50"
    assert exp.message == (f"The suppression of T-S3-001 expired on {yesterday} "
                           "('until the migration'), so it no longer applies.")
    # today is still covered (expires is the last day it applies)
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(cfncheck={"suppress": [
        {"id": "T-S3-001", "reason": "until the migration", "expires": TODAY.isoformat()}]}))
    assert state(run_scan(path), "T-S3-001", "Prod/Api", "DataBucketE3889A50") is not None


def test_invalid_entries_are_findings(assembly):
    def edit(d):
        meta(d, "DataBucketE3889A50").update(cfncheck={"suppress": [
            "T-S3-001", {"reason": "no id"}, {"id": "T-S3-001", "reason": "x y z",
                                              "expires": "2024-02-30"}]})
        meta(d, "OrdersTable315BB997").update(cfncheck={"suppress": {"id": "T-DDB-001"}})
    r = run_scan(assembly(edit))
    got = sorted((f.rule_id, f.logical_id) for f in r.findings if f.rule_id.startswith("CC-"))
    assert got == [("CC-SUP-002", "DataBucketE3889A50"), ("CC-SUP-003", "DataBucketE3889A50"),
                   ("CC-SUP-003", "DataBucketE3889A50"), ("CC-SUP-003", "OrdersTable315BB997")]


def test_template_level_metadata_covers_every_resource(assembly):
    path = assembly(lambda d: d.setdefault("Metadata", {}).update(cfncheck={"suppress": [
        {"id": "T-LOGS-*", "reason": "retention set by a platform aspect"}]}))
    r = run_scan(path)
    prod_logs = [f for f in r.findings if f.rule_id == "T-LOGS-001" and f.stack == "Prod/Api"]
    assert len(prod_logs) == 3 and all(f.suppressed for f in prod_logs)
    assert not any(f.suppressed for f in r.findings if f.stack == "Dev/Api")


def test_config_suppression_by_construct_path_stage_and_stack():
    cfg = Config({"suppressions": [
        {"id": "T-LOGS-001", "path": "*/Api/Worker*", "stage": "prod", "reason": "aspect"},
        {"id": "T-DDB-*", "stack": "Dev/*", "reason": "dev data is disposable"},
        {"id": "T-S3-001", "resource": "Nothing*", "reason": "matches nothing"}]})
    r = run_scan(DEFECTIVE, cfg)
    sup = sorted((f.rule_id, f.stack, f.logical_id) for f in r.findings if f.suppressed)
    assert sup == [("T-DDB-001", "Dev/Api", "OrdersTable315BB997"),
                   ("T-DDB-001", "Dev/Api/Storage", "AuditTableB07F8EEB"),
                   ("T-LOGS-001", "Prod/Api", "WorkerLogGroup31FDBE4A")]
    assert "config suppression 3 (id T-S3-001) matched no finding" in r.notes


def test_expired_config_suppression_points_at_the_config_line(tmp_path):
    cfg_file = tmp_path / ".cfncheck.yaml"
    cfg_file.write_text("fail_on: error\nsuppressions:\n  - id: T-S3-001\n"
                        "    reason: legacy bucket\n    expires: 2020-01-31\n")
    from cfncheck.config import load_config

    r = run_scan(DEFECTIVE, load_config(cfg_file))
    assert not any(f.suppressed for f in r.findings)
    [exp] = [f for f in r.findings if f.rule_id == "CC-SUP-001"]
    assert (exp.file.endswith(".cfncheck.yaml"), exp.line, exp.stack) == (True, 5, "")
    assert "expired on 2020-01-31" in exp.message


PEERS = {
    "cdk_nag": {"rules_to_suppress": [{"id": "AwsSolutions-S2", "reason": "website"},
                                      {"id": "AwsSolutions-S1", "reason": "no access logs"}]},
    "checkov": {"skip": [{"id": "CKV_AWS_54", "comment": "website"}]},
    "cfn_nag": {"rules_to_suppress": [{"id": "W35", "reason": "no logs"}]},
    "guard": {"SuppressedRules": ["S3_BUCKET_SSL_REQUESTS_ONLY"]},
    "cfn-lint": {"config": {"ignore_checks": ["W3005"]}},
}


def test_peer_suppressions_are_mapped_and_listed(assembly, monkeypatch):
    monkeypatch.setattr("cfncheck.suppressions.peer_mapping", lambda: {
        "cdk-nag": {"AwsSolutions-S2": ("T-S3-001",)}, "checkov": {"CKV_AWS_54": ("T-S3-*",)}})
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(PEERS))
    r = run_scan(path)
    s = state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50")
    assert (s.source, s.reason) == ("cdk-nag", "AwsSolutions-S2: website")
    listed = [(p["tool"], p["rule"], p["mapped_to"], p["suppressed"]) for p in
              r.peer_suppressions]
    assert listed == [("cfn-lint", "W3005", [], 0),
                      ("cdk-nag", "AwsSolutions-S2", ["T-S3-001"], 1),
                      ("cdk-nag", "AwsSolutions-S1", [], 0),
                      ("checkov", "CKV_AWS_54", ["T-S3-*"], 0),
                      ("cfn_nag", "W35", [], 0),
                      ("guard", "S3_BUCKET_SSL_REQUESTS_ONLY", [], 0)]
    assert all(p["construct_path"] == "Prod/Api/DataBucket/Resource"
               for p in r.peer_suppressions)
    off = run_scan(path, Config({"peer_suppressions": False}))
    assert state(off, "T-S3-001", "Prod/Api", "DataBucketE3889A50") is None
    assert off.peer_suppressions == []


def test_cfn_lint_ignore_checks_match_cfncheck_rule_ids_by_prefix(assembly, monkeypatch):
    from cfncheck.checks import CheckInfo
    from tests.report.fake_checks import TypeCheck, fake_checks

    lint = TypeCheck(CheckInfo(id="W9301", title="t", severity="warning"), "AWS::S3::Bucket",
                     "X")
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update(
        {"cfn-lint": {"config": {"ignore_checks": ["W93"]}}}))
    from cfncheck.engine import scan

    r = scan([str(path)], Config(), checks=[*fake_checks(), lint], jobs=1)
    s = state(r, "W9301", "Prod/Api", "DataBucketE3889A50")
    assert (s.source, s.reason) == ("cfn-lint", "W93: suppressed for cfn-lint")
    assert r.peer_suppressions[0]["mapped_to"] == ["W9301"]
    assert state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50") is None


def test_cdk_nag_encoded_reason(assembly):
    import base64

    enc = base64.b64encode(b"decoded reason").decode()
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update({"cdk_nag": {
        "rules_to_suppress": [{"id": "AwsSolutions-S2", "reason": enc,
                               "is_reason_encoded": True}]}}))
    r = run_scan(path)
    assert r.peer_suppressions[0]["reason"] == "decoded reason"


def test_mapping_file_is_well_formed():
    from importlib import resources

    data = yaml.safe_load(resources.files("cfncheck.data").joinpath(
        "peer_suppressions.yaml").read_text())
    assert data["version"] == 1
    for name, topic in data["topics"].items():
        assert topic["cfncheck"] and topic["expect"], name
        assert set(topic["peers"]) <= set(PEER_TOOLS), name
    m = peer_mapping()
    assert m["checkov"]["CKV_AWS_53"] == ("CC-S3-001",)
    assert m["cdk-nag"]["AwsSolutions-IAM5"] == ("W9101", "W9102")  # both topics


def test_mapping_targets_exist_and_match_their_topic():
    """Guards the reviewed mapping against renumbered or misguessed check ids."""
    from importlib import resources

    from cfncheck.engine import collect_checks

    # every check, opt-in ones included: a suppression for an enabled opt-in check applies too
    titles = {c.info.id: c.info.title
              for c in collect_checks(Config({"rules": {"enable": ["*"]}}))}
    if not any(i.startswith("CC-") for i in titles):
        pytest.skip("the built-in policy pack is not installed")
    data = yaml.safe_load(resources.files("cfncheck.data").joinpath(
        "peer_suppressions.yaml").read_text())
    for name, topic in data["topics"].items():
        for cid in topic["cfncheck"]:
            assert cid in titles, f"{name}: {cid} is not a cfncheck check"
            assert any(w.lower() in titles[cid].lower() for w in topic["expect"]), \
                f"{name}: {cid} is {titles[cid]!r}"


def test_guard_suppressed_rules_also_as_rule_reason_mappings(assembly, monkeypatch):
    """The Guard Rules Registry's own tests write `- RULE_NAME: reason` as well as strings."""
    monkeypatch.setattr("cfncheck.suppressions.peer_mapping", lambda: {
        "guard": {"S3_RULE": ("T-S3-001",)}})
    path = assembly(lambda d: meta(d, "DataBucketE3889A50").update({"guard": {
        "SuppressedRules": [{"S3_RULE": "public website"}, "OTHER_RULE", {"A": 1, "B": 2}]}}))
    r = run_scan(path)
    s = state(r, "T-S3-001", "Prod/Api", "DataBucketE3889A50")
    assert (s.source, s.reason) == ("guard", "S3_RULE: public website")
    assert [(p["rule"], p["mapped_to"]) for p in r.peer_suppressions] == [
        ("OTHER_RULE", []), ("S3_RULE", ["T-S3-001"])]
