#!/usr/bin/env python3
"""Regenerate cfncheck/data/generated_iam.yaml from tests/fixtures/generated_iam_app.

    python tools/refresh_generated_iam.py                 # record from the committed cdk.out
    python tools/refresh_generated_iam.py --synth         # re-synthesize first (aws-cdk-lib
                                                          # and node needed; see synth.sh)

Every statement that an IAM rule (W9101, W9102, W9103, E9104, E9105) reports in the fixture's
assembly is recorded with the construct that wrote it (the stack's Description, "written by
<fqn> (<api>)"), the fqn chain above its policy resource and its normalised shape. The
recorded stacks of the fixture app add no statement of their own, so everything reported there
is the library's; stacks described "not recorded: ..." are skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cfncheck import generated_iam, iam  # noqa: E402
from cfncheck.engine import scan  # noqa: E402
from cfncheck.rules import all_rules  # noqa: E402

APP = ROOT / "tests" / "fixtures" / "generated_iam_app"
OUT = ROOT / "cfncheck" / "data" / "generated_iam.yaml"
RULES = ("W9101", "W9102", "W9103", "E9104", "E9105")
DESCRIPTION = re.compile(r"^written by (?P<writer>\S+) \((?P<api>.*)\)$")
#: assets bigger than this are not committed (the AWS CLI layer zip of BucketDeployment)
MAX_ASSET_BYTES = 1 << 20
KERNEL = re.compile(r"jsii-kernel-[A-Za-z0-9]+")


def synthesize(python: str) -> None:
    """Synthesize into a new folder, then replace cdk.out (a failed synthesis keeps it)."""
    out, new = APP / "cdk.out", APP / "cdk.out.new"
    shutil.rmtree(new, ignore_errors=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("CDK_CONTEXT_JSON", "CDK_OUTDIR", "CDK_DEFAULT_ACCOUNT",
                        "CDK_DEFAULT_REGION")}
    node = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"],
                          capture_output=True, text=True, check=True).stdout.strip()
    env.update(PYTHONDONTWRITEBYTECODE="1", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=node,
               JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
               JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
               CDK_DISABLE_STACK_TRACE="1")  # no random jsii-kernel paths in traces
    subprocess.run([python, "app.py", "--outdir", str(new)], cwd=APP, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    for p in new.iterdir():
        if p.name.startswith("asset.") and p.is_file() and p.stat().st_size > MAX_ASSET_BYTES:
            p.unlink()
        elif p.name.endswith(".metadata.json"):
            # creation-stack metadata (VPC subnets) names the jsii runtime's random temp folder
            p.write_text(KERNEL.sub("jsii-kernel-XXXXXX", p.read_text()))
    shutil.rmtree(out, ignore_errors=True)
    new.rename(out)


def record(assembly: Path) -> list[dict]:
    rules = [r for r in all_rules() if r.id in RULES]
    result = scan([assembly], checks=rules, jobs=1)
    if result.errors:
        raise SystemExit(f"refresh_generated_iam: {assembly}: {result.errors[0]}")
    stacks = {s.name: s for s in result.stacks}
    entries: dict[tuple, dict] = {}
    for f in result.findings:
        stack = stacks[f.stack]
        root = stack
        while root.parent is not None:
            root = root.parent
        description = str(root.template.data.get("Description", ""))
        if description.startswith("not recorded: "):
            continue
        m = DESCRIPTION.match(description)
        if m is None:
            raise SystemExit(f"refresh_generated_iam: stack {root.name} has no "
                             "'written by <fqn> (<api>)' description")
        for doc in iam.policy_documents(stack):
            if doc.logical_id != f.logical_id:
                continue
            for stmt in doc.statements:
                if tuple(stmt.path) != tuple(f.path):
                    continue
                chain = [el for _, _, el in generated_iam.chain_of(stack, doc.logical_id)]
                key = (doc.resource_type, doc.name, tuple(chain), generated_iam.shape(stmt))
                entry = entries.setdefault(key, {
                    "writer": m.group("writer"), "api": m.group("api"),
                    "resource_type": doc.resource_type, "document": doc.name,
                    "chain": chain, "shape": key[3], "rules": [], "seen_in": []})
                entry["rules"] = sorted(set(entry["rules"]) | {f.rule_id})
                entry["seen_in"] = sorted(set(entry["seen_in"]) | {root.name})
    return sorted(entries.values(), key=lambda e: (e["writer"], e["resource_type"],
                                                   e["chain"], e["shape"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synth", action="store_true", help="re-synthesize the fixture first")
    parser.add_argument("--python", default=sys.executable,
                        help="Python with aws-cdk-lib for --synth (default: this one)")
    args = parser.parse_args()
    if args.synth:
        synthesize(args.python)
    text = render(APP / "cdk.out")
    OUT.write_text(text)
    print(f"refresh_generated_iam: {text.count('- writer: ')} statements -> "
          f"{OUT.relative_to(ROOT)}")


def render(assembly: Path) -> str:
    """The catalogue file for an assembly of the fixture app."""
    import yaml

    header = ("# Generated by tools/refresh_generated_iam.py from tests/fixtures/generated_iam_app"
              " -- do not edit.\n# IAM statements aws-cdk-lib writes itself; see "
              "cfncheck/generated_iam.py.\n")
    return header + yaml.safe_dump({"statements": record(assembly)}, sort_keys=False,
                                   width=100)


if __name__ == "__main__":
    main()
