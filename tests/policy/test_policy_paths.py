"""Path expressions: parsing, resolving, absent/intrinsic parents, stable display."""

from __future__ import annotations

import pytest

from cfncheck.policy.paths import (
    ABSENT,
    FOUND,
    HIDDEN,
    WILDCARD,
    PathError,
    parse_path,
    path_text,
    resolve,
)


@pytest.mark.parametrize("text, segments, relative", [
    ("Properties.Timeout", ("Properties", "Timeout"), False),
    ("DeletionPolicy", ("DeletionPolicy",), False),
    ("Properties.Origins[*].Id", ("Properties", "Origins", WILDCARD, "Id"), False),
    ("Properties.Tags[0].Key", ("Properties", "Tags", 0, "Key"), False),
    ("Properties.Tags[-1]", ("Properties", "Tags", -1), False),
    ("Metadata['aws:cdk:path']", ("Metadata", "aws:cdk:path"), False),
    ("Metadata['a.b'].c", ("Metadata", "a.b", "c"), False),
    ('Metadata["x.y"]', ("Metadata", "x.y"), False),
    ("$", (), True),
    ("$.Key", ("Key",), True),
    ("$[0].Key", (0, "Key"), True),
    ("$.MetricStat.Metric.Namespace", ("MetricStat", "Metric", "Namespace"), True),
])
def test_parse(text, segments, relative):
    p = parse_path(text)
    assert p.segments == segments
    assert p.relative is relative
    assert p.multi is (WILDCARD in segments)


@pytest.mark.parametrize("text", ["", "A..B", ".A", "A.", "A.[0]", "A[0]B", "$Key", "A[x]",
                                  "A[*", "A]"])
def test_parse_errors(text):
    with pytest.raises(PathError):
        parse_path(text)


RES = {
    "Type": "AWS::X::Y",
    "Properties": {
        "List": [{"Id": "a", "V": 1}, {"Id": "b"}, {"Ref": "AWS::NoValue"}],
        "Empty": [],
        "Cond": {"Fn::If": ["C", {"A": 1}, {"A": 2}]},
        "Gone": {"Ref": "AWS::NoValue"},
    },
}


def test_resolve_found_and_absent_with_nearest_parent():
    (v,) = resolve(parse_path("Properties.List[0].V"), RES)
    assert (v.status, v.at, v.value) == (FOUND, ("Properties", "List", 0, "V"), 1)
    (v,) = resolve(parse_path("Properties.List[1].V"), RES)
    assert (v.status, v.at, v.want) == (ABSENT, ("Properties", "List", 1),
                                        ("Properties", "List", 1, "V"))
    (v,) = resolve(parse_path("Properties.Nope.Deeper"), RES)
    assert v.status == ABSENT and v.at == ("Properties",)


def test_resolve_wildcard_skips_no_value_elements():
    values = resolve(parse_path("Properties.List[*].Id"), RES)
    assert [(v.status, v.value) for v in values] == [(FOUND, "a"), (FOUND, "b")]


def test_wildcard_over_missing_or_empty_list_is_empty():
    for path in ("Properties.Empty[*].Id", "Properties.Missing[*].Id"):
        (v,) = resolve(parse_path(path), RES)
        assert v.status == ABSENT and v.empty


def test_absent_after_wildcard_is_not_empty():
    values = resolve(parse_path("Properties.List[*].V"), RES)
    assert [(v.status, v.empty) for v in values] == [(FOUND, False), (ABSENT, False)]


def test_intrinsic_parent_hides_the_value():
    (v,) = resolve(parse_path("Properties.Cond.A"), RES)
    assert v.status == HIDDEN and v.at == ("Properties", "Cond")


def test_no_value_is_absent():
    (v,) = resolve(parse_path("Properties.Gone"), RES)
    assert v.status == ABSENT and v.at == ("Properties",)


def test_relative_paths_use_the_element():
    el = {"Key": "Owner"}
    (v,) = resolve(parse_path("$.Key"), RES, element=el, element_at=("Properties", "Tags", 3))
    assert (v.value, v.at) == ("Owner", ("Properties", "Tags", 3, "Key"))


def test_path_text_stable_uses_element_identity():
    res = {"Properties": {"B": [{"PathPattern": "/api/*", "X": 1}, {"Y": 2}]}}
    assert path_text(("Properties", "B", 0, "X"), res, stable=True) == \
        "Properties.B[PathPattern=/api/*].X"
    assert path_text(("Properties", "B", 1, "Y"), res, stable=True) == "Properties.B[1].Y"
    assert path_text(("Metadata", "aws:cdk.path")) == "Metadata['aws:cdk.path']"
    assert path_text(()) == "(resource)"
