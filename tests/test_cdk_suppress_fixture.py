"""Suppressions written by ``cfncheck.cdk.suppress()`` in a real synthesized app
(``tests/fixtures/suppress_app``): honoured by ``cfncheck scan`` and by plain cfn-lint run with
the README's command, and an id that matches nothing (a typo, lower case) is said, as an unused
config suppression is (issue 14 items 3-5)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from cfncheck.engine import scan
from tests.samples import ROOT

APP = ROOT / "tests" / "fixtures" / "suppress_app"


def test_scan_honours_suppress_and_notes_ids_that_match_nothing():
    result = scan([APP / "cdk.out"])
    w9203 = {f.logical_id: f.suppressed for f in result.findings if f.rule_id == "W9203"}
    assert set(w9203) == {"AcceptedB4A874EA", "Typo35856D1B"}
    assert w9203["AcceptedB4A874EA"].source == "metadata"
    assert w9203["AcceptedB4A874EA"].reason == "consumed by name by the partner account"
    assert w9203["Typo35856D1B"] is None
    notes = [n for n in result.notes if n.startswith("cfncheck metadata suppression")]
    assert notes == [
        "cfncheck metadata suppression of CC-S3-02 matched no finding (MyStack/Typo/Resource): "
        "no check has id 'CC-S3-02' (did you mean CC-S3-002?)",
        "cfncheck metadata suppression of w9203 matched no finding (MyStack/Typo/Resource): "
        "no check has id 'w9203' (did you mean W9203?)",
    ]


def readme_cfnlint_command() -> str:
    text = (ROOT / "README.md").read_text().split("## Rule pack", 1)[1]
    return re.search(r"```console\n(.*?)\n```", text, re.S).group(1).strip()


def test_the_readme_cfnlint_command_runs_and_honours_cfncheck_suppressions():
    command = readme_cfnlint_command()
    assert command == "cfn-lint cdk.out/MyStack.template.json -a cfncheck.rules"
    argv = shlex.split(command)
    argv[0] = str(Path(sys.executable).parent / "cfn-lint")
    proc = subprocess.run(argv, cwd=APP, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode in (0, 2, 4, 6, 8, 10, 12, 14), proc.stderr
    w9203 = [line for line in proc.stdout.splitlines() if line.startswith("W9203")]
    assert len(w9203) == 1 and "Typo35856D1B" in w9203[0], proc.stdout
