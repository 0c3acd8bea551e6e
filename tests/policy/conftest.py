"""Helpers for the policy-engine tests: compile a policy from a dict, evaluate a template."""

from __future__ import annotations

import json

import pytest

from cfncheck.assembly import Stack
from cfncheck.checks import ScanContext
from cfncheck.config import Config
from cfncheck.graph import Graph, Node
from cfncheck.policy.check import RunState
from cfncheck.policy.loader import compile_policy
from cfncheck.template import parse_template

BASE = {"id": "T-POLICY-001", "title": "Test policy", "severity": "error", "category": "test",
        "description": "d", "remediation": "r"}


def make_policy(assertion=None, **fields):
    spec = {**BASE, "resource_types": ["AWS::S3::Bucket"], **fields}
    if assertion is not None:
        spec["assert"] = assertion
    return compile_policy(spec, "test-policy.yaml")


def make_stack(resources: dict, stage: str = "dev", tags: dict | None = None,
               extra: dict | None = None, name: str = "Test") -> Stack:
    data = {"Resources": resources, **(extra or {})}
    tpl = parse_template(json.dumps(data, indent=1).encode(), f"{name}.template.json")
    stack = Stack(name=name, template=tpl, template_rel=f"{name}.template.json",
                  stack_name=name, tags=dict(tags or {}))
    stack.stage = stage
    return stack


def verdicts(policy, stacks, params: dict | None = None) -> dict:
    """{logical_id: Verdict} for every resource of every stack."""
    stacks = stacks if isinstance(stacks, list) else [stacks]
    config = Config({"parameters": {policy.info.id: params}} if params else {})
    ctx = ScanContext(stacks, Graph(stacks), config)
    state = RunState(ctx, policy)
    return {lid: policy.verdict(state, Node(s, lid)) for s in stacks for lid in s.resources}


def statuses(policy, resources: dict, **kw) -> dict:
    stack_kw = {k: kw.pop(k) for k in ("stage", "tags", "extra") if k in kw}
    return {lid: v.status for lid, v in verdicts(policy, make_stack(resources, **stack_kw),
                                                   **kw).items()}


@pytest.fixture
def check():
    """check(assertion, resources, **policy_fields) -> {lid: status}"""

    def run(assertion, resources, stage="dev", tags=None, params=None, extra=None, **fields):
        pol = make_policy(assertion, **fields)
        return {lid: v.status for lid, v in verdicts(
            pol, make_stack(resources, stage, tags, extra), params).items()}

    return run
