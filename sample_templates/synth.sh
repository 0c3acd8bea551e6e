#!/usr/bin/env bash
# Re-synthesize every sample cloud assembly under sample_templates/.
#
#   bash sample_templates/synth.sh             # everything, then check_samples.py
#   bash sample_templates/synth.sh serverless  # serverless-defective/ + serverless-fixed/ only
#   bash sample_templates/synth.sh platform    # platform/ + platform-nobundle/ only
#
# Python: /work/venv-cdk if it has the pinned versions, else sample_templates/.venv
# (created with `python3 -m venv` + `pip install -r requirements.txt`).
# Override with CDK_VENV=/path/to/venv. Needs node (>= 18) on PATH; no docker, no cdk CLI.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APP="$HERE/serverless_app"
WHAT="${1:-all}"
case "$WHAT" in all|serverless|platform) ;; *) echo "usage: synth.sh [all|serverless|platform]" >&2; exit 2;; esac

command -v node >/dev/null || { echo "synth.sh: node is required (jsii runtime)" >&2; exit 1; }

venv_ok() {  # $1 = venv dir; true if it has exactly the pinned versions
    [ -x "$1/bin/python" ] || return 1
    "$1/bin/python" - "$HERE/requirements.txt" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if have.replace("-", "").lower() != want.replace("-", "").lower():
        print(f"{name}: have {have}, want {want}", file=sys.stderr)
        sys.exit(1)
PY
}

VENV="${CDK_VENV:-/work/venv-cdk}"
if ! venv_ok "$VENV"; then
    VENV="$HERE/.venv"
    if ! venv_ok "$VENV"; then
        echo "synth.sh: creating $VENV" >&2
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet -r "$HERE/requirements.txt"
        venv_ok "$VENV" || { echo "synth.sh: $VENV lacks the pinned versions" >&2; exit 1; }
    fi
fi
echo "synth.sh: using $VENV" >&2

# Keep the environment from leaking into the output.
unset CDK_CONTEXT_JSON CDK_OUTDIR CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION SAMPLE_VARIANT
export PYTHONDONTWRITEBYTECODE=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$(node -p 'process.versions.node.split(".")[0]')"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1

if [ "$WHAT" != platform ]; then
    for variant in defective fixed; do
        out="$HERE/serverless-$variant/cdk.out"
        rm -rf "$out"
        echo "synth.sh: $variant -> ${out#"$HERE"/}" >&2
        (cd "$APP" && "$VENV/bin/python" app.py --variant "$variant" --outdir "$out")
    done
    "$VENV/bin/python" "$HERE/check_samples.py"
fi

if [ "$WHAT" != serverless ]; then
    # The platform app, synthesized twice (see platform_app/README.md):
    #  platform/cdk.out           every asset bundled, as `cdk synth` does;
    #  platform-nobundle/cdk.out  bundling limited to stack Dev/Api, as `cdk deploy Dev/Api`
    #                             does: the other stacks' bundled assets are recorded by
    #                             their absolute source folder. To keep that path the same on
    #                             every machine, the app is synthesized from a copy at
    #                             /tmp/platform_app (so it reads /tmp/platform_app/lambda/...).
    PLATFORM="$HERE/platform_app"
    out="$HERE/platform/cdk.out"
    rm -rf "$out"
    echo "synth.sh: platform -> ${out#"$HERE"/}" >&2
    (cd "$PLATFORM" && "$VENV/bin/python" app.py --outdir "$out")

    COPY=/tmp/platform_app
    rm -rf "$COPY"
    mkdir -p "$COPY"
    (cd "$PLATFORM" && tar --exclude=__pycache__ --exclude=cdk.out -cf - .) | (cd "$COPY" && tar -xf -)
    out="$HERE/platform-nobundle/cdk.out"
    rm -rf "$out"
    echo "synth.sh: platform-nobundle -> ${out#"$HERE"/}" >&2
    (cd "$COPY" && "$VENV/bin/python" app.py --outdir "$out" --bundling-stacks 'Dev/Api')
    rm -rf "$COPY"
fi
