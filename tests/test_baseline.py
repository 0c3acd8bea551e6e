"""Baselines: versioned file of fingerprints; only new findings count after `--baseline`."""

from __future__ import annotations

import json
import shutil

import pytest

from cfncheck.baseline import apply_baseline, create_baseline, load_baseline
from cfncheck.errors import InputError
from tests.report.fake_checks import DEFECTIVE, run_scan


def test_create_is_versioned_sorted_and_reproducible():
    text = create_baseline(run_scan(DEFECTIVE))
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["tool"] == "cfncheck"
    assert len(doc["findings"]) == 12
    first = doc["findings"][0]
    assert set(first) == {"fingerprint", "rule_id", "severity", "stack", "resource", "title"}
    assert (first["stack"], first["resource"], first["rule_id"]) == (
        "Dev/Api", "Dev/Api/ApiAccessLogs/Resource", "T-LOGS-001")
    assert create_baseline(run_scan(DEFECTIVE)) == text


def test_zero_new_findings_until_a_defect_is_added(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(DEFECTIVE, copy)
    base = tmp_path / "b.json"
    base.write_text(create_baseline(run_scan(copy)))
    r = run_scan(copy)
    apply_baseline(r, base)
    assert [f for f in r.findings if not f.suppressed] == []
    assert {f.suppressed.source for f in r.findings} == {"baseline"}
    assert r.gate("info") == []
    assert r.baseline == {"file": str(base), "entries": 12, "matched": 12, "new": 0, "stale": 0}
    # a re-synthesis that only reorders keys and indents differently changes nothing
    for tpl in copy.glob("assembly-*/*.template.json"):
        data = json.loads(tpl.read_text())
        tpl.write_text(json.dumps(dict(reversed(list(data.items()))), indent=3))
    r = run_scan(copy)
    apply_baseline(r, base)
    assert r.baseline["new"] == 0
    # a new defect: a second table in the Dev stack
    tpl = copy / "assembly-Dev" / "DevApi52A53550.template.json"
    data = json.loads(tpl.read_text())
    data["Resources"]["ArchiveTable0C0FFEE0"] = {
        "Type": "AWS::DynamoDB::Table", "Properties": {},
        "Metadata": {"aws:cdk:path": "Dev/Api/ArchiveTable/Resource"}}
    tpl.write_text(json.dumps(data, indent=1))
    r = run_scan(copy)
    apply_baseline(r, base)
    new = [(f.rule_id, f.stack, f.logical_id) for f in r.findings if not f.suppressed]
    assert new == [("T-DDB-001", "Dev/Api", "ArchiveTable0C0FFEE0")]
    assert [f.rule_id for f in r.gate("warning")] == ["T-DDB-001"]


def test_fixed_findings_are_counted_as_stale(tmp_path):
    base = tmp_path / "b.json"
    doc = json.loads(create_baseline(run_scan(DEFECTIVE)))
    doc["findings"].append({"fingerprint": "0" * 32, "rule_id": "T-S3-001"})
    base.write_text(json.dumps(doc))
    r = run_scan(DEFECTIVE)
    apply_baseline(r, base)
    assert r.baseline["stale"] == 1
    assert any("1 baseline entry" in n and "no longer found" in n for n in r.notes)


def test_duplicate_fingerprints_are_counted(tmp_path):
    r = run_scan(DEFECTIVE)
    one = r.findings[0]
    base = tmp_path / "b.json"
    base.write_text(json.dumps({"version": 1, "findings": [{"fingerprint": one.fingerprint}]}))
    twin = type(one)(**{**one.__dict__, "suppressed": None})
    r.findings.append(twin)
    apply_baseline(r, base)
    assert r.baseline["matched"] == 1 and twin.suppressed is None


@pytest.mark.parametrize("content, message", [
    ("{", "baseline is not valid JSON"),
    ("[]", "not a cfncheck baseline (no 'version')"),
    ('{"version": 2, "findings": []}', "unsupported baseline version 2"),
    ('{"version": 1}', "baseline has no 'findings' list"),
    ('{"version": 1, "findings": [\n {"fingerprint": "a"},\n {"rule_id": "x"}]}',
     "baseline entry 1 has no 'fingerprint'"),
])
def test_bad_baselines_are_input_errors(tmp_path, content, message):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InputError) as e:
        load_baseline(path)
    assert message in str(e.value) and str(path) in str(e.value)
    if "entry 1" in message:
        assert e.value.line == 3


def test_missing_baseline(tmp_path):
    with pytest.raises(InputError, match="baseline file not found"):
        load_baseline(tmp_path / "nope.json")


def test_baseline_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    from cfncheck.baseline import load_baseline
    from cfncheck.errors import InputError

    fifo = tmp_path / "baseline.fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_baseline(fifo)  # would block forever on read
