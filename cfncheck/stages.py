"""Deployment stages: which of dev / staging / prod (or a custom stage) each stack belongs to.

Resolution order, first match wins (the source is kept on the stack and shown in reports):

1. ``--stage`` on the command line (applies to every stack);
2. the config file's ``stages`` mapping: glob on the stack path (``Prod/*``) -> stage;
3. the CDK ``Stage`` the stack belongs to (``assembly-Prod`` -> ``prod``), innermost first;
4. a stack tag ``Environment``, ``Stage`` or ``Env``;
5. tokens of the stack's display name and stack name (``prod``, ``production``, ``prd``, ...).

A stack that matches none stays ``unknown``; the CLI reports how many did.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable

from .assembly import Stack

UNKNOWN = "unknown"
KNOWN_STAGES = ("dev", "staging", "prod")
TOKENS = {
    "prod": "prod", "production": "prod", "prd": "prod", "live": "prod", "prodn": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "stag": "staging",
    "preprod": "staging", "uat": "staging", "qa": "staging",
    "dev": "dev", "development": "dev", "develop": "dev", "sandbox": "dev", "sbx": "dev",
    "local": "dev", "personal": "dev",
}
TAG_KEYS = ("Environment", "Stage", "Env", "environment", "stage", "env")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def tokens(text: str) -> list[str]:
    """``MyAppProdStack`` -> ``["my", "app", "prod", "stack", "myappprodstack"]``."""
    out: list[str] = []
    for word in re.split(r"[^A-Za-z0-9]+", text):
        if not word:
            continue
        parts = _CAMEL.findall(word)
        out.extend(p.lower() for p in parts)
        if len(parts) > 1:
            out.append(word.lower())
    joined = re.sub(r"[^a-z0-9]", "", text.lower())
    if joined in TOKENS and joined not in out:
        out.append(joined)
    return out


def stage_of_text(text: str, extra: dict | None = None) -> str | None:
    table = {**TOKENS, **(extra or {})}
    for t in tokens(text):
        if t in table:
            return table[t]
    return None


def resolve_stage(stack: Stack, cli_stage: str | None = None,
                  mapping: dict | None = None, extra_tokens: dict | None = None
                  ) -> tuple[str, str]:
    """(stage, source) for one stack."""
    if cli_stage:
        return cli_stage, "--stage"
    for pattern, stage in (mapping or {}).items():
        for candidate in (stack.name, stack.stack_name, stack.template_rel):
            if candidate and fnmatch.fnmatchcase(candidate, pattern):
                return str(stage), f"config stages: {pattern}"
    for cdk_stage in reversed(stack.cdk_stages):
        s = stage_of_text(cdk_stage, extra_tokens)
        if s:
            return s, f"CDK Stage {cdk_stage}"
    for key in TAG_KEYS:
        value = stack.tags.get(key)
        if isinstance(value, str):
            s = stage_of_text(value, extra_tokens)
            if s:
                return s, f"tag {key}={value}"
    for candidate in (stack.name, stack.stack_name):
        s = stage_of_text(candidate or "", extra_tokens)
        if s:
            return s, f"name {candidate}"
    return UNKNOWN, "no stage found"


def assign_stages(stacks: Iterable[Stack], cli_stage: str | None = None,
                  mapping: dict | None = None, extra_tokens: dict | None = None) -> None:
    for stack in stacks:
        if stack.parent is not None and not cli_stage:
            continue  # nested stacks take their parent's stage
        stack.stage, stack.stage_source = resolve_stage(stack, cli_stage, mapping, extra_tokens)
    for stack in stacks:
        root = stack
        while root.parent is not None:
            root = root.parent
        if root is not stack and not cli_stage:
            stack.stage, stack.stage_source = root.stage, f"parent stack ({root.stage_source})"
