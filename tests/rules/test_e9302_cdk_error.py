"""E9302 (cfncheck/rules/e9302_cdk_error.py): aws:cdk:error annotations as findings."""

from __future__ import annotations

from cfncheck.rules.e9302_cdk_error import CdkError
from tests.rules.helpers import DEFECTIVE, only, run_rule
from tests.rules.test_w9301_cdk_warning import add_annotations


def test_samples_have_none(sample_findings):
    assert only(sample_findings["defective"], "E9302") == []
    assert only(sample_findings["fixed"], "E9302") == []


def test_errors_are_reported_at_the_construct_warnings_are_not(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    add_annotations(root, {"/Prod/Api/DataBucket": "Bucket misconfigured"}, level="error")
    found = run_rule(CdkError, root, root)
    assert [(f.stack, f.logical_id, f.severity, f.message) for f in found] == [
        ("Prod/Api", "DataBucketE3889A50", "error",
         "CDK error at Prod/Api/DataBucket: Bucket misconfigured")]
    assert found[0].key == "DataBucket|Bucket misconfigured"
