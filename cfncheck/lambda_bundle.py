"""Static analysis of Lambda function bundles (asset folders of the cloud assembly).

For a function (``AWS::Lambda::Function`` whose code is an asset folder, or inline
``Code.ZipFile``) it answers, without importing or running anything:

* does the handler file exist (Python ``index.handler`` -> ``index.py`` or
  ``index/__init__.py``; Node ``index.handler`` -> ``index.js``/``.mjs``/``.cjs``) and does it
  define the handler at module level (Python: parsed with :mod:`ast`; Node: export patterns,
  including esbuild's minified ``handler:()=>x`` getters)?
* for Python, where does every import of the handler module, and of the first-party modules it
  imports in turn, come from: the standard library of the function's runtime version
  (``sys.stdlib_module_names`` minus modules removed in later versions), the modules the Lambda
  Python runtime ships (boto3, botocore, ...), the asset itself, or a layer
  (``python/`` or ``python/lib/python3.x/site-packages/`` of the layer's asset)?

Imports inside ``try: ... except ImportError`` and ``if TYPE_CHECKING:`` are optional and
ignored; relative imports are followed inside the asset. Third-party packages vendored in the
asset (listed by a ``*.dist-info``) are not parsed. Results are cached per asset folder and
handler, and parsed files per path, so several rules share one analysis.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

#: modules the AWS Lambda Python runtimes provide outside the standard library
RUNTIME_MODULES = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil",
                             "urllib3", "six", "awslambdaric", "bootstrap", "runtime_client"})
#: standard-library modules removed in a Python version (cumulative from that version on)
_REMOVED = {
    (3, 12): {"distutils", "imp", "asynchat", "asyncore", "smtpd"},
    (3, 13): {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap",
              "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
              "telnetlib", "uu", "xdrlib", "lib2to3"},
}
NODE_SUFFIXES = (".js", ".mjs", ".cjs")
MAX_FILES = 400  # first-party modules followed per function
MAX_FILE_BYTES = 5 * 1024 * 1024


def stdlib_modules(version: tuple[int, int]) -> frozenset[str]:
    return _stdlib(version)


@lru_cache(maxsize=16)
def _stdlib(version: tuple[int, int]) -> frozenset[str]:
    names = set(sys.stdlib_module_names)
    for since, removed in _REMOVED.items():
        if version >= since:
            names -= removed
    return frozenset(names)


def python_version(runtime: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"python(\d+)\.(\d+)", runtime or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------------------------------------
# parsing


@dataclass
class ImportUse:
    module: str  # "a.b.c" (absolute) or "" for "from . import x"
    names: tuple  # for "from m import x, y": ("x", "y")
    level: int  # relative import level
    line: int
    optional: bool


@dataclass
class ParsedPython:
    imports: list[ImportUse] = field(default_factory=list)
    bindings: set = field(default_factory=set)  # module-level names
    star_import: bool = False
    syntax_error: str | None = None


class _ImportCollector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.imports: list[ImportUse] = []
        self._optional = 0

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append(ImportUse(alias.name, (), 0, node.lineno, self._optional > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.append(ImportUse(node.module or "", tuple(a.name for a in node.names),
                                      node.level or 0, node.lineno, self._optional > 0))

    def _visit_try(self, node) -> None:
        guarded = any(_catches_import_error(h.type) for h in node.handlers)
        if guarded:
            self._optional += 1
        for stmt in node.body:
            self.visit(stmt)
        if guarded:
            self._optional -= 1
        for part in (node.handlers, node.orelse, node.finalbody):
            for stmt in part:
                self.visit(stmt)

    visit_Try = _visit_try
    visit_TryStar = _visit_try

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)


def _catches_import_error(t: ast.expr | None) -> bool:
    if t is None:
        return True
    names = [e for e in t.elts] if isinstance(t, ast.Tuple) else [t]
    for n in names:
        name = n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")
        if name in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException"):
            return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _bindings(body: list, out: set) -> bool:
    """Module-level names (also inside module-level if/try/with); True if ``import *``."""
    star = False
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                out.update(_target_names(t))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            out.update(_target_names(node.target))
        elif isinstance(node, ast.Import):
            for a in node.names:
                out.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name == "*":
                    star = True
                else:
                    out.add(a.asname or a.name)
        elif isinstance(node, (ast.If, ast.With, ast.AsyncWith, ast.For, ast.While)):
            star |= _bindings(node.body, out)
            star |= _bindings(getattr(node, "orelse", []), out)
        elif isinstance(node, (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())):
            for part in (node.body, node.orelse, node.finalbody):
                star |= _bindings(part, out)
            for h in node.handlers:
                star |= _bindings(h.body, out)
    return star


def _target_names(t: ast.expr) -> set:
    if isinstance(t, ast.Name):
        return {t.id}
    if isinstance(t, (ast.Tuple, ast.List)):
        return {n for e in t.elts for n in _target_names(e)}
    return set()


def parse_python_source(source: str, name: str = "<inline>") -> ParsedPython:
    try:
        tree = ast.parse(source, filename=name)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None)
        return ParsedPython(syntax_error=f"{getattr(e, 'msg', str(e))}"
                                         + (f" (line {line})" if line else ""))
    collector = _ImportCollector()
    collector.visit(tree)
    out = ParsedPython(imports=collector.imports)
    out.star_import = _bindings(tree.body, out.bindings)
    return out


_file_cache: dict[tuple[str, int, int], ParsedPython] = {}


def parse_python_file(path: Path) -> ParsedPython:
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key in _file_cache:
            return _file_cache[key]
        if st.st_size > MAX_FILE_BYTES:
            parsed = ParsedPython()
        else:
            parsed = parse_python_source(path.read_bytes().decode("utf-8", "replace"), str(path))
    except OSError as e:
        return ParsedPython(syntax_error=f"cannot read: {e.strerror}")
    _file_cache[key] = parsed
    return parsed


# ---------------------------------------------------------------------------------------------
# module roots (asset, layers)


@dataclass(frozen=True)
class ModuleRoot:
    label: str  # "the asset", "layer SharedUtilsLayer (python/)"
    path: Path | None  # None = inline code
    names: frozenset  # importable top-level module names
    vendored: frozenset  # names installed from distributions (*.dist-info / *.egg-info)


def _scan_root(path: Path) -> tuple[frozenset, frozenset]:
    """(importable names, names installed from distributions) of a sys.path folder."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return frozenset(), frozenset()
    return _scan_root_at(path, mtime)


@lru_cache(maxsize=2048)
def _scan_root_at(path: Path, _mtime: int) -> tuple[frozenset, frozenset]:
    names, vendored = set(), set()
    try:
        entries = list(path.iterdir())
    except OSError:
        return frozenset(), frozenset()
    for e in entries:
        n = e.name
        if e.is_dir():
            if n.endswith((".dist-info", ".egg-info")):
                vendored.update(_dist_top_levels(e))
            elif n.isidentifier():
                names.add(n)  # package or namespace package
        elif n.endswith(".py") and n[:-3].isidentifier():
            names.add(n[:-3])
        elif n.endswith((".so", ".pyd")) and n.split(".")[0].isidentifier():
            names.add(n.split(".")[0])
        elif n.endswith(".pth"):
            continue
    return frozenset(names), frozenset(vendored)


def _dist_top_levels(dist: Path) -> set:
    top = dist / "top_level.txt"
    try:
        if top.is_file():
            return {ln.strip() for ln in top.read_text(errors="replace").splitlines()
                    if ln.strip()}
        record = dist / "RECORD"
        if record.is_file():
            out = set()
            for ln in record.read_text(errors="replace").splitlines():
                first = ln.split(",", 1)[0].split("/", 1)[0]
                if first.endswith(".py"):
                    first = first[:-3]
                if first.isidentifier():
                    out.add(first)
            return out
    except OSError:
        pass
    return {dist.name.split("-")[0].replace("-", "_").lower()}


def module_root(label: str, path: Path) -> ModuleRoot:
    names, vendored = _scan_root(path)
    return ModuleRoot(label, path, names, vendored)


def layer_roots(layer_name: str, asset: Path, version: tuple[int, int]) -> list[ModuleRoot]:
    """The folders of a layer asset that are on sys.path in the Python runtime."""
    roots = [module_root(f"layer {layer_name} (python/)", asset / "python")]
    site = asset / "python" / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"
    roots.append(module_root(f"layer {layer_name} (python/lib/python{version[0]}.{version[1]}"
                             f"/site-packages/)", site))
    return roots


def near_misses(module: str, asset: Path) -> list[str]:
    """Places in a layer asset where a module sits but is not importable from."""
    out = []
    root_names, _ = _scan_root(asset)
    if module in root_names:
        out.append("at the layer root (must be under python/)")
    lib = asset / "python" / "lib"
    try:
        for d in sorted(lib.iterdir()) if lib.is_dir() else []:
            names, _ = _scan_root(d / "site-packages")
            if module in names:
                out.append(f"under python/lib/{d.name}/site-packages/")
    except OSError:
        pass
    return out


# ---------------------------------------------------------------------------------------------
# handlers


@dataclass
class HandlerCheck:
    file: str | None  # path of the handler file relative to the asset, None if missing
    tried: list[str]  # candidate files looked for
    function_found: bool | None  # None: cannot tell (star import, ...)
    problem: str | None = None  # what is wrong, for messages
    uncertain: bool = False  # the problem may be a false alarm (newer syntax than we parse)


def split_handler(handler: str) -> tuple[str, str] | None:
    """``src/app.main`` -> (``src/app``, ``main``); ``pkg.mod.fn`` -> (``pkg/mod``, ``fn``)."""
    if not isinstance(handler, str) or "." not in handler:
        return None
    module, _, func = handler.rpartition(".")
    if not module or not func:
        return None
    return module.replace(".", "/"), func


def python_handler_file(asset: Path, module_path: str) -> tuple[Path | None, list[str]]:
    candidates = [f"{module_path}.py", f"{module_path}/__init__.py"]
    for c in candidates:
        p = asset / c
        if p.is_file():
            return p, candidates
    return None, candidates


_NODE_EXPORT = [
    r"\bexports\.{n}\s*=", r"\bexports\[\s*['\"]{n}['\"]\s*\]\s*=",
    r"\bexport\s+(?:async\s+)?function\s*\*?\s*{n}\b", r"\bexport\s+(?:const|let|var)\s+{n}\b",
    r"\bexport\s*\{{[^}}]*\b{n}\b[^}}]*\}}", r"[{{,]\s*{n}\s*:\s*(?:\(\s*\)\s*=>|function)",
    r"\bmodule\.exports\s*=\s*\{{[^}}]*\b{n}\b",
]


def node_exports(source: str, func: str) -> bool:
    return any(re.search(p.format(n=re.escape(func)), source) for p in _NODE_EXPORT)


# ---------------------------------------------------------------------------------------------
# whole-function analysis


@dataclass
class Resolution:
    module: str  # top-level module name
    where: str | None  # "stdlib" | "runtime" | a ModuleRoot label | None (unresolved)
    first: tuple[str, int]  # (file, line) of the first import
    count: int = 1


@dataclass
class FunctionAnalysis:
    language: str  # "python" | "node"
    handler: HandlerCheck
    imports: dict[str, Resolution] = field(default_factory=dict)  # top-level name -> where
    parse_errors: list[str] = field(default_factory=list)


@dataclass
class FunctionCode:
    runtime: str
    handler: str
    asset: Path | None  # folder
    inline: str | None
    layers: list[tuple[str, Path]]  # (layer name, asset folder)
    opaque_layers: list[str]  # layers whose content is not in the assembly


def analyze(code: FunctionCode, cache: dict | None = None) -> FunctionAnalysis | None:
    """Analyse one function's bundle; None if the runtime or code is not something we read.

    ``cache`` (one dict per scan) shares the result between functions with the same code and
    between rules; file parses are cached across scans by path, mtime and size.
    """
    if cache is None:
        return _analyze(code)
    key = (code.runtime, code.handler, str(code.asset) if code.asset else None,
           hashlib.sha256(code.inline.encode()).hexdigest() if code.inline else None,
           tuple((n, str(p)) for n, p in code.layers))
    if key not in cache:
        cache[key] = _analyze(code)
    return cache[key]


def _analyze(code: FunctionCode) -> FunctionAnalysis | None:
    split = split_handler(code.handler)
    runtime = code.runtime or ""
    if runtime.startswith("nodejs"):
        return _analyze_node(code, split)
    version = python_version(runtime)
    if version is None:
        return None
    if split is None:
        return FunctionAnalysis("python", HandlerCheck(None, [], False,
                                                       f"handler {code.handler!r} is not "
                                                       "<module>.<function>"))
    module_path, func = split
    if code.inline is not None:
        if module_path != "index":
            return FunctionAnalysis("python", HandlerCheck(
                None, ["index.py"], False,
                f"inline code is saved as index.py, but the handler names module "
                f"{module_path.replace('/', '.')!r}"))
        parsed = parse_python_source(code.inline)
        handler_file, rel = None, "index.py (inline)"
    else:
        assert code.asset is not None
        handler_file, tried = python_handler_file(code.asset, module_path)
        if handler_file is None:
            return FunctionAnalysis("python", HandlerCheck(
                None, tried, False, f"neither {' nor '.join(tried)} is in the asset"))
        parsed = parse_python_file(handler_file)
        rel = handler_file.relative_to(code.asset).as_posix()
    check = HandlerCheck(rel, [rel], None)
    if parsed.syntax_error:
        host = sys.version_info[:2]
        check.problem = f"{rel} does not parse: {parsed.syntax_error}"
        check.function_found = False
        if version > host:
            check.uncertain = True
            check.problem += (f" (parsed as Python {host[0]}.{host[1]}; it may be valid "
                              f"{runtime} syntax)")
        return FunctionAnalysis("python", check, parse_errors=[f"{rel}: {parsed.syntax_error}"])
    if func in parsed.bindings:
        check.function_found = True
    elif parsed.star_import:
        check.function_found = None
    else:
        check.function_found = False
        check.problem = f"{rel} defines no module-level {func!r}"
    analysis = FunctionAnalysis("python", check)
    _resolve_imports(analysis, code, version, handler_file, parsed, rel)
    return analysis


def _roots(code: FunctionCode, version: tuple[int, int]) -> list[ModuleRoot]:
    roots = []
    if code.asset is not None:
        roots.append(module_root("the function's asset", code.asset))
    for name, path in code.layers:
        roots.extend(layer_roots(name, path, version))
    return roots


def _resolve_imports(analysis: FunctionAnalysis, code: FunctionCode, version: tuple[int, int],
                     handler_file: Path | None, parsed: ParsedPython, rel: str) -> None:
    roots = _roots(code, version)
    stdlib = _stdlib(version)
    asset_root = roots[0] if code.asset is not None else None
    todo: list[tuple[Path | None, ParsedPython, str]] = [(handler_file, parsed, rel)]
    seen: set = {handler_file} if handler_file else set()
    while todo:
        path, info, label = todo.pop()
        for use in info.imports:
            if use.level:
                if path is not None and code.asset is not None:
                    for f in _relative_files(code.asset, path, use):
                        if f not in seen and len(seen) < MAX_FILES:
                            seen.add(f)
                            todo.append((f, parse_python_file(f),
                                         f.relative_to(code.asset).as_posix()))
                continue
            top = use.module.split(".")[0]
            if not top or use.optional:
                continue
            res = analysis.imports.get(top)
            if res is not None:
                res.count += 1
                continue
            where = _where(top, roots, stdlib)
            analysis.imports[top] = Resolution(top, where, (label, use.line))
            if asset_root is not None and where == asset_root.label \
                    and top not in asset_root.vendored:
                for f in _module_files(code.asset, use):
                    if f not in seen and len(seen) < MAX_FILES:
                        seen.add(f)
                        todo.append((f, parse_python_file(f),
                                     f.relative_to(code.asset).as_posix()))


def _where(top: str, roots: list[ModuleRoot], stdlib: frozenset) -> str | None:
    for root in roots[:1]:  # the asset comes first on sys.path (/var/task)
        if top in root.names:
            return root.label
    for root in roots[1:]:  # then /opt/python, /opt/python/lib/python3.x/site-packages
        if top in root.names:
            return root.label
    if top in stdlib:
        return "stdlib"
    if top in RUNTIME_MODULES:
        return "runtime"
    return None


def _module_files(asset: Path, use: ImportUse) -> list[Path]:
    """First-party files an absolute import loads (packages' __init__ and the module)."""
    parts = use.module.split(".")
    out = []
    for i in range(1, len(parts) + 1):
        base = asset.joinpath(*parts[:i])
        for f in (base.with_suffix(".py"), base / "__init__.py"):
            if f.is_file():
                out.append(f)
    base = asset.joinpath(*parts)
    for name in use.names:
        f = base / f"{name}.py"
        if name != "*" and f.is_file():
            out.append(f)
    return out


def _relative_files(asset: Path, path: Path, use: ImportUse) -> list[Path]:
    base = path.parent
    for _ in range(use.level - 1):
        base = base.parent
    try:
        base.relative_to(asset)
    except ValueError:
        return []
    target = base.joinpath(*use.module.split(".")) if use.module else base
    out = []
    for f in (target.with_suffix(".py"), target / "__init__.py"):
        if use.module and f.is_file():
            out.append(f)
    for name in use.names:
        f = target / f"{name}.py"
        if name != "*" and f.is_file():
            out.append(f)
    return out


def _analyze_node(code: FunctionCode, split: tuple[str, str] | None) -> FunctionAnalysis:
    if split is None:
        return FunctionAnalysis("node", HandlerCheck(None, [], False,
                                                     f"handler {code.handler!r} is not "
                                                     "<file>.<function>"))
    module_path, func = split
    if code.inline is not None:
        if module_path != "index":
            return FunctionAnalysis("node", HandlerCheck(
                None, ["index.js"], False,
                f"inline code is saved as index.js, but the handler names file "
                f"{module_path!r}"))
        found = node_exports(code.inline, func)
        return FunctionAnalysis("node", HandlerCheck(
            "index.js (inline)", ["index.js"], found,
            None if found else f"inline code exports no {func!r}"))
    assert code.asset is not None
    tried = [f"{module_path}{s}" for s in NODE_SUFFIXES]
    for rel in tried:
        f = code.asset / rel
        if f.is_file():
            try:
                text = f.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", "replace")
            except OSError:
                return FunctionAnalysis("node", HandlerCheck(rel, tried, None))
            found = node_exports(text, func)
            return FunctionAnalysis("node", HandlerCheck(
                rel, tried, found, None if found else f"{rel} exports no {func!r}"))
    return FunctionAnalysis("node", HandlerCheck(
        None, tried, False, f"none of {', '.join(tried)} is in the asset"))


# ---------------------------------------------------------------------------------------------
# template -> FunctionCode


def function_code(stack, logical_id: str, graph) -> FunctionCode | None:
    """What :func:`analyze` needs for one function, or None when its code is not readable
    here (container image, S3 object outside the assembly, missing runtime/handler)."""
    res = stack.resources.get(logical_id)
    props = res.get("Properties") if isinstance(res, dict) else None
    if not isinstance(props, dict) or props.get("PackageType") == "Image":
        return None
    runtime, handler = props.get("Runtime"), props.get("Handler")
    if not isinstance(runtime, str) or not isinstance(handler, str):
        return None
    code = props.get("Code")
    inline = code.get("ZipFile") if isinstance(code, dict) else None
    asset = stack.assets.get(logical_id)
    if isinstance(inline, str):
        asset = None
    elif asset is None or not asset.is_dir():
        return None
    else:
        inline = None
    layers, opaque = [], []
    values = props.get("Layers")
    for value in values if isinstance(values, list) else []:
        found = False
        for node in graph.resolve(stack, value) if graph is not None else []:
            if node.type == "AWS::Lambda::LayerVersion":
                lpath = node.stack.assets.get(node.logical_id)
                if lpath is not None and lpath.is_dir():
                    name = _construct_name(node.stack, node.logical_id)
                    layers.append((name, lpath))
                    found = True
                    break
        if not found:
            opaque.append(value if isinstance(value, str) else _describe(value))
    return FunctionCode(runtime, handler, asset, inline, layers, opaque)


def _construct_name(stack, lid: str) -> str:
    cp = stack.construct_path(lid)
    if cp:
        parts = cp.split("/")
        if parts[-1] in ("Resource", "Default") and len(parts) > 1:
            return parts[-2]
        return parts[-1]
    return lid


def _describe(value: object) -> str:
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        return f"{k} {v}"
    return str(value)[:80]
