"""Lambda functions of a stack with their bundle analysis, for the 94xx rules."""

from __future__ import annotations

import weakref
from typing import Iterator

from .. import lambda_bundle

FUNCTION_TYPES = ("AWS::Lambda::Function",)
#: one analysis cache per scan (keyed by the scan's graph), shared by the 94xx rules
_per_scan: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def analysed_functions(stack, ctx) -> Iterator[tuple[str, lambda_bundle.FunctionCode,
                                                     lambda_bundle.FunctionAnalysis]]:
    """(logical id, code, analysis) of every function whose code we can read."""
    for lid, res in stack.resources.items():
        if not isinstance(res, dict) or res.get("Type") not in FUNCTION_TYPES:
            continue
        code = lambda_bundle.function_code(stack, lid, ctx.graph)
        if code is None:
            continue
        try:
            cache = _per_scan.setdefault(ctx.graph, {})
        except TypeError:  # a graph that cannot be weakly referenced: no sharing
            cache = {}
        analysis = lambda_bundle.analyze(code, cache)
        if analysis is not None:
            yield lid, code, analysis


def asset_label(stack, code: lambda_bundle.FunctionCode) -> str:
    if code.asset is None:
        return "its inline code"
    root = stack.assembly_dir or stack.root
    try:
        return code.asset.resolve().relative_to(root.resolve()).as_posix() if root else \
            code.asset.name
    except ValueError:
        return code.asset.name
