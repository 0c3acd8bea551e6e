#!/usr/bin/env python3
"""Generate a large cloud assembly for the benchmark (see docs/performance.md).

    python bench/generate.py --stacks 40 --functions 25          # -> bench/out/s40x25/cdk.out
    python bench/generate.py --stacks 10 --functions 20          # -> bench/out/s10x20/cdk.out

Synthesizes ``bench/cdk_app.py`` (a CDK app, aws-cdk-lib) with the CDK venv's Python:
``--python``, else $CDK_VENV/bin/python, else /work/venv-cdk/bin/python, else a venv created
in bench/out/.venv-cdk from sample_templates/requirements.txt. Needs node (jsii). Everything
under bench/out/ is git-ignored: never commit it. Prints the number of resources and the
megabytes of templates. Only the standard library is used here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_VENVS = (os.environ.get("CDK_VENV"), "/work/venv-cdk", str(HERE / "out" / ".venv-cdk"))


def cdk_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    for venv in DEFAULT_VENVS:
        if venv and _has_cdk(Path(venv) / "bin" / "python"):
            return str(Path(venv) / "bin" / "python")
    venv = HERE / "out" / ".venv-cdk"
    print(f"generate: creating {venv} from sample_templates/requirements.txt", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-r",
                    str(REPO / "sample_templates" / "requirements.txt")], check=True)
    return str(venv / "bin" / "python")


def _has_cdk(python: Path) -> bool:
    if not python.is_file():
        return False
    return subprocess.run([str(python), "-c", "import aws_cdk, constructs"],
                          capture_output=True).returncode == 0


def template_files(cdk_out: Path) -> list[Path]:
    return sorted(cdk_out.rglob("*.template.json"))


def measure(cdk_out: Path) -> tuple[int, int, int]:
    """(templates, resources, bytes) of every template under a cdk.out folder."""
    files = template_files(cdk_out)
    resources = 0
    size = 0
    for f in files:
        raw = f.read_bytes()
        size += len(raw)
        resources += len(json.loads(raw).get("Resources") or {})
    return len(files), resources, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, default=40)
    parser.add_argument("--functions", type=int, default=25, help="functions per stack")
    parser.add_argument("--name", help="output name under bench/out/ (default s<S>x<F>)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--python", help="Python with aws-cdk-lib (default: see above)")
    parser.add_argument("--force", action="store_true", help="re-synthesize if present")
    args = parser.parse_args(argv)
    if args.stacks < 1 or args.functions < 1:
        parser.error("--stacks and --functions must be >= 1")
    name = args.name or f"s{args.stacks}x{args.functions}"
    cdk_out = args.out / name / "cdk.out"
    if (cdk_out / "manifest.json").is_file() and not args.force:
        print(f"generate: {cdk_out} exists (use --force to re-synthesize)", file=sys.stderr)
    else:
        if cdk_out.exists():
            shutil.rmtree(cdk_out)
        python = cdk_python(args.python)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
                   JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
                   JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
                   JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="1")
        started = time.perf_counter()
        subprocess.run([python, str(HERE / "cdk_app.py"), "--stacks", str(args.stacks),
                        "--functions", str(args.functions), "--outdir", str(cdk_out)],
                       check=True, env=env, cwd=HERE)
        print(f"generate: synthesized in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    templates, resources, size = measure(cdk_out)
    print(f"{cdk_out}: {templates} templates, {resources} resources, "
          f"{size / 1e6:.1f} MB of templates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
