#!/usr/bin/env python3
"""Synthesize the platform sample app without the cdk CLI.

    python app.py --outdir ../platform/cdk.out
    python app.py --outdir ../platform-nobundle/cdk.out --bundling-stacks 'Dev/Api'

Without the CLI, App() reads neither cdk.json nor cdk.context.json, so their
context (feature flags, certificate ARNs, cached availability zones) and what the
CLI itself adds are passed here. ``--bundling-stacks`` is what ``cdk deploy
Dev/Api`` (or ``cdk synth --exclusively Dev/Api``) sets: CDK bundles only the
assets of the selected stacks and records the *absolute source folder* of every
other bundled asset.
"""
import argparse
import json
import os
from pathlib import Path

from aws_cdk import App

from platform_app.config import StageConfig
from platform_app.stage import PlatformStage

HERE = Path(__file__).resolve().parent

# What `cdk synth` (default options) adds to the context ...
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}
# ... except that stack traces are dropped: annotation traces and the
# aws:cdk:creationStack metadata hold the random /tmp/jsii-kernel-XXXX paths of the
# jsii runtime (for a Python app they never contain a frame of the app itself).
DETERMINISM_CONTEXT = {
    "aws:cdk:disable-stack-trace": True,
    "aws:cdk:disable-creation-stack-traces": True,
}

STAGES = (
    StageConfig(env_name="dev", account="111111111111"),
    StageConfig(env_name="prod", account="333333333333"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", default=os.environ.get("CDK_OUTDIR", str(HERE / "cdk.out")))
    parser.add_argument("--bundling-stacks", nargs="*", metavar="PATTERN",
                        help="bundle only the assets of these stacks (construct path globs)")
    args = parser.parse_args()

    context = json.loads((HERE / "cdk.json").read_text())["context"]
    context.update(json.loads((HERE / "cdk.context.json").read_text()))
    context.update(CLI_CONTEXT)
    context.update(DETERMINISM_CONTEXT)
    if args.bundling_stacks is not None:
        context["aws:cdk:bundling-stacks"] = args.bundling_stacks
    # Under the real CLI, its own context (CDK_CONTEXT_JSON) wins.
    context.update(json.loads(os.environ.get("CDK_CONTEXT_JSON", "{}")))

    app = App(outdir=str(Path(args.outdir).resolve()), context=context)
    for config in STAGES:
        PlatformStage(app, config.env_name.capitalize(), config=config)
    app.synth()


if __name__ == "__main__":
    main()
