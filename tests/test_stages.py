"""cfncheck.stages: the stage of each stack, and the order of the sources."""

from __future__ import annotations

import pytest

from cfncheck.assembly import Stack, load
from cfncheck.stages import assign_stages, resolve_stage, tokens
from cfncheck.template import parse_template

TPL = parse_template(b'{"Resources": {}}', "t.json")


def stack(name="App", stack_name="", stages=(), tags=None):
    return Stack(name=name, template=TPL, template_rel=f"{name}.json", stack_name=stack_name,
                 cdk_stages=stages, tags=tags or {})


@pytest.mark.parametrize("text,expected", [
    ("MyAppProdStack", ["my", "app", "prod", "stack", "myappprodstack"]),
    ("orders-stg", ["orders", "stg"]),
    ("PRD", ["prd"]),
])
def test_tokens(text, expected):
    assert tokens(text) == expected


def test_samples_get_stages_from_cdk_stages(defective):
    stacks = load([defective]).stacks
    assign_stages(stacks)
    assert {(s.name, s.stage) for s in stacks} == {
        ("Dev/Api", "dev"), ("Dev/Api/Storage", "dev"), ("Dev/Monitoring", "dev"),
        ("Prod/Api", "prod"), ("Prod/Api/Storage", "prod"), ("Prod/Monitoring", "prod")}
    nested = next(s for s in stacks if s.name == "Prod/Api/Storage")
    assert nested.stage_source == "parent stack (CDK Stage Prod)"


def test_order_cli_then_config_then_cdk_stage_then_tag_then_name():
    s = stack(name="Prod/DevTools", stack_name="staging-tools", stages=("Prod",),
              tags={"Environment": "development"})
    assert resolve_stage(s, cli_stage="qa") == ("qa", "--stage")
    assert resolve_stage(s, mapping={"Prod/*": "sandbox"}) == ("sandbox",
                                                               "config stages: Prod/*")
    assert resolve_stage(s) == ("prod", "CDK Stage Prod")
    s.cdk_stages = ()
    assert resolve_stage(s) == ("dev", "tag Environment=development")
    s.tags = {}
    assert resolve_stage(s) == ("prod", "name Prod/DevTools")  # first token that is a stage
    s.name = "Tools"
    assert resolve_stage(s) == ("staging", "name staging-tools")
    s.stack_name = "tools"
    assert resolve_stage(s) == ("unknown", "no stage found")


def test_custom_tokens_from_config():
    assert resolve_stage(stack(name="LiveEU"), extra_tokens={"eu": "prod-eu"}) == (
        "prod", "name LiveEU")  # built-in "live" comes first
    assert resolve_stage(stack(name="OrdersBlue"), extra_tokens={"blue": "prod"}) == (
        "prod", "name OrdersBlue")
