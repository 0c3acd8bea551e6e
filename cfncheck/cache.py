"""The user cache: data cfncheck derives from its dependencies and built-in files, kept between
runs so a one-template scan (a pre-commit hook, the CDK plugin) starts fast.

Entries are JSON only (never pickle: a cache file is never code), named by what they hold and a
key that is a hash of their inputs (file contents or sizes and modification times, package
versions, cfncheck's version), so a changed input is a different file and a stale entry is
never read. A file that cannot be read or parsed, or has the wrong shape, is ignored and
rebuilt. Writes are atomic (a temporary file renamed). The folder is ``$CFNCHECK_CACHE_DIR``,
else ``$XDG_CACHE_HOME/cfncheck``, else ``~/.cache/cfncheck``; ``CFNCHECK_NO_CACHE=1`` turns the
cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import __version__


def cache_dir() -> Path | None:
    if os.environ.get("CFNCHECK_NO_CACHE"):
        return None
    explicit = os.environ.get("CFNCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cfncheck"


def key(*parts) -> str:
    """A short hash of the inputs (and cfncheck's version)."""
    h = hashlib.sha256(__version__.encode())
    for p in parts:
        h.update(b"\0" + str(p).encode())
    return h.hexdigest()[:24]


def file_stamp(path: str | Path) -> str:
    """Size and modification time: cheap identity of an installed data file."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def canonical_json(value) -> str | None:
    """``value`` as sorted, compact JSON when it survives JSON unchanged, else None (YAML dates
    and the like: such data is never cached, and cannot be keyed by its JSON text)."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return text if json.loads(text) == value else None
    except (TypeError, ValueError):
        return None


def load(name: str, k: str, check=None):
    """The cached value, or None (no cache, missing, unreadable, or ``check(value)`` false)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        value = json.loads((folder / f"{name}-{k}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if check is not None and not check(value):
        return None
    return value


def store(name: str, k: str, value) -> None:
    """Writes the entry atomically; a cache that cannot be written is silently skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, separators=(",", ":"))
            os.replace(tmp, folder / f"{name}-{k}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
