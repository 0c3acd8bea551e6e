"""W9303 (cfncheck/rules/w9303_alpha_constructs.py): experimental -alpha constructs."""

from __future__ import annotations

import json

from cfncheck.rules.w9303_alpha_constructs import AlphaConstructs
from tests.rules.helpers import DEFECTIVE, PROD_API, line_text, only, run_rule


def test_defective_sample_reports_the_iot_alpha_topic_rule(sample_findings):
    found = only(sample_findings["defective"], "W9303")
    assert [(f.stack, f.logical_id, f.path) for f in found] == [
        ("Dev/Api", "OrdersIngestRuleB9E3F2B2", ("Resources", "OrdersIngestRuleB9E3F2B2")),
        ("Prod/Api", "OrdersIngestRuleB9E3F2B2", ("Resources", "OrdersIngestRuleB9E3F2B2")),
    ]
    assert found[1].message.startswith(
        "Prod/Api/OrdersIngestRule is an experimental construct "
        "@aws-cdk/aws-iot-alpha.TopicRule 2.")
    assert found[1].key == "OrdersIngestRule|@aws-cdk/aws-iot-alpha.TopicRule"
    assert line_text(found[1]).strip() == '"OrdersIngestRuleB9E3F2B2": {'


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9303") == []


def test_only_the_outermost_alpha_construct_and_nested_stacks(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    tree_file = root / "tree.json"
    tree = json.loads(tree_file.read_text())
    prod_api = tree["tree"]["children"]["Prod"]["children"]["Api"]
    rule = prod_api["children"]["OrdersIngestRule"]
    # an experimental child under the experimental rule: not reported again
    rule["children"]["Inner"] = {"id": "Inner", "path": "Prod/Api/OrdersIngestRule/Inner",
                                 "constructInfo": {"fqn": "@aws-cdk/aws-iot-alpha.Inner",
                                                   "version": "2.0.0-alpha.0"}}
    # an experimental construct inside the nested stack: reported on the nested stack
    storage = prod_api["children"]["Storage"]
    storage["children"]["Pipe"] = {"id": "Pipe", "path": "Prod/Api/Storage/Pipe",
                                   "constructInfo": {"fqn": "@aws-cdk/aws-pipes-alpha.Pipe"}}
    tree_file.write_text(json.dumps(tree))
    found = [(f.stack, f.logical_id, f.message.split(" is ")[0])
             for f in run_rule(AlphaConstructs, root, root) if f.stack.startswith("Prod")]
    assert found == [("Prod/Api", "OrdersIngestRuleB9E3F2B2", "Prod/Api/OrdersIngestRule"),
                     ("Prod/Api/Storage", None, "Prod/Api/Storage/Pipe")]


def test_cfn_lint(cfnlint_matches):
    assert [m[0] for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9303"] == \
        ["W9303"]
