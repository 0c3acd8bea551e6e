"""cfncheck.assembly: loading real CDK cloud assemblies, plain templates, and broken input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfncheck.assembly import load
from cfncheck.errors import InputError
from tests.samples import write_json

STACKS = ["Dev/Api", "Dev/Api/Storage", "Dev/Monitoring",
          "Prod/Api", "Prod/Api/Storage", "Prod/Monitoring"]


def by_name(result):
    return {s.name: s for s in result.stacks}


def test_sample_assembly_finds_every_stack_in_every_stage(defective):
    result = load([defective])
    assert result.errors == []
    assert result.notes == []
    stacks = by_name(result)
    assert sorted(stacks) == STACKS
    prod = stacks["Prod/Api"]
    assert prod.assembly_path == "assembly-Prod"
    assert prod.template_rel == "assembly-Prod/ProdApi2466CF1F.template.json"
    assert prod.stack_name == "Prod-Api"
    assert prod.cdk_stages == ("Prod",)
    assert prod.environment == "aws://unknown-account/unknown-region"


def test_nested_stack_is_linked_to_its_parent(defective):
    stacks = by_name(load([defective]))
    nested, parent = stacks["Prod/Api/Storage"], stacks["Prod/Api"]
    assert nested.parent is parent
    assert parent.children == [nested]
    assert nested.parent_logical_id == "StorageNestedStackStorageNestedStackResource9807768E"
    assert nested.template_rel == "assembly-Prod/ProdApiStorageDD1EDF8B.nested.template.json"
    assert nested.construct_path("AuditTableB07F8EEB") == "Prod/Api/Storage/AuditTable/Resource"


def test_construct_paths_tree_fqn_and_annotations(defective):
    stack = by_name(load([defective]))["Prod/Api"]
    assert stack.construct_path("OrdersTable315BB997") == "Prod/Api/OrdersTable/Resource"
    assert stack.fqn("OrdersTable315BB997") == "aws-cdk-lib.aws_dynamodb.CfnTable"
    assert stack.fqn("OrdersIngestRuleB9E3F2B2") == "aws-cdk-lib.aws_iot.CfnTopicRule"
    owners = dict(stack.tree.owner_fqns(stack.construct_path("OrdersIngestRuleB9E3F2B2")))
    assert owners["Prod/Api/OrdersIngestRule"] == "@aws-cdk/aws-iot-alpha.TopicRule"
    warnings = [(a.construct_path, a.message[:60]) for a in stack.annotations
                if a.level == "warning"]
    assert warnings == [
        ("Prod/Api/ReportFunction",
         "The API aws-cdk-lib.aws_lambda.FunctionOptions#logRetention "),
        ("Prod/Api/ReportFunction",
         "AWS Lambda has changed their authorization strategy, which m"),
    ]


def test_assets_are_linked_to_functions_and_layers(defective):
    stack = by_name(load([defective]))["Prod/Api"]
    fn = stack.assets["ReportFunction3CBC8DF1"]
    assert fn.resolve() == (defective / "asset.f9117170bc07bf4144ad7ac7d5f2f5045ac4acfb32c5"
                            "1a0be9c539700c558e3f").resolve()
    assert (fn / "handler.py").is_file()
    layer = stack.assets["SharedUtilsLayerB5102E0E"]
    assert (layer / "python" / "shared_utils").is_dir()
    # a function with inline code has no asset
    assert "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691" not in stack.assets


def test_accepts_cdk_out_parent_folder_manifest_file_and_several_paths(defective, fixed):
    assert len(load([defective.parent]).stacks) == 6
    assert len(load([defective / "manifest.json"]).stacks) == 6
    both = load([defective, fixed])
    assert len(both.stacks) == 12 and both.errors == []


def test_single_yaml_template_and_folder_of_templates(tmp_path):
    (tmp_path / "a.yaml").write_text("Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
                                     "    Properties: {BucketName: !Ref N}\n")
    write_json(tmp_path / "sub" / "b.template.json",
               {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    write_json(tmp_path / "package.json", {"name": "not-a-template"})
    r = load([tmp_path / "a.yaml"])
    assert [s.name for s in r.stacks] == ["a.yaml"] and r.errors == []
    r = load([tmp_path])
    assert sorted(s.name for s in r.stacks) == ["a.yaml", "sub/b.template.json"]
    assert r.errors == []
    assert any("package.json" in n for n in r.notes)


def _manifest(folder: Path, artifacts: dict) -> Path:
    return write_json(folder / "manifest.json", {"version": "55.0.0", "artifacts": artifacts})


def _stack_artifact(template: str, **extra) -> dict:
    return {"type": "aws:cloudformation:stack", "environment": "aws://1/eu-west-1",
            "properties": {"templateFile": template}, **extra}


def test_empty_folder(tmp_path):
    r = load([tmp_path])
    assert [str(e) for e in r.errors] == [
        f"{tmp_path}: no CloudFormation templates or cdk.out manifest.json found here"]


def test_missing_path():
    r = load(["/nonexistent/cdk.out"])
    assert [str(e) for e in r.errors] == ["/nonexistent/cdk.out: no such file or folder"]


def test_truncated_manifest_names_file_and_line(tmp_path):
    (tmp_path / "manifest.json").write_text('{\n "artifacts": {\n  "A": {')
    r = load([tmp_path])
    assert len(r.errors) == 1
    e = r.errors[0]
    assert e.file == str(tmp_path / "manifest.json") and e.line == 3
    assert "invalid JSON" in e.message


def test_template_listed_but_absent_does_not_hide_other_stacks(tmp_path):
    write_json(tmp_path / "Good.template.json", {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
    _manifest(tmp_path, {"Good": _stack_artifact("Good.template.json"),
                         "Gone": _stack_artifact("Gone.template.json")})
    r = load([tmp_path])
    assert [s.name for s in r.stacks] == ["Good"]
    assert len(r.errors) == 1
    assert "'Gone.template.json' is listed in the manifest but absent" in str(r.errors[0])


def test_unknown_artifact_type_is_a_note_not_an_error(tmp_path):
    write_json(tmp_path / "S.template.json", {"Resources": {}})
    _manifest(tmp_path, {"S": _stack_artifact("S.template.json"),
                         "X": {"type": "cdk:future-thing", "properties": {}}})
    r = load([tmp_path])
    assert r.errors == []
    assert r.notes == [f"{tmp_path / 'manifest.json'}: skipped artifact 'X' of unknown type "
                       "'cdk:future-thing'"]


@pytest.mark.parametrize("field,value", [
    ("templateFile", "../../etc/passwd"),
    ("templateFile", "/etc/passwd"),
])
def test_paths_escaping_the_assembly_are_refused(tmp_path, field, value):
    folder = tmp_path / "cdk.out"
    _manifest(folder, {"S": _stack_artifact(value)})
    r = load([folder])
    assert r.stacks == []
    assert len(r.errors) == 1 and r.errors[0].kind == "security"
    assert "refused" in r.errors[0].message


def test_nested_assembly_directory_escaping_is_refused(tmp_path):
    folder = tmp_path / "cdk.out"
    _manifest(folder, {"assembly-X": {"type": "cdk:cloud-assembly",
                                      "properties": {"directoryName": "../outside"}}})
    r = load([folder])
    assert [e.kind for e in r.errors] == ["security"]


def test_stage_sub_assembly_missing_manifest(tmp_path):
    _manifest(tmp_path, {"assembly-Prod": {"type": "cdk:cloud-assembly",
                                           "properties": {"directoryName": "assembly-Prod"}}})
    r = load([tmp_path])
    assert [str(e) for e in r.errors] == [
        f"{tmp_path / 'assembly-Prod' / 'manifest.json'}: file not found"]


def test_wrong_kind_of_file(tmp_path):
    p = tmp_path / "picture.png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    r = load([p])
    assert len(r.errors) == 1 and r.errors[0].file == str(p)
    assert "UTF-8" in r.errors[0].message


def test_artifact_that_is_not_an_object(tmp_path):
    _manifest(tmp_path, {"S": ["not", "an", "object"]})
    r = load([tmp_path])
    assert [e.message for e in r.errors] == ["artifact 'S' is not an object"]


def test_manifest_metadata_inline_and_additional_file(tmp_path):
    write_json(tmp_path / "S.template.json", {"Resources": {"B1": {"Type": "AWS::S3::Bucket"},
                                                            "B2": {"Type": "AWS::S3::Bucket"}}})
    write_json(tmp_path / "S.metadata.json", {
        "/App/S/Two/Resource": [{"type": "aws:cdk:logicalId", "data": "B2"}],
        "/App/S/Two": [{"type": "aws:cdk:error", "data": "broken"}]})
    art = _stack_artifact("S.template.json", displayName="App/S",
                          additionalMetadataFile="S.metadata.json",
                          metadata={"/App/S/One/Resource": [{"type": "aws:cdk:logicalId",
                                                             "data": "B1"}]})
    _manifest(tmp_path, {"S": art})
    stack = load([tmp_path]).stacks[0]
    assert stack.construct_path("B1") == "App/S/One/Resource"
    assert stack.construct_path("B2") == "App/S/Two/Resource"
    assert [(a.level, a.construct_path, a.message) for a in stack.annotations] == [
        ("error", "App/S/Two", "broken")]


def test_reads_only_what_the_manifest_names(tmp_path, defective):
    """The loader must not pick up stray templates next to the manifest."""
    import shutil

    dst = tmp_path / "cdk.out"
    shutil.copytree(defective, dst)
    (dst / "assembly-Prod" / "Stray.template.json").write_text(json.dumps({"Resources": {}}))
    assert len(load([dst]).stacks) == 6


def test_unreadable_manifest_is_input_error_not_crash(tmp_path):
    (tmp_path / "manifest.json").mkdir()
    r = load([tmp_path])
    assert r.errors and all(isinstance(e, InputError) for e in r.errors)
