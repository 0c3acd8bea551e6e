"""cfncheck.findings: the finding model and its line-independent fingerprint."""

from __future__ import annotations

import pytest

from cfncheck.findings import Finding, at_or_above


def make(**kw):
    base = dict(rule_id="CC-S3-001", severity="error", title="t", message="m",
                stack="Prod/Api", assembly_path="assembly-Prod", logical_id="Bucket1",
                construct_path="Prod/Api/Bucket/Resource", line=10, column=3, key="k")
    base.update(kw)
    return Finding(**base)


def test_fingerprint_ignores_lines_columns_messages_and_logical_id_churn():
    a = make()
    assert make(line=99, column=1, message="other").fingerprint == a.fingerprint
    # CDK hash churn changes logical ids; the construct path does not
    assert make(logical_id="Bucket2").fingerprint == a.fingerprint


@pytest.mark.parametrize("change", [
    {"rule_id": "CC-S3-002"}, {"assembly_path": "assembly-Dev"},
    {"construct_path": "Prod/Api/Other/Resource"}, {"key": "other"},
])
def test_fingerprint_changes_with_the_defect(change):
    assert make(**change).fingerprint != make().fingerprint


def test_without_construct_path_stack_and_logical_id_identify():
    a = make(construct_path=None)
    assert make(construct_path=None, stack="Prod/Other").fingerprint != a.fingerprint
    assert make(construct_path=None, logical_id="X").fingerprint != a.fingerprint


def test_bad_severity_is_refused():
    with pytest.raises(ValueError):
        make(severity="critical")


def test_to_dict_fields():
    d = make().to_dict()
    for key in ("rule_id", "severity", "title", "message", "stage", "stack", "template",
                "logical_id", "resource_type", "construct_path", "file", "line", "column",
                "fingerprint", "suppressed"):
        assert key in d
    assert d["suppressed"] is False


def test_threshold():
    assert at_or_above("error", "warning") and not at_or_above("info", "warning")
    assert not at_or_above("error", "never")
