"""Writing reports and baselines to files.

* A regular file (new or existing) is written atomically: a temporary file beside it, then a
  rename, so a crash, Ctrl+C or SIGTERM never leaves a truncated report (the temporary file is
  removed on any failure or interruption). The result gets the mode a plain ``open()`` would
  give: an existing file keeps its mode, a new one gets ``0o666`` minus the umask (CI
  artifacts and other users can read it, as with any other tool's output).
* A symlink to a regular file: the target is replaced, the link is kept.
* ``-`` is standard output. ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, a FIFO, a character
  device or a socket is opened and written directly: a rename would replace the special file
  (or the ``/dev/stdout`` link) with a regular file, and nothing would reach the reader.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import InputError

_SPECIAL_DIRS = ("/dev/", "/proc/")


def write_output(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` as described above; :class:`InputError` if it
    cannot be written."""
    name = str(path)
    if name == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    p = Path(path)
    try:
        st = os.stat(p)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError(f"cannot write output: {e.strerror}", name) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError("cannot write output: it is a folder", name)
    if (st is not None and not stat.S_ISREG(st.st_mode)) or \
            os.path.abspath(name).startswith(_SPECIAL_DIRS):
        _write_direct(p, text)
        return
    target = Path(os.path.realpath(p)) if p.is_symlink() else p
    _write_atomic(target, text, stat.S_IMODE(st.st_mode) if st is not None else None)


def _write_direct(path: Path, text: str) -> None:
    try:
        # append: /dev/stdout redirected to a file must not truncate what is already there
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise InputError(f"cannot write output: {e.strerror}", str(path)) from None


def _write_atomic(path: Path, text: str, mode: int | None) -> None:
    if mode is None:
        mode = 0o666 & ~current_umask()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                os.fchmod(fh.fileno(), mode)
            os.replace(tmp, path)
            tmp = None
        finally:  # also on KeyboardInterrupt / SIGTERM: no temporary file left behind
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    except OSError as e:
        raise InputError(f"cannot write output: {e.strerror}", str(path)) from None


def current_umask() -> int:
    """The process umask (read without a window where it is changed, where Linux allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
