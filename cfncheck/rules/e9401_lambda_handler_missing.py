"""E9401: Lambda handler file or function missing from the bundle."""

from __future__ import annotations

from typing import Iterable

from ..checks import Hit, ScanContext
from . import _base, _functions


class LambdaHandlerMissing(_base.CfncheckRule):
    """Functions whose ``Handler`` names a file or a function that is not in the code that
    gets deployed: the asset folder of the cloud assembly (``asset.<hash>/``) or inline
    ``Code.ZipFile`` (saved by Lambda as ``index.py`` / ``index.js``).

    Python ``handler.main`` needs ``handler.py`` (or ``handler/__init__.py``; ``pkg.mod.fn`` and
    ``dir/mod.fn`` name sub-folders) defining ``main`` at module level; the file is parsed with
    ``ast``, never imported. Node ``index.handler`` needs ``index.js``, ``index.mjs`` or
    ``index.cjs`` exporting ``handler`` (CommonJS, ES module and esbuild-bundled forms). A
    Python file that does not parse is reported too. Functions whose code is not in the
    assembly (S3 objects, container images, assets CDK did not stage) are skipped.

    Reported at info as *not analysed*, never as a defect: a handler file that does not parse
    with the grammar of the Python cfncheck runs on when the function's runtime is newer
    (PEP 701 f-strings of python3.12+ under 3.11; its module-level imports and definitions are
    still read from its tokens, so E9402 checks them), one over the 5 MiB analysis limit, one too
    deeply nested for the parser, a handler file that is a symbolic link leading outside the
    asset, and a ``Handler`` naming an absolute path or climbing out with ``..`` (never looked
    up: cfncheck reads nothing outside the assembly).
    """

    id = "E9401"
    shortdesc = "Lambda handler not found in the bundle"
    description = "The handler file and function named by Handler must exist in the asset"
    source_url = "https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html"
    tags = ["lambda", "correctness"]
    category = "lambda"
    security_severity = 4.0
    remediation = ("Fix the handler string (\"<file>.<function>\") or the asset folder passed "
                   "to Code.from_asset so that the file and function exist.")
    rationale = ("CloudFormation deploys the function without complaint; every invocation then "
                 "fails with Runtime.ImportModuleError or Runtime.HandlerNotFound.")
    fix_example = (
        "lambda_.Function(self, \"Orders\", runtime=lambda_.Runtime.PYTHON_3_12,\n"
        "    code=lambda_.Code.from_asset(\"lambda/orders_api\"),  # contains handler.py\n"
        "    handler=\"handler.main\")                            # def main(event, context)")
    bad_example = '"Handler": "app.handler"    (asset folder holds handler.py only)'

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for lid, code, analysis in _functions.analysed_functions(stack, ctx):
            h = analysis.handler
            if h.not_analysed:
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Handler"),
                          f"AWS::Lambda::Function {lid} ({code.runtime}) handler "
                          f"{code.handler!r} not {'fully ' if analysis.imports else ''}"
                          f"checked: {h.not_analysed} "
                          f"({_functions.asset_label(stack, code)})",
                          key="handler-not-analysed", severity="info")
                continue
            if h.function_found is not False or not h.problem:
                continue
            severity, suffix = _base.cdk_internal(stack, lid)
            yield Hit(stack, lid, ("Resources", lid, "Properties", "Handler"),
                      f"AWS::Lambda::Function {lid} ({code.runtime}) handler {code.handler!r}: "
                      f"{h.problem} ({_functions.asset_label(stack, code)}){suffix}",
                      key="handler", severity=severity)
