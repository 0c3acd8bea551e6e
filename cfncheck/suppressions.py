"""Suppressions: resource metadata and the config file. (Extended by the reports work.)"""

from __future__ import annotations

import fnmatch

from .findings import Suppression


def apply_suppressions(findings, stacks, config, result) -> None:
    """Mark findings suppressed in place (they stay in the output, hidden from the gate)."""
    for f in findings:
        for s in config.suppressions:
            if not fnmatch.fnmatchcase(f.rule_id, s["id"]):
                continue
            if "path" in s and not fnmatch.fnmatchcase(f.construct_path or "", s["path"]):
                continue
            f.suppressed = Suppression("config", s["reason"], s.get("expires"))
            break
