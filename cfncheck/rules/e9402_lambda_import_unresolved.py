"""E9402: Python imports that neither the bundle, its layers nor the runtime provide."""

from __future__ import annotations

from typing import Iterable

from .. import lambda_bundle
from ..checks import Hit, ScanContext
from . import _base, _functions


class LambdaImportUnresolved(_base.CfncheckRule):
    """Python functions that import a module no one provides. Every import of the handler
    module, and of the first-party modules of the asset it imports in turn (``import
    formatting`` -> ``formatting.py``, relative imports), must resolve to one of:

    * the function's asset (modules and packages at its root: ``/var/task``);
    * a layer linked through ``Layers`` (a ``Ref`` to an ``AWS::Lambda::LayerVersion`` whose
      asset is in the assembly, also across nested stacks): its ``python/`` or
      ``python/lib/python3.x/site-packages/`` folder;
    * a well-known public layer named by its ARN: Powertools for AWS Lambda (Python),
      publisher account 017000801446, provides ``aws_lambda_powertools`` and the extras it is
      built with (pydantic, aws_xray_sdk, fastjsonschema...); AWS's extension layers (Lambda
      Insights, Parameters and Secrets, AppConfig) provide no Python modules;
    * the standard library of the runtime's Python version (``sys.stdlib_module_names`` of
      each version, recorded in ``cfncheck/data/lambda_python_runtimes.json``: ``distutils``
      is gone in 3.12, ``cgi`` in 3.13, ``tomllib`` arrives in 3.11);
    * the modules that runtime ships: boto3, botocore, s3transfer, jmespath, dateutil,
      urllib3, six, awslambdaric, and in python3.13/3.14 the durable execution SDK
      (``aws_durable_execution_sdk_python``); extend with the ``runtime_modules`` parameter.

    Imports guarded by ``try/except ImportError`` or ``if TYPE_CHECKING:`` are ignored. Code is
    parsed with ``ast``, never imported or run. When the function also uses a layer whose
    content is not in the assembly and that is not a well-known one (an ARN of another
    account), the finding is lowered to a warning: that layer may provide the module. When the
    asset holds a ``requirements.txt`` (or ``pyproject.toml``/``Pipfile``) but no installed
    package at all, the code was deployed unbundled: one finding per function lists every
    import that fails for that reason instead of one per import.
    """

    id = "E9402"
    shortdesc = "Lambda import not provided by the bundle, layers or runtime"
    description = ("Every top-level import of a Python function must resolve to its asset, "
                   "its layers, the standard library or the runtime's modules")
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/python-package.html"
    tags = ["lambda", "correctness"]
    category = "lambda"
    security_severity = 4.0
    remediation = ("Bundle the dependency (requirements.txt with aws-lambda-python-alpha's "
                   "PythonFunction, or Code.from_asset(..., bundling=BundlingOptions("
                   "command=[\"pip install -r requirements.txt -t /asset-output && cp -au . "
                   "/asset-output\"]))) or ship it in a layer under python/.")
    rationale = ("The function deploys fine and then fails on every cold start with "
                 "Runtime.ImportModuleError: No module named 'x'. Tests that run with the "
                 "developer's virtualenv do not catch it.")
    fix_example = (
        "lambda_.Function(self, \"Report\", runtime=lambda_.Runtime.PYTHON_3_12,\n"
        "    handler=\"handler.main\",\n"
        "    code=lambda_.Code.from_asset(\"lambda/report\", bundling=BundlingOptions(\n"
        "        image=lambda_.Runtime.PYTHON_3_12.bundling_image,\n"
        "        command=[\"bash\", \"-c\", \"pip install -r requirements.txt -t "
        "/asset-output && cp -au . /asset-output\"])))")
    bad_example = ("# asset.f911.../handler.py (no requests/ in the asset or its layers)\n"
                   "import requests")
    parameters = {
        "runtime_modules": ([], "extra module names the runtime provides (e.g. a base image's)"),
        "ignore": ([], "module names never reported"),
    }

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        extra = set(self.param(ctx, stack, "runtime_modules") or [])
        ignore = set(self.param(ctx, stack, "ignore") or [])
        for lid, code, analysis in _functions.analysed_functions(stack, ctx):
            if analysis.language != "python":
                continue
            severity, suffix = _base.cdk_internal(stack, lid)
            missing = [(top, res) for top, res in sorted(analysis.imports.items())
                       if res.where is None and top not in extra and top not in ignore]
            if not missing:
                continue
            places = [f"{_functions.asset_label(stack, code)}"]
            places += [f"layer {n}" for n, _ in code.layers]
            places += [f"the {layer.publisher} layer" for _, layer in code.public_layers]
            sev, note = severity, ""
            if code.opaque_layers and sev is None:
                sev = "warning"
                note = (f"; it may come from {', '.join(code.opaque_layers)}, whose content "
                        "is not in the assembly")
            manifest = lambda_bundle.unbundled_requirements(code)
            if manifest is not None:
                listed = ", ".join(f"{top!r} ({res.first[0]}:{res.first[1]})"
                                   for top, res in missing)
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Code"),
                          f"AWS::Lambda::Function {lid}: the asset "
                          f"({_functions.asset_label(stack, code)}) holds {manifest} but no "
                          f"installed package: the code was deployed without its "
                          f"dependencies, so the imports of {listed} fail on every cold "
                          f"start{note}{suffix}",
                          key="unbundled", severity=sev,
                          remediation="Bundle the dependencies (PythonFunction from "
                                      "aws-lambda-python-alpha, or Code.from_asset with "
                                      "bundling that runs pip install -r "
                                      f"{manifest} -t /asset-output).")
                continue
            for top, res in missing:
                file, line = res.first
                misses = [f"layer {n}: {m}" for n, p in code.layers
                          for m in lambda_bundle.near_misses(top, p)]
                more = f" ({res.count} imports)" if res.count > 1 else ""
                found_elsewhere = f"; found {'; '.join(misses)}" if misses else ""
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Code"),
                          f"AWS::Lambda::Function {lid}: {file}:{line} imports {top!r}{more}, "
                          f"which is in neither {', '.join(places)} nor the {code.runtime} "
                          f"standard library / runtime modules{found_elsewhere}{note}{suffix}",
                          key=f"import:{top}", severity=sev)
