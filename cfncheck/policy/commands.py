"""``cfncheck policy validate`` and ``cfncheck policy test``. (Implemented by the policy work.)"""

from __future__ import annotations


def validate(paths) -> int:
    raise NotImplementedError


def test(paths) -> int:
    raise NotImplementedError
