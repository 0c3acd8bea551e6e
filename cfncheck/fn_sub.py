"""``Fn::Sub`` placeholders: the one pattern the graph and the IAM model read them with.

``${Name}``, ``${Logical.Attr}`` and ``${AWS::Region}`` are references; ``${!Literal}`` is the
escape for a literal ``${Literal}``. Matched with RE2 (linear time: Python's ``re`` is quadratic
on a string of many unclosed ``${``, which a hostile template can be). RE2 rebuilds ``str``
subclasses (cfn-lint's template nodes) and fails on them, so every function takes ``str(text)``.
"""

from __future__ import annotations

from typing import Callable, Iterator

import re2

#: one placeholder; group 1 is what is between the braces (``!Literal`` included)
PLACEHOLDER = re2.compile(r"\$\{([^}]*)\}")


def placeholders(text: str) -> Iterator:
    """The match of every placeholder, literal escapes included, in order."""
    return PLACEHOLDER.finditer(str(text))


def references(text: str) -> list[str]:
    """The names referenced (stripped), without the ``${!Literal}`` escapes and empty ``${}``."""
    return [n.strip() for n in PLACEHOLDER.findall(str(text)) if n and not n.startswith("!")]


def render(text: str, reference: Callable[[str], str]) -> str:
    """The text with each reference replaced by ``reference(name)`` and each ``${!Literal}``
    by ``${Literal}``, as CloudFormation renders it."""
    def one(m) -> str:
        name = m.group(1)
        return "${" + name[1:] + "}" if name.startswith("!") else reference(name)

    return PLACEHOLDER.sub(one, str(text))
