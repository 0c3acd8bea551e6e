"""W9403: modules that must be bundled but come from the Lambda runtime."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _functions


class LambdaRuntimeModule(_base.CfncheckRule):
    """Python functions that import a module the configuration requires to be bundled
    (parameter ``require_bundled``, e.g. ``["boto3", "botocore"]``) but that is neither in
    the function's asset nor in its layers, so it is taken from the Lambda runtime.

    Off until configured: with the default empty list nothing is reported.
    """

    id = "W9403"
    shortdesc = "Lambda uses the runtime's copy of a module that must be bundled"
    description = ("Modules listed in require_bundled must be in the function's asset or "
                   "layers, not taken from the runtime")
    source_url = ("https://docs.aws.amazon.com/lambda/latest/dg/"
                  "python-package.html#python-package-runtime-dependencies")
    tags = ["lambda", "reliability"]
    category = "lambda"
    security_severity = 2.0
    remediation = ("Add the module to the function's requirements and bundle it (or ship it "
                   "in a layer), pinned to the version you test with.")
    rationale = ("The runtime's boto3/botocore is updated by AWS on its own schedule and lags "
                 "behind new service APIs; code tested against a pinned version can break, or "
                 "miss a new API, when the runtime copy changes.")
    fix_example = (
        "# requirements.txt: boto3==1.35.0\n"
        "code=lambda_.Code.from_asset(\"lambda/worker\", bundling=BundlingOptions(\n"
        "    image=lambda_.Runtime.PYTHON_3_12.bundling_image,\n"
        "    command=[\"bash\", \"-c\", \"pip install -r requirements.txt -t /asset-output "
        "&& cp -au . /asset-output\"]))")
    bad_example = ("# .cfncheck.yaml: parameters: {W9403: {require_bundled: [boto3]}}\n"
                   "# handler.py, no boto3/ in the asset or layers:\n"
                   "import boto3")
    parameters = {
        "require_bundled": ([], "modules that must come from the asset or a layer, e.g. "
                                "[\"boto3\", \"botocore\"]"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        required = set(self.param(ctx, stack, "require_bundled") or [])
        if not required:
            return
        for lid, code, analysis in _functions.analysed_functions(stack, ctx):
            if analysis.language != "python":
                continue
            severity, suffix = _base.cdk_internal(stack, lid)
            for top in sorted(required):
                res = analysis.imports.get(top)
                if res is None or res.where != "runtime":
                    continue
                file, line = res.first
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Code"),
                          f"AWS::Lambda::Function {lid}: {file}:{line} imports {top!r}, which "
                          f"must be bundled but is in neither "
                          f"{_functions.asset_label(stack, code)} nor its layers, so the "
                          f"{code.runtime} runtime's copy is used{suffix}",
                          key=f"runtime:{top}", severity=severity)
