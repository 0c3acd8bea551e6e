"""Intrinsic values: unresolved modes (fail/pass/skip), Fn::If branches, AWS::NoValue."""

from __future__ import annotations

from .conftest import make_policy, make_stack, verdicts

EXTRA = {"Parameters": {"P": {"Type": "String"}},
         "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}}}


def b(props):
    return {"Type": "AWS::S3::Bucket", "Properties": props}


RES = {
    "Literal": b({"X": "yes"}),
    "FromParam": b({"X": {"Ref": "P"}}),
    "FromSub": b({"X": {"Fn::Sub": "${P}-x"}}),
    "IfSame": b({"X": {"Fn::If": ["C", "yes", "yes"]}}),
    "IfDiffer": b({"X": {"Fn::If": ["C", "yes", "no"]}}),
    "IfBothWrong": b({"X": {"Fn::If": ["C", "no", {"Fn::If": ["C", "nope", "no"]}]}}),
    "IfNoValue": b({"X": {"Fn::If": ["C", "yes", {"Ref": "AWS::NoValue"}]}}),
    "IfWithRef": b({"X": {"Fn::If": ["C", "yes", {"Ref": "P"}]}}),
    "ParentIf": b({"Fn::If": ["C", {"X": "yes"}, {"X": "no"}]}),
    "NoValue": b({"X": {"Ref": "AWS::NoValue"}}),
}


def run(test, **fields):
    pol = make_policy(test, **fields)
    return {k: (v.status, v.reason) for k, v in
            verdicts(pol, make_stack(RES, extra=EXTRA)).items()}


def test_unresolved_fail_is_the_default():
    out = run({"path": "Properties.X", "equals": "yes"})
    assert {k: s for k, (s, _) in out.items()} == {
        "Literal": "PASS", "FromParam": "FAIL", "FromSub": "FAIL", "IfSame": "PASS",
        "IfDiffer": "FAIL", "IfBothWrong": "FAIL", "IfNoValue": "FAIL", "IfWithRef": "FAIL",
        "ParentIf": "FAIL", "NoValue": "FAIL"}
    assert out["FromParam"][1] == 'Properties.X is not a literal value ({"Ref":"P"})'
    assert out["IfDiffer"][1].startswith("Properties.X depends on condition C")
    assert out["IfBothWrong"][1] == ('Properties.X is "no", expected "yes" '
                                     "(in every branch of Fn::If)")
    assert out["ParentIf"][1].startswith("Properties is not a literal value")
    assert out["NoValue"][1] == "Properties.X is absent"


def test_unresolved_pass_and_skip_policy_wide():
    out = run({"path": "Properties.X", "equals": "yes"}, unresolved="pass")
    assert {k for k, (s, _) in out.items() if s == "FAIL"} == {"IfBothWrong", "NoValue"}
    out = run({"path": "Properties.X", "equals": "yes"}, unresolved="skip")
    assert {k for k, (s, _) in out.items() if s == "SKIP"} == {
        "FromParam", "FromSub", "IfDiffer", "IfNoValue", "IfWithRef", "ParentIf"}
    assert out["FromParam"][1].startswith("unresolved: Properties.X is not a literal")


def test_unresolved_per_test_overrides_policy():
    out = run({"all": [{"path": "Properties.X", "equals": "yes", "unresolved": "pass"}]},
              unresolved="fail")
    assert out["FromParam"][0] == "PASS"


def test_exists_and_type_intrinsic_are_never_unresolved_except_if_novalue():
    out = run({"path": "Properties.X", "exists": True})
    assert {k: s for k, (s, _) in out.items()} == {
        "Literal": "PASS", "FromParam": "PASS", "FromSub": "PASS", "IfSame": "PASS",
        "IfDiffer": "PASS", "IfBothWrong": "PASS", "IfNoValue": "FAIL", "IfWithRef": "PASS",
        "ParentIf": "FAIL", "NoValue": "FAIL"}
    assert out["IfNoValue"][1].startswith("Properties.X depends on condition C")
    out = run({"path": "Properties.X", "type": "intrinsic"})
    assert out["FromParam"][0] == out["IfDiffer"][0] == "PASS"
    assert out["Literal"][0] == "FAIL"


def test_not_equals_holds_on_novalue_branch():
    out = run({"path": "Properties.X", "not_equals": "no"})
    assert out["IfNoValue"][0] == "PASS"
    assert out["IfDiffer"][0] == "FAIL"


def test_unresolved_ignores_the_test_message():
    out = run({"path": "Properties.X", "equals": "yes", "message": "X must be yes"})
    assert out["IfBothWrong"][1] == "X must be yes"
    assert out["FromParam"][1].startswith("Properties.X is not a literal value")
