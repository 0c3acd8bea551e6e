"""Safe loading of cfncheck's own data files (policies, config, baselines) with line numbers.

Policies and config are data: only YAML's safe types are constructed (no tags that build
objects), alias expansion is bounded, nesting is bounded, a key given twice in one mapping is
refused (YAML would silently keep the last), and every error names the file and line.
:func:`line_of` maps a JSON-Schema error path back to the line it came from.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from .errors import InputError

MAX_NODES = 200_000
MAX_DEPTH = 100
MAX_BYTES = 5 * 1024 * 1024


@cache
def _loader_class():
    """The safe loader, without YAML 1.1's dates (unquoted 2012-10-17 stays a string in our
    files). PyYAML is imported on first use: a warm one-template scan reads no YAML."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def load_yaml_file(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """(data, root node) of a YAML (or JSON) data file. Raises InputError."""
    from .template import read_regular_file

    p = Path(path)
    raw = read_regular_file(p, MAX_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", str(p), line) from None
    return load_yaml_text(text, str(p))


def load_yaml_text(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    import yaml

    try:
        loader = _loader_class()(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            _guard(node, name)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "malformed YAML"
        if "could not determine a constructor" in str(e):
            problem = "a YAML tag that constructs objects is not allowed here"
        raise InputError(f"invalid YAML: {problem}", name, mark.line + 1 if mark else None,
                         mark.column + 1 if mark else None, kind="parse") from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", name, kind="parse") from None
    except RecursionError:
        raise InputError("nesting is too deep", name, kind="limit") from None
    except (ValueError, TypeError) as e:  # e.g. an integer over 4300 digits
        raise InputError(f"invalid YAML: {str(e).split(';')[0]}", name, kind="parse") from None
    return data, node


def _guard(root: yaml.Node, name: str) -> None:
    import yaml

    """Bound the alias-expanded size and the depth before constructing anything."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise InputError(f"nesting is deeper than {MAX_DEPTH} levels", name,
                             node.start_mark.line + 1, kind="limit")
        key = id(node)
        if key in memo:
            return memo[key]
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    first = seen.setdefault(k.value, k)
                    if first is not k:
                        raise InputError(f"duplicate key '{escape(k.value)}' (first at line "
                                         f"{first.start_mark.line + 1})", name,
                                         k.start_mark.line + 1, k.start_mark.column + 1,
                                         kind="parse")
                total += size(k, depth + 1) + size(v, depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v, depth + 1)
                if total > MAX_NODES:
                    break
        if total > MAX_NODES:
            raise InputError(f"document expands to more than {MAX_NODES} nodes (YAML alias "
                             "amplification?)", name, node.start_mark.line + 1, kind="limit")
        memo[key] = total
        return total

    size(root, 0)


def escape(text: str, limit: int = 80) -> str:
    """A value read from a data file, made safe to quote in a one-line error: control and
    non-printable characters escaped (``\\n``, ``\\x1b``), long values cut."""
    text = str(text)
    out = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace")
                  .decode("ascii") for c in text[:limit])
    return out + ("..." if len(text) > limit else "")


def line_of(node: yaml.Node | None, path) -> int | None:
    """1-based line of the node at ``path`` (keys and indexes) under ``node``; deepest found."""
    if node is None:
        return None
    import yaml

    line = node.start_mark.line + 1
    for part in path:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == part or str(getattr(k, "value", "")) == str(part):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                nxt = node.value[part]
                line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line
