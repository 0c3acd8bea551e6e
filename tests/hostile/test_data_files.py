"""Policies and config are data: safe YAML only, bounded, linear-time regular expressions.

Covers cfncheck/yamlio.py (shared by config, policies, baselines) through the public loaders
``cfncheck.config.load_config`` and ``cfncheck.policy.load_policy_checks``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cfncheck.config import Config, load_config
from cfncheck.engine import scan
from cfncheck.errors import InputError
from cfncheck.policy import load_policy_checks
from cfncheck.yamlio import MAX_DEPTH, MAX_NODES

from .test_template_limits import BOMB

POLICY = """\
id: CC-FUZZ-001
title: bucket names match a pattern
severity: error
category: s3
description: test policy
remediation: rename it
resource_types: ["AWS::S3::Bucket"]
assert: {{path: Properties.BucketName, {op}: {pattern}}}
message: "Bucket {{logical_id}}: {{reason}}"
"""


def policy_text(op: str = "regex", pattern: str = '"^[a-z-]+$"') -> str:
    return POLICY.format(op=op, pattern=pattern)


def load_policy(tmp_path: Path, text: str | bytes) -> list:
    d = tmp_path / "policies"
    d.mkdir(exist_ok=True)
    f = d / "p.yaml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_policy_checks(Config({"builtin_policies": False}), [d])


def policy_error(tmp_path: Path, text: str | bytes) -> InputError:
    with pytest.raises(InputError) as info:
        load_policy(tmp_path, text)
    assert info.value.file == str(tmp_path / "policies" / "p.yaml")
    return info.value


def config_error(tmp_path: Path, text: str | bytes) -> InputError:
    f = tmp_path / ".cfncheck.yaml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as info:
        load_config(f)
    assert info.value.file == str(f)
    return info.value


def test_the_test_policy_is_valid(tmp_path):
    assert [c.info.id for c in load_policy(tmp_path, policy_text())] == ["CC-FUZZ-001"]


HOSTILE_YAML = {
    "alias-bomb": (BOMB.decode().replace("Resources:", "suppressions:"),
                   f"more than {MAX_NODES} nodes"),
    "deep": ("a: " + "[" * 100_000, "nesting"),
    "deep-under-recursion-limit": ("a: " + "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20),
                                   f"deeper than {MAX_DEPTH}"),
    "python-object": ("a: !!python/object/apply:os.system ['touch MARKER']\n",
                      "a YAML tag that constructs objects is not allowed"),
    "python-name": ("a: !!python/name:os.system\n",
                    "a YAML tag that constructs objects is not allowed"),
    "bigint": ("a: " + "1" * 5000 + "\n", "4300 digits"),
}


@pytest.mark.parametrize("case", list(HOSTILE_YAML))
@pytest.mark.parametrize("kind", ["config", "policy"])
def test_hostile_yaml_in_config_and_policies(tmp_path, case, kind):
    text, word = HOSTILE_YAML[case]
    marker = tmp_path / "pwned"
    text = text.replace("MARKER", str(marker))
    e = config_error(tmp_path, text) if kind == "config" else policy_error(tmp_path, text)
    assert word in e.message, e
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["config", "policy"])
def test_non_utf8_config_and_policy(tmp_path, kind):
    raw = b"fail_on: error\nx: \xff\n" if kind == "config" else policy_text().encode() + b"\xfe"
    e = config_error(tmp_path, raw) if kind == "config" else policy_error(tmp_path, raw)
    assert "UTF-8" in e.message


def test_huge_config_file_is_refused(tmp_path):
    e = config_error(tmp_path, "# " + "x" * (6 * 1024 * 1024) + "\n")
    assert e.kind == "limit"


def test_catastrophic_backtracking_regex_in_a_policy_runs_in_linear_time(tmp_path):
    checks = load_policy(tmp_path, policy_text(pattern='"^(a+)+$"'))
    tpl = tmp_path / "t.json"
    name = "a" * 50_000 + "!"  # exponential for a backtracking engine
    tpl.write_text(json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket",
                                                   "Properties": {"BucketName": name}}}}))
    t0 = time.perf_counter()
    result = scan([tpl], Config(), checks=checks, jobs=1, timeout=10)
    assert time.perf_counter() - t0 < 5
    assert [f.rule_id for f in result.findings] == ["CC-FUZZ-001"]
    assert not result.errors


@pytest.mark.parametrize("pattern", ['"(?<=x)y"', '"(a)\\\\1"', '"["'])
def test_regex_features_outside_re2_are_a_clear_policy_error(tmp_path, pattern):
    e = policy_error(tmp_path, policy_text(pattern=pattern))
    assert e.kind == "policy" and e.line == 8


def test_message_placeholders_are_not_format_strings(tmp_path):
    text = policy_text().replace("Bucket {logical_id}: {reason}",
                                 "{logical_id.__class__.__mro__} {0} {reason}")
    e = policy_error(tmp_path, text)
    assert "{logical_id.__class__.__mro__}" in e.message
