"""Grouped findings (one finding, every affected resource a related location) and merged findings
(one resource's alarm checks as one finding): suppressions, baselines, fingerprints, reports,
the YAML `group`/`combine` fields and the Python-rule interface."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cfncheck.baseline import apply_baseline, create_baseline
from cfncheck.checks import CheckInfo, Hit
from cfncheck.config import Config
from cfncheck.engine import collect_checks, scan
from cfncheck.errors import InputError
from cfncheck.policy.loader import compile_policy
from cfncheck.report import ReportOptions, render

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-2.1.0.json"
if not SARIF_SCHEMA.is_file():
    SARIF_SCHEMA = ROOT / "tests" / "sarif-schema" / "sarif-2.1.0.json"


def _template(tmp_path: Path, resources: dict, metadata: dict | None = None,
              name: str = "stack.template.json") -> Path:
    doc = {"Resources": resources}
    if metadata:
        doc["Metadata"] = metadata
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=1))
    return path


def _queue(**extra) -> dict:
    return {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"},
            **extra}


def _suppress(rule: str, reason: str = "accepted for this queue") -> dict:
    return {"cfncheck": {"suppress": [{"id": rule, "reason": reason}]}}


def _tags(path: Path, config: Config | None = None) -> list:
    checks = [c for c in collect_checks(config or Config()) if c.info.id == "CC-TAG-001"]
    return scan([path], config, checks=checks, jobs=1).findings


def test_untagged_stack_is_one_finding_naming_each_resource(tmp_path):
    path = _template(tmp_path, {"A": _queue(), "B": _queue(), "C": _queue()})
    (f,) = _tags(path)
    assert (f.rule_id, f.logical_id, f.path, f.severity) == ("CC-TAG-001", None,
                                                              ("Resources",), "warning")
    assert [m["logical_id"] for m in f.related] == ["A", "B", "C"]
    assert all(m["resource_type"] == "AWS::SQS::Queue" for m in f.related)
    lines = path.read_text().splitlines()
    for m in f.related:
        assert lines[m["line"] - 1].strip().startswith(f'"{m["logical_id"]}"')
    assert f.message == ("3 taggable resource(s) of stack stack.template.json lack required "
                         "tags (missing tags Environment, Owner); one tags= on the stack fixes "
                         "them all")


def test_resources_escaping_a_tagged_stack_are_one_finding_for_the_stack(tmp_path):
    tagged = {"Tags": [{"Key": "Environment", "Value": "prod"}, {"Key": "Owner", "Value": "x"}]}
    path = _template(tmp_path, {
        "A": {"Type": "AWS::SQS::Queue", "Properties": tagged},
        "Escapes": _queue(), "AlsoEscapes": _queue()})
    (f,) = _tags(path)
    assert f.logical_id is None
    assert [m["logical_id"] for m in f.related] == ["AlsoEscapes", "Escapes"]


def test_when_none_pass_reports_each_failure_of_a_group_where_some_pass(tmp_path):
    policy = compile_policy(dict(BASE_POLICY, group={"by": "stack", "when": "none_pass"}), "p")
    has_x = {"Type": "AWS::SQS::Queue", "Properties": {"X": 1}}
    mixed = _template(tmp_path, {"Ok": has_x, "Q1": _queue(), "Q2": _queue()}, name="m.json")
    found = scan([mixed], Config(), checks=[policy], jobs=1).findings
    assert sorted((f.logical_id, len(f.related)) for f in found) == [("Q1", 0), ("Q2", 0)]
    failing = _template(tmp_path, {"Q1": _queue(), "Q2": _queue()}, name="f.json")
    (f,) = scan([failing], Config(), checks=[policy], jobs=1).findings
    assert (f.logical_id, [m["logical_id"] for m in f.related]) == (None, ["Q1", "Q2"])


def test_fingerprint_ignores_members_and_lines(tmp_path):
    one = _tags(_template(tmp_path, {"A": _queue(), "B": _queue()}))[0]
    (tmp_path / "more").mkdir()
    two = _tags(_template(tmp_path / "more", {"Z": _queue(), "A": _queue(), "B": _queue()}))[0]
    assert len(two.related) == 3
    assert one.fingerprint == two.fingerprint


def test_member_suppression_marks_the_member_and_all_members_suppress_the_finding(tmp_path):
    path = _template(tmp_path, {"A": _queue(Metadata=_suppress("CC-TAG-001")), "B": _queue()})
    (f,) = _tags(path)
    assert f.suppressed is None
    assert [(m["logical_id"], m.get("suppressed")) for m in f.related] == [
        ("A", "accepted for this queue"), ("B", None)]
    path = _template(tmp_path, {"A": _queue(Metadata=_suppress("CC-TAG-001")),
                                "B": _queue(Metadata=_suppress("CC-TAG-*", "also fine"))})
    (f,) = _tags(path)
    assert f.suppressed.source == "metadata"
    assert f.suppressed.reason == ("every affected resource is suppressed (accepted for this "
                                   "queue)")


def test_stack_suppression_and_config_suppressions(tmp_path):
    path = _template(tmp_path, {"A": _queue(), "B": _queue()},
                     metadata=_suppress("CC-TAG-001", "sandbox stack"))
    (f,) = _tags(path)
    assert (f.suppressed.source, f.suppressed.reason) == ("metadata", "sandbox stack")
    path = _template(tmp_path, {"A": _queue(), "B": _queue()})
    whole = Config({"suppressions": [{"id": "CC-TAG-001", "stack": "stack.*",
                                      "reason": "sandbox"}]})
    (f,) = _tags(path, whole)
    assert f.suppressed.reason == "sandbox"
    one = Config({"suppressions": [{"id": "CC-TAG-001", "resource": "B", "reason": "shared"}]})
    (f,) = _tags(path, one)
    assert f.suppressed is None
    assert [m.get("suppressed") for m in f.related] == [None, "shared"]


FUNCTION = {"Type": "AWS::Lambda::Function",
            "Properties": {"Code": {"ZipFile": "x"}, "Handler": "index.handler",
                           "Runtime": "python3.12", "Role": "arn:aws:iam::123456789012:role/r"}}
ALARMS = ("CC-ALARM-001", "CC-ALARM-002", "CC-ALARM-003")


def _alarms(path: Path, config: Config | None = None):
    checks = [c for c in collect_checks(config or Config()) if c.info.id in ALARMS]
    return scan([path], config, checks=checks, jobs=1)


def test_function_without_alarms_is_one_finding_and_each_id_still_suppresses(tmp_path):
    result = _alarms(_template(tmp_path, {"Fn": FUNCTION}))
    (f,) = result.findings
    assert f.rule_id == "CC-ALARM-001"
    assert [c["rule_id"] for c in f.covers] == ["CC-ALARM-002", "CC-ALARM-003"]
    assert f.message == (
        "Function Fn has no CloudWatch alarm on Errors, Duration and Throttles: no "
        "AWS::CloudWatch::Alarm in namespace AWS/Lambda with these metrics references the "
        "function in its Dimensions or Metrics (CC-ALARM-001, CC-ALARM-002, CC-ALARM-003)")
    # an existing suppression of 002 still accepts exactly the Duration alarm
    fn = dict(FUNCTION, Metadata=_suppress("CC-ALARM-002", "batch job, duration irrelevant"))
    result = _alarms(_template(tmp_path, {"Fn": fn}))
    by_rule = {f.rule_id: f for f in result.findings}
    assert sorted(by_rule) == ["CC-ALARM-001", "CC-ALARM-002"]
    assert by_rule["CC-ALARM-002"].suppressed.reason == "batch job, duration irrelevant"
    assert [c["rule_id"] for c in by_rule["CC-ALARM-001"].covers] == ["CC-ALARM-003"]
    assert "on Errors and Throttles:" in by_rule["CC-ALARM-001"].message


def test_baseline_matches_a_merged_finding_only_with_every_part(tmp_path):
    path = _template(tmp_path, {"Fn": FUNCTION})
    result = _alarms(path)
    text = create_baseline(result)
    assert [e["rule_id"] for e in json.loads(text)["findings"]] == list(ALARMS)
    (tmp_path / "b.json").write_text(text)
    again = _alarms(path)
    apply_baseline(again, tmp_path / "b.json")
    assert again.findings[0].suppressed.source == "baseline"
    assert again.baseline["stale"] == 0
    # a baseline recorded when only Errors was missing does not hide the new missing alarms
    doc = json.loads(text)
    doc["findings"] = doc["findings"][:1]
    (tmp_path / "old.json").write_text(json.dumps(doc))
    again = _alarms(path)
    apply_baseline(again, tmp_path / "old.json")
    assert again.findings[0].suppressed is None


def test_baseline_from_before_grouping_matches_the_group(tmp_path):
    import yaml

    from cfncheck.policy.loader import builtin_dir

    spec = yaml.safe_load((builtin_dir() / "general" / "required_tags.yaml").read_text())
    spec.pop("group")
    ungrouped = compile_policy(spec, "required_tags.yaml")  # the check as it was before
    path = _template(tmp_path, {"A": _queue(), "B": _queue()})
    old = scan([path], Config(), checks=[ungrouped], jobs=1)
    assert [f.logical_id for f in old.findings] == ["A", "B"]
    (tmp_path / "old.json").write_text(create_baseline(old))
    grouped = scan([path], Config(), checks=[c for c in collect_checks(Config())
                                             if c.info.id == "CC-TAG-001"], jobs=1)
    (f,) = grouped.findings
    assert [m["fingerprint"] for m in f.related] == [g.fingerprint for g in old.findings]
    apply_baseline(grouped, tmp_path / "old.json")
    assert f.suppressed.source == "baseline"
    assert grouped.baseline["stale"] == 0
    # a resource the old baseline did not have makes the group new
    path = _template(tmp_path, {"A": _queue(), "B": _queue(), "C": _queue()})
    grouped = scan([path], Config(), checks=[c for c in collect_checks(Config())
                                             if c.info.id == "CC-TAG-001"], jobs=1)
    apply_baseline(grouped, tmp_path / "old.json")
    assert grouped.findings[0].suppressed is None


class StageRule:
    """A Python rule reporting one grouped finding (the Hit.related interface)."""

    info = CheckInfo(id="T-GRP-001", title="Queues are grouped", severity="warning",
                     remediation="Do one thing.")

    def run(self, ctx):
        for stack in ctx.stacks:
            lids = sorted(stack.resources)
            yield Hit(stack, None, ("Resources",), f"{len(lids)} queues", key="all",
                      related=tuple((stack, lid) for lid in lids))


@pytest.fixture
def grouped_result(tmp_path):
    path = _template(tmp_path, {"A": _queue(), "B": _queue(), "C": _queue(), "D": _queue()})
    return scan([path], Config(), checks=[StageRule()], jobs=1)


def test_python_rule_related_in_json_and_sarif(grouped_result):
    opts = ReportOptions(fail_on="error")
    doc = json.loads(render("json", grouped_result, opts))
    schema = json.loads((ROOT / "cfncheck" / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(doc, schema)
    (f,) = doc["findings"]
    assert [m["logical_id"] for m in f["related"]] == ["A", "B", "C", "D"]
    assert set(f["related"][0]) == {"logical_id", "resource_type", "construct_path", "stack",
                                    "file", "line"}
    sarif = json.loads(render("sarif", grouped_result, opts))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    (res,) = sarif["runs"][0]["results"]
    assert res["locations"][0]["logicalLocations"] == [
        {"name": "stack.template.json", "fullyQualifiedName": "stack.template.json",
         "kind": "module"}]
    related = res["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2, 3, 4]
    assert [r["logicalLocations"][0]["name"] for r in related] == ["A", "B", "C", "D"]
    assert related[0]["message"]["text"] == "Affected resource 1 of 4: A (AWS::SQS::Queue)"
    assert related[0]["physicalLocation"]["region"]["startLine"] == f["related"][0]["line"]


def test_related_in_text_markdown_github_junit(grouped_result):
    opts = ReportOptions(fail_on="error")
    text = render("text", grouped_result, opts)
    assert "affects 4 resource(s): A (line " in text
    assert "and 1 more (see --format json)" in text
    for fmt in ("github", "junit"):
        assert "affects 4 resources: A, B, C and 1 more" in render(fmt, grouped_result, opts)
    # Markdown: the ":" is escaped like every character that can start Markdown syntax
    assert "affects 4 resources\\: A, B, C and 1 more" in render("markdown", grouped_result,
                                                                  opts)


BASE_POLICY = {
    "id": "T-GRP-002", "title": "Queues have X", "severity": "warning", "category": "sqs",
    "description": "Queues have X.", "remediation": "Set X.",
    "resource_types": ["AWS::SQS::Queue"],
    "assert": {"path": "Properties.X", "exists": True},
}


def test_group_field_is_validated():
    compile_policy(dict(BASE_POLICY, group={"by": "app", "message": "{count} in {scope}"}), "p")
    with pytest.raises(InputError, match="primary: stack needs by: stack"):
        compile_policy(dict(BASE_POLICY, group={"by": "stage", "primary": "stack"}), "p")
    with pytest.raises(InputError, match=r"unknown placeholder \{members\}"):
        compile_policy(dict(BASE_POLICY, group={"by": "stack", "message": "{members}"}), "p")
    with pytest.raises(InputError, match="group"):
        compile_policy(dict(BASE_POLICY, group={"by": "region"}), "p")
    with pytest.raises(InputError, match="combine"):
        compile_policy(dict(BASE_POLICY, combine={"family": "x"}), "p")


def test_group_by_stage_spans_stacks_with_the_first_resource_as_primary(tmp_path):
    policy = compile_policy(dict(BASE_POLICY, group={"by": "stage"}), "p")
    a = _template(tmp_path, {"Q1": _queue()}, name="a.template.json")
    b = _template(tmp_path, {"Q2": _queue(), "Q3": _queue()}, name="b.template.json")
    (f,) = scan([a, b], Config(), checks=[policy], stage="dev", jobs=1).findings
    assert (f.stack, f.logical_id) == ("a.template.json", "Q1")
    assert [(m["stack"][0], m["logical_id"]) for m in f.related] == [("a", "Q1"), ("b", "Q2"),
                                                                     ("b", "Q3")]
    assert f.message == "Queues have X: 3 resource(s) in stage dev: Properties.X is absent"
