"""Path expressions of the policy language: parsing once, resolving against a resource.

A path is dotted keys from the resource root (``Properties.DistributionConfig.Origins[*].Id``),
with ``[N]`` indexes, ``[*]`` for every element, ``['a.b']`` for keys containing dots, and a
leading ``$`` for "relative to the current element" inside ``every`` / ``some`` / ``lookup``.

Resolving yields :class:`Value` objects: where the value sits (a path inside the resource), the
value itself, and whether it was found, is absent (then ``at`` is the nearest existing parent)
or sits behind an intrinsic function (``Fn::If`` on a parent, say), which a policy cannot see
through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

WILDCARD = object()  # the [*] segment


class PathError(ValueError):
    pass


@dataclass(frozen=True)
class Path:
    text: str
    segments: tuple  # str keys, int indexes, WILDCARD
    relative: bool  # starts with $

    @property
    def multi(self) -> bool:
        return any(s is WILDCARD for s in self.segments)

    def __str__(self) -> str:
        return self.text


_TOKEN = re.compile(r"""
    (?P<dot>\.)
  | \[(?P<index>-?\d+)\]
  | \[(?P<star>\*)\]
  | \['(?P<qs>[^']*)'\]
  | \["(?P<qd>[^"]*)"\]
  | (?P<key>[^.\[\]]+)
""", re.VERBOSE)


def parse_path(text: str) -> Path:
    """Parse a path expression; raises :class:`PathError` with what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise PathError("a path must be a non-empty string")
    relative = text.startswith("$")
    rest = text[1:] if relative else text
    if relative and rest and not rest.startswith((".", "[")):
        raise PathError(f"path {text!r}: '$' must be followed by '.' or '['")
    segments: list = []
    pos = 0
    expect_key = not relative  # a key may start the path; after '.', a key must follow
    after_dot = False
    while pos < len(rest):
        m = _TOKEN.match(rest, pos)
        if m is None:
            raise PathError(f"path {text!r}: unexpected {rest[pos]!r} at position {pos}")
        pos = m.end()
        if m.group("dot") is not None:
            if after_dot or (not segments and not relative):
                raise PathError(f"path {text!r}: empty key")
            after_dot = True
            continue
        if m.group("key") is not None:
            if not (after_dot or (expect_key and not segments)):
                raise PathError(f"path {text!r}: missing '.' before {m.group('key')!r}")
            segments.append(m.group("key"))
        elif m.group("index") is not None:
            if after_dot:
                raise PathError(f"path {text!r}: '.' followed by '['")
            segments.append(int(m.group("index")))
        elif m.group("star") is not None:
            if after_dot:
                raise PathError(f"path {text!r}: '.' followed by '['")
            segments.append(WILDCARD)
        else:
            if after_dot:
                raise PathError(f"path {text!r}: '.' followed by '['")
            q = m.group("qs") if m.group("qs") is not None else m.group("qd")
            segments.append(q)
        after_dot = False
    if after_dot:
        raise PathError(f"path {text!r}: ends with '.'")
    if not relative and not segments:
        raise PathError(f"path {text!r}: empty")
    return Path(text, tuple(segments), relative)


# -- intrinsic functions ----------------------------------------------------------------------

def is_intrinsic(value: Any) -> bool:
    """A dict with a single key ``Ref``, ``Condition`` or ``Fn::*``: not a literal value."""
    if isinstance(value, dict) and len(value) == 1:
        (k,) = value
        return k == "Ref" or (isinstance(k, str) and k.startswith("Fn::"))
    return False


def is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and value.get("Ref") == "AWS::NoValue"


FOUND, ABSENT, HIDDEN = "found", "absent", "hidden"


@dataclass
class Value:
    """One value a path resolved to.

    ``status``: ``found``; ``absent`` (``at`` = nearest existing parent); ``hidden`` (a parent is
    an intrinsic function: ``value`` is that intrinsic, ``at`` its path).
    """

    status: str
    at: tuple  # path inside the resource
    value: Any = None
    want: tuple = ()  # absent: the full path that was asked for ([*] kept as "*")
    empty: bool = False  # a [*] found no elements (missing or empty list); ``at``: where


def resolve(path: Path, root: Any, base: tuple = (), element: Any = None,
            element_at: tuple = ()) -> list[Value]:
    """The values ``path`` designates in ``root`` (the resource), or in ``element`` when
    the path is ``$``-relative (then ``element_at`` is where the element sits)."""
    if path.relative:
        start, at = element, element_at
    else:
        start, at = root, base
    out: list[Value] = []
    _walk(start, at, path.segments, 0, out)
    return out


def _walk(value: Any, at: tuple, segs: tuple, i: int, out: list[Value],
          wild: bool = False) -> None:
    multi = wild or any(s is WILDCARD for s in segs[i:])
    while i < len(segs):
        if is_no_value(value):
            _absent(out, at[:-1], at + segs[i:], multi, wild)
            return
        if is_intrinsic(value):
            out.append(Value(HIDDEN, at, value))
            return
        seg = segs[i]
        if seg is WILDCARD:
            items: list = []
            if isinstance(value, list):
                items = [(j, item) for j, item in enumerate(value) if not is_no_value(item)]
            elif isinstance(value, dict):
                items = list(value.items())
            if not items:
                out.append(Value(ABSENT, at, want=at + segs[i:], empty=True))
            for j, item in items:
                _walk(item, at + (j,), segs, i + 1, out, True)
            return
        if isinstance(seg, int):
            if isinstance(value, list) and -len(value) <= seg < len(value):
                idx = seg % len(value)
                value, at = value[idx], at + (idx,)
                continue_ = True
            else:
                continue_ = False
        else:
            continue_ = isinstance(value, dict) and seg in value
            if continue_:
                value, at = value[seg], at + (seg,)
        if not continue_:
            _absent(out, at, at + segs[i:], multi, wild)
            return
        i += 1
    if is_no_value(value):
        _absent(out, at[:-1], at, multi, wild)
    else:
        out.append(Value(FOUND, at, value))


def _absent(out: list, at: tuple, want: tuple, multi: bool, wild: bool) -> None:
    # absent before the first [*]: the list is missing, so there are no elements
    out.append(Value(ABSENT, at, want=want, empty=multi and not wild))


def iter_elements(value: Any, at: tuple) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, list):
        for j, item in enumerate(value):
            if not is_no_value(item):
                yield at + (j,), item


# -- display ----------------------------------------------------------------------------------

_IDENTITY_KEYS = ("PathPattern", "Id", "Sid", "Key", "Name", "MetricName", "LogicalId")


def path_text(at: tuple, root: Any = None, stable: bool = False) -> str:
    """``("Properties", "Tags", 0, "Key")`` -> ``Properties.Tags[0].Key``.

    With ``stable``, a list index becomes the element's identity when it has one
    (``CacheBehaviors[PathPattern=/api/*]``) so the text survives reordering.
    """
    parts: list[str] = []
    node = root
    for seg in at:
        if seg is WILDCARD:
            parts.append("[*]")
            node = None
            continue
        if isinstance(seg, int):
            label = str(seg)
            if stable and isinstance(node, list) and 0 <= seg < len(node):
                el = node[seg]
                if isinstance(el, dict):
                    for k in _IDENTITY_KEYS:
                        if isinstance(el.get(k), str):
                            label = f"{k}={el[k]}"
                            break
            parts.append(f"[{label}]")
        else:
            s = str(seg)
            if "." in s or "[" in s:
                s = f"['{s}']"
                parts.append(s)
            else:
                parts.append(("." if parts else "") + s)
        if node is not None:
            try:
                node = node[seg]
            except (KeyError, IndexError, TypeError):
                node = None
    return "".join(parts) or "(resource)"
