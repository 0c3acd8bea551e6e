"""Map a finding's construct to the line of the CDK app source that created it.

(Implemented by the CDK plugin work; the SARIF writer and the CDK plugin both call it.)
"""

from __future__ import annotations


def source_location(stack, construct_path: str | None, repo_root=None) -> dict | None:
    """{"file": path relative to repo_root, "line": int, "how": "stack-trace"|"construct-id"}
    for the construct at ``construct_path`` of ``stack``, or None when it cannot be found."""
    return None
