"""cfncheck's cfn-lint rule pack: one rule class per module in this package.

Usable two ways: ``cfncheck scan`` (via :func:`all_rules`) and plain cfn-lint
(``cfn-lint template.json -a cfncheck.rules``): cfn-lint instantiates every
``CloudFormationLintRule`` subclass it finds among this module's members. The rule classes are
imported here without cfn-lint; the members cfn-lint lists (``dir()``) include, for each rule,
``<Class>CfnLint``, built on first access by :func:`_base.lint_rule_class` (which imports
cfn-lint), so ``cfncheck scan`` never pays for cfn-lint's rule machinery.
"""

from __future__ import annotations

import importlib as _importlib
import inspect as _inspect
import pkgutil as _pkgutil

from . import _base

__all__: list[str] = []

for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _mod = _importlib.import_module(f"{__name__}.{_info.name}")
    for _name, _cls in _inspect.getmembers(_mod, _inspect.isclass):
        if (issubclass(_cls, _base.CfncheckRule) and _cls is not _base.CfncheckRule
                and _cls.__module__ == _mod.__name__):
            globals()[_name] = _cls
            __all__.append(_name)


LINT_SUFFIX = "CfnLint"


def __getattr__(name: str):
    """``<Class>CfnLint``: the cfn-lint face of a rule class (see the module docstring)."""
    if name.endswith(LINT_SUFFIX) and name[:-len(LINT_SUFFIX)] in __all__:
        return _base.lint_rule_class(globals()[name[:-len(LINT_SUFFIX)]])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *(n + LINT_SUFFIX for n in __all__)])


def all_rules() -> list:
    """One instance of every rule class, sorted by rule id."""
    rules = [globals()[name]() for name in __all__]
    return sorted(rules, key=lambda r: r.id)
