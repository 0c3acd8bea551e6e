"""The README quick start, .ci/run and the docs stay true."""

from __future__ import annotations

import re

from tests.samples import ROOT


def quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands_install_and_scan_then_tests():
    install, tests = quick_start()
    assert "pip install -e" in install and "cfncheck scan sample_templates/" in install
    assert "pytest" in tests


def test_ci_runs_the_readme_install_and_test_command():
    install, tests = quick_start()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    pip_install = re.search(r"\.venv/bin/pip install -e \"[^\"]+\"", install).group(0)
    assert pip_install in ci
    assert tests in ci, "the last step of .ci/run is the README's test command"
    assert ci[-1] == tests


def test_sample_named_in_quick_start_exists():
    install, _ = quick_start()
    path = re.search(r"cfncheck scan (\S+)", install).group(1)
    assert (ROOT / path / "manifest.json").is_file()


def test_readme_config_example_is_valid_and_applies(tmp_path):
    from cfncheck.config import load_config
    from cfncheck.engine import scan
    from tests.samples import DEFECTIVE

    text = (ROOT / "README.md").read_text().split("## Configuration", 1)[1]
    (tmp_path / "compliance" / "policies").mkdir(parents=True)
    cfg_file = tmp_path / ".cfncheck.yaml"
    cfg_file.write_text(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    result = scan([DEFECTIVE], load_config(cfg_file))
    rules = {f.rule_id for f in result.findings}
    assert "CC-S3-003" not in rules  # disabled
    assert {f.severity for f in result.findings if f.rule_id == "CC-RES-001"} == {"error"}
    # Dev/Api carries Environment only: one finding for the stack, the bucket among its members
    tag = next(f for f in result.findings if f.rule_id == "CC-TAG-001"
               and f.stack == "Dev/Api" and f.severity == "warning")
    assert "DataBucketE3889A50" in {m["logical_id"] for m in tag.related}
    assert "(missing tags Owner, CostCenter)" in tag.message
