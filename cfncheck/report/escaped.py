"""An escaped view of a scan result: the one place report writers get their strings from.

Each writer declares ``ESCAPE`` (a ``str -> str`` function, e.g. :func:`cfncheck.escape.printable`
for text, GitHub annotations, JUnit and Markdown, :func:`cfncheck.escape.no_surrogates` for JSON
and SARIF). :func:`cfncheck.report.render` hands the writer an :class:`EscapedResult`: a copy of
the findings, errors, notes, stacks' names, peers' suppressions and baseline where **every string
field** (recursively through dicts, lists, tuples and dataclasses, keys included) went through
``ESCAPE``. A field added to :class:`~cfncheck.findings.Finding` later (e.g. a list of related
locations) is escaped without any change here.

Prose fields (:data:`PROSE`: message, remediation, title, suppression reason) keep their line
breaks so a writer can take the first paragraph of a remediation; the writer joins lines itself.
Their other control characters are escaped all the same.

:class:`cfncheck.report.locations.Locator` works on the raw findings (it reads files on disk)
and escapes the :class:`~cfncheck.report.locations.Location` it returns with the same function.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from ..escape import no_surrogates, printable, printable_prose

PROSE = frozenset({"message", "remediation", "title", "reason", "description"})


def escape_value(value, escape: Callable[[str], str], prose: Callable[[str], str] | None = None,
                 field: str = ""):
    """``value`` with every string in it escaped (a new object; the input is not changed)."""
    if isinstance(value, str):
        return (prose or escape)(value) if field in PROSE else escape(value)
    if isinstance(value, dict):
        return {escape_value(k, escape): escape_value(v, escape, prose, k if isinstance(k, str)
                                                      else "")
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [escape_value(v, escape, prose, field) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # every attribute, fields and attributes set outside them alike; the copy is made
        # without calling __init__ (a Finding would recompute its fingerprint from the
        # escaped fields)
        copy = object.__new__(type(value))
        copy.__dict__.update({name: escape_value(v, escape, prose, name)
                              for name, v in vars(value).items()})
        return copy
    return value


def prose_for(escape: Callable[[str], str]) -> Callable[[str], str]:
    """The line-keeping variant of a writer's escape function."""
    if escape is printable:
        return printable_prose
    return escape


class _EscapedError:
    """An :class:`~cfncheck.errors.InputError` with escaped fields (same interface)."""

    def __init__(self, error, escape):
        self.kind = escape(error.kind)
        self.file = escape(error.file) if error.file else error.file
        self.line = error.line
        self.column = error.column
        self.message = escape(error.message)
        self.raw = error

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + \
                (f":{self.column}" if self.line and self.column else "") + ": "
        return f"{where}{self.message}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "line": self.line, "column": self.column,
                "message": self.message}


class _EscapedStack:
    """A stack whose display strings are escaped; everything else is the real stack."""

    def __init__(self, stack, escape, parent=None):
        self._stack = stack
        self.name = escape(stack.name)
        self.stage = escape(stack.stage)
        self.stage_source = escape(stack.stage_source)
        self.template_rel = escape(stack.template_rel)
        self.assembly_path = escape(stack.assembly_path)
        self.parent = parent

    def __getattr__(self, name):
        return getattr(self._stack, name)


class EscapedResult:
    """The scan result as a writer sees it (see the module docstring)."""

    def __init__(self, result, escape: Callable[[str], str]):
        self.raw = result
        self.escape = escape
        prose = prose_for(escape)
        self.findings = []
        self.raw_finding: dict[int, object] = {}
        for f in result.findings:
            safe = escape_value(f, escape, prose)
            self.findings.append(safe)
            self.raw_finding[id(safe)] = f
        self.errors = [_EscapedError(e, escape) for e in result.errors]
        self.notes = [escape(n) for n in result.notes]
        stacks = {id(s): _EscapedStack(s, escape) for s in result.stacks}
        for s in result.stacks:
            if s.parent is not None:
                stacks[id(s)].parent = stacks.get(id(s.parent)) or _EscapedStack(s.parent, escape)
        self.stacks = [stacks[id(s)] for s in result.stacks]
        # policies from a config's folder are attacker-controlled too (titles, remediations)
        self.checks = [escape_value(c, escape, prose) for c in result.checks]
        self.peer_suppressions = escape_value(list(result.peer_suppressions), escape)
        self.baseline = escape_value(result.baseline, escape)

    def __getattr__(self, name):
        """Anything else of the scan result (e.g. the graph; a field added later): data
        containers and strings escaped, other objects as they are."""
        value = getattr(self.raw, name)
        if isinstance(value, (str, list, tuple, dict)):
            return escape_value(value, self.escape)
        return value

    def gate(self, fail_on: str) -> list:
        from ..findings import at_or_above

        if fail_on == "never":
            return []
        return [f for f in self.findings if not f.suppressed and at_or_above(f.severity,
                                                                                fail_on)]


def escaped(result, escape: Callable[[str], str] | None):
    if escape is None or isinstance(result, EscapedResult):
        return result
    return EscapedResult(result, escape)


__all__ = ["EscapedResult", "escaped", "escape_value", "no_surrogates", "printable"]
