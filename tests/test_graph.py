"""cfncheck.graph: edges from every intrinsic form, resolved across nested stacks and stacks."""

from __future__ import annotations

import pytest

from cfncheck.assembly import load
from cfncheck.graph import Graph, parse_dashboard
from tests.samples import FIXED, write_json


@pytest.fixture(scope="module")
def fixed_graph():
    return Graph(load([FIXED]).stacks)


def node(graph, stack, lid):
    return next(n for n in graph.resources() if n.stack.name == stack and n.logical_id == lid)


def test_alarm_in_monitoring_stack_watches_function_through_weak_reference(fixed_graph):
    fn = node(fixed_graph, "Prod/Api", "OrdersApiFunctionF46D4A7F")
    alarms = fixed_graph.referrers(fn, source_type="AWS::CloudWatch::Alarm",
                                   path_prefix=("Properties", "Dimensions"))
    assert sorted(e.source.logical_id for e in alarms) == [
        "OrdersApiDurationAlarm6511F355", "OrdersApiErrorsAlarm9E152C1C",
        "OrdersApiThrottlesAlarm90838EA4"]
    e = alarms[0]
    assert e.source.stack.name == "Prod/Monitoring"  # the Prod alarm, not the Dev one
    assert e.kind == "StackOutput"
    assert e.via == (("stack-output",
                      "Prod-Api.PublishOutputRefOrdersApiFunctionF46D4A7FFEA711FC"),)


def test_api_alarms_match_by_api_name_within_the_same_stage(fixed_graph):
    api = node(fixed_graph, "Prod/Api", "OrdersApi48294D44")
    edges = fixed_graph.referrers(api, source_type="AWS::CloudWatch::Alarm", kinds=["Name"])
    assert sorted((e.source.stack.name, e.source.logical_id) for e in edges) == [
        ("Prod/Monitoring", "Api4XXErrorAlarmE29600F0"),
        ("Prod/Monitoring", "Api5XXErrorAlarm6573604F")]


def test_nested_stack_output_resolves_to_the_nested_resource(fixed_graph):
    table = node(fixed_graph, "Prod/Api/Storage", "AuditTableB07F8EEB")
    fns = fixed_graph.referrers(table, source_type="AWS::Lambda::Function")
    assert [(e.source.stack.name, e.source.logical_id, e.via[0][0]) for e in fns] == [
        ("Prod/Api", "WorkerFunctionACE6A4B0", "nested-output")]


def test_nested_stack_parameter_resolves_to_the_parent_resource(fixed_graph):
    topic = node(fixed_graph, "Prod/Api", "AlertsTopic3414BE91")
    nested = [e for e in fixed_graph.referrers(topic) if e.source.stack.name == "Prod/Api/Storage"]
    assert nested, "the nested stack uses the parent's topic through a parameter"
    assert all(e.via[0][0] == "parameter" for e in nested)


def test_dashboard_body_is_parsed_and_linked(fixed_graph):
    dash = node(fixed_graph, "Prod/Monitoring", "Dashboard9E4231ED")
    targets = {e.target.logical_id for e in fixed_graph.references(dash)}
    assert {"OrdersApiFunctionF46D4A7F", "OrdersApi48294D44"} <= targets
    body = parse_dashboard(dash.resource["Properties"]["DashboardBody"])
    assert body["widgets"][0]["properties"]["metrics"][0][:3] == [
        "AWS/Lambda", "Invocations", "FunctionName"]


def test_resources_by_type_and_glob(fixed_graph):
    assert len(fixed_graph.resources("AWS::CloudWatch::Dashboard")) == 2
    assert {n.type for n in fixed_graph.resources("AWS::ApiGateway::*")} >= {
        "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Method"}


def test_every_intrinsic_form(tmp_path):
    tpl = {
        "Parameters": {"Env": {"Type": "String"}},
        "Resources": {
            "Target": {"Type": "AWS::SNS::Topic"},
            "Other": {"Type": "AWS::SQS::Queue"},
            "User": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["Other"],
                "Properties": {
                    "A": {"Ref": "Target"},
                    "B": {"Fn::GetAtt": ["Target", "TopicName"]},
                    "C": {"Fn::GetAtt": "Other.Arn"},
                    "D": {"Fn::Sub": "arn:${AWS::Partition}:x:${Target.TopicName}:${!Literal}"},
                    "E": {"Fn::Sub": ["${X}-${Other}", {"X": {"Ref": "Target"}}]},
                    "F": {"Fn::Join": ["", ["a", {"Ref": "Env"}, {"Ref": "AWS::Region"}]]},
                },
            },
        },
    }
    write_json(tmp_path / "t.json", tpl)
    g = Graph(load([tmp_path / "t.json"]).stacks)
    user = node(g, "t.json", "User")
    got = {(e.target.logical_id, e.target.kind, e.path[1:], e.kind, e.attribute)
           for e in g.references(user) if e.kind != "DependsOn"}
    assert ("Target", "resource", ("A",), "Ref", None) in got
    assert ("Target", "resource", ("B",), "GetAtt", "TopicName") in got
    assert ("Other", "resource", ("C",), "GetAtt", "Arn") in got
    assert ("Target", "resource", ("D",), "Sub", "TopicName") in got
    assert ("Other", "resource", ("E",), "Sub", None) in got
    assert ("Target", "resource", ("E", "Fn::Sub", 1, "X"), "Ref", None) in got
    assert ("Env", "parameter", ("F", "Fn::Join", 1, 1), "Ref", None) in got
    deps = [e for e in g.references(user) if e.kind == "DependsOn"]
    assert [(e.target.logical_id, e.path) for e in deps] == [("Other", ("DependsOn", 0))]
    assert len(got) == 7  # nothing for AWS::Region, AWS::Partition or ${!Literal}


def test_strong_reference_export_and_import(tmp_path):
    write_json(tmp_path / "a.json", {
        "Resources": {"Fn": {"Type": "AWS::Lambda::Function"}},
        "Outputs": {"Out": {"Value": {"Ref": "Fn"}, "Export": {"Name": "A:FnName"}}}})
    write_json(tmp_path / "b.json", {"Resources": {"Alarm": {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {"Dimensions": [{"Name": "FunctionName",
                                       "Value": {"Fn::ImportValue": "A:FnName"}}]}}}})
    g = Graph(load([tmp_path]).stacks)
    fn = node(g, "a.json", "Fn")
    edges = g.referrers(fn, source_type="AWS::CloudWatch::Alarm")
    assert [(e.source.logical_id, e.kind, e.via) for e in edges] == [
        ("Alarm", "Import", (("import", "A:FnName"),))]


def test_reference_cycles_terminate(tmp_path):
    write_json(tmp_path / "c.json", {
        "Resources": {"A": {"Type": "AWS::SNS::Topic", "DependsOn": "B",
                            "Properties": {"X": {"Ref": "B"}}},
                      "B": {"Type": "AWS::SNS::Topic", "DependsOn": "A",
                            "Properties": {"X": {"Ref": "A"}}},
                      "C": {"Type": "AWS::SNS::Topic",
                            "Properties": {"X": {"Fn::ImportValue": "loop"},
                                           "Y": {"Fn::ImportValue": "ping"}}}},
        "Outputs": {"O": {"Value": {"Fn::ImportValue": "loop"}, "Export": {"Name": "loop"}},
                    "P": {"Value": {"Fn::ImportValue": "pong"}, "Export": {"Name": "ping"}},
                    "Q": {"Value": {"Fn::ImportValue": "ping"}, "Export": {"Name": "pong"}}}})
    g = Graph(load([tmp_path / "c.json"]).stacks)
    a = node(g, "c.json", "A")
    assert {e.source.logical_id for e in g.referrers(a)} == {"B"}
    assert g.references(node(g, "c.json", "C")) == []  # the import cycles resolve to nothing


def test_sub_in_a_yaml_template(tmp_path):
    # cfn-lint's YAML decoder gives str subclasses with line marks; RE2 must get plain str
    (tmp_path / "t.yaml").write_text(
        "Resources:\n"
        "  Target: {Type: AWS::SNS::Topic}\n"
        "  User:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      QueueName:\n"
        "        Fn::Sub: '${Target.TopicName}-queue'\n")
    g = Graph(load([tmp_path / "t.yaml"]).stacks)
    user = node(g, "t.yaml", "User")
    assert {(e.target.logical_id, e.kind, e.attribute) for e in g.references(user)} == \
        {("Target", "Sub", "TopicName")}
