"""cfncheck.cdk.suppress(): metadata on L1 and L2 constructs, and its argument checks; and the
plugin's pure parts (assembly roots, Stage-scoped template lists) on the committed samples."""

from __future__ import annotations

from pathlib import Path

import pytest

cdk = pytest.importorskip("aws_cdk")

from aws_cdk import aws_s3 as s3  # noqa: E402
from constructs import Construct  # noqa: E402

from cfncheck.cdk import CfncheckPlugin, assembly_roots, suppress  # noqa: E402
from tests.samples import DEFECTIVE  # noqa: E402


@pytest.fixture
def stack():
    return cdk.Stack(cdk.App(), "S")


def test_l2_gets_metadata_on_its_default_child_and_entries_append(stack):
    bucket = s3.Bucket(stack, "B")
    suppress(bucket, "CC-S3-001", "public website", expires="2030-01-31")
    suppress(bucket, "CC-S3-002", " served by CloudFront ")
    suppress(bucket, "CC-S3-002", "served by CloudFront")  # same entry again: not duplicated
    cfn = bucket.node.default_child
    assert cfn.get_metadata("cfncheck") == {"suppress": [
        {"id": "CC-S3-001", "reason": "public website", "expires": "2030-01-31"},
        {"id": "CC-S3-002", "reason": "served by CloudFront"},
    ]}
    resource = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    assert resource[stack.get_logical_id(cfn)]["Metadata"]["cfncheck"]["suppress"][0]["id"] == \
        "CC-S3-001"


def test_l1_and_existing_metadata_kept(stack):
    cfn = s3.CfnBucket(stack, "Raw")
    cfn.add_metadata("cfncheck", {"suppress": [{"id": "W9101", "reason": "old"}], "x": 1})
    suppress(cfn, "CC-S3-003", "encryption by default is fine")
    assert cfn.get_metadata("cfncheck") == {"x": 1, "suppress": [
        {"id": "W9101", "reason": "old"},
        {"id": "CC-S3-003", "reason": "encryption by default is fine"}]}


def test_custom_construct_needs_apply_to_children(stack):
    group = Construct(stack, "Group")
    a = s3.Bucket(group, "A")
    b = s3.CfnBucket(group, "B")
    with pytest.raises(ValueError, match="no node.default_child"):
        suppress(group, "CC-S3-001", "why")
    suppress(group, "CC-S3-001", "why", apply_to_children=True)
    for cfn in (a.node.default_child, b):
        assert cfn.get_metadata("cfncheck") == {"suppress": [{"id": "CC-S3-001",
                                                              "reason": "why"}]}


@pytest.mark.parametrize("kwargs, message", [
    ({"reason": ""}, "a reason is required"),
    ({"reason": "   "}, "a reason is required"),
    ({"reason": "ok", "expires": "31/12/2030"}, "YYYY-MM-DD"),
    ({"reason": "ok", "expires": "2030-02-30"}, "not a valid date"),
    ({"reason": "ok", "rule_id": ""}, "rule_id"),
    ({"reason": "ok", "rule_id": "cc-s3-001"}, r"'cc-s3-001' is not a check id or glob: ids "
                                               r"are upper case, .* \(did you mean CC-S3-001\?\)"),
    ({"reason": "ok", "rule_id": "CC S3 001"}, r"'CC S3 001' is not a check id or glob"),
])
def test_bad_arguments_raise(stack, kwargs, message):
    bucket = s3.Bucket(stack, "B")
    args = {"rule_id": "CC-S3-001", **kwargs}
    with pytest.raises(ValueError, match=message):
        suppress(bucket, **args)
    assert bucket.node.default_child.get_metadata("cfncheck") is None


def test_assembly_roots_climb_to_the_outer_cdk_out():
    prod = DEFECTIVE / "assembly-Prod"
    templates = [p.resolve() for p in prod.glob("*.template.json")]
    roots, plain = assembly_roots(templates)
    assert roots == [DEFECTIVE.resolve()] and plain == []
    roots, plain = assembly_roots([Path("/nonexistent/x.template.json")])
    assert roots == [] and plain == [Path("/nonexistent/x.template.json")]


def test_plugin_scoped_to_one_stage_reports_only_its_stacks():
    """A plugin registered on the Prod Stage only gets Prod's templates: only Prod findings
    (including its nested stack), while the whole assembly is loaded for cross-stack checks."""
    prod = sorted(str(p) for p in (DEFECTIVE / "assembly-Prod").glob("*.template.json")
                  if ".nested." not in p.name)
    plugin = CfncheckPlugin(config=Path(__file__).parent / "app" / ".cfncheck.yaml")
    report = plugin._run(prod)
    assert report["success"] is False
    stacks = {v["rule_metadata"]["stack"] for v in report["violations"]}
    assert stacks == {"Prod/Api", "Prod/Api/Storage", "Prod/Monitoring"}
    assert {v["rule_metadata"]["stage"] for v in report["violations"]} == {"prod"}
    everything = plugin.last_result.findings
    assert any(f.stack.startswith("Dev/") for f in everything)
    assert int(report["metadata"]["failing"]) == sum(
        1 for f in everything if f.stack.startswith("Prod/") and not f.suppressed
        and f.severity == "error")
    for v in report["violations"]:
        assert v["resources"]
        for res in v["resources"]:
            assert res["template_path"].startswith(str(DEFECTIVE.resolve() / "assembly-Prod"))
            assert all(not loc.startswith("Resources.") for loc in res["locations"])
    # a grouped finding (the stack's missing tags) names each affected resource
    tags = [v for v in report["violations"] if v["rule_name"] == "CC-TAG-001"
            and v["rule_metadata"]["stack"] == "Prod/Api/Storage"]
    assert [[r["resource_logical_id"] for r in v["resources"]] for v in tags] == [
        ["AuditTableB07F8EEB", "EventsQueueB96EB0D2"]]
    assert tags[0]["resources"][0]["construct_path"] == "Prod/Api/Storage/AuditTable/Resource"


def test_fail_on_never_and_warning():
    prod = [str(p) for p in (DEFECTIVE / "assembly-Prod").glob("*.template.json")]
    assert CfncheckPlugin(fail_on="never")._run(prod)["success"] is True
    strict = CfncheckPlugin(fail_on="warning")._run(prod)
    assert strict["success"] is False
    assert int(strict["metadata"]["failing"]) > int(
        CfncheckPlugin()._run(prod)["metadata"]["failing"])
