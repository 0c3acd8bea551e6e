"""W9301 (cfncheck/rules/w9301_cdk_warning.py): aws:cdk:warning annotations as findings."""

from __future__ import annotations

import json

from cfncheck.rules.w9301_cdk_warning import CdkWarning
from tests.rules.helpers import DEFECTIVE, PROD_API, line_text, only, run_rule

DEPRECATION = ("CDK warning at Prod/Api/ReportFunction: The API "
               "aws-cdk-lib.aws_lambda.FunctionOptions#logRetention is deprecated: use "
               "`logGroup` instead. This API will be removed in the next major release "
               "[ack: Deprecated:aws-cdk-lib.aws_lambda.FunctionOptions#logRetention]")


def test_defective_sample_reports_the_deprecation_at_the_function(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9301") if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.path, f.construct_path) for f in found] == [
        ("ReportFunction3CBC8DF1", ("Resources", "ReportFunction3CBC8DF1"),
         "Prod/Api/ReportFunction/Resource")] * 2
    assert sorted(f.message for f in found)[1] == DEPRECATION
    # multi-line CDK messages are folded onto one line
    assert "\n" not in sorted(f.message for f in found)[0]
    assert line_text(found[0]).strip() == '"ReportFunction3CBC8DF1": {'
    assert len(only(sample_findings["defective"], "W9301")) == 4  # and twice in Dev/Api


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9301") == []


def add_annotations(root, entries: dict, level: str = "warning"):
    md = root / "assembly-Prod" / "ProdApi2466CF1F.metadata.json"
    data = json.loads(md.read_text())
    for path, message in entries.items():
        data.setdefault(path, []).append({"type": f"aws:cdk:{level}", "data": message})
    md.write_text(json.dumps(data, indent=1))


def test_construct_paths_map_to_resources_nested_stacks_or_the_stack(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    add_annotations(root, {
        "/Prod/Api": "on the stack",
        "/Prod/Api/OrdersApi": "on an L2 with a Resource child",
        "/Prod/Api/OrdersApi/Default/api": "on a construct deeper down",
        "/Prod/Api/Storage/AuditTable": "in the nested stack",
        "/Prod/Api/BucketNotificationsHandler050a0587b7544547bf325f094a3db834": "internal",
    })
    found = {f.message.split(": ", 1)[1]: f for f in run_rule(CdkWarning, root, root)
             if f.stack.startswith("Prod/")}
    stack_level = found["on the stack"]
    assert (stack_level.logical_id, stack_level.path, stack_level.line) == \
        (None, ("Resources",), line_no(root / PROD_API, '"Resources": {'))
    assert found["on an L2 with a Resource child"].logical_id == "OrdersApi48294D44"
    assert found["on a construct deeper down"].logical_id == "OrdersApiapiFEA46ADF"
    nested = found["in the nested stack"]
    assert (nested.stack, nested.logical_id, nested.template) == \
        ("Prod/Api/Storage", "AuditTableB07F8EEB",
         "assembly-Prod/ProdApiStorageDD1EDF8B.nested.template.json")
    internal = [f for k, f in found.items() if k.startswith("internal")][0]
    assert internal.severity == "info" and "CDK-generated" in internal.message
    assert found["on the stack"].key == "Prod/Api|on the stack"


def line_no(path, text: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln)


def test_cfn_lint(cfnlint_matches, sample_findings):
    cdk = sorted(m[1:] for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9301")
    scanned = sorted((f.line, f.message) for f in only(sample_findings["defective"], "W9301")
                     if f.stack == "Prod/Api")
    assert cdk == scanned
