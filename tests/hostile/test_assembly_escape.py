"""The assembly loader never reads outside the assembly, and survives broken manifests.

Each refused path is an error naming the manifest or file (exit code 2 in the CLI), and the
other stacks of the assembly are still loaded.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cfncheck.assembly import MAX_NESTED_DEPTH, load
from cfncheck.config import Config
from cfncheck.engine import scan

from .conftest import bucket, stack_artifact, write_assembly, write_json

SECRET = {"Resources": {"Secret": {"Type": "AWS::S3::Bucket"}}}


@pytest.fixture
def outside(tmp_path) -> Path:
    return write_json(tmp_path / "outside" / "secret.template.json", SECRET)


def names(result) -> list[str]:
    return sorted(s.name for s in result.stacks)


def only_error(result, word: str):
    assert len(result.errors) == 1, result.errors
    e = result.errors[0]
    assert word in e.message, e
    return e


@pytest.mark.parametrize("field", ["../outside/secret.template.json", "ABSOLUTE"])
def test_template_file_outside_or_absolute_is_refused(tmp_path, outside, field):
    field = str(outside) if field == "ABSOLUTE" else field
    root = write_assembly(tmp_path / "cdk.out", {"Good": {"Resources": {"B": bucket()}}},
                          {"Evil": stack_artifact(field, "Evil")})
    result = load([root])
    e = only_error(result, "refused")
    assert e.kind == "security" and e.file == str(root / "manifest.json")
    assert names(result) == ["Good"]


def test_template_file_symlink_pointing_outside_is_refused(tmp_path, outside):
    root = write_assembly(tmp_path / "cdk.out", {"Good": {"Resources": {"B": bucket()}}},
                          {"Evil": stack_artifact("evil.template.json", "Evil")})
    os.symlink(outside, root / "evil.template.json")
    result = load([root])
    assert only_error(result, "outside the assembly").kind == "security"
    assert names(result) == ["Good"]


def test_symlink_inside_the_assembly_is_followed(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Good": {"Resources": {"B": bucket()}}},
                          {"Alias": stack_artifact("alias.template.json", "Alias")})
    os.symlink(root / "Good.template.json", root / "alias.template.json")
    assert names(load([root])) == ["Alias", "Good"]


def test_asset_folder_symlink_pointing_outside_is_not_linked(tmp_path, outside):
    fn = {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": "asset.abc"}}
    root = write_assembly(tmp_path / "cdk.out", {"App": {"Resources": {"Fn": fn}}})
    os.symlink(outside.parent, root / "asset.abc")
    result = load([root])
    e = only_error(result, "aws:asset:path 'asset.abc' points outside")
    assert e.file == str(root / "App.template.json")
    assert result.stacks[0].assets == {}


@pytest.mark.parametrize("where", ["root", "nested"])
def test_manifest_symlink_pointing_outside_is_refused(tmp_path, where):
    evil = write_json(tmp_path / "outside" / "manifest.json", {"artifacts": {
        "S": stack_artifact("secret.template.json", "Secret")}})
    write_json(evil.parent / "secret.template.json", SECRET)
    root = tmp_path / "cdk.out"
    if where == "root":
        root.mkdir()
        os.symlink(evil, root / "manifest.json")
    else:
        write_assembly(root, {"Good": {"Resources": {"B": bucket()}}}, {
            "Stage": {"type": "cdk:cloud-assembly",
                      "properties": {"directoryName": "assembly-Stage"}}})
        (root / "assembly-Stage").mkdir()
        os.symlink(evil, root / "assembly-Stage" / "manifest.json")
    result = load([root])
    e = only_error(result, "manifest.json is a symbolic link to a file outside")
    assert e.kind == "security"
    assert "Secret" not in names(result)


@pytest.mark.parametrize("field, value", [
    ("additionalMetadataFile", "../outside/secret.template.json"),
    ("tree", "../outside/secret.template.json"),
    ("asset-manifest", "/etc/hostname"),
])
def test_other_manifest_paths_outside_are_refused(tmp_path, outside, field, value):
    art = stack_artifact("Good.template.json", "Good")
    extra = {}
    if field == "additionalMetadataFile":
        art["additionalMetadataFile"] = value
    else:
        kind = {"tree": "cdk:tree", "asset-manifest": "cdk:asset-manifest"}[field]
        extra = {"X": {"type": kind, "properties": {"file": value}}}
    root = tmp_path / "cdk.out"
    write_json(root / "Good.template.json", {"Resources": {"B": bucket()}})
    write_json(root / "manifest.json", {"artifacts": {"Good": art, **extra}})
    result = load([root])
    assert only_error(result, "refused").kind == "security"
    assert names(result) == ["Good"]


def test_template_folder_symlink_to_a_file_outside_is_refused(tmp_path, outside):
    folder = tmp_path / "templates"
    write_json(folder / "ok.template.json", {"Resources": {"B": bucket()}})
    os.symlink(outside, folder / "evil.template.json")
    os.symlink(outside.parent, folder / "dirlink")
    result = load([folder])
    assert only_error(result, "outside the scanned folder").file == \
        str(folder / "evil.template.json")
    assert names(result) == ["ok.template.json"]


def test_nested_assembly_cycle_is_an_error(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"Good": {"Resources": {"B": bucket()}}}, {
        "Sub": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "sub"}}})
    write_json(root / "sub" / "manifest.json", {"artifacts": {
        "Back": {"type": "cdk:cloud-assembly", "properties": {"directoryName": ".."}}}})
    result = load([root])
    e = only_error(result, "cycle")
    assert Path(e.file).resolve() == (root / "manifest.json").resolve()
    assert names(result) == ["Good"]


def nested(path: str, **props) -> dict:
    res = {"Type": "AWS::CloudFormation::Stack", "Metadata": {"aws:asset:path": path}}
    if props:
        res["Properties"] = props
    return res


def test_a_nested_template_that_references_itself(tmp_path):
    root = write_assembly(tmp_path / "cdk.out", {"App": {"Resources": {
        "N": nested("loop.nested.template.json")}}})
    write_json(root / "loop.nested.template.json", {"Resources": {
        "Again": nested("loop.nested.template.json"), "B": bucket()}})
    result = load([root])
    e = only_error(result, "refers back to itself (cycle)")
    assert e.file == str(root / "loop.nested.template.json")
    assert names(result) == ["App", "App/N"]


def test_nested_stacks_nested_too_deep(tmp_path):
    levels = MAX_NESTED_DEPTH + 20
    root = write_assembly(tmp_path / "cdk.out", {"App": {"Resources": {
        "N": nested("n0.nested.template.json")}}})
    for i in range(levels):
        write_json(root / f"n{i}.nested.template.json", {"Resources": {
            "N": nested(f"n{i + 1}.nested.template.json")}})
    write_json(root / f"n{levels}.nested.template.json", {"Resources": {"B": bucket()}})
    result = load([root])
    e = only_error(result, f"deeper than {MAX_NESTED_DEPTH} levels")
    assert e.kind == "limit"
    assert len(result.stacks) == MAX_NESTED_DEPTH + 1


BAD_FIELDS = [
    ("type", ["x"], "'type' must be a string"),
    ("properties", "x", "'properties' must be an object"),
    ("templateFile", 5, "templateFile must be a non-empty string"),
    ("templateFile", "a\x00b", "templateFile must be a non-empty string"),
    ("templateFile", "missing.json", "listed in the manifest but absent"),
    ("templateFile", "", "templateFile must be a non-empty string"),
    ("tags", ["Environment", "prod"], "'tags' must be an object of strings"),
    ("tags", {"Environment": 5}, "'tags' must be an object of strings"),
    ("stackName", {"a": 1}, "'stackName' must be a string"),
    ("displayName", 7, "'displayName' must be a string"),
    ("environment", [], "'environment' must be a string"),
    ("metadata", ["x"], "'metadata' must be an object"),
    ("additionalMetadataFile", 3, "additionalMetadataFile must be a non-empty string"),
]


@pytest.mark.parametrize("field, value, word", BAD_FIELDS,
                         ids=[f"{f}-{type(v).__name__}" for f, v, _ in BAD_FIELDS])
def test_wrong_type_for_a_manifest_field(tmp_path, field, value, word):
    root = write_assembly(tmp_path / "cdk.out", {"Good": {"Resources": {"B": bucket()}}})
    art = stack_artifact("Other.template.json", "Other")
    write_json(root / "Other.template.json", {"Resources": {"B": bucket()}})
    if field in ("templateFile", "tags", "stackName"):
        art["properties"][field] = value
    else:
        art[field] = value
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["artifacts"]["Other"] = art
    write_json(root / "manifest.json", manifest)
    result = load([root])
    e = only_error(result, word)
    assert e.file == str(root / "manifest.json")
    assert "Good" in names(result)


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"artifacts": []}', b"\xff",
                                     b'{"artifacts": {"a": 1}}', b"1" * 5000])
def test_broken_manifest_is_one_error(tmp_path, content):
    root = tmp_path / "cdk.out"
    root.mkdir()
    (root / "manifest.json").write_bytes(content)
    result = load([root])
    assert len(result.errors) == 1 and result.errors[0].file == str(root / "manifest.json")


def test_3000_stacks_load_and_scan_quickly(tmp_path, probe):
    n = 3000
    templates = {f"S{i}": {"Resources": {"B": bucket(BucketName=f"b{i}"),
                                         "P": {"Type": "AWS::S3::BucketPolicy",
                                               "Properties": {"Bucket": {"Ref": "B"}}}},
                           "Outputs": {"O": {"Value": {"Ref": "B"}, "Export": {"Name": f"e{i}"}}}}
                 for i in range(n)}
    root = write_assembly(tmp_path / "cdk.out", templates)
    t0 = time.perf_counter()
    loaded = load([root])
    t_load = time.perf_counter() - t0
    result = scan([root], Config(), checks=[probe], jobs=1)
    t_total = time.perf_counter() - t0
    print(f"\n3000 stacks: load {t_load:.2f}s, load+load+scan {t_total:.2f}s")
    assert len(loaded.stacks) == n and not loaded.errors
    assert len(result.findings) == 2 * n
    assert t_total < 30
