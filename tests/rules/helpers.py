"""Helpers for the rule-pack tests: run one rule on a hand-written template, build policies."""

from __future__ import annotations

import json
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import scan
from tests.samples import DEFECTIVE, FIXED

PROD_API = "assembly-Prod/ProdApi2466CF1F.template.json"
DEV_API = "assembly-Dev/DevApi52A53550.template.json"
#: a plain (non-CDK) template that trips every template-level rule once, for cfn-lint
PLAIN = Path(__file__).parent / "fixtures" / "plain-defects.json"
__all__ = ["DEFECTIVE", "FIXED", "PROD_API", "DEV_API", "PLAIN"]


def only(findings, rule_id: str) -> list:
    return [f for f in findings if f.rule_id == rule_id]


def run_rule(rule_cls, template: dict | Path, tmp_path: Path, params: dict | None = None,
             name: str = "template.json") -> list:
    """Scan one hand-written template (or an assembly folder) with one rule."""
    if isinstance(template, dict):
        path = tmp_path / name
        path.write_text(json.dumps(template, indent=1))
    else:
        path = template
    rule = rule_cls()
    config = Config(data={"parameters": {rule.id: params}} if params else {})
    return scan([path], config=config, checks=[rule]).findings


def resources(**res) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": res}


def policy(*statements, rtype: str = "AWS::IAM::Policy", prop: str = "PolicyDocument",
           **extra) -> dict:
    props = {prop: {"Version": "2012-10-17", "Statement": list(statements)}, **extra}
    if rtype == "AWS::IAM::Policy":
        props.setdefault("PolicyName", "p")
        props.setdefault("Roles", ["r"])
    return {"Type": rtype, "Properties": props}


def line_text(finding) -> str:
    """The text of the template line a finding points at."""
    return Path(finding.file).read_text().splitlines()[finding.line - 1]


def statement_text(finding, lines_after: int = 40) -> str:
    """The template text from the finding's line on (the statement it points at)."""
    text = Path(finding.file).read_text().splitlines()
    return "\n".join(text[finding.line - 1: finding.line - 1 + lines_after])
