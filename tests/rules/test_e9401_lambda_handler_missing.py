"""E9401 (cfncheck/rules/e9401_lambda_handler_missing.py): handler file/function missing."""

from __future__ import annotations

import json

from cfncheck.rules.e9401_lambda_handler_missing import LambdaHandlerMissing
from tests.rules.helpers import DEFECTIVE, PROD_API, line_text, only, run_rule

ORDERS_ASSET = "asset.962f831d9eb659aeb91b1673c010f4778cfa3dba6f10686cb66dbb3dc3d634ae"


def test_samples_have_none(sample_findings):
    # python handlers in assets, CDK's minified Node handlers (esbuild "handler:()=>x"),
    # and CDK's inline python BucketNotificationsHandler all resolve
    assert only(sample_findings["defective"], "E9401") == []
    assert only(sample_findings["fixed"], "E9401") == []


def edit_template(root, rel: str, edit) -> None:
    path = root / rel
    data = json.loads(path.read_text())
    edit(data["Resources"])
    path.write_text(json.dumps(data, indent=1))


def test_missing_file_missing_function_inline_and_node(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    (root / ORDERS_ASSET / "handler.py").rename(root / ORDERS_ASSET / "orders.py")

    def edit(res):
        res["ReportFunction3CBC8DF1"]["Properties"]["Handler"] = "handler.nope"
        notif = next(k for k in res if k.startswith("BucketNotificationsHandler")
                     and res[k]["Type"] == "AWS::Lambda::Function")
        res[notif]["Properties"]["Handler"] = "app.handler"
        logret = next(k for k in res if k.startswith("LogRetention")
                      and res[k]["Type"] == "AWS::Lambda::Function")
        res[logret]["Properties"]["Handler"] = "index.main"

    edit_template(root, PROD_API, edit)
    found = [f for f in run_rule(LambdaHandlerMissing, root, root) if f.stack == "Prod/Api"]
    by_lid = {f.logical_id[:12]: f for f in found}
    assert sorted(by_lid) == ["BucketNotifi", "LogRetention", "OrdersApiFun", "ReportFuncti"]
    orders = by_lid["OrdersApiFun"]
    assert orders.message == (
        "AWS::Lambda::Function OrdersApiFunctionF46D4A7F (python3.12) handler 'handler.main': "
        f"neither handler.py nor handler/__init__.py is in the asset ({ORDERS_ASSET})")
    assert orders.path == ("Resources", "OrdersApiFunctionF46D4A7F", "Properties", "Handler")
    assert line_text(orders).strip() == '"Handler": "handler.main",'
    assert orders.severity == "error"
    assert "handler.py defines no module-level 'nope'" in by_lid["ReportFuncti"].message
    notif = by_lid["BucketNotifi"]
    assert "inline code is saved as index.py, but the handler names module 'app'" in \
        notif.message and notif.severity == "info"
    assert "index.js exports no 'main'" in by_lid["LogRetention"].message
    # the orders asset is shared by Dev and Prod: Dev is reported too
    assert [f.logical_id for f in run_rule(LambdaHandlerMissing, root, root)
            if f.stack == "Dev/Api"] == ["OrdersApiFunctionF46D4A7F"]
