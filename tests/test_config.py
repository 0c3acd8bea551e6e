"""Config files: .cfncheck.yaml and [tool.cfncheck] in pyproject.toml, validated with errors
that name the file and the line."""

from __future__ import annotations

import pytest

from cfncheck.config import find_config, load_config, toml_line
from cfncheck.errors import InputError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_yaml_config_keys(tmp_path):
    cfg = load_config(write(tmp_path, ".cfncheck.yaml", """
stages: {"Prod/*": prod}
fail_on: warning
peer_suppressions: false
rules:
  disable: [CC-TAG-*]
  severity: {CC-S3-003: warning}
parameters: {CC-LAMBDA-001: {max_timeout: {default: 30, prod: 15}}}
suppressions:
  - {id: CC-S3-001, path: "Prod/Api/Website*", reason: public website, expires: 2030-01-01}
"""))
    assert cfg.fail_on == "warning" and cfg.peer_suppressions is False
    assert not cfg.enabled("CC-TAG-001") and cfg.enabled("CC-S3-001")
    assert cfg.severity("CC-S3-003", "info") == "warning"
    assert cfg.suppressions[0]["expires"] == "2030-01-01"
    assert cfg.line(("suppressions", 0)) == 10
    assert load_config(None).peer_suppressions is True


@pytest.mark.parametrize("text, where, line", [
    ("suppressions:\n  - id: CC-S3-001\n    path: x\n", "suppressions/0", 2),  # no reason
    ("suppressions:\n  - id: CC-S3-001\n    reason: '   '\n", "suppressions/0/reason", 3),
    ("fail_on: sometimes\n", "fail_on", 1),
    ("rules:\n  severity:\n    X: fatal\n", "rules/severity/X", 3),
    ("peer_suppressions: maybe\n", "peer_suppressions", 1),
    ("suppressions:\n  - id: A\n    reason: why not\n    expires: 2024-02-30\n",
     "suppressions/0/expires", 4),
])
def test_yaml_errors_name_file_and_line(tmp_path, text, where, line):
    p = write(tmp_path, ".cfncheck.yaml", text)
    with pytest.raises(InputError) as e:
        load_config(p)
    assert e.value.file == str(p) and e.value.line == line
    assert f"invalid config at {where}" in e.value.message


PYPROJECT = """[project]
name = "app"

[tool.cfncheck]
fail_on = "info"
stages = { "Prod/*" = "prod" }

[tool.cfncheck.rules]
disable = ["CC-TAG-*"]

[[tool.cfncheck.suppressions]]
id = "CC-S3-001"
reason = "website"

[[tool.cfncheck.suppressions]]
id = "CC-DDB-001"
reason = "dev"
expires = 2030-06-30
"""


def test_pyproject_config(tmp_path):
    p = write(tmp_path, "pyproject.toml", PYPROJECT)
    assert find_config(tmp_path) == p
    cfg = load_config(p)
    assert cfg.fail_on == "info" and not cfg.enabled("CC-TAG-9")
    assert cfg.suppressions[1]["expires"] == "2030-06-30"  # a TOML date becomes a string
    assert cfg.line(("suppressions", 1, "expires")) == 18
    assert cfg.line(("rules", "disable")) == 9


def test_pyproject_errors_name_the_line(tmp_path):
    p = write(tmp_path, "pyproject.toml", PYPROJECT.replace('reason = "dev"\n', ""))
    with pytest.raises(InputError) as e:
        load_config(p)
    assert e.value.line == 15 and "suppressions/1" in e.value.message
    p = write(tmp_path, "pyproject.toml", PYPROJECT.replace('"info"', '"loud"'))
    with pytest.raises(InputError) as e:
        load_config(p)
    assert (e.value.line, e.value.file) == (5, str(p))
    p = write(tmp_path, "pyproject.toml", "[tool.cfncheck]\nfail_on = \n")
    with pytest.raises(InputError) as e:
        load_config(p)
    assert e.value.line == 2 and e.value.message.startswith("invalid TOML")


def test_toml_line_follows_tables_and_keys():
    text = '[tool.cfncheck]\nrules = { disable = ["X"] }\n[tool.cfncheck.parameters]\nA = 1\n'
    assert toml_line(text, ["rules", "disable"]) == 2
    assert toml_line(text, ["parameters", "A"]) == 4
    assert toml_line("[project]\n", ["x"]) is None


def test_find_config_stops_at_the_git_root(tmp_path):
    write(tmp_path, ".cfncheck.yaml", "fail_on: info\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "app").mkdir()
    assert find_config(repo / "app") is None
    write(repo, ".cfncheck.yml", "fail_on: info\n")
    assert find_config(repo / "app") == repo / ".cfncheck.yml"
