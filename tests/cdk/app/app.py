#!/usr/bin/env python3
"""Test CDK app for the cfncheck plugin tests (tests/cdk/test_cdk_plugin.py).

Two Stages (Dev, Prod) of one Api stack with a nested Storage stack. ``CFNCHECK_VARIANT``
selects ``defective`` (default) or ``fixed``; the output folder is ``CDK_OUTDIR`` (what the cdk
CLI sets). The plugin is added in one line, as a user would.
"""

import json
import os
from pathlib import Path

import aws_cdk as cdk
from orders.stage import OrdersStage

from cfncheck.cdk import CfncheckPlugin

HERE = Path(__file__).resolve().parent
variant = os.environ.get("CFNCHECK_VARIANT", "defective")
# Without the CLI, App() does not read cdk.json: pass its context (the CLI's wins).
context = json.loads((HERE / "cdk.json").read_text())["context"]
context.update(json.loads(os.environ.get("CDK_CONTEXT_JSON", "{}")))

if os.environ.get("CFNCHECK_REGISTER") == "validations":  # the non-beta API of newer CDKs
    app = cdk.App(context=context)
    cdk.Validations.of(app).add_plugins(CfncheckPlugin())
else:
    app = cdk.App(context=context, policy_validation_beta1=[CfncheckPlugin()])
OrdersStage(app, "Dev", variant=variant)
OrdersStage(app, "Prod", variant=variant)
app.synth()
