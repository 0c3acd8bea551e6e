"""Cycles and blow-ups in references: the cross-stack graph always terminates, quickly.

Ref/DependsOn cycles inside a template, nested-stack parameter/output loops, export/import
chains that loop across stacks, and import "diamonds" (each output importing the next export
twice) that a naive resolver would follow exponentially often.
"""

from __future__ import annotations

import json
import threading

from cfncheck.assembly import load
from cfncheck.graph import Graph, Node

from .conftest import bucket, write_assembly, write_json


def build(root, seconds: float = 10.0) -> Graph:
    """Graph of the assembly at root, built in a thread that must finish within ``seconds``."""
    loaded = load([root])
    assert not loaded.errors, loaded.errors
    out: list = []

    def target():
        try:
            out.append(Graph(loaded.stacks))
        except BaseException as e:  # noqa: BLE001 - reported below
            out.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"graph did not finish within {seconds}s"
    assert isinstance(out[0], Graph), repr(out[0])
    return out[0]


def stack_named(g: Graph, name: str):
    return next(s for s in g.stacks if s.name == name)


def test_ref_and_depends_on_cycles_inside_a_template(tmp_path):
    root = write_assembly(tmp_path, {"S": {"Resources": {
        "A": bucket(Tags=[{"Key": "k", "Value": {"Ref": "B"}}]) | {"DependsOn": ["B"]},
        "B": bucket(Tags=[{"Key": "k", "Value": {"Fn::GetAtt": ["A", "Arn"]}}])
        | {"DependsOn": "A"},
        "C": bucket(BucketName={"Fn::Sub": "${C}-${C.Arn}"}),
    }}})
    g = build(root)
    s = stack_named(g, "S")
    a, b, c = Node(s, "A"), Node(s, "B"), Node(s, "C")
    assert sorted((e.source.logical_id, e.kind) for e in g.referrers(a)) == \
        [("B", "DependsOn"), ("B", "GetAtt")]
    assert sorted((e.source.logical_id, e.kind) for e in g.referrers(b)) == \
        [("A", "DependsOn"), ("A", "Ref")]
    assert [e.kind for e in g.referrers(c)] == ["Sub", "Sub"]


def test_export_import_cycle_across_stacks_terminates(tmp_path):
    root = write_assembly(tmp_path, {
        "S1": {"Resources": {"A": bucket(BucketName={"Fn::ImportValue": "e1"})},
               "Outputs": {"O": {"Value": {"Fn::ImportValue": "e2"}, "Export": {"Name": "e1"}}}},
        "S2": {"Resources": {"B": bucket()},
               "Outputs": {"O": {"Value": {"Fn::Join": ["", [{"Fn::ImportValue": "e1"},
                                                             {"Ref": "B"}]]},
                                 "Export": {"Name": "e2"}}}},
    })
    g = build(root)
    a = Node(stack_named(g, "S1"), "A")
    # A imports e1 = S1.O = import e2 = S2.O = join(import e1 (the cycle, cut), Ref B)
    assert [(e.target.logical_id, e.kind) for e in g.references(a)] == [("B", "Import")]


def test_nested_stack_parameter_output_loop_terminates(tmp_path):
    root = write_assembly(tmp_path, {"Parent": {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function"},
        "N": {"Type": "AWS::CloudFormation::Stack",
              "Metadata": {"aws:asset:path": "child.nested.template.json"},
              "Properties": {"Parameters": {
                  "P": {"Fn::GetAtt": ["N", "Outputs.O"]},
                  "Q": {"Fn::Join": ["", [{"Ref": "Fn"}, {"Fn::GetAtt": ["N", "Outputs.O"]}]]},
              }}}}}})
    write_json(tmp_path / "child.nested.template.json", {
        "Parameters": {"P": {"Type": "String"}, "Q": {"Type": "String"}},
        "Resources": {"Al": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Q"}}],
            "AlarmDescription": {"Ref": "P"}}}},
        "Outputs": {"O": {"Value": {"Ref": "P"}}}})
    g = build(root)
    fn = Node(stack_named(g, "Parent"), "Fn")
    sources = {(e.source.stack.name, e.source.logical_id, e.path) for e in g.referrers(fn)}
    assert ("Parent/N", "Al", ("Properties", "Dimensions", 0, "Value")) in sources


def test_import_diamond_chain_is_not_exponential(tmp_path):
    n = 40  # a naive resolver follows 2**40 paths
    outputs = {f"O{i}": {"Value": {"Fn::Join": ["", [{"Fn::ImportValue": f"e{i + 1}"},
                                                     {"Fn::ImportValue": f"e{i + 1}"}]]},
                         "Export": {"Name": f"e{i}"}} for i in range(n)}
    outputs[f"O{n}"] = {"Value": {"Ref": "B"}, "Export": {"Name": f"e{n}"}}
    root = write_assembly(tmp_path, {"S": {"Resources": {
        "B": bucket(), "A": bucket(BucketName={"Fn::ImportValue": "e0"})}, "Outputs": outputs}})
    g = build(root, seconds=5)
    s = stack_named(g, "S")
    assert [e.source.logical_id for e in g.referrers(Node(s, "B"))] == ["A"]
    assert [n.logical_id for n in g.resolve(s, {"Fn::ImportValue": "e0"})] == ["B"]


def test_nested_parameter_diamond_is_not_exponential(tmp_path):
    depth = 30  # nested stacks N0 > N1 > ... each passing Join[Ref P, Ref P] down
    twice = {"Fn::Join": ["", [{"Ref": "P"}, {"Ref": "P"}]]}
    root = write_assembly(tmp_path, {"App": {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function"},
        "N": {"Type": "AWS::CloudFormation::Stack",
              "Metadata": {"aws:asset:path": "n0.nested.template.json"},
              "Properties": {"Parameters": {"P": {"Ref": "Fn"}}}}}}})
    for i in range(depth):
        resources = {"N": {"Type": "AWS::CloudFormation::Stack",
                           "Metadata": {"aws:asset:path": f"n{i + 1}.nested.template.json"},
                           "Properties": {"Parameters": {"P": twice}}}}
        write_json(tmp_path / f"n{i}.nested.template.json",
                   {"Parameters": {"P": {"Type": "String"}}, "Resources": resources})
    write_json(tmp_path / f"n{depth}.nested.template.json", {
        "Parameters": {"P": {"Type": "String"}},
        "Resources": {"Al": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Dimensions": [{"Name": "FunctionName", "Value": twice}]}}}})
    g = build(root, seconds=5)
    fn = Node(stack_named(g, "App"), "Fn")
    assert any(e.source.logical_id == "Al" for e in g.referrers(fn))


def test_many_unclosed_sub_placeholders_do_not_stall_the_graph(tmp_path):
    """``${`` 200,000 times in an Fn::Sub (and a dashboard body): the placeholder scan is
    linear (RE2); Python's re took minutes here, past any --timeout, and cannot be interrupted
    while it runs in C."""
    import subprocess
    import sys

    text = "arn:${AWS::Partition}:" + "${" * 200_000
    tpl = {"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function",
               "Properties": {"Description": {"Fn::Sub": text}}},
        "Board": {"Type": "AWS::CloudWatch::Dashboard",
                  "Properties": {"DashboardBody": {"Fn::Sub": text}}}}}
    path = tmp_path / "subs.template.json"
    path.write_text(json.dumps(tpl))
    proc = subprocess.run([sys.executable, "-c", "from cfncheck.cli import run; run()", "scan",
                           str(path), "--format",
                           "json", "--timeout", "60", "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["errors"] == []
