"""Relationships over the graph: referenced_by / references / in_same_app / dashboard_shows,
within a template and across stacks, nested stacks and CDK Stages of the real samples."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import scan
from tests.samples import DEFECTIVE, FIXED

from .conftest import make_policy, make_stack, verdicts


def fn(props=None):
    return {"Type": "AWS::Lambda::Function", "Properties": props or {}}


def alarm(metric, dims, actions=True):
    props = {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dims}
    if actions:
        props["AlarmActions"] = [{"Ref": "Topic"}]
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


ERRORS_ALARM = {"referenced_by": {
    "type": "AWS::CloudWatch::Alarm", "path": "Properties.Dimensions",
    "where": {"all": [{"path": "Properties.MetricName", "equals": "Errors"},
                      {"path": "Properties.AlarmActions", "length_gte": 1}]}}}


def test_referenced_by_with_path_and_where():
    pol = make_policy(ERRORS_ALARM, resource_types=["AWS::Lambda::Function"])
    res = {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Watched": fn(), "WrongMetric": fn(), "NoActions": fn(), "Unwatched": fn(),
        "ByName": fn({"FunctionName": "by-name"}), "OtherPath": fn(),
        "A1": alarm("Errors", [{"Name": "FunctionName", "Value": {"Ref": "Watched"}}]),
        "A2": alarm("Duration", [{"Name": "FunctionName", "Value": {"Ref": "WrongMetric"}}]),
        "A3": alarm("Errors", [{"Name": "FunctionName", "Value": {"Ref": "NoActions"}}],
                    actions=False),
        "A4": alarm("Errors", [{"Name": "FunctionName", "Value": "by-name"}]),
        "A5": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "MetricName": "Errors", "AlarmActions": [{"Ref": "Topic"}],
            "AlarmDescription": {"Fn::Sub": "errors of ${OtherPath}"}}},
    }
    vs = verdicts(pol, make_stack(res))
    assert {k: v.status for k, v in vs.items() if not k.startswith(("A", "Topic"))} == {
        "Watched": "PASS", "WrongMetric": "FAIL", "NoActions": "FAIL", "Unwatched": "FAIL",
        "ByName": "PASS", "OtherPath": "FAIL"}
    assert vs["Unwatched"].reason == (
        "referenced by 0 AWS::CloudWatch::Alarm resource(s) through Properties.Dimensions that "
        "satisfy ((Properties.MetricName is \"Errors\") and (Properties.AlarmActions is "
        "length >= 1)), expected at least 1")
    assert vs["Unwatched"].hit.path == ("Resources", "Unwatched")
    assert vs["Unwatched"].hit.key == ""


def test_relation_message_counts_and_wildcard_path():
    t = {"referenced_by": {"type": "AWS::CloudWatch::Alarm", "path": "Properties.Dimensions[*]",
                           "count_gte": 2, "count_lte": 2, "message": "needs two alarms"}}
    pol = make_policy(t, resource_types=["AWS::Lambda::Function"])
    res = {"F1": fn(), "F2": fn(), "F3": fn(),
           **{f"A{i}": alarm("Errors", [{"Name": "FunctionName", "Value": {"Ref": f}}])
              for i, f in enumerate(["F1", "F2", "F2", "F3", "F3", "F3"])}}
    vs = verdicts(pol, make_stack(res))
    assert (vs["F1"].status, vs["F2"].status, vs["F3"].status) == ("FAIL", "PASS", "FAIL")
    assert vs["F1"].reason == "needs two alarms"


def test_depends_on_is_not_a_reference_unless_asked():
    res = {"F": fn(), "A": {"Type": "AWS::CloudWatch::Alarm", "DependsOn": ["F"]}}
    pol = make_policy({"referenced_by": {"type": "AWS::CloudWatch::Alarm"}},
                      resource_types=["AWS::Lambda::Function"])
    assert verdicts(pol, make_stack(res))["F"].status == "FAIL"
    pol = make_policy({"referenced_by": {"type": "AWS::CloudWatch::Alarm", "path": "DependsOn"}},
                      resource_types=["AWS::Lambda::Function"])
    assert verdicts(pol, make_stack(res))["F"].status == "PASS"


def test_references_and_nested_relationships():
    res = {
        "Api": {"Type": "AWS::ApiGateway::RestApi"},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Bare": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Plan": {"Type": "AWS::ApiGateway::UsagePlan", "Properties": {
            "ApiStages": [{"ApiId": {"Ref": "Api"}, "Stage": {"Ref": "Stage"}}]}},
        "PlanKey": {"Type": "AWS::ApiGateway::UsagePlanKey", "Properties": {
            "UsagePlanId": {"Ref": "Plan"}, "KeyType": "API_KEY", "KeyId": "k"}},
    }
    pol = make_policy({"referenced_by": {
        "type": "AWS::ApiGateway::UsagePlan", "path": "Properties.ApiStages",
        "where": {"referenced_by": {"type": "AWS::ApiGateway::UsagePlanKey",
                                    "path": "Properties.UsagePlanId"}}}},
        resource_types=["AWS::ApiGateway::Stage"])
    vs = verdicts(pol, make_stack(res))
    assert (vs["Stage"].status, vs["Bare"].status) == ("PASS", "FAIL")
    pol = make_policy({"references": {"type": ["AWS::ApiGateway::RestApi"],
                                      "path": "Properties.RestApiId"}},
                      resource_types=["AWS::ApiGateway::Stage", "AWS::ApiGateway::UsagePlan"])
    vs = verdicts(pol, make_stack(res))
    assert (vs["Stage"].status, vs["Plan"].status) == ("PASS", "FAIL")


def test_in_same_app_is_per_template_for_plain_templates():
    pol = make_policy({"in_same_app": {"type": "AWS::CloudWatch::Dashboard"}},
                      resource_types=["AWS::Lambda::Function"])
    with_dash = make_stack({"F": fn(), "D": {"Type": "AWS::CloudWatch::Dashboard"}}, name="A")
    without = make_stack({"G": fn()}, name="B")
    vs = verdicts(pol, [with_dash, without])
    assert (vs["F"].status, vs["G"].status) == ("PASS", "FAIL")
    assert vs["G"].reason == ("the app (B.template.json) has 0 AWS::CloudWatch::Dashboard "
                              "resource(s), expected at least 1")


# -- the real samples: cross-stack (Fn::GetStackOutput), nested stacks, CDK Stages ----------

@cache
def _scan(path, assertion: str, types: tuple):
    import yaml

    pol = make_policy(yaml.safe_load(assertion), resource_types=list(types))
    result = scan([path], Config(), checks=[pol])
    assert not result.errors
    return [(f.stack, f.logical_id) for f in result.findings]


FUNCTIONS = ("AWS::Lambda::Function",)
USER_FUNCTIONS = {"OrdersApiFunctionF46D4A7F", "ReportFunction3CBC8DF1", "WorkerFunctionACE6A4B0"}


def _user(found):
    return sorted((s, lid) for s, lid in found if lid in USER_FUNCTIONS)


def test_cross_stack_alarm_dimensions_resolve_through_get_stack_output():
    a = """
referenced_by:
  type: AWS::CloudWatch::Alarm
  path: Properties.Dimensions
  where: {path: Properties.MetricName, equals: Errors}
"""
    # defective: only OrdersApiFunction has an (Errors) alarm, in the Monitoring stack
    assert _user(_scan(DEFECTIVE, a, FUNCTIONS)) == [
        ("Dev/Api", "ReportFunction3CBC8DF1"), ("Dev/Api", "WorkerFunctionACE6A4B0"),
        ("Prod/Api", "ReportFunction3CBC8DF1"), ("Prod/Api", "WorkerFunctionACE6A4B0")]
    assert _user(_scan(FIXED, a, FUNCTIONS)) == []


def test_alarm_on_api_by_name_dimension():
    a = """
referenced_by:
  type: AWS::CloudWatch::Alarm
  where: {path: Properties.MetricName, equals: 5XXError}
"""
    types = ("AWS::ApiGateway::RestApi",)
    assert _scan(DEFECTIVE, a, types) == [("Dev/Api", "OrdersApi48294D44"),
                                          ("Prod/Api", "OrdersApi48294D44")]
    assert _scan(FIXED, a, types) == []


def test_dashboard_shows_and_in_same_app_per_cdk_stage():
    assert _user(_scan(FIXED, "dashboard_shows: true", FUNCTIONS)) == []
    assert len(_user(_scan(DEFECTIVE, "dashboard_shows: true", FUNCTIONS))) == 6
    a = "in_same_app: {type: 'AWS::CloudWatch::Dashboard'}"
    assert _user(_scan(FIXED, a, FUNCTIONS)) == []
    assert len(_user(_scan(DEFECTIVE, a, FUNCTIONS))) == 6


def test_nested_stack_resources_are_referenced_through_nested_outputs():
    a = """
referenced_by:
  type: AWS::IAM::Policy
  path: Properties.PolicyDocument
"""
    # the parent stack's function policies reach the nested AuditTable through
    # Fn::GetAtt [Storage, Outputs.X]; every table is referenced
    assert _scan(FIXED, a, ("AWS::DynamoDB::Table",)) == []
    a = "references: {type: 'AWS::DynamoDB::Table'}"
    found = _scan(FIXED, a, ("AWS::IAM::Policy",))
    assert ("Prod/Api", "OrdersApiFunctionServiceRoleDefaultPolicy7EA3A08B") not in found


def test_construct_fqn_reads_the_owners_in_tree_json():
    import pytest

    from cfncheck.errors import InputError

    platform = Path(__file__).resolve().parents[2] / "sample_templates" / "platform" / "cdk.out"
    pol = make_policy({"construct_fqn": ["aws-cdk-lib.triggers.TriggerFunction",
                                         "aws-cdk-lib.aws_autoscaling.*"]},
                      resource_types=["AWS::Lambda::Function"])
    result = scan([platform], Config(), checks=[pol], jobs=1)
    failing = {(f.stack, f.logical_id) for f in result.findings if f.stack.startswith("Prod/")}
    # every function but the TriggerFunction and the drain hook inside the Auto Scaling group
    assert ("Prod/Api", "SeedReferenceData072D0FE8") not in failing
    assert ("Prod/Network", "ClusterWorkerCapacityDrainECSHookFunction3962A777") not in failing
    assert ("Prod/Api", "OrdersHandlerA8584A8A") in failing
    (f,) = [f for f in result.findings if f.logical_id == "OrdersHandlerA8584A8A"
            and f.stack == "Prod/Api"]
    assert "no construct of Prod/Api/OrdersHandler/Resource has an fqn matching " \
           "aws-cdk-lib.triggers.TriggerFunction, aws-cdk-lib.aws_autoscaling.*" in f.message
    # without tree.json (a plain template) it never holds
    assert verdicts(pol, make_stack({"F": fn()}))["F"].status == "FAIL"
    with pytest.raises(InputError, match="construct_fqn"):
        make_policy({"construct_fqn": "aws-cdk-lib.triggers.TriggerFunction"})
