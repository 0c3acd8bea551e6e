"""Map a finding's construct to the line of the CDK app source that created it.

The SARIF writer and the CDK plugin call :func:`source_location` so code scanning and the
``cdk synth`` report point at the CDK app (committed code), not at the generated ``cdk.out``.

Two strategies, first hit wins:

1. **Stack traces** (``"how": "stack-trace"``). When an app enables them (``App(stack_traces=
   True)``, context ``aws:cdk:enable-stack-trace``; newer CDKs write ``aws:cdk:creationStack``
   entries, older ones a ``trace`` list), the loader keeps them in ``stack.traces[path]``. The
   first frame that names an existing file outside ``node_modules``/CDK/jsii/node internals is
   used. These are traces of the JavaScript side: for a TypeScript app they name the app's
   ``.ts`` file; for a **Python** (jsii) app they never contain a Python frame (CDK 2.275 writes
   ``...aws-cdk-lib, jsii runtime, node internals... (no user code)``), so Python apps fall
   through to strategy 2.
2. **Construct id literal** (``"how": "construct-id"``). The app folder is the one holding
   ``cdk.json``, found by walking up from the assembly (or given as ``app_dir``); its entry
   point comes from ``cdk.json`` ``"app": "python3 app.py"``. The entry module and every module
   it imports from the app folder are parsed with :mod:`ast` (once per folder, cached), and
   every call whose second positional argument (or ``id=``/``construct_id=``) is a string
   literal is indexed. For ``Prod/Api/OrdersTable/Resource`` the segments ``Prod``, ``Api``,
   ``OrdersTable``, ``Resource`` are looked up; a call for a segment is *linked* to a call for
   its parent segment when it sits in the class the parent call instantiates (or a base class
   of it), e.g. ``dynamodb.Table(self, "OrdersTable")`` inside ``class ApiStack`` and
   ``ApiStack(self, "Api")``. The deepest linked call wins (then the deepest unlinked one), so
   CDK-generated children (``Resource``, ``ServiceRole``) resolve to the user's construct.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

EXCLUDED_DIRS = {".venv", "venv", "env", ".env", "cdk.out", "node_modules", ".git", "__pycache__",
                 "site-packages", ".tox", ".mypy_cache", ".pytest_cache", "build", "dist"}
MAX_FILES = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
_JS_FRAME = re.compile(r"\(?((?:[A-Za-z]:)?[^\s()]+?):(\d+)(?::(\d+))?\)?\s*$")
_PY_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_NOT_USER = ("node_modules", "node:internal", "/jsii", "jsii-kernel", "jsii-runtime",
             "aws-cdk-lib", "program.js", "<anonymous>", "internal/", "site-packages")

_NESTED_SUFFIX = re.compile(r"\.NestedStack(Resource)?$")

_CACHE: dict[tuple[str, str], "_AppIndex"] = {}
_APP_DIRS: dict[tuple, "Path | None"] = {}


def source_location(stack, construct_path: str | None, repo_root=None,
                    app_dir: str | Path | None = None) -> dict | None:
    """{"file": path relative to repo_root, "line": int, "how": "stack-trace"|"construct-id"}
    for the construct at ``construct_path`` of ``stack``, or None when it cannot be found.

    ``file`` is relative to ``repo_root`` (posix) when given and the file is inside it,
    otherwise absolute. ``app_dir`` (the folder holding ``cdk.json``) is found by walking up
    from the assembly folder or the template when not given.
    """
    if not construct_path:
        return None
    cp = construct_path.strip("/")
    app = Path(app_dir).resolve() if app_dir else find_app_dir(stack)
    hit = _from_traces(stack, cp, app)
    if hit is None and app is not None:
        hit = app_index(app).locate(cp)
    if hit is None:
        return None
    file, line, how = hit
    return {"file": _display(file, repo_root), "line": line, "how": how}


def find_app_dir(stack) -> Path | None:
    """The nearest folder holding ``cdk.json`` above the stack's assembly or template
    (remembered per stack, and per starting folders: a report asks once per finding)."""
    memo = getattr(stack, "memo", None)
    if callable(memo):
        return memo("source_map.app_dir", _find_app_dir)
    return _find_app_dir(stack)


def _find_app_dir(stack) -> Path | None:
    starts = [getattr(stack, "root", None), getattr(stack, "assembly_dir", None)]
    template = getattr(stack, "template", None)
    if template is not None and getattr(template, "path", None) is not None:
        starts.append(Path(template.path).parent)
    key = tuple(str(s) for s in starts)
    if key not in _APP_DIRS:
        _APP_DIRS[key] = _walk_up_for_cdk_json(starts)
    return _APP_DIRS[key]


def _walk_up_for_cdk_json(starts) -> Path | None:
    for start in starts:
        if start is None:
            continue
        start = Path(start).resolve()
        for folder in [start, *start.parents]:
            if (folder / "cdk.json").is_file():
                return folder
    return None


def clear_cache() -> None:
    """Forget parsed app folders (for long-running processes whose sources change)."""
    _CACHE.clear()
    _APP_DIRS.clear()
    _FRAME_FILES.clear()
    _USER_FRAMES.clear()


def app_index(app_dir: Path) -> "_AppIndex":
    entry = _entry_point(app_dir)
    key = (str(app_dir), str(entry or ""))
    index = _CACHE.get(key)
    if index is None:
        index = _CACHE[key] = _AppIndex.build(app_dir, entry)
    return index


# ---------------------------------------------------------------------------------------------
# strategy 1: stack traces


def _from_traces(stack, cp: str, app: Path | None) -> tuple[Path, int, str] | None:
    traces = getattr(stack, "traces", None) or {}
    if not traces:
        return None
    parts = cp.split("/")
    while parts:  # the construct, then its ancestors (an L1's trace is inside its L2)
        trace = traces.get("/".join(parts)) or traces.get("/" + "/".join(parts))
        if trace:
            found = _user_frame(trace, app)
            if found is not None:
                return found[0], found[1], "stack-trace"
        parts.pop()
    return None


_USER_FRAMES: dict[tuple, tuple[Path, int] | None] = {}


def _user_frame(trace, app: Path | None) -> tuple[Path, int] | None:
    """The first frame of the app's own code in a creation trace (remembered per trace: the
    constructs of one L2 share their trace, and a report asks once per finding)."""
    key = (tuple(trace) if isinstance(trace, list) else str(trace), app)
    if key not in _USER_FRAMES:
        _USER_FRAMES[key] = _first_user_frame(trace, app)
    return _USER_FRAMES[key]


def _first_user_frame(trace, app: Path | None) -> tuple[Path, int] | None:
    for frame in trace if isinstance(trace, list) else str(trace).splitlines():
        frame = str(frame).strip()
        if not frame or any(s in frame for s in _NOT_USER):
            continue
        m = _PY_FRAME.search(frame) or _JS_FRAME.search(frame)
        if not m:
            continue
        name = m.group(1)
        if name.startswith("file://"):
            name = name[len("file://"):]
        p = _frame_file(name, app)
        if p is not None:
            return p, int(m.group(2))
    return None


_FRAME_FILES: dict[tuple[str, Path | None], Path | None] = {}


def _frame_file(name: str, app: Path | None) -> Path | None:
    """The existing file a frame names (relative names: inside the app folder), resolved;
    remembered, since the frames of one app name the same few files thousands of times."""
    key = (name, app)
    if key not in _FRAME_FILES:
        p = Path(name)
        if not p.is_absolute() and app is not None:
            p = app / p
        _FRAME_FILES[key] = p.resolve() if p.is_file() else None
    return _FRAME_FILES[key]


# ---------------------------------------------------------------------------------------------
# strategy 2: construct id literals in the Python app


@dataclass
class _Call:
    construct_id: str
    file: Path
    line: int
    cls: str | None  # enclosing class name
    callee: str | None  # simple name of what is called: "Table", "ApiStack"
    order: int


@dataclass
class _AppIndex:
    app_dir: Path
    calls: dict[str, list[_Call]] = field(default_factory=dict)
    bases: dict[str, set[str]] = field(default_factory=dict)  # class -> direct base names
    files: list[Path] = field(default_factory=list)

    @classmethod
    def build(cls, app_dir: Path, entry: Path | None | bool) -> "_AppIndex":
        index = cls(app_dir)
        if entry is False:
            return index
        files = _imported_files(app_dir, entry) if entry else _all_files(app_dir)
        for f in files:
            index._add_file(f)
        return index

    def _add_file(self, path: Path) -> None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            return
        self.files.append(path)
        counter = [sum(len(v) for v in self.calls.values())]

        def visit(node: ast.AST, cls_name: str | None) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    self.bases.setdefault(child.name, set()).update(
                        n for n in (_simple_name(b) for b in child.bases) if n)
                    visit(child, child.name)
                    continue
                if isinstance(child, ast.Call):
                    cid = _construct_id_arg(child)
                    if cid is not None:
                        counter[0] += 1
                        self.calls.setdefault(cid, []).append(_Call(
                            cid, path, child.lineno, cls_name, _simple_name(child.func),
                            counter[0]))
                visit(child, cls_name)

        visit(tree, None)

    def _ancestors(self, name: str | None) -> set[str]:
        out: set[str] = set()
        todo = [name] if name else []
        while todo:
            n = todo.pop()
            if n in out:
                continue
            out.add(n)
            todo.extend(self.bases.get(n, ()))
        return out

    def locate(self, cp: str) -> tuple[Path, int, str] | None:
        # "Storage.NestedStack/Storage.NestedStackResource" are CDK's names for the nested
        # stack resource created by StorageStack(self, "Storage")
        segments = [_NESTED_SUFFIX.sub("", s) for s in cp.split("/")]
        cands = [self.calls.get(s, []) for s in segments]
        chain: list[dict[int, int]] = []  # per segment: id(call) -> linked chain length
        best = None
        for i, calls in enumerate(cands):
            lengths: dict[int, int] = {}
            for c in calls:
                n = 0
                if i == 0:
                    n = 1 if c.cls is None else 0
                else:
                    for p in cands[i - 1]:
                        if p.callee and c.cls and c.cls in self._ancestors(p.callee):
                            n = max(n, 1 + chain[i - 1].get(id(p), 0))
                lengths[id(c)] = n
                key = (n > 0, i, n, -c.order)
                if best is None or key > best[0]:
                    best = (key, c)
            chain.append(lengths)
        if best is None:
            return None
        c = best[1]
        return c.file, c.line, "construct-id"


def _simple_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # Generic[T]
        return _simple_name(node.value)
    return None


def _construct_id_arg(call: ast.Call) -> str | None:
    """``X(scope, "Id", ...)``, ``X(scope, id="Id")``, or a helper method ``self._x("Id", ...)``
    (apps often wrap construct creation in a method that takes the id first)."""
    if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant) \
            and isinstance(call.args[1].value, str):
        return call.args[1].value
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) \
            and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == "self":
        return call.args[0].value
    for kw in call.keywords:
        if kw.arg in ("id", "construct_id") and isinstance(kw.value, ast.Constant) \
                and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _entry_point(app_dir: Path) -> Path | None | bool:
    """The Python file named by cdk.json "app" ("python3 app.py"), else app.py if present;
    False when cdk.json names a non-Python app (ts-node, java, dotnet, ...)."""
    try:
        data = json.loads((app_dir / "cdk.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    command = data.get("app") if isinstance(data, dict) else None
    if isinstance(command, str):
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        for w in words:
            if w.endswith(".py") and (app_dir / w).is_file():
                return (app_dir / w).resolve()
        if words and any("python" in Path(w).name for w in words[:1]):
            # "python -m pkg.app"
            if "-m" in words and words.index("-m") + 1 < len(words):
                mod = _module_file(app_dir, words[words.index("-m") + 1])
                if mod:
                    return mod
        return False  # not a Python app
    return (app_dir / "app.py").resolve() if (app_dir / "app.py").is_file() else None


def _excluded(path: Path, app_dir: Path) -> bool:
    rel = path.relative_to(app_dir).parts[:-1]
    return any(p in EXCLUDED_DIRS or p.startswith(".") for p in rel)


def _all_files(app_dir: Path) -> list[Path]:
    out = []
    for f in sorted(app_dir.rglob("*.py")):
        if not _excluded(f, app_dir) and "tests" not in f.relative_to(app_dir).parts[:-1]:
            out.append(f.resolve())
            if len(out) >= MAX_FILES:
                break
    return out


def _module_file(base: Path, dotted: str) -> Path | None:
    p = base.joinpath(*dotted.split(".")) if dotted else base
    for cand in (p.with_suffix(".py"), p / "__init__.py"):
        if cand.is_file():
            return cand.resolve()
    return None


def _imported_files(app_dir: Path, entry: Path) -> list[Path]:
    """The entry module and, transitively, the modules it imports from the app folder."""
    seen: list[Path] = []
    todo = [entry]
    while todo and len(seen) < MAX_FILES:
        f = todo.pop(0)
        if f in seen:
            continue
        try:
            if _excluded(f, app_dir):
                continue
        except ValueError:  # outside the app folder
            continue
        seen.append(f)
        try:
            tree = ast.parse(f.read_bytes(), filename=str(f))
        except (OSError, SyntaxError, ValueError):
            continue
        pkg_dir = f.parent
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
                bases = [app_dir, entry.parent]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg_dir
                    for _ in range(node.level - 1):
                        base = base.parent
                    bases = [base]
                else:
                    bases = [app_dir, entry.parent]
                mod = node.module or ""
                names = [mod] + [f"{mod}.{a.name}" if mod else a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                for base in bases:
                    # "a.b.c" also loads a/__init__.py and a/b/__init__.py
                    for k in range(1, len(parts) + 1):
                        found = _module_file(base, ".".join(parts[:k]))
                        if found and found not in seen and found not in todo:
                            todo.append(found)
    return seen


def _display(file: Path, repo_root) -> str:
    if repo_root is not None:
        try:
            return file.resolve().relative_to(Path(repo_root).resolve()).as_posix()
        except ValueError:
            pass
    return str(file)
