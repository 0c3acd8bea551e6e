#!/usr/bin/env python3
"""Synthesize the serverless sample app without the cdk CLI.

    python app.py --variant defective --outdir ../serverless-defective/cdk.out
    python app.py --variant fixed     --outdir ../serverless-fixed/cdk.out

Without the CLI, App() neither reads cdk.json nor writes to ./cdk.out, so the
feature flags from cdk.json and the context the CLI would add are passed here.
"""
import argparse
import json
import os
from pathlib import Path

from aws_cdk import App

from serverless_app.config import StageConfig
from serverless_app.stage import ServerlessStage

HERE = Path(__file__).resolve().parent

# What `cdk synth` (CLI 2.1148, default options) adds to the context, so the
# output matches the CLI's ...
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}
# ... except that annotation stack traces are dropped: they hold the random
# /tmp/jsii-kernel-XXXX paths of the jsii runtime and would make every
# synthesis differ (same as `export CDK_DISABLE_STACK_TRACE=1`).
DETERMINISM_CONTEXT = {
    "aws:cdk:disable-stack-trace": True,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=["defective", "fixed"],
                        default=os.environ.get("SAMPLE_VARIANT", "fixed"))
    parser.add_argument("--outdir", default=os.environ.get("CDK_OUTDIR", str(HERE / "cdk.out")))
    args = parser.parse_args()

    context = json.loads((HERE / "cdk.json").read_text())["context"]
    context.update(CLI_CONTEXT)
    context.update(DETERMINISM_CONTEXT)
    # Under the real CLI, its own context (CDK_CONTEXT_JSON) wins.
    context.update(json.loads(os.environ.get("CDK_CONTEXT_JSON", "{}")))

    app = App(outdir=str(Path(args.outdir).resolve()), context=context)
    for stage_id, env_name in (("Dev", "dev"), ("Prod", "prod")):
        ServerlessStage(app, stage_id, config=StageConfig(variant=args.variant, env_name=env_name))
    app.synth()


if __name__ == "__main__":
    main()
