"""W9403 (cfncheck/rules/w9403_lambda_runtime_module.py): required modules from the runtime."""

from __future__ import annotations

from cfncheck.rules.w9403_lambda_runtime_module import LambdaRuntimeModule
from tests.rules.helpers import FIXED, only, run_rule

NOTIFICATIONS = "BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691"
WORKER_ASSET = "asset.c2348ed59e657f8ef6b6f2e013afe7b2c616078d74f4ffab8a587c5c81d7805f"


def test_off_by_default(sample_findings):
    assert only(sample_findings["defective"], "W9403") == []
    assert only(sample_findings["fixed"], "W9403") == []


def test_boto3_required_to_be_bundled(assembly_copy):
    root = assembly_copy(FIXED)
    found = [f for f in run_rule(LambdaRuntimeModule, root, root,
                                 params={"require_bundled": ["boto3"]})
             if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.key, f.severity) for f in found] == [
        ("OrdersApiFunctionF46D4A7F", "runtime:boto3", "warning"),
        ("ReportFunction3CBC8DF1", "runtime:boto3", "warning"),
        ("WorkerFunctionACE6A4B0", "runtime:boto3", "warning"),
        (NOTIFICATIONS, "runtime:boto3", "info"),  # CDK's inline handler
    ]
    assert "index.py (inline):1 imports 'boto3'" in found[3].message
    assert found[2].message == (
        "AWS::Lambda::Function WorkerFunctionACE6A4B0: handler.py:6 imports 'boto3', which must "
        f"be bundled but is in neither {WORKER_ASSET} nor its layers, so the python3.12 "
        "runtime's copy is used")
    # vendor boto3 into the worker's asset: no longer reported for it
    (root / WORKER_ASSET / "boto3").mkdir()
    (root / WORKER_ASSET / "boto3" / "__init__.py").write_text("")
    again = [f.logical_id for f in run_rule(LambdaRuntimeModule, root, root,
                                            params={"require_bundled": {"default": [],
                                                                        "prod": ["boto3"]}})]
    assert again == ["OrdersApiFunctionF46D4A7F", "ReportFunction3CBC8DF1", NOTIFICATIONS]
