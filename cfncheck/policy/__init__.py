"""The YAML policy engine (see docs/policies.md).

Modules: :mod:`.loader` (find, validate against ``policies/policy.schema.json``, compile),
:mod:`.paths` (path expressions), :mod:`.evaluate` (assertions and operators),
:mod:`.relations` (graph relationships), :mod:`.groups` (``@stateful``/``@taggable`` type
groups), :mod:`.check` (a policy as a Check), :mod:`.testing` (``cfncheck policy test``),
:mod:`.docs` (the generated rule reference), :mod:`.commands` (the CLI sub-commands).
"""

from __future__ import annotations

from pathlib import Path


def load_policy_checks(config, extra_dirs=()) -> list:
    """Checks for the built-in policies (unless disabled) and the policies in ``extra_dirs``."""
    from .loader import builtin_dir, load_policies

    dirs: list[Path] = []
    if config is None or config.builtin_policies:
        dirs.append(builtin_dir())
    dirs.extend(Path(d) for d in extra_dirs)
    return load_policies(dirs)
