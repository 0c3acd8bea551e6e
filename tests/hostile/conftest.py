"""Shared helpers for the hostile-input suite: assembly builders and a graph-probing check.

The probe check walks every resource of every stack through the whole query API (graph edges
both ways, construct paths, fqns, locations), so fuzzed inputs exercise the graph and the
location code even where the rule pack has nothing to say about them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.fuzz_loaders import Probe

REPO = Path(__file__).resolve().parents[2]


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def stack_artifact(template_file: str, display: str | None = None, **props) -> dict:
    art = {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
           "properties": {"templateFile": template_file, **props}}
    if display:
        art["displayName"] = display
    return art


def write_assembly(root: Path, templates: dict[str, dict], artifacts: dict | None = None) -> Path:
    """A cloud assembly in ``root``: one stack artifact per template (artifact id = key)."""
    root.mkdir(parents=True, exist_ok=True)
    arts = {}
    for art_id, tpl in templates.items():
        fname = f"{art_id}.template.json"
        write_json(root / fname, tpl)
        arts[art_id] = stack_artifact(fname, art_id)
    arts.update(artifacts or {})
    write_json(root / "manifest.json", {"version": "36.0.0", "artifacts": arts})
    return root


def bucket(**props) -> dict:
    return {"Type": "AWS::S3::Bucket", "Properties": props} if props else \
        {"Type": "AWS::S3::Bucket"}


class ProbeCheck(Probe):
    """The fuzz target's probe (bench/fuzz_loaders.py): every resource through the graph and
    location API, one finding each."""


@pytest.fixture
def probe():
    return ProbeCheck()
