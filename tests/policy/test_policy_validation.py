"""Custom-policy mistakes are refused with the line and the closest valid name (issue 14 item
2): resource types against cfn-lint's bundled resource specification, stage names against the
configured stages, duplicate YAML keys, unknown operators."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cfncheck.cli import app
from cfncheck.config import load_config
from cfncheck.engine import collect_checks
from cfncheck.errors import InputError
from cfncheck.policy.loader import load_policy_file

from .test_policy_loader import GOOD, write


@pytest.mark.parametrize("change, line, message", [
    (('["AWS::SQS::Queue"]', '["AWS::SQS::Queu"]'), 7,
     "invalid policy at resource_types[0]: 'AWS::SQS::Queu' is not a CloudFormation resource "
     "type (did you mean AWS::SQS::Queue?)"),
    (('["AWS::SQS::Queue"]', '["AWS::SQS::Queue", "AWS::SQS::Quuee*"]'), 7,
     "invalid policy at resource_types[1]: no CloudFormation resource type matches "
     "'AWS::SQS::Quuee*'"),
    (('["AWS::SQS::Queue"]', '["@statefull"]'), 7,
     "invalid policy at resource_types[0]: unknown type group '@statefull' (did you mean "
     "@stateful?)"),
    (("  exists: true", "  exist: true"), 10,
     "invalid policy at assert: unknown key 'exist' (did you mean exists?); operators: "),
    (("  exists: true", "  less_than: 3"), 10,
     "invalid policy at assert: unknown key 'less_than' (did you mean lt?); operators: "),
    (("severity: warning\n", "severity: warning\nseverity: error\n"), 4,
     "duplicate key 'severity' (first at line 3)"),
])
def test_policy_mistakes_point_at_the_line_with_a_suggestion(tmp_path, change, line, message):
    p = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(InputError) as e:
        load_policy_file(p)
    assert e.value.line == line
    assert e.value.message.startswith(message), e.value.message
    assert "lt, lte" in e.value.message if "operators" in message else True


def test_globs_groups_and_custom_types_are_accepted(tmp_path):
    p = write(tmp_path, GOOD.replace('["AWS::SQS::Queue"]',
                                     '["AWS::SQS::*", "@taggable", "Custom::Thing"]'))
    assert load_policy_file(p).info.id == "ACME-SQS-001"


def test_policy_stages_must_be_configured_stages(tmp_path, monkeypatch):
    pol = tmp_path / "pol"
    pol.mkdir()
    p = write(pol, GOOD + "stages: [production]\n")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["policy", "validate", str(pol)])
    assert r.exit_code == 2
    assert r.stderr == (f"cfncheck: error: {p}:11: invalid policy at stages: 'production' is "
                        "not a configured stage (did you mean prod?); stages are dev, staging, "
                        "prod (declare others under custom_stages)\n")
    cfg = tmp_path / ".cfncheck.yaml"
    cfg.write_text("policies: [pol]\n")
    with pytest.raises(InputError) as e:
        collect_checks(load_config(cfg))
    assert (e.value.file, e.value.line) == (str(p), 11)
    cfg.write_text("policies: [pol]\ncustom_stages: [production]\n")
    assert "ACME-SQS-001" in {c.info.id for c in collect_checks(load_config(cfg))}
    r = CliRunner().invoke(app, ["policy", "validate", str(pol)])
    assert r.exit_code == 0, r.stderr


def test_values_from_a_policy_are_escaped_in_errors(tmp_path):
    p = write(tmp_path, GOOD.replace("  exists: true", '  "x\\n::error::INJ\\u001b]0;t\\u0007": 1'))
    with pytest.raises(InputError) as e:
        load_policy_file(p)
    text = str(e.value)
    assert "\n" not in text and "\x1b" not in text and "\x07" not in text
    assert "unknown key 'x\\n::error::INJ\\x1b]0;t\\x07'" in text
