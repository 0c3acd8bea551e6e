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

import array
import bisect
import contextvars
import datetime
import itertools
import json
import operator
import os
import re
import stat
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError

#: Files larger than this are refused (bytes); override with CFNCHECK_MAX_TEMPLATE_BYTES or
#: the config key ``max_template_bytes``.
DEFAULT_MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
#: Deeper nesting than this is refused (CloudFormation itself allows far less in practice).
MAX_DEPTH = 200

CFN_SECTIONS = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
                "Conditions", "Transform", "Resources", "Outputs", "Rules"}


#: the config file's ``max_template_bytes`` for the current load (set by ``assembly.load``)
CONFIGURED_MAX_BYTES: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "max_template_bytes", default=None)


def max_template_bytes() -> int:
    """The size cap: CFNCHECK_MAX_TEMPLATE_BYTES, else config ``max_template_bytes``, else
    :data:`DEFAULT_MAX_TEMPLATE_BYTES`."""
    env = os.environ.get("CFNCHECK_MAX_TEMPLATE_BYTES")
    if env:
        try:
            return int(env)
        except ValueError:
            pass
    return CONFIGURED_MAX_BYTES.get() or DEFAULT_MAX_TEMPLATE_BYTES


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
            return self._json_locator().locate(path)
        return _locate_yaml(self.data, path)

    def _json_locator(self) -> "JsonLocator":
        if self._locator is None:
            self._locator = JsonLocator(self._text)
        return self._locator

    def resources_mentioning(self, needles: Iterable[str]) -> set | None:
        """Logical ids of the resources whose text contains one of ``needles``.

        A fast pre-filter (a substring search of the file instead of a walk of every resource);
        a superset. JSON only: ``None`` for YAML, meaning "any resource may".
        """
        if self.format != "json":
            return None
        text = self._text
        offsets = []
        for needle in needles:
            i = text.find(needle)
            while i >= 0:
                offsets.append(i)
                i = text.find(needle, i + len(needle))
        if not offsets:
            return set()
        return self._json_locator().resources_at(offsets)


def load_template(path: str | Path, *, require_resources: bool = True) -> Template:
    """Read and parse a template file; raise :class:`InputError` naming the file on any problem."""
    name = str(path)
    limit = max_template_bytes()
    raw = read_regular_file(path, limit, "CFNCHECK_MAX_TEMPLATE_BYTES or config "
                            "max_template_bytes")
    return parse_template(raw, name, require_resources=require_resources)


def read_regular_file(path: str | Path, limit: int, knob: str | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else :class:`InputError`.

    Devices, FIFOs and sockets are refused (``/dev/zero`` never ends, a FIFO blocks forever),
    and at most ``limit + 1`` bytes are read, so a file that grows while being read cannot
    exhaust memory either.
    """
    p = Path(path)
    name = str(path)
    hint = f" (set {knob} to raise it)" if knob else ""
    try:
        if p.is_symlink() and not p.exists():
            raise InputError("is a broken symbolic link", name)
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory, expected a file", name)
        if not stat.S_ISREG(st.st_mode):
            raise InputError("is not a regular file (a device, FIFO or socket); refused", name,
                             kind="security")
        if st.st_size > limit:
            raise InputError(f"file is {st.st_size} bytes, over the {limit}-byte limit{hint}",
                             name, kind="limit")
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError("file not found", name) from None
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read: {getattr(e, 'strerror', None) or e}", name) from None
    if len(raw) > limit:
        raise InputError(f"file is over the {limit}-byte limit{hint}", name, kind="limit")
    return raw


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
    _check_tree(data, name, fmt, fmt == "json" and _SURROGATE_ESCAPE.search(text) is not None)
    tpl = Template(Path(name), data, fmt, text)
    _check_sections(tpl, name)
    return tpl


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


class _NotJson(ValueError):
    pass


def _no_constants(word: str) -> Any:
    raise _NotJson(f"{word} is not a JSON value")


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", name, e.lineno, e.colno, kind="parse") from None
    except _DuplicateKey as e:
        line = _find_key_line(text, e.key)
        raise InputError(f"invalid JSON: duplicate key {e.key!r}", name, line,
                         kind="parse") from None
    except RecursionError:
        raise InputError("nesting is too deep to parse", name, kind="limit") from None
    except ValueError as e:  # NaN/Infinity, integers longer than Python converts (4300 digits)
        raise InputError(f"invalid JSON: {' '.join(str(e).split('; ')[:1])}", name,
                         kind="parse") from None


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
        column = None
        msg = m.message if m else str(e)
        # cfn-lint reports some problems (unknown tags) at line 1 with the real place in the
        # message: 'in "<unicode string>", line 3, column 11'
        where = re.search(r'in "[^"]*", line (\d+), column (\d+)', msg)
        if where:
            line, column = int(where.group(1)), int(where.group(2))
            msg = msg[: where.start()].rstrip(" ,")
        raise InputError(f"invalid YAML: {msg}", name, line or None, column,
                         kind="parse") from None
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
        # cfn-lint's decoder returns str_node/list_node subclasses: say what it is in words
        kind = "empty" if data is None else "a list" if isinstance(data, list) else \
            "true/false" if isinstance(data, bool) else "a number" \
            if isinstance(data, (int, float)) else "a string" if isinstance(data, str) \
            else "not an object"
        raise InputError("not a CloudFormation template: the file holds "
                         + ("nothing" if kind == "empty" else kind)
                         + ", not an object with Resources", name, 1, kind="structure")
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


#: top-level sections whose entries are mappings (logical id / name -> mapping)
_ENTRY_SECTIONS = ("Resources", "Parameters", "Outputs", "Mappings")


def _check_sections(tpl: Template, name: str) -> None:
    """The shapes CloudFormation itself requires, so that checks can rely on them.

    Sections are mappings of mappings; every resource has a string ``Type``; ``Properties``
    and ``Metadata`` are mappings (an empty YAML ``Properties:`` is dropped); ``DependsOn`` is
    a logical id or a list of them. A template that breaks these is refused with the line of
    the offending entry (CloudFormation would refuse to deploy it too).
    """
    data = tpl.data

    def fail(msg: str, path: tuple) -> None:
        raise InputError(msg, name, tpl.locate(path)[0], kind="structure")

    for section in _ENTRY_SECTIONS:
        if section not in data:
            continue
        entries = data[section]
        if not isinstance(entries, dict):
            fail(f"{section} must be a mapping, not {_kind(entries)}", (section,))
        for key, entry in entries.items():
            if isinstance(key, str) and key.startswith("Fn::ForEach::"):
                continue  # AWS::LanguageExtensions loop: [identifier, collection, template]
            if not isinstance(entry, dict):
                fail(f"{section}.{key} must be a mapping, not {_kind(entry)}", (section, key))
    for lid, res in (data.get("Resources") or {}).items():
        if not isinstance(res, dict):
            continue  # Fn::ForEach::
        rtype = res.get("Type")
        if not isinstance(rtype, str) or not rtype:
            fail(f"resource {lid}: Type must be a non-empty string, not {_kind(rtype)}",
                 ("Resources", lid, "Type"))
        for key in ("Properties", "Metadata"):
            if key in res and res[key] is None:
                del res[key]
            elif key in res and not isinstance(res[key], dict):
                fail(f"resource {lid}: {key} must be a mapping, not {_kind(res[key])}",
                     ("Resources", lid, key))
        deps = res.get("DependsOn")
        if deps is not None and not isinstance(deps, str) and not (
                isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
            fail(f"resource {lid}: DependsOn must be a logical id or a list of them",
                 ("Resources", lid, "DependsOn"))


def _kind(value: Any) -> str:
    for t, word in ((dict, "a mapping"), (list, "a list"), (str, "a string"),
                    (bool, "a boolean"), (int, "a number"), (float, "a number")):
        if isinstance(value, t):
            return word
    return "null" if value is None else type(value).__name__


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_PLAIN = (str, int, float, bool, type(None))


def _check_depth(node: Any, depth: int, name: str) -> None:
    """Nesting at most MAX_DEPTH (recursive, so at most MAX_DEPTH frames: four times faster
    than the work list on a large template)."""
    if depth > MAX_DEPTH:
        raise InputError(f"nesting is deeper than {MAX_DEPTH} levels", name, kind="limit")
    for v in node.values() if isinstance(node, dict) else node:
        if isinstance(v, (dict, list)):
            _check_depth(v, depth + 1, name)


def _check_tree(data: Any, name: str, fmt: str, surrogates: bool = False) -> None:
    """Bound the depth; keep ``data`` plain JSON-like data.

    JSON: a ``\\udc80`` escape decodes to a lone surrogate, which no UTF-8 output can hold
    (reports would crash); refused. YAML: YAML 1.1 turns ``2012-10-17`` into a date (kept as
    the string it was), and tags such as ``!!binary``, ``!!set`` or ``!!omap`` build values
    that are not CloudFormation (refused).
    """
    if fmt == "json" and not surrogates:
        _check_depth(data, 1, name)  # the common case: nothing to keep plain
        return
    todo: list = [(data, 1, None)]
    deep = (dict, list)
    while todo:
        node, depth, mark = todo.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"nesting is deeper than {MAX_DEPTH} levels", name, kind="limit")
        mark = getattr(node, "start_mark", None) or mark
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            if isinstance(v, deep):
                todo.append((v, depth + 1, mark))
            elif fmt == "yaml" and not isinstance(v, _PLAIN):
                if isinstance(v, datetime.date):
                    node[k] = v.isoformat()
                    continue
                raise InputError(f"unsupported YAML value of type {type(v).__name__} (tags "
                                 "such as !!binary, !!set or !!omap are not CloudFormation)",
                                 name, mark.line + 1 if mark else None, kind="parse")
            if surrogates:
                for text in (k, v):
                    if isinstance(text, str) and not _encodable(text):
                        raise InputError("invalid JSON: a \\u escape encodes an unpaired "
                                         "UTF-16 surrogate", name, kind="parse")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


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


_COLON = re.compile(r"\s*:")
_WS = re.compile(r"\s*")
_SCAN_ONCE = json.scanner.make_scanner(json.JSONDecoder())


class _EndOfContainer(Exception):
    pass


def _next_item(text: str, end: int) -> int:
    """Offset of the next item after a value ending at ``end`` (past the comma)."""
    pos = _WS.match(text, end).end()
    if pos < len(text) and text[pos] == ",":
        return _WS.match(text, pos + 1).end()
    raise _EndOfContainer


class JsonLocator:
    """Lazy path -> offset index for JSON text.

    Each container is scanned once, when a path first goes through it; the offsets of its
    direct children are cached by container offset. A scan visits only the direct children:
    each child value is skipped by the C JSON scanner (it returns where the value ends), so
    locating many findings costs a few parses of the file at C speed, not a Python loop over
    every token.
    """

    def __init__(self, text: str):
        self.text = text
        self._children: dict[int, dict] = {}
        self._line_starts: array.array | None = None

    def _scan(self, start: int) -> dict:
        cached = self._children.get(start)
        if cached is not None:
            return cached
        text = self.text
        size = len(text)
        children: dict = {}
        pos = _WS.match(text, start + 1).end()
        try:
            if text[start] == "{":
                while pos < size and text[pos] == '"':
                    key, end = _SCAN_ONCE(text, pos)
                    colon = _COLON.match(text, end)
                    if not colon:
                        break
                    vpos = _WS.match(text, colon.end()).end()
                    children.setdefault(key, (pos, vpos))
                    pos = _next_item(text, _SCAN_ONCE(text, vpos)[1])
            else:
                index = 0
                while pos < size and text[pos] != "]":
                    children[index] = (pos, pos)
                    index += 1
                    pos = _next_item(text, _SCAN_ONCE(text, pos)[1])
        except (StopIteration, ValueError, RecursionError, _EndOfContainer):
            pass  # the text was parsed before: only the end of the container gets here
        self._children[start] = children
        return children

    def _array_item(self, start: int, idx: int) -> int | None:
        entry = self._scan(start).get(idx)
        return entry[1] if entry else None

    def resources_at(self, offsets: list[int]) -> set:
        """Logical ids of the resources whose text contains these offsets."""
        root = _WS.match(self.text, 0).end()
        if not self.text.startswith("{", root):
            return set()
        res = self._scan(root).get("Resources")
        if res is None or not self.text.startswith("{", res[1]):
            return set()
        starts = sorted((vpos, lid) for lid, (_, vpos) in self._scan(res[1]).items())
        positions = [p for p, _ in starts]
        found = set()
        for off in offsets:
            i = bisect.bisect_right(positions, off) - 1
            if i >= 0:  # the last resource that starts before it: a superset (an offset in
                found.add(starts[i][1])  # a later section maps to the last resource)
        return found

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
            # start of line i = len(lines before it) + i newlines, all at C speed
            # (an array of machine integers: a tenth of a list's memory on big files)
            lengths = itertools.accumulate(map(len, self.text.split("\n")), initial=0)
            self._line_starts = array.array("q", map(operator.add, lengths, itertools.count()))
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return (i + 1, offset - self._line_starts[i] + 1)
