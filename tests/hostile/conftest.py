"""Shared helpers for the hostile-input suite: assembly builders and a graph-probing check.

The probe check walks every resource of every stack through the whole query API (graph edges
both ways, construct paths, fqns, locations), so fuzzed inputs exercise the graph and the
location code even where the rule pack has nothing to say about them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfncheck.checks import CheckInfo, Hit

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


class ProbeCheck:
    """Reports every resource, after walking it through the graph and location API."""

    info = CheckInfo(id="CC-TEST-900", title="probe", severity="warning", kind="builtin",
                     source_file="tests/hostile/conftest.py")

    def run(self, ctx):
        g = ctx.graph
        for node in g.resources("*"):
            g.referrers(node)
            g.references(node)
            g.referrers(node, source_type="AWS::*", kinds=("Ref", "GetAtt"))
            node.stack.construct_path(node.logical_id)
            node.stack.fqn(node.logical_id)
            props = node.resource.get("Properties")
            if isinstance(props, dict):
                for v in props.values():
                    g.resolve(node.stack, v)
            yield Hit(node.stack, node.logical_id,
                      ("Resources", node.logical_id, "Properties"),
                      f"probe {node.logical_id}", key="probe")


@pytest.fixture
def probe():
    return ProbeCheck()
