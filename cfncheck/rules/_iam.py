"""Severity of an IAM rule's finding from where the statement comes from.

A statement aws-cdk-lib writes itself (:mod:`cfncheck.generated_iam`) is reported at info
level naming the construct that wrote it; a statement on a resource CDK generates for itself
(:func:`cfncheck.rules._base.cdk_internal`) likewise; anything else keeps the rule's severity.
"""

from __future__ import annotations

from .. import generated_iam, iam
from . import _base


def statement_origin(stack, doc: iam.PolicyDocument,
                     stmt: iam.Statement) -> tuple[str | None, str]:
    """(severity override, message suffix) for a finding on one statement."""
    found = generated_iam.origin(stack, doc, stmt)
    if found is not None:
        return "info", f" ({found.message}; reported at info level)"
    return _base.cdk_internal(stack, doc.logical_id)
