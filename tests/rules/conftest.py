"""Fixtures for the rule-pack tests: sample scans and one cfn-lint run, shared per session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cfncheck.engine import scan
from cfncheck.rules import all_rules
from tests.rules.helpers import PLAIN, PROD_API
from tests.samples import DEFECTIVE, FIXED


@pytest.fixture(scope="session")
def sample_findings():
    """All rule-pack findings of both samples: {"defective": [...], "fixed": [...]}."""
    rules = all_rules()
    return {name: scan([path], checks=rules).findings
            for name, path in (("defective", DEFECTIVE), ("fixed", FIXED))}


@pytest.fixture(scope="session")
def cfnlint_matches():
    """The real cfn-lint command (``cfn-lint --append-rules cfncheck.rules --format json``) on
    a CDK template of each sample and on a plain template: {file: [(rule id, line, message)]}.
    """
    files = [DEFECTIVE / PROD_API, FIXED / PROD_API, PLAIN]
    exe = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run([str(exe), "--append-rules", "cfncheck.rules", "--format", "json",
                           "--regions", "eu-west-1", "--", *map(str, files)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 2, 4, 6, 8, 10, 12, 14), proc.stderr
    out: dict[str, list] = {str(f): [] for f in files}
    for m in json.loads(proc.stdout):
        if m["Rule"]["Id"][1:2] == "9":
            out[str(Path(m["Filename"]))].append(
                (m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"]))
    return out
