"""Every operator of a property test, absent values, quantifiers, params, messages."""

from __future__ import annotations

import pytest

from cfncheck.errors import InputError

from .conftest import make_policy, make_stack, verdicts


def b(props=None, **attrs):
    res = {"Type": "AWS::S3::Bucket", **attrs}
    if props is not None:
        res["Properties"] = props
    return res


@pytest.mark.parametrize("test, props, expected", [
    ({"exists": True}, {"X": 1}, "PASS"),
    ({"exists": True}, {}, "FAIL"),
    ({"exists": False}, {}, "PASS"),
    ({"exists": False}, {"X": None}, "FAIL"),
    ({"equals": "a"}, {"X": "a"}, "PASS"),
    ({"equals": "a"}, {"X": "b"}, "FAIL"),
    ({"equals": True}, {"X": "true"}, "PASS"),
    ({"equals": True}, {"X": "True"}, "PASS"),
    ({"equals": True}, {"X": 1}, "FAIL"),
    ({"equals": False}, {"X": "false"}, "PASS"),
    ({"equals": 15}, {"X": "15"}, "PASS"),
    ({"equals": "15"}, {"X": 15}, "PASS"),
    ({"equals": {"a": [1]}}, {"X": {"a": [1]}}, "PASS"),
    ({"equals": "a"}, {}, "FAIL"),
    ({"not_equals": "a"}, {"X": "b"}, "PASS"),
    ({"not_equals": "a"}, {"X": "a"}, "FAIL"),
    ({"not_equals": "a"}, {}, "PASS"),
    ({"in": ["a", "b"]}, {"X": "b"}, "PASS"),
    ({"in": ["a", "b"]}, {"X": "c"}, "FAIL"),
    ({"in": ["a"]}, {}, "FAIL"),
    ({"not_in": ["a", "b"]}, {"X": "c"}, "PASS"),
    ({"not_in": ["a", "b"]}, {"X": "a"}, "FAIL"),
    ({"not_in": ["a"]}, {}, "PASS"),
    ({"regex": "^arn:aws:kms:"}, {"X": "arn:aws:kms:eu-west-1:1:key/x"}, "PASS"),
    ({"regex": "kms"}, {"X": "arn:aws:kms:x"}, "PASS"),  # search semantics
    ({"regex": "^kms$"}, {"X": "arn:aws:kms:x"}, "FAIL"),
    ({"regex": "^1[0-9]$"}, {"X": 15}, "PASS"),  # numbers are matched as text
    ({"regex": "x"}, {"X": ["x"]}, "FAIL"),
    ({"not_regex": "^acme-"}, {"X": "other"}, "PASS"),
    ({"not_regex": "^acme-"}, {"X": "acme-data"}, "FAIL"),
    ({"not_regex": "^acme-"}, {}, "PASS"),
    ({"gt": 5}, {"X": 6}, "PASS"),
    ({"gt": 5}, {"X": 5}, "FAIL"),
    ({"gte": 5}, {"X": "5"}, "PASS"),
    ({"lt": 5}, {"X": 4.5}, "PASS"),
    ({"lte": 5}, {"X": 6}, "FAIL"),
    ({"lte": 5}, {"X": "abc"}, "FAIL"),
    ({"lte": 5}, {"X": True}, "FAIL"),
    ({"contains": "s3:*"}, {"X": ["s3:GetObject", "s3:*"]}, "PASS"),
    ({"contains": "s3:*"}, {"X": ["s3:GetObject"]}, "FAIL"),
    ({"contains": "/*"}, {"X": "arn:aws:s3:::b/*"}, "PASS"),
    ({"contains": "Key"}, {"X": {"Key": 1}}, "PASS"),
    ({"contains": "a"}, {"X": 3}, "FAIL"),
    ({"length_gte": 2}, {"X": [1, 2]}, "PASS"),
    ({"length_gte": 2}, {"X": [1]}, "FAIL"),
    ({"length_lte": 3}, {"X": "abcd"}, "FAIL"),
    ({"length_lte": 3}, {"X": 5}, "FAIL"),
    ({"type": "string"}, {"X": "a"}, "PASS"),
    ({"type": "number"}, {"X": True}, "FAIL"),
    ({"type": "boolean"}, {"X": False}, "PASS"),
    ({"type": "list"}, {"X": []}, "PASS"),
    ({"type": "object"}, {"X": {"a": 1, "b": 2}}, "PASS"),
    ({"type": "object"}, {"X": {"Ref": "P"}}, "FAIL"),
    ({"type": "intrinsic"}, {"X": {"Ref": "P"}}, "PASS"),
    ({"type": "intrinsic"}, {"X": "literal"}, "FAIL"),
    ({"type": "null"}, {"X": None}, "PASS"),
])
def test_operator(check, test, props, expected):
    assert check({"path": "Properties.X", **test}, {"R": b(props)}) == {"R": expected}


def test_includes_all_over_list_map_and_multi_path(check):
    assert check({"path": "Properties.X", "includes_all": ["a", "b"]},
                 {"L": b({"X": ["b", "a", "c"]}), "M": b({"X": {"a": 1, "b": 2}}),
                  "Short": b({"X": ["a"]}), "None": b({})}) == \
        {"L": "PASS", "M": "PASS", "Short": "FAIL", "None": "FAIL"}
    assert check({"path": "Properties.X[*].Id", "includes_all": ["a", "b"]},
                 {"Y": b({"X": [{"Id": "a"}, {"Id": "b"}]}), "N": b({"X": [{"Id": "a"}]})}) == \
        {"Y": "PASS", "N": "FAIL"}


def test_multi_valued_quantifiers(check):
    res = {"All": b({"X": [{"V": 1}, {"V": 2}]}), "Some": b({"X": [{"V": 1}, {"V": 9}]}),
           "Empty": b({"X": []}), "Missing": b({})}
    assert check({"path": "Properties.X[*].V", "lt": 5}, res) == \
        {"All": "PASS", "Some": "FAIL", "Empty": "PASS", "Missing": "PASS"}
    assert check({"path": "Properties.X[*].V", "gt": 5, "quantifier": "any"}, res) == \
        {"All": "FAIL", "Some": "PASS", "Empty": "FAIL", "Missing": "FAIL"}
    assert check({"path": "Properties.X[*].V", "exists": True}, res) == \
        {"All": "PASS", "Some": "PASS", "Empty": "FAIL", "Missing": "FAIL"}


def test_combinators(check):
    res = {"A": b({"X": 1, "Y": 2}), "B": b({"X": 1}), "C": b({})}
    x = {"path": "Properties.X", "exists": True}
    y = {"path": "Properties.Y", "exists": True}
    assert check({"all": [x, y]}, res) == {"A": "PASS", "B": "FAIL", "C": "FAIL"}
    assert check({"any": [x, y]}, res) == {"A": "PASS", "B": "PASS", "C": "FAIL"}
    assert check({"not": y}, res) == {"A": "FAIL", "B": "PASS", "C": "PASS"}


def test_reason_lists_every_failing_part_of_all_and_points_at_the_first():
    pol = make_policy({"all": [{"path": "Properties.A", "equals": True},
                               {"path": "Properties.B", "equals": True},
                               {"path": "Properties.C", "equals": True}]})
    stack = make_stack({"R": b({"A": False, "C": True})})
    v = verdicts(pol, stack)["R"]
    assert v.reason == "Properties.A is false, expected true; Properties.B is absent"
    assert v.hit.path == ("Resources", "R", "Properties", "A")
    assert v.hit.key == "Properties.A"
    assert v.hit.message == "Test policy: " + v.reason


def test_absent_property_points_at_nearest_parent_and_keys_on_the_wanted_path():
    pol = make_policy({"path": "Properties.Config.Flag", "equals": True})
    vs = verdicts(pol, make_stack({"NoProps": b(), "NoConfig": b({"Other": 1})}))
    assert vs["NoProps"].hit.path == ("Resources", "NoProps")
    assert vs["NoConfig"].hit.path == ("Resources", "NoConfig", "Properties")
    assert vs["NoProps"].hit.key == vs["NoConfig"].hit.key == "Properties.Config.Flag"
    assert vs["NoProps"].reason == "Properties.Config.Flag is absent"


def test_default_value_for_absent_property(check):
    t = {"path": "Properties.Timeout", "lte": 29, "default": 3}
    assert check(t, {"D": b({}), "Ok": b({"Timeout": 20}), "Bad": b({"Timeout": 30})}) == \
        {"D": "PASS", "Ok": "PASS", "Bad": "FAIL"}
    t = {"path": "Properties.Timeout", "gte": 5, "default": 3}
    pol = make_policy(t)
    v = verdicts(pol, make_stack({"D": b({})}))["D"]
    assert v.reason == "Properties.Timeout is 3, expected >= 5 (Properties.Timeout is absent, " \
                       "so 3 by default)"


def test_test_message_replaces_reason():
    pol = make_policy({"path": "Properties.X", "exists": True, "message": "X is needed"})
    assert verdicts(pol, make_stack({"R": b({})}))["R"].reason == "X is needed"


def test_all_and_any_message_replaces_the_combined_reason():
    x = {"path": "Properties.X", "exists": True}
    y = {"path": "Properties.Y", "exists": True}
    stack = make_stack({"R": b({})})
    v = verdicts(make_policy({"any": [x, y], "message": "X or Y is needed"}), stack)["R"]
    assert v.reason == "X or Y is needed"
    assert v.hit.path == ("Resources", "R", "Properties")  # where the first part failed
    v = verdicts(make_policy({"all": [x, y], "message": "X and Y are needed"}), stack)["R"]
    assert v.reason == "X and Y are needed"
    assert verdicts(make_policy({"any": [x, y]}), stack)["R"].reason == \
        "Properties.X is absent or Properties.Y is absent"


def test_message_placeholders():
    pol = make_policy({"path": "Properties.X", "lte": {"param": "limit"}},
                      parameters={"limit": {"default": 3, "prod": 1}},
                      message="{type} {logical_id} in {stack} ({stage}, {construct_path}) "
                              "over {param.limit}: {reason} {{literal}}")
    res = {"R": b({"X": 2}, Metadata={"aws:cdk:path": "Prod/Api/R/Resource"})}
    v = verdicts(pol, make_stack(res, stage="prod", name="Prod-Api"))["R"]
    assert v.hit.message == ("AWS::S3::Bucket R in Prod-Api (prod, Prod/Api/R/Resource) over 1: "
                             "Properties.X is 2, expected <= 1 {literal}")


def test_param_operands_resolve_per_stage_and_config_overrides(check):
    t = {"path": "Properties.X", "in": {"param": "allowed"}}
    fields = {"parameters": {"allowed": {"default": ["a", "b"], "prod": ["a"]}}}
    res = {"R": b({"X": "b"})}
    assert check(t, res, stage="dev", **fields) == {"R": "PASS"}
    assert check(t, res, stage="prod", **fields) == {"R": "FAIL"}
    assert check(t, res, stage="dev", params={"allowed": ["c"]}, **fields) == {"R": "FAIL"}
    assert check(t, res, stage="prod", params={"allowed": {"default": ["a"], "prod": ["b"]}},
                 **fields) == {"R": "PASS"}


def test_param_regex_is_compiled_with_re2(check):
    t = {"path": "Properties.X", "regex": {"param": "pattern"}}
    assert check(t, {"R": b({"X": "acme-1"})}, parameters={"pattern": "^acme-[0-9]+$"}) == \
        {"R": "PASS"}


def test_path_operand_compares_two_values_of_one_element(check):
    """{path: ...} as the operand of equals / not_equals: FromPort equals ToPort."""
    t = {"every": {"path": "Properties.Rules",
                   "assert": {"path": "$.From", "equals": {"path": "$.To"}}}}
    res = {"Same": b({"Rules": [{"From": 443, "To": "443"}]}),
           "Range": b({"Rules": [{"From": 443, "To": 443}, {"From": 0, "To": 65535}]}),
           "Intrinsic": b({"Rules": [{"From": 5432, "To": {"Fn::GetAtt": ["Db", "Port"]}}]}),
           "NoTo": b({"Rules": [{"From": 1}]})}
    assert check(t, res, unresolved="pass") == \
        {"Same": "PASS", "Range": "FAIL", "Intrinsic": "PASS", "NoTo": "PASS"}
    assert check(t, res)["Intrinsic"] == "FAIL"  # unresolved: fail by default
    assert check(t, res)["NoTo"] == "FAIL"  # an absent operand is unresolved too
    diff = {"path": "Properties.A", "not_equals": {"path": "Properties.B"}}
    assert check(diff, {"D": b({"A": 1, "B": 2}), "E": b({"A": "x", "B": "x"})}) == \
        {"D": "PASS", "E": "FAIL"}


def test_path_operand_reason_and_validation():
    pol = make_policy({"path": "Properties.A", "equals": {"path": "Properties.B"}})
    v = verdicts(pol, make_stack({"R": b({"A": 1, "B": 2})}))["R"]
    assert v.status == "FAIL"
    assert "Properties.A is 1, expected the value of Properties.B" in v.reason
    with pytest.raises(InputError, match=r"names one value"):
        make_policy({"path": "Properties.A", "equals": {"path": "Properties.B[*]"}})


def test_resource_attributes(check):
    res = {"R": b({}, DeletionPolicy="Retain", Condition="IsProd",
                  Metadata={"cfn_nag": {"rules_to_suppress": []}}),
           "S": b({})}
    assert check({"path": "DeletionPolicy", "equals": "Retain"}, res) == \
        {"R": "PASS", "S": "FAIL"}
    assert check({"path": "Condition", "exists": True}, res) == {"R": "PASS", "S": "FAIL"}
    assert check({"path": "Metadata.cfn_nag", "type": "object"}, res) == \
        {"R": "PASS", "S": "FAIL"}
    assert check({"path": "Type", "regex": "^AWS::S3::"}, res) == {"R": "PASS", "S": "PASS"}


def test_has_tags_counts_resource_and_stack_tags(check):
    t = {"has_tags": ["Environment", "Owner"]}
    res = {
        "List": b({"Tags": [{"Key": "Environment", "Value": "prod"},
                            {"Key": "Owner", "Value": "x"}]}),
        "Partial": b({"Tags": [{"Key": "Environment", "Value": "prod"}]}),
        "None": b({}),
        "Conditional": b({"Tags": [{"Key": "Environment", "Value": "p"},
                                   {"Fn::If": ["C", {"Key": "Owner", "Value": "x"},
                                               {"Ref": "AWS::NoValue"}]}]}),
    }
    assert check(t, res) == {"List": "PASS", "Partial": "FAIL", "None": "FAIL",
                             "Conditional": "FAIL"}
    assert check(t, res, tags={"Owner": "team"}) == {"List": "PASS", "Partial": "PASS",
                                                     "None": "FAIL", "Conditional": "PASS"}
    # map-form tags (e.g. AWS::SSM::Parameter)
    assert check({"path": "Properties.Tags", "has_tags": ["Owner"]},
                 {"M": b({"Tags": {"Owner": "x"}})}) == {"M": "PASS"}


def test_has_tags_reason_names_missing_keys():
    pol = make_policy({"has_tags": ["Environment", "Owner", "CostCenter"]})
    v = verdicts(pol, make_stack({"R": b({"Tags": [{"Key": "Owner", "Value": "x"}]})}))["R"]
    assert v.reason == "missing tags Environment, CostCenter"
    assert v.hit.path == ("Resources", "R", "Properties", "Tags")


def test_has_tags_inherited_from_parent_of_nested_stack(check):
    parent = make_stack({"Nested": {"Type": "AWS::CloudFormation::Stack"}}, tags={"Owner": "t"},
                        name="Parent")
    child = make_stack({"R": b({})}, name="Child")
    child.parent, child.parent_logical_id = parent, "Nested"
    pol = make_policy({"has_tags": ["Owner"]})
    assert verdicts(pol, [parent, child])["R"].status == "PASS"


def test_references_operator(check):
    res = {
        "Key": {"Type": "AWS::KMS::Key"},
        "ByRef": b({"K": {"Fn::GetAtt": ["Key", "Arn"]}}),
        "BySub": b({"K": {"Fn::Sub": "${Key.Arn}"}}),
        "Literal": b({"K": "arn:aws:kms:eu-west-1:1:key/x"}),
        "Absent": b({}),
    }
    assert check({"path": "Properties.K", "references": {"type": "AWS::KMS::*"}}, res) == {
        "Key": "SKIP", "ByRef": "PASS", "BySub": "PASS", "Literal": "FAIL", "Absent": "FAIL"}


def test_secure_parameter_judges_refs_to_parameters_only(check):
    params = {"Parameters": {
        "Hidden": {"Type": "String", "NoEcho": True},
        "Shown": {"Type": "String"},
        "HiddenDefault": {"Type": "String", "NoEcho": "true", "Default": "hunter2"}}}
    res = {"Hidden": b({"X": {"Ref": "Hidden"}}), "Shown": b({"X": {"Ref": "Shown"}}),
           "Default": b({"X": {"Ref": "HiddenDefault"}}), "Absent": b({}),
           "Literal": b({"X": "plain"}), "Other": b({"X": {"Ref": "AWS::StackName"}}),
           "IfShown": b({"X": {"Fn::If": ["C", {"Ref": "Hidden"}, {"Ref": "Shown"}]}}),
           "IfHidden": b({"X": {"Fn::If": ["C", {"Ref": "Hidden"}, {"Ref": "AWS::NoValue"}]}})}
    assert check({"path": "Properties.X", "secure_parameter": True}, res, extra=params) == {
        "Hidden": "PASS", "Shown": "FAIL", "Default": "FAIL", "Absent": "PASS",
        "Literal": "PASS", "Other": "PASS", "IfShown": "FAIL", "IfHidden": "PASS"}


def test_secure_parameter_reason_names_the_parameter():
    pol = make_policy({"path": "Properties.X", "secure_parameter": True})
    stack = make_stack({"R": b({"X": {"Ref": "P"}})},
                       extra={"Parameters": {"P": {"Type": "String", "NoEcho": True,
                                                   "Default": "x"}}})
    v = verdicts(pol, stack)["R"]
    assert v.status == "FAIL"
    assert "Properties.X is parameter P, whose Default writes the secret in the template" \
        in v.reason


def test_secure_parameter_does_not_judge_nested_stack_parameters(check):
    parent = make_stack({"Child": {"Type": "AWS::CloudFormation::Stack"}}, name="Parent")
    child = make_stack({"R": b({"X": {"Ref": "P"}})}, name="Child",
                       extra={"Parameters": {"P": {"Type": "String"}}})
    child.parent, child.parent_logical_id = parent, "Child"
    pol = make_policy({"path": "Properties.X", "secure_parameter": True})
    assert verdicts(pol, [parent, child])["R"].status == "PASS"


def test_secure_parameter_takes_true():
    from cfncheck.errors import InputError

    with pytest.raises(InputError, match=r"assert\.secure_parameter: True was expected"):
        make_policy({"path": "Properties.X", "secure_parameter": False})
