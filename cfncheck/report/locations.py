"""Where a finding is shown in code scanning and annotations: a committed, repo-relative file.

The repository root is ``--sarif-root`` (or ``sarif_root`` in the config), else the git root
found by walking up from the scanned path for ``.git``, else the current directory.

A finding points at its template line when the template is committed (``git ls-files``). When
``cdk.out`` is not committed (the usual case: CI synthesizes it), GitHub could not show that
file, so the finding points instead at:

1. the CDK app source line that created the construct (``finding.source_location`` or
   :func:`cfncheck.source_map.source_location`), else
2. the app's ``cdk.json`` (its ``"app"`` line), found by walking up from the assembly,

and the message says which template line it came from. When none of these exists the template
location is used as is.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Location:
    uri: str  # repo-relative with "/" separators (or an absolute file:// URI outside the repo)
    line: int
    column: int
    relative: bool  # uri is relative to the repository root
    via: str  # "template" | "source" | "cdk.json" | "file"
    template_ref: str = ""  # "cdk.out/assembly-Prod/X.template.json:12:5" when via != template


def link_base() -> str | None:
    """``<server>/<repo>/blob/<sha>/`` for links into the repository when the GitHub
    environment (``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_SHA``) is set and the
    server is an http(s) URL, else None."""
    from urllib.parse import quote

    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                                       "GITHUB_SHA"))
    if server and repo and sha and server.startswith(("https://", "http://")):
        return f"{server.rstrip('/')}/{quote(repo)}/blob/{quote(sha)}/"
    return None


def find_repo_root(start: Path) -> Path | None:
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return None


class Locator:
    """Resolves findings to repo-relative locations; caches git and file lookups per report."""

    def __init__(self, result, options):
        # An escaped view (cfncheck.report.escaped): look files up with the raw strings, and
        # hand back locations escaped with the writer's function.
        self._escape = getattr(result, "escape", None)
        self._raw_finding = getattr(result, "raw_finding", {})
        result = getattr(result, "raw", result)
        self.result = result
        self.stacks = {s.name: s for s in result.stacks}
        root = options.sarif_root
        if root:
            self.root = Path(root).resolve()
            self.git = (self.root / ".git").exists() or find_repo_root(self.root) is not None
        else:
            starts = [Path(p) for p in options.scanned] or \
                [s.template.path for s in result.stacks[:1]]
            found = next((r for r in (find_repo_root(p if p.is_dir() else p.parent)
                                      for p in starts if p.exists()) if r), None)
            self.root = found or Path.cwd().resolve()
            self.git = found is not None
        self._tracked: dict[Path, bool] = {}
        self._cdk_json: dict[Path, tuple | None] = {}
        self._memo: dict[tuple, Location] = {}

    # -- public ------------------------------------------------------------------------------

    def locate(self, f) -> Location:
        f = self._raw_finding.get(id(f), f)
        key = (f.stack, f.file, f.line, f.column, f.construct_path, f.logical_id)
        if key not in self._memo:
            try:
                loc = self._locate(f)
            except (ValueError, OSError):  # a name no file system holds (NUL, surrogate)
                loc = Location(f.file or ".", max(f.line, 1), max(f.column, 1), False, "file")
            if self._escape is not None:
                from .escaped import escape_value

                loc = escape_value(loc, self._escape)
            self._memo[key] = loc
        return self._memo[key]

    def source(self, f) -> dict | None:
        """The CDK app source line that created the finding's construct ({"file", "line",
        "how"}, file relative to the repository root), or None when not known."""
        f = self._raw_finding.get(id(f), f)
        src = f.source_location
        if src is None and f.construct_path:
            stack = self.stacks.get(f.stack)
            if stack is not None:
                key = ("source", f.stack, f.construct_path)
                if key not in self._memo:
                    self._memo[key] = self._source_location(stack, f.construct_path)
                src = self._memo[key]
        if src is not None and self._escape is not None:
            from .escaped import escape_value

            src = escape_value(src, self._escape)
        return src

    def relative(self, path: Path) -> str | None:
        rel = self._relative(path)
        return self._escape(rel) if rel is not None and self._escape is not None else rel

    def _relative(self, path: Path) -> str | None:
        try:
            rel = Path(os.path.relpath(path.resolve(), self.root))
        except ValueError:
            return None
        if rel.parts and rel.parts[0] == "..":
            return None
        return rel.as_posix()

    # -- internals ---------------------------------------------------------------------------

    def _locate(self, f) -> Location:
        stack = self.stacks.get(f.stack)
        file = stack.template.path if stack is not None else Path(f.file) if f.file else None
        if file is None:
            return Location(".", 1, 1, True, "file")
        rel = self._relative(file)
        line, col = max(f.line, 1), max(f.column, 1)
        if stack is None or (rel is not None and self.tracked(file)):
            return self._at(file, rel, line, col, "template" if stack else "file")
        ref = f"{rel or file}:{line}:{col}"
        src = f.source_location or self._source_location(stack, f.construct_path)
        if src and src.get("file"):
            path = Path(src["file"])
            path = path if path.is_absolute() else self.root / path
            srel = self._relative(path)
            if srel is not None:
                return Location(srel, int(src.get("line") or 1), int(src.get("column") or 1),
                                True, "source", ref)
        cdk = self.cdk_json(stack)
        if cdk is not None:
            return Location(cdk[0], cdk[1], 1, True, "cdk.json", ref)
        return self._at(file, rel, line, col, "template")

    def _at(self, file: Path, rel: str | None, line: int, col: int, via: str) -> Location:
        if rel is not None:
            return Location(rel, line, col, True, via)
        return Location(file.resolve().as_uri(), line, col, False, via)

    def _source_location(self, stack, construct_path):
        if not construct_path:
            return None
        try:
            from ..source_map import source_location

            return source_location(stack, construct_path, self.root)
        except Exception:  # noqa: BLE001 - a best-effort pointer must never break a report
            return None

    def tracked(self, file: Path) -> bool:
        """Is ``file`` committed to the repository? (True when git cannot tell.)"""
        file = file.resolve()
        if file not in self._tracked:
            if not self.git:
                self._tracked[file] = True
            else:
                self._load_tracked(file)
        return self._tracked[file]

    def _load_tracked(self, file: Path) -> None:
        # One git call for every template of the scan (they usually share their fate).
        files = sorted({s.template.path.resolve() for s in self.result.stacks} | {file})
        inside = [p for p in files if self._relative(p) is not None]
        for p in files:
            self._tracked[p] = False
        if not inside:
            return
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z", "--full-name", "--",
                 *[self._relative(p) for p in inside]],
                capture_output=True, timeout=30, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            for p in files:
                self._tracked[p] = True  # cannot tell: keep the template location
            return
        listed = {x for x in out.decode("utf-8", "replace").split("\0") if x}
        # --full-name paths are relative to the top level of the work tree
        top = self._git_top()
        for p in inside:
            name = Path(os.path.relpath(p, top)).as_posix() if top else self._relative(p)
            self._tracked[p] = name in listed

    def _git_top(self) -> Path | None:
        try:
            out = subprocess.run(["git", "-C", str(self.root), "rev-parse", "--show-toplevel"],
                                 capture_output=True, timeout=30, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        text = out.decode("utf-8", "replace").strip()
        return Path(text).resolve() if text else None

    def cdk_json(self, stack) -> tuple[str, int] | None:
        """(repo-relative path, line of "app") of the CDK app's cdk.json, or None."""
        start = (stack.root or stack.template.path.parent).resolve()
        if start not in self._cdk_json:
            self._cdk_json[start] = None
            for folder in [start, *start.parents]:
                candidate = folder / "cdk.json"
                if candidate.is_file():
                    rel = self._relative(candidate)
                    if rel is not None:
                        self._cdk_json[start] = (rel, _app_line(candidate))
                    break
                if folder == self.root:
                    break
        return self._cdk_json[start]


def _app_line(path: Path) -> int:
    try:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r'\s*"app"\s*:', line):
                return i
    except (OSError, UnicodeDecodeError):
        pass
    return 1
