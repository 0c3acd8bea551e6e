"""cfncheck.template: parsing JSON/YAML templates, locations, and one-line errors."""

from __future__ import annotations

import pytest

from cfncheck.errors import InputError
from cfncheck.template import JsonLocator, load_template, parse_template

JSON = b"""{
 "Resources": {
  "A": {"Type": "AWS::S3::Bucket", "Properties": {"X": [1, "two", {"k": 3}], "Y": "a\\"b"}},
  "B": {
   "Type": "AWS::SNS::Topic"
  }
 }
}"""


@pytest.mark.parametrize("path,expected", [
    (("Resources",), (2, 2)),
    (("Resources", "B"), (4, 3)),
    (("Resources", "B", "Type"), (5, 4)),
    (("Resources", "A", "Properties", "X", 2, "k"), (3, 68)),
    (("Resources", "A", "Properties", "X", 0), (3, 57)),
    (("Resources", "A", "Properties", "X", 1), (3, 60)),
    (("Resources", "A", "Properties", "Y"), (3, 78)),
    (("Resources", "Missing", "Type"), (2, 2)),  # deepest existing node
])
def test_json_locations(path, expected):
    assert parse_template(JSON, "t.json").locate(path) == expected


def test_yaml_short_form_tags_and_locations():
    t = parse_template(b"""Resources:
  A:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref Name
      Tags:
        - Key: a
          Value: !Sub "${AWS::Region}-x"
""", "t.yaml")
    assert t.format == "yaml"
    assert t.data["Resources"]["A"]["Properties"]["BucketName"] == {"Ref": "Name"}
    assert t.data["Resources"]["A"]["Properties"]["Tags"][0]["Value"] == {
        "Fn::Sub": "${AWS::Region}-x"}
    assert t.locate(("Resources", "A", "Properties", "BucketName")) == (5, 7)
    assert t.locate(("Resources", "A", "Properties", "Tags", 0, "Value")) == (8, 11)


def test_locator_matches_every_key_of_a_real_cdk_template(defective):
    """Every resource key the lazy locator finds is on the line where the key is written."""
    path = defective / "assembly-Prod" / "ProdApi2466CF1F.template.json"
    tpl = load_template(path)
    lines = path.read_text().splitlines()
    for lid in tpl.resources:
        line, col = tpl.locate(("Resources", lid, "Type"))
        assert lines[line - 1][col - 1:].startswith('"Type"'), lid
        line, col = tpl.locate(("Resources", lid))
        assert lines[line - 1][col - 1:].startswith(f'"{lid}"'), lid


def test_locator_scans_each_container_once():
    text = '{"a": {"b": 1, "c": [true, null, 3, "x"]}}'
    loc = JsonLocator(text)
    assert loc.locate(("a", "c", 3)) == (1, 37)
    assert loc.locate(("a", "c", 2)) == (1, 34)  # a number: found by walking commas
    assert len(loc._children) == 3  # root, a, c


@pytest.mark.parametrize("raw,message,line", [
    (b'{"Resources": {"A": 1, "A": 2}}', "duplicate key 'A'", 1),
    (b'{"Resources": {\n', "invalid JSON", 2),
    (b"Resources:\n  A: [\n", "invalid YAML", 3),
    (b"\xff\xfeResources", "not valid UTF-8", 1),
    (b"   \n", "file is empty", None),
    (b"[1, 2]", "the file holds a list, not an object with Resources", 1),
    (b"\"hello\"", "the file holds a string, not an object with Resources", 1),
    (b"foo: bar\n", "not a CloudFormation template", 1),
    (b"Resources: [1]\n", "Resources must be a mapping", 1),
    (b"Resources:\n  A: !Bogus [\n", "invalid YAML", None),
])
def test_parse_errors_are_one_line_with_file(raw, message, line):
    with pytest.raises(InputError) as exc:
        parse_template(raw, "bad.file")
    err = exc.value
    assert err.file == "bad.file"
    assert message in err.message
    assert "\n" not in str(err)
    if line is not None:
        assert err.line == line


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_template(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a directory"):
        load_template(tmp_path)


def test_size_cap(tmp_path, monkeypatch):
    p = tmp_path / "big.json"
    p.write_text('{"Resources": {}}' + " " * 5000)
    monkeypatch.setenv("CFNCHECK_MAX_TEMPLATE_BYTES", "2048")
    with pytest.raises(InputError, match="over the 2048-byte limit"):
        load_template(p)


def test_yaml_tag_that_builds_objects_is_refused_at_its_line():
    raw = b'Resources:\n  A:\n    Type: !!python/object/apply:os.system ["echo pwned"]\n'
    with pytest.raises(InputError) as exc:
        parse_template(raw, "evil.yaml")
    assert (exc.value.line, exc.value.column) == (3, 11)
    assert exc.value.message.startswith("invalid YAML: Template could not be parsed: could not "
                                        "determine a constructor for the tag")
    assert "unicode string" not in exc.value.message
