"""Literal strings of a stack's resource properties and outputs, for the 92xx rules.

One walk per stack (cached): every string scalar that contains a digit (all region names and
account ids do) under ``Resources.*.Properties`` and ``Outputs.*.Value``, with its full path,
including the literal parts of ``Fn::Join`` and the template of ``Fn::Sub``. Logical ids named
by ``Ref``/``GetAtt``/``Condition`` are not values and are skipped, as are ``Metadata``,
``Description``-like properties and ``AWS::CDK::Metadata``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: property names whose text is prose, not configuration
PROSE_KEYS = {"Description", "AlarmDescription", "Comment", "Analytics"}
_NOT_VALUES = {"Ref", "Fn::GetAtt", "Condition", "Fn::ImportValue", "Fn::GetStackOutput",
               "Fn::FindInMap", "DependsOn"}
#: CDK bootstrap resources: cdk-<qualifier>-assets-<account>-<region>, deploy roles...
CDK_BOOTSTRAP = re.compile(r"cdk-[a-z0-9]+-(assets|deploy-role|cfn-exec-role|lookup-role|"
                           r"file-publishing-role|image-publishing-role|container-assets)-")


@dataclass(frozen=True)
class LiteralString:
    logical_id: str | None  # None for outputs
    resource_type: str | None
    path: tuple  # full template path
    value: str
    key: str  # the nearest dict key above the value ("DEPLOY_REGION", "Resource", ...)


def literal_strings(stack) -> list[LiteralString]:
    """Every literal string of the stack's resources (computed once per stack and template)."""
    return stack.memo("rules.literal_strings", lambda s: list(_walk_stack(s)))


def _walk_stack(stack) -> list[LiteralString]:
    out: list[LiteralString] = []
    for lid, res in stack.resources.items():
        if not isinstance(res, dict):
            continue
        rtype = res.get("Type")
        if rtype == "AWS::CDK::Metadata":
            continue
        props = res.get("Properties")
        if isinstance(props, dict):
            rtype = rtype if isinstance(rtype, str) else None
            for path, value, key in _walk(props, ("Resources", lid, "Properties"), ""):
                out.append(LiteralString(lid, rtype, path, value, key))
    outputs = stack.template.data.get("Outputs")
    if isinstance(outputs, dict):
        for oid, o in outputs.items():
            if isinstance(o, dict) and "Value" in o:
                for path, value, key in _walk(o["Value"], ("Outputs", oid, "Value"), oid):
                    out.append(LiteralString(None, None, path, value, key))
    return out


_HAS_DIGIT = re.compile(r"\d").search


def _walk(value: object, path: tuple, key: str) -> list[tuple[tuple, str, str]]:
    """Strings with a digit (every region name and account id has one), in document order."""
    out: list[tuple[tuple, str, str]] = []
    _collect(value, path, key, out)
    return out


def _collect(value: object, path: tuple, key: str, out: list) -> None:
    if isinstance(value, str):
        if _HAS_DIGIT(value):
            out.append((path, value, key))
    elif isinstance(value, dict):
        for dk, dv in value.items():
            if isinstance(dv, (dict, list)) or (isinstance(dv, str) and _HAS_DIGIT(dv)):
                if dk in _NOT_VALUES or dk in PROSE_KEYS:
                    continue
                _collect(dv, path + (dk,), key if dk.startswith("Fn::") else str(dk), out)
    elif isinstance(value, list):
        start = 1 if path and path[-1] == "Fn::If" else 0  # the condition name is no value
        for i in range(start, len(value)):
            _collect(value[i], path + (i,), key, out)
