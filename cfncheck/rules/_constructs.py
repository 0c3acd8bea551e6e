"""Construct path -> resource lookups for the 93xx rules (CDK annotations and constructs)."""

from __future__ import annotations

import bisect
import re

ALPHA_FQN = re.compile(r"-alpha\.")


def _index(stack) -> tuple[dict[str, str], list[tuple[str, str]]]:
    return stack.memo("rules.construct_index", _build_index)


def _build_index(stack) -> tuple[dict[str, str], list[tuple[str, str]]]:
    exact: dict[str, str] = {}
    for lid in stack.resources:
        cp = stack.construct_path(lid)
        if cp:
            exact.setdefault(cp.lstrip("/"), lid)
    return exact, sorted(exact.items())


def resource_for_construct(stack, construct_path: str) -> str | None:
    """The logical id that best represents a construct: the construct itself if it is an L1
    resource, else its ``Resource`` child, else the resource with the shortest path under it;
    None for the stack itself (findings then go to the stack)."""
    exact, ordered = _index(stack)
    cp = construct_path.strip("/")
    prefix = stack.construct_prefix
    if prefix and (cp == prefix or prefix.startswith(cp + "/")):
        return None  # the stack itself, or a Stage around it
    for candidate in (cp, cp + "/Resource", cp + "/Default"):
        if candidate in exact:
            return exact[candidate]
    prefix = cp + "/"
    i = bisect.bisect_left(ordered, (prefix, ""))
    best: tuple[int, str, str] | None = None
    while i < len(ordered) and ordered[i][0].startswith(prefix):
        path, lid = ordered[i]
        cand = (path.count("/"), path, lid)
        if best is None or cand < best:
            best = cand
        i += 1
    return best[2] if best else None


def owns(stack, construct_path: str) -> bool:
    """Whether a construct path lies in this stack and not in one of its nested stacks."""
    prefix = stack.construct_prefix
    if not prefix:
        return False
    cp = construct_path.strip("/")
    if not cp.startswith(prefix + "/"):
        return False
    return not any(child.construct_prefix and (cp == child.construct_prefix or
                                               cp.startswith(child.construct_prefix + "/"))
                   for child in stack.children)


def alpha_constructs(tree) -> list[tuple[str, str, str | None]]:
    """(path, fqn, version) of the outermost experimental (``-alpha``) constructs of a tree."""
    cached = getattr(tree, "_alpha_outer", None)  # computed once per tree.json
    if cached is not None:
        return cached
    found = sorted((p, n["fqn"], n.get("version")) for p, n in tree.nodes.items()
                   if isinstance(n.get("fqn"), str) and ALPHA_FQN.search(n["fqn"]))
    paths = {p for p, _, _ in found}
    outer = []
    for p, fqn, version in found:
        parts = p.split("/")
        if any("/".join(parts[:i]) in paths for i in range(1, len(parts))):
            continue
        outer.append((p, fqn, version))
    tree._alpha_outer = outer
    return outer


def relative(stack, construct_path: str) -> str:
    cp = construct_path.strip("/")
    prefix = stack.construct_prefix
    return cp[len(prefix) + 1:] if prefix and cp.startswith(prefix + "/") else cp
