"""Scan context for one template linted by plain cfn-lint (``-a cfncheck.rules``).

cfn-lint hands a rule one template at a time; this builds the same :class:`ScanContext` that
``cfncheck scan`` would, for that template alone: a one-stack graph, the default config, and the
stage from the template's file name. When the template sits in a ``cdk.out`` folder, the
assembly is loaded so asset folders, construct paths and nested stacks are known too. Contexts
are cached per file, so the rules of one cfn-lint run share them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .assembly import Stack
from .checks import ScanContext
from .config import Config
from .graph import Graph
from .stages import assign_stages
from .template import Template


def context_for_cfnlint(cfn) -> tuple[Stack, ScanContext]:
    filename = str(getattr(cfn, "filename", "") or "template")
    return _cached(filename, id(cfn.template), cfn)


@lru_cache(maxsize=8)
def _cached(filename: str, _template_id: int, cfn) -> tuple[Stack, ScanContext]:
    path = Path(filename)
    stack = _from_assembly(path)
    if stack is None:
        tpl = Template(path, cfn.template, "json", "")
        stack = Stack(name=path.name, template=tpl, template_rel=path.name, root=path.parent,
                      stack_name=path.name.split(".")[0])
        stacks = [stack]
    else:
        stacks = _family(stack)
        # keep cfn-lint's own marked template so paths line up with what it parsed
        stack.template = Template(path, cfn.template, "json", "")
    assign_stages(stacks)
    return stack, ScanContext(stacks=stacks, graph=Graph(stacks), config=Config())


def _family(stack: Stack) -> list[Stack]:
    root = stack
    while root.parent is not None:
        root = root.parent
    out, todo = [], [root]
    while todo:
        s = todo.pop()
        out.append(s)
        todo.extend(s.children)
    return out


def _from_assembly(path: Path) -> Stack | None:
    """The stack for ``path`` if it is a template of a cloud assembly, else None."""
    folder = path.resolve().parent
    for candidate in [folder, *folder.parents][:4]:
        if (candidate / "manifest.json").is_file():
            root = candidate
            while (root.parent / "manifest.json").is_file():
                root = root.parent
            for s in _load_assembly(root):
                if s.template.path.resolve() == path.resolve():
                    return s
            return None
    return None


@lru_cache(maxsize=2)
def _load_assembly(root: Path) -> list[Stack]:
    from .assembly import load

    return load([root]).stacks
