"""The template model: a parsed CloudFormation template plus where each node sits in its file.

Where line numbers come from (measured in bench/, see README "Performance"):

* **JSON** (what CDK writes) is parsed with the standard ``json`` module, which is about 80x
  faster than cfn-lint's marking decoder. Locations are computed lazily by :class:`JsonLocator`
  only for the paths that get findings: it scans the text of each container once, on first use,
  and caches the offsets of its keys, so locating many findings costs about one extra pass over
  the file, and files without findings cost nothing.
* **YAML** (hand-written templates, short-form tags such as ``!Ref``) is parsed with cfn-lint's
  decoder (``cfnlint.decode.cfn_yaml``), whose nodes carry their marks; it also guards against
  YAML alias amplification.

Both are behind one function, :func:`load_template`, and one method, :meth:`Template.locate`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .errors import InputError

#: Files larger than this are refused (bytes); override with CFNCHECK_MAX_TEMPLATE_BYTES.
DEFAULT_MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
#: Deeper nesting than this is refused (CloudFormation itself allows far less in practice).
MAX_DEPTH = 200

CFN_SECTIONS = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
                "Conditions", "Transform", "Resources", "Outputs", "Rules"}


def max_template_bytes() -> int:
    try:
        return int(os.environ.get("CFNCHECK_MAX_TEMPLATE_BYTES", DEFAULT_MAX_TEMPLATE_BYTES))
    except ValueError:
        return DEFAULT_MAX_TEMPLATE_BYTES


class Template:
    """A parsed template. ``data`` is plain dicts/lists/scalars (YAML nodes subclass them)."""

    def __init__(self, path: Path, data: dict, fmt: str, text: str):
        self.path = Path(path)
        self.data = data
        self.format = fmt
        self._text = text
        self._locator: JsonLocator | None = None

    @property
    def resources(self) -> dict:
        res = self.data.get("Resources")
        return res if isinstance(res, dict) else {}

    def locate(self, path: tuple | list) -> tuple[int, int]:
        """1-based (line, column) of the deepest node of ``path`` found in the file."""
        if self.format == "json":
            if self._locator is None:
                self._locator = JsonLocator(self._text)
            return self._locator.locate(path)
        return _locate_yaml(self.data, path)


def load_template(path: str | Path, *, require_resources: bool = True) -> Template:
    """Read and parse a template file; raise :class:`InputError` naming the file on any problem."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_symlink():
            target = p.resolve()
            if not target.is_file():
                raise InputError("is a broken symbolic link", name)
        if p.is_dir():
            raise InputError("is a directory, expected a template file", name)
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", name) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", name) from None
    limit = max_template_bytes()
    if size > limit:
        raise InputError(f"file is {size} bytes, over the {limit}-byte limit "
                         "(set CFNCHECK_MAX_TEMPLATE_BYTES to raise it)", name, kind="limit")
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", name) from None
    return parse_template(raw, name, require_resources=require_resources)


def parse_template(raw: bytes, name: str, *, require_resources: bool = True) -> Template:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(f"not valid UTF-8 (byte 0x{raw[e.start]:02x})", name, line) from None
    if not text.strip():
        raise InputError("file is empty", name, kind="parse")
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        data = _parse_json(text, name)
        fmt = "json"
    else:
        data = _parse_yaml(text, name)
        fmt = "yaml"
    _check_structure(data, name, require_resources)
    _check_depth(data, name)
    return Template(Path(name), data, fmt, text)


def _no_duplicates(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", name, e.lineno, e.colno, kind="parse") from None
    except _DuplicateKey as e:
        line = _find_key_line(text, e.key)
        raise InputError(f"invalid JSON: duplicate key {e.key!r}", name, line,
                         kind="parse") from None
    except RecursionError:
        raise InputError("nesting is too deep to parse", name, kind="limit") from None


def _find_key_line(text: str, key: str) -> int | None:
    needle = json.dumps(key)
    hits = [m.start() for m in re.finditer(re.escape(needle) + r"\s*:", text)]
    if len(hits) >= 2:
        return text.count("\n", 0, hits[1]) + 1
    return None


def _parse_yaml(text: str, name: str) -> Any:
    import yaml
    from cfnlint.decode import cfn_yaml

    try:
        return cfn_yaml.loads(text, name)
    except cfn_yaml.CfnParseError as e:
        m = e.matches[0] if getattr(e, "matches", None) else None
        line = m.linenumber if m else None
        msg = m.message if m else str(e)
        raise InputError(f"invalid YAML: {msg}", name, line or None, kind="parse") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", name, mark.line + 1 if mark else None,
                         mark.column + 1 if mark else None, kind="parse") from None
    except yaml.YAMLError as e:
        raise InputError(f"invalid YAML: {e}", name, kind="parse") from None
    except RecursionError:
        raise InputError("nesting is too deep to parse", name, kind="limit") from None
    except Exception as e:  # cfn-lint's constructors raise plain exceptions for bad tags
        raise InputError(f"invalid YAML: {e}", name, kind="parse") from None


def _check_structure(data: Any, name: str, require_resources: bool) -> None:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "empty"
        raise InputError(f"not a CloudFormation template: the top level is {kind}, not a mapping",
                         name, 1, kind="structure")
    if not require_resources:
        return
    if not data.keys() & CFN_SECTIONS:
        raise InputError("not a CloudFormation template: none of its top-level keys "
                         f"({', '.join(sorted(map(str, data))[:5])}) is a template section",
                         name, 1, kind="structure")
    res = data.get("Resources")
    if res is None:
        raise InputError("not a CloudFormation template: it has no Resources section", name,
                         kind="structure")
    if not isinstance(res, dict):
        line = _locate_yaml(data, ("Resources",))[0] if hasattr(data, "start_mark") else None
        raise InputError("Resources must be a mapping of logical ids to resources", name, line,
                         kind="structure")


def _check_depth(data: Any, name: str) -> None:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"nesting is deeper than {MAX_DEPTH} levels", name, kind="limit")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))


# ---------------------------------------------------------------------------------------------
# Locations


def _locate_yaml(data: Any, path: tuple | list) -> tuple[int, int]:
    node = data
    best = getattr(data, "start_mark", None)
    for part in path:
        child = None
        mark = None
        if isinstance(node, dict):
            for k in node:
                if k == part:
                    child = node[k]
                    mark = getattr(k, "start_mark", None) or getattr(child, "start_mark", None)
                    break
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
            mark = getattr(child, "start_mark", None)
        if child is None:
            break
        if mark is not None:
            best = mark
        node = child
    if best is None:
        return (1, 1)
    return (best.line + 1, best.column + 1)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]')
_COLON = re.compile(r"\s*:")
_WS = re.compile(r"\s*")


class JsonLocator:
    """Lazy path -> offset index for JSON text.

    Each container is scanned once, when a path first goes through it; the offsets of its
    direct children are cached by container offset.
    """

    def __init__(self, text: str):
        self.text = text
        self._children: dict[int, dict] = {}
        self._line_starts: list[int] | None = None

    def _scan(self, start: int) -> dict:
        cached = self._children.get(start)
        if cached is not None:
            return cached
        text = self.text
        opener = text[start]
        children: dict = {}
        depth = 0
        index = 0
        expect_value = opener == "["
        for m in _TOKEN.finditer(text, start):
            tok = m.group()
            c = tok[0]
            if c in "{[":
                depth += 1
                if depth == 2 and expect_value and opener == "[":
                    children[index] = (m.start(), m.start())
                    expect_value = False
                continue
            if c in "}]":
                depth -= 1
                if depth == 0:
                    break
                continue
            if depth != 1:
                continue
            if c == ",":
                if opener == "[":
                    index += 1
                    expect_value = True
                continue
            # a string at depth 1
            if opener == "{":
                cm = _COLON.match(text, m.end())
                if cm:
                    key = json.loads(tok) if "\\" in tok else tok[1:-1]
                    vpos = _WS.match(text, cm.end()).end()
                    children.setdefault(key, (m.start(), vpos))
            elif expect_value:
                children[index] = (m.start(), m.start())
                expect_value = False
        if opener == "[":
            # scalars other than strings (numbers, true, null) are not tokens: find them lazily
            children["__len__"] = index + 1
        self._children[start] = children
        return children

    def _array_item(self, start: int, idx: int) -> int | None:
        children = self._scan(start)
        if idx in children:
            return children[idx][1]
        # non-string scalar element: walk commas at depth 1
        depth = 0
        count = 0
        text = self.text
        for m in _TOKEN.finditer(text, start):
            c = m.group()[0]
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return None
            elif c == "," and depth == 1:
                count += 1
                if count == idx:
                    return _WS.match(text, m.end()).end()
        return None

    def locate(self, path: tuple | list) -> tuple[int, int]:
        text = self.text
        pos = _WS.match(text, 0).end()
        best = pos
        for part in path:
            if pos >= len(text) or text[pos] not in "{[":
                break
            if text[pos] == "{":
                entry = self._scan(pos).get(part) if isinstance(part, str) else None
                if entry is None:
                    break
                best, pos = entry
            else:
                if not isinstance(part, int):
                    break
                vpos = self._array_item(pos, part)
                if vpos is None:
                    break
                best = pos = vpos
        return self._line_col(best)

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._line_starts is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._line_starts = starts
        import bisect

        i = bisect.bisect_right(self._line_starts, offset) - 1
        return (i + 1, offset - self._line_starts[i] + 1)
