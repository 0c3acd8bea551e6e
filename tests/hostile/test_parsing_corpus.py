"""The shared parsing corpus (../shared/oracles/parsing, see its README): 130 good and 65 bad
templates from the cfn-lint and checkov test suites.

* every good template loads and is checked without an error (the one exception: files
  cfn-lint itself cannot parse, E0000 in the manifest, may be a clear parse error instead);
* every bad one gives findings, a clear error naming the file, or a note, never a traceback;
  the ``parse-error`` ones always give an error.

Skipped when the shared folder is not next to the repository.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cfncheck.config import Config
from cfncheck.engine import collect_checks, scan
from cfncheck.report import ReportOptions, render


def _corpus() -> Path | None:
    repo = Path(__file__).resolve().parents[2]
    for shared in (repo.parent / "shared", repo / "shared"):
        folder = shared / "oracles" / "parsing"
        if (folder / "manifest.json").is_file():
            return folder
    return None


CORPUS = _corpus()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="../shared/oracles/parsing not found")


def entries(category: str) -> list[dict]:
    data = json.loads((CORPUS / "manifest.json").read_text())
    return [f for f in data["files"] if f["category"] == category]


@pytest.fixture(scope="module")
def checks():
    return collect_checks(Config())


def outcome(entry: dict, checks) -> tuple[str, list]:
    path = CORPUS / entry["file"]
    result = scan([str(path)], Config(), checks=checks, jobs=1)
    render("json", result, ReportOptions())
    for e in result.errors:
        assert e.file == str(path) and "\n" not in str(e), e
    if result.errors:
        return "error", result.errors
    return ("findings" if result.findings else "clean"), []


def test_good_templates_load_and_are_checked(checks):
    counts: Counter = Counter()
    failures = []
    for entry in entries("good"):
        kind, errors = outcome(entry, checks)
        counts[kind] += 1
        unparseable_upstream = "E0000" in (entry.get("cfn_lint_findings") or {})
        if errors and not (unparseable_upstream and errors[0].kind == "parse"):
            failures.append((entry["file"], [str(e) for e in errors]))
    print(f"\ngood: {sum(counts.values())} files, {dict(counts)}")
    assert not failures
    assert sum(counts.values()) == 130


def test_bad_templates_give_findings_or_a_clear_error(checks):
    counts: Counter = Counter()
    for entry in entries("bad"):
        kind, errors = outcome(entry, checks)
        counts[(entry["expect"], kind)] += 1
        if entry["expect"] == "parse-error":
            assert errors and errors[0].kind in ("parse", "structure", "input"), entry["file"]
    print(f"\nbad: {sum(counts.values())} files, " + ", ".join(
        f"{e}/{k}={n}" for (e, k), n in sorted(counts.items())))
    assert sum(counts.values()) == 65
