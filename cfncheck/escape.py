"""Escaping of attacker-controlled strings for terminals, logs and one-line messages.

Every string that comes from a scanned assembly (template, manifest, metadata, tree.json, file
names) is attacker-controlled when cfncheck gates a pull request. Printed raw, a newline followed
by ``::warning::`` becomes a GitHub Actions workflow command (the runner reads stdout *and*
stderr), an ESC sequence clears the terminal or plants an OSC 8 hyperlink, and a lone UTF-16
surrogate cannot be encoded at all.

:func:`printable` makes any string one physical line of printable characters: C0 and C1
controls, DEL, the Unicode line and paragraph separators, bidirectional overrides ("Trojan
Source"), non-characters and lone surrogates become visible escapes (``\\n``, ``\\x1b``,
``\\u202e``, ``\\udc80``). :func:`printable_prose` does the same but keeps line breaks and tabs,
for texts whose line structure the writer uses (a message, a remediation), which the writer then
joins into one line itself. Report writers apply one of these to every string field through
:mod:`cfncheck.report.escaped`; the CLI applies :func:`printable` to every error and note.
"""

from __future__ import annotations

import re

# C0 (incl. TAB, LF, CR), DEL, C1, LRM/RLM/ALM, line/paragraph separators, bidi embeddings and
# isolates, BOM / zero-width no-break space inside text, interlinear annotations, non-characters,
# and lone surrogates (which only exist in str decoded from \\u escapes).
_OTHER = ("\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
           "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff")
_STRICT = re.compile(f"[\x00-\x1f{_OTHER}]")
_PROSE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHER}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text) -> str:
    """One physical line without control characters: unsafe characters become escapes."""
    text = text if isinstance(text, str) else str(text)
    if text.isascii() and text.isprintable():  # the common case: nothing to escape
        return text
    return _STRICT.sub(_escape, text)


def printable_prose(text) -> str:
    """Like :func:`printable` but keeps ``\\n``, ``\\r`` and ``\\t`` (the writer joins lines)."""
    text = text if isinstance(text, str) else str(text)
    if text.isascii() and text.isprintable():
        return text
    return _PROSE.sub(_escape, text)


def one_line(text) -> str:
    """Whitespace runs (line breaks included) collapsed to one space, then :func:`printable`."""
    return printable(" ".join(printable_prose(text).split()))


def no_surrogates(text) -> str:
    """Lone surrogates replaced by U+FFFD (for JSON and SARIF, which escape controls themselves
    but must stay valid UTF-8)."""
    text = text if isinstance(text, str) else str(text)
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


_COMMAND_AT_START = re.compile(r"^((?:[ \t]|\x1b\[[0-9;]*m)*)::", re.M)


def guard_line_starts(text: str) -> str:
    """No line of a multi-line output starts (after blanks and colour codes) with ``::``, the
    prefix of a GitHub Actions workflow command: it becomes ``\\:\\:``. For layouts where data
    can begin a line (an indented message, a wrapped table cell)."""
    return _COMMAND_AT_START.sub(r"\1\\:\\:", text)
