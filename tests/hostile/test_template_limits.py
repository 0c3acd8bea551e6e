"""Limits of the template loader (cfncheck/template.py): each hostile input gets a clear
InputError naming the file, never a RecursionError, a hang, or memory exhaustion."""

from __future__ import annotations

import json
import os
import threading

import pytest

from cfncheck.errors import InputError
from cfncheck.template import MAX_DEPTH, load_template, parse_template

BOMB = b"""Resources:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def error_of(raw: bytes, name: str = "t.template") -> InputError:
    with pytest.raises(InputError) as info:
        parse_template(raw, name)
    assert info.value.file == name
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("raw", [
    b"[" * 100_000,
    b'{"Resources": ' + b'{"a": ' * 100_000,
    b'{"Resources": {"A": {"Type": "X", "Properties": {"P": ' + b"[" * 100_000,
], ids=["brackets", "objects", "inside-properties"])
def test_json_nested_100k_deep_is_a_limit_error(raw):
    e = error_of(raw)
    assert e.kind == "limit" and "nesting is too deep" in e.message


def test_json_nesting_below_the_recursion_limit_but_over_max_depth():
    depth = MAX_DEPTH + 50
    raw = ('{"Resources": {"A": {"Type": "X", "Properties": {"P": ' + "[" * depth + "]" * depth
           + "}}}}").encode()
    e = error_of(raw)
    assert e.kind == "limit" and f"deeper than {MAX_DEPTH}" in e.message


@pytest.mark.parametrize("raw", [
    b"Resources: " + b"[" * 100_000,
    b"Resources:\n" + b"".join(b" " * i + b"k:\n" for i in range(1, 3000)),
], ids=["flow", "block"])
def test_yaml_deep_nesting_is_an_error_not_a_recursion_error(raw):
    e = error_of(raw)
    assert "nesting" in e.message


def test_yaml_alias_bomb_in_a_template():
    e = error_of(BOMB)
    assert "alias" in e.message and e.line == 1


@pytest.mark.parametrize("tag", [b"!!python/object/apply:os.system ['touch {marker}']",
                                 b"!!python/name:os.system", b"!!python/module:os"])
def test_yaml_tags_that_construct_objects_are_refused(tmp_path, tag):
    marker = tmp_path / "pwned"
    raw = b"Resources:\n  A: " + tag.replace(b"{marker}", str(marker).encode()) + b"\n"
    e = error_of(raw)
    assert "constructor" in e.message
    assert not marker.exists()


@pytest.mark.parametrize("raw, word", [
    (b"Resources: {A: {Type: X, Properties: {V: !!binary aGVsbG8=}}}", "bytes"),
    (b"Resources: {A: {Type: X, Properties: {V: !!set {a, b}}}}", "set"),
    (b"Resources: {A: {Type: X, Properties: {V: !!omap [a: 1]}}}", "tuple"),
])
def test_yaml_values_that_are_not_json_data_are_refused(raw, word):
    e = error_of(raw)
    assert word in e.message and e.line == 1


def test_yaml_dates_stay_strings():
    tpl = parse_template(b"Resources: {A: {Type: X, Properties: {Version: 2012-10-17}}}", "t")
    assert tpl.data["Resources"]["A"]["Properties"]["Version"] == "2012-10-17"
    json.dumps(tpl.data)


def test_non_utf8_bytes_name_file_and_line():
    e = error_of(b'{"Resources": {\n"A": {"Type": "X\xff"}}}')
    assert e.line == 2 and "UTF-8" in e.message and "0xff" in e.message


@pytest.mark.parametrize("raw, word", [
    (b'{"Resources": {"\\udc80": {"Type": "AWS::S3::Bucket"}}}', "surrogate"),
    (b'{"Resources": {"A": {"Type": "X", "Properties": {"V": "a\\ud800"}}}}', "surrogate"),
    (b'{"Resources": {"A": {"Type": "X", "Properties": {"V": NaN}}}}', "NaN"),
    (b'{"Resources": {"A": {"Type": "X", "Properties": {"V": -Infinity}}}}', "Infinity"),
    (b'{"Resources": {"A": {"Type": "X", "Properties": {"V": 1' + b"0" * 5000 + b"}}}}",
     "4300 digits"),
])
def test_json_values_no_report_can_hold_are_refused(raw, word):
    assert word in error_of(raw).message


def test_paired_surrogate_escapes_are_fine():
    raw = b'{"Resources": {"A": {"Type": "X", "Metadata": {"e": "\\ud83d\\ude00"}}}}'
    tpl = parse_template(raw, "t")
    assert tpl.resources["A"]["Metadata"]["e"] == "\U0001F600"


@pytest.mark.parametrize("raw, line, word", [
    (b'{"Resources": {"A": {"Type": []}}}', 1, "Type must be a non-empty string"),
    (b"Resources:\n  A:\n    Type: X\n    Properties: [1]\n", 4, "Properties must be a mapping"),
    (b"Resources:\n  A:\n    Type: X\n    DependsOn: {a: 1}\n", 4, "DependsOn"),
    (b"Resources:\n  A: 5\n", 2, "Resources.A must be a mapping"),
    (b"Resources: {}\nOutputs:\n  O: [x]\n", 3, "Outputs.O must be a mapping"),
])
def test_shapes_cloudformation_requires(raw, line, word):
    e = error_of(raw)
    assert word in e.message and e.line == line and e.kind == "structure"


def test_empty_yaml_properties_is_dropped_and_foreach_is_kept():
    tpl = parse_template(b"Transform: AWS::LanguageExtensions\nResources:\n  A:\n    Type: X\n"
                         b"    Properties:\n  Fn::ForEach::B: [N, [a], {}]\n", "t")
    assert dict(tpl.resources["A"]) == {"Type": "X"}


def test_size_cap_is_configurable(tmp_path, monkeypatch):
    f = tmp_path / "big.template.json"
    f.write_text(json.dumps({"Resources": {"A": {"Type": "X", "Metadata": {"s": "x" * 5000}}}}))
    assert load_template(f).resources["A"]["Type"] == "X"
    monkeypatch.setenv("CFNCHECK_MAX_TEMPLATE_BYTES", "4096")
    with pytest.raises(InputError) as info:
        load_template(f)
    e = info.value
    assert e.kind == "limit" and e.file == str(f)
    assert "4096-byte limit" in e.message and "CFNCHECK_MAX_TEMPLATE_BYTES" in e.message


def test_a_huge_string_under_the_cap_loads_and_locates(tmp_path):
    f = tmp_path / "t.json"
    f.write_text('{"Resources": {"A": {"Type": "X", "Properties": {"S": "' + "x" * 8_000_000
                 + '"}},\n "B": {"Type": "Y"}}}')
    tpl = load_template(f)
    assert tpl.locate(("Resources", "B", "Type")) == (2, 8)


def _in_thread(fn, seconds: float):
    """Run fn in a daemon thread; (finished, result or exception)."""
    out: list = []

    def target():
        try:
            out.append(fn())
        except BaseException as e:  # noqa: BLE001 - reported to the test
            out.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    return (not t.is_alive()), (out[0] if out else None)


def test_a_symlink_to_dev_zero_is_refused_not_read_forever(tmp_path):
    link = tmp_path / "zero.template.json"
    os.symlink("/dev/zero", link)
    done, got = _in_thread(lambda: load_template(link), 10)
    assert done, "reading /dev/zero did not stop"
    assert isinstance(got, InputError) and "not a regular file" in got.message


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "fifo.template.json"
    os.mkfifo(fifo)
    done, got = _in_thread(lambda: load_template(fifo), 10)
    assert done, "opening a FIFO blocked"
    assert isinstance(got, InputError) and got.file == str(fifo)


def test_size_cap_from_the_config_file(tmp_path, monkeypatch):
    from cfncheck.config import Config
    from cfncheck.engine import scan

    monkeypatch.delenv("CFNCHECK_MAX_TEMPLATE_BYTES", raising=False)
    big = tmp_path / "big.template.json"
    big.write_text(json.dumps({"Resources": {"A": {"Type": "X", "Metadata": {"s": "x" * 5000}}}}))
    small = tmp_path / "small.template.json"
    small.write_text(json.dumps({"Resources": {"A": {"Type": "X"}}}))
    result = scan([big, small], Config({"max_template_bytes": 4096}), checks=[], jobs=1)
    assert [(e.file, e.kind) for e in result.errors] == [(str(big), "limit")]
    assert "config max_template_bytes" in result.errors[0].message
    assert [s.name for s in result.stacks] == ["small.template.json"]
