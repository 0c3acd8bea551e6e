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

The asset is attacker-controlled: every read is confined to it (the path is resolved and must
stay inside the asset or layer folder; a symbolic link leading out is never followed, nor is
its target looked at, so nothing outside can be read or probed for existence), bounded
(:data:`MAX_FILE_BYTES` for code, :data:`MAX_META_BYTES` for ``*.dist-info`` files, regular
files only), and a file the analysis cannot handle (too large, too deeply nested for the
parser, newer syntax than the Python cfncheck runs on) is reported as *not analysed*, never as
a defect of the function.
"""

from __future__ import annotations

import ast
import hashlib
import io
import itertools
import json
import os
import re
import stat
import sys
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

NODE_SUFFIXES = (".js", ".mjs", ".cjs")
MAX_FILES = 400  # first-party modules followed per function
MAX_FILE_BYTES = 5 * 1024 * 1024  # a handler or first-party module larger is not analysed
MAX_META_BYTES = 1024 * 1024  # *.dist-info/top_level.txt and RECORD: read at most this much
MAX_DIR_ENTRIES = 20000  # entries of one sys.path folder looked at


@lru_cache(maxsize=1)
def _runtime_data() -> dict:
    path = Path(__file__).parent / "data" / "lambda_python_runtimes.json"
    return json.loads(path.read_text(encoding="utf-8"))


def stdlib_modules(version: tuple[int, int]) -> frozenset[str]:
    """``sys.stdlib_module_names`` of that Python version (recorded data; the nearest known
    version for one the data does not have yet)."""
    return _stdlib(version)


@lru_cache(maxsize=16)
def _stdlib(version: tuple[int, int]) -> frozenset[str]:
    table = _runtime_data()["stdlib"]
    known = sorted(tuple(int(x) for x in k.split(".")) for k in table)
    older = [v for v in known if v <= version]
    pick = older[-1] if older else known[0]
    return frozenset(table[f"{pick[0]}.{pick[1]}"])


def runtime_modules(runtime: str) -> frozenset[str]:
    """Modules the managed Python runtime ships outside the standard library (boto3, ...)."""
    table = _runtime_data()["runtime"]
    if runtime in table:
        return frozenset(table[runtime])
    version = python_version(runtime)
    newest = max(table, key=lambda k: python_version(k) or (0, 0))
    return frozenset(table[newest]) if version and version > (python_version(newest) or (0, 0)) \
        else frozenset(table["python3.9"])


#: modules every Python runtime ships (kept for callers that do not know the runtime)
RUNTIME_MODULES = frozenset(_runtime_data()["runtime"]["python3.9"])


# ---------------------------------------------------------------------------------------------
# well-known public layers (ARN -> publisher and the Python modules they provide)


@dataclass(frozen=True)
class PublicLayer:
    publisher: str  # "AWS (Powertools for AWS Lambda, Python)"
    account: str
    modules: frozenset


#: Powertools for AWS Lambda (Python) layer: the library and the extras it is built with
_POWERTOOLS_PY_MODULES = frozenset({
    "aws_lambda_powertools", "aws_xray_sdk", "wrapt", "fastjsonschema", "pydantic",
    "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection",
    "aws_encryption_sdk", "jsonpath_ng", "ply", "cryptography", "attr", "attrs"})
#: (name pattern, publisher accounts or None for any, publisher, modules). Sources:
#: https://docs.aws.amazon.com/powertools/python/latest/getting-started/lambda-layers/
#: (017000801446), https://docs.aws.amazon.com/powertools/typescript/latest/ (094274105915),
#: Lambda Insights https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
#: Lambda-Insights-extension-versions.html (580247275435 in most regions), the Parameters and
#: Secrets and AppConfig extensions (one AWS account per region, listed in their guides),
#: ADOT https://aws-otel.github.io/docs/getting-started/lambda (901920570463).
_PUBLIC_LAYERS = [
    (re.compile(r"AWSLambdaPowertoolsPython(?:V\d+)?(?:-[A-Za-z0-9_-]+)?"),
     {"017000801446"}, "AWS (Powertools for AWS Lambda, Python)", _POWERTOOLS_PY_MODULES),
    (re.compile(r"AWSLambdaPowertoolsTypeScript(?:V\d+)?(?:-[A-Za-z0-9_-]+)?"),
     {"094274105915"}, "AWS (Powertools for AWS Lambda, TypeScript)", frozenset()),
    (re.compile(r"LambdaInsightsExtension(?:-Arm64)?"), None,
     "AWS (CloudWatch Lambda Insights extension)", frozenset()),
    (re.compile(r"AWS-Parameters-and-Secrets-Lambda-Extension(?:-Arm64)?"), None,
     "AWS (Parameters and Secrets Lambda extension)", frozenset()),
    (re.compile(r"AWS-AppConfig-Extension(?:-Arm64|-Intel)?"), None,
     "AWS (AppConfig Lambda extension)", frozenset()),
    (re.compile(r"aws-otel-[a-z0-9-]+"), {"901920570463"},
     "AWS (Distro for OpenTelemetry)", frozenset({"opentelemetry"})),
]
_LAYER_ARN = re.compile(r"arn:(?:aws[a-z-]*|\$\{[^}]*\}):lambda:(?:\$\{[^}]*\}|[a-z0-9-]*):"
                        r"(\d{12}):layer:([A-Za-z0-9_-]+)(?::\d+)?")


def public_layer(arn: object) -> PublicLayer | None:
    """The well-known public layer a layer ARN (a literal or a ``Fn::Sub``/``Fn::Join``
    rendered with ``${...}`` placeholders) names, or None."""
    if not isinstance(arn, str):
        return None
    m = _LAYER_ARN.search(arn)
    if m is None:
        return None
    account, name = m.group(1), m.group(2)
    for pattern, accounts, publisher, modules in _PUBLIC_LAYERS:
        if pattern.fullmatch(name) and (accounts is None or account in accounts):
            return PublicLayer(publisher, account, modules)
    return None


def python_version(runtime: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"python(\d+)\.(\d+)", runtime or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------------------------------------
# confined, bounded reads


def confined(path: Path, root: Path) -> Path | None:
    """``path`` resolved (symbolic links followed), if it stays inside ``root``; else None.

    Resolution is lexical plus ``readlink``: a link's target outside the root is never
    opened or stat'ed, so the answer reveals nothing about files outside."""
    try:
        real_root = Path(os.path.realpath(root))
        real = Path(os.path.realpath(path))
        real.relative_to(real_root)
        return real
    except (ValueError, OSError, RuntimeError):
        return None


def read_confined(path: Path, root: Path, limit: int) -> tuple[bytes | None, str | None]:
    """(at most ``limit`` bytes of a regular file inside ``root``, None) or (None, why not).

    ``why`` is ``"outside"`` for a path leading out of the root, ``"too large"`` for a file
    over the limit, else a short reason. Never reads more than ``limit + 1`` bytes."""
    real = confined(path, root)
    if real is None:
        return None, "outside"
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        return None, f"cannot read: {e.strerror}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size > limit:
            return None, "too large"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(limit + 1)
    except OSError as e:
        return None, f"cannot read: {e.strerror}"
    finally:
        os.close(fd)
    if len(raw) > limit:
        return None, "too large"
    return raw, None


def _is_file(path: Path, root: Path) -> bool:
    """A regular file inside ``root`` (a link leading out counts as absent, unprobed)."""
    real = confined(path, root)
    return real is not None and real.is_file()


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
    not_analysed: str | None = None  # why the file was not analysed (size, depth, outside)
    #: for a file that does not parse: its module-level imports and definitions, read from
    #: the tokens (set when the tokenizer gets through the file)
    partial: "ParsedPython | None" = None


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
        collector = _ImportCollector()
        collector.visit(tree)
        out = ParsedPython(imports=collector.imports)
        out.star_import = _bindings(tree.body, out.bindings)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None)
        return ParsedPython(syntax_error=f"{getattr(e, 'msg', str(e))}"
                                         + (f" (line {line})" if line else ""),
                            partial=_top_level(source))
    except (RecursionError, MemoryError):
        return ParsedPython(not_analysed="its expressions are nested too deeply for the "
                                         "parser")
    return out


def _top_level(source: str) -> ParsedPython | None:
    """Module-level imports and names of a file the parser rejects (newer syntax), from the
    tokens: an ``import``/``from`` statement or a ``def``/``class``/assignment starting in
    column 0 is module-level and unconditional (strings and comments are tokens of their own,
    so text inside them never counts). None if the tokenizer fails too."""
    out = ParsedPython()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    start = True
    line: list = []
    for i, tok in enumerate(tokens):
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if line:
                _parse_statement(line, out)
            line, start = [], True
            continue
        if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            continue
        if start:
            start = False
            if tok.start[1] != 0 or tok.type != tokenize.NAME:
                continue
            if tok.string in ("import", "from"):
                line = [tok]
            elif tok.string in ("def", "class") or (tok.string == "async"
                                                    and i + 1 < len(tokens)
                                                    and tokens[i + 1].string == "def"):
                j = i + (2 if tok.string == "async" else 1)
                if j < len(tokens) and tokens[j].type == tokenize.NAME:
                    out.bindings.add(tokens[j].string)
            elif i + 1 < len(tokens) and tokens[i + 1].string in ("=", ":"):
                out.bindings.add(tok.string)
        elif line:
            line.append(tok)
    return out


def _parse_statement(tokens: list, out: ParsedPython) -> None:
    text = " ".join(t.string for t in tokens)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    collector = _ImportCollector()
    collector.visit(tree)
    line = tokens[0].start[0]
    for use in collector.imports:
        use.line = line
        out.imports.append(use)
    out.star_import |= _bindings(tree.body, out.bindings)


_file_cache: dict[tuple[str, int, int], ParsedPython] = {}
_REASONS = {"outside": "it is a symbolic link leading outside the asset (not followed)",
            "too large": f"it is over the {MAX_FILE_BYTES}-byte analysis limit"}


def parse_python_file(path: Path, root: Path | None = None) -> ParsedPython:
    """Parse a file of the asset (or layer) ``root``; reads stay inside ``root``."""
    root = root if root is not None else path.parent
    real = confined(path, root)
    if real is None:
        return ParsedPython(not_analysed=_REASONS["outside"])
    try:
        st = real.stat()
    except OSError as e:
        return ParsedPython(not_analysed=f"cannot read: {e.strerror}")
    key = (str(real), st.st_mtime_ns, st.st_size)
    if key in _file_cache:
        return _file_cache[key]
    raw, why = read_confined(path, root, MAX_FILE_BYTES)
    if raw is None:
        parsed = ParsedPython(not_analysed=_REASONS.get(why or "", why))
    else:
        parsed = parse_python_source(raw.decode("utf-8", "replace"), str(path))
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


def _scan_root(path: Path, root: Path | None = None) -> tuple[frozenset, frozenset]:
    """(importable names, names installed from distributions) of a sys.path folder inside
    ``root`` (the asset or layer folder)."""
    root = root if root is not None else path
    real = confined(path, root)
    if real is None:
        return frozenset(), frozenset()
    try:
        mtime = real.stat().st_mtime_ns
    except OSError:
        return frozenset(), frozenset()
    return _scan_root_at(path, root, mtime)


@lru_cache(maxsize=2048)
def _scan_root_at(path: Path, root: Path, _mtime: int) -> tuple[frozenset, frozenset]:
    names, vendored = set(), set()
    try:
        with os.scandir(path) as it:
            entries = list(itertools.islice(it, MAX_DIR_ENTRIES))
    except OSError:
        return frozenset(), frozenset()
    for e in entries:
        n = e.name
        entry = path / n
        try:  # the folder itself is inside the root: only a link can lead out
            inside = not e.is_symlink() or confined(entry, root) is not None
        except OSError:
            continue
        try:
            # a link leading out is judged by its name only: its target is never looked at
            is_dir = e.is_dir() if inside else "." not in n
        except OSError:
            continue
        if is_dir:
            if n.endswith((".dist-info", ".egg-info")):
                if inside:
                    vendored.update(_dist_top_levels(entry, root))
            elif n.isidentifier():
                names.add(n)  # package or namespace package
        elif n.endswith(".py") and n[:-3].isidentifier():
            names.add(n[:-3])
        elif n.endswith((".so", ".pyd")) and n.split(".")[0].isidentifier():
            names.add(n.split(".")[0])
    return frozenset(names), frozenset(vendored)


def _dist_top_levels(dist: Path, root: Path) -> set:
    """Top-level names a ``*.dist-info`` installs (top_level.txt, else RECORD), reading at
    most :data:`MAX_META_BYTES` of either."""
    for name in ("top_level.txt", "RECORD"):
        raw, why = read_confined(dist / name, root, MAX_META_BYTES)
        if raw is None and why == "too large":
            raw = _head(dist / name, root, MAX_META_BYTES)
        if raw is None:
            continue
        text = raw.decode("utf-8", "replace")
        if name == "top_level.txt":
            return {ln.strip() for ln in text.splitlines() if ln.strip().isidentifier()}
        out = set()
        for ln in text.splitlines():
            first = ln.split(",", 1)[0].split("/", 1)[0]
            if first.endswith(".py"):
                first = first[:-3]
            if first.isidentifier():
                out.add(first)
        return out
    return {dist.name.split("-")[0].replace("-", "_").lower()}


def _head(path: Path, root: Path, limit: int) -> bytes | None:
    """The first ``limit`` bytes of a regular file inside ``root`` (for listings whose start
    is enough)."""
    real = confined(path, root)
    if real is None:
        return None
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def module_root(label: str, path: Path, root: Path | None = None) -> ModuleRoot:
    names, vendored = _scan_root(path, root)
    return ModuleRoot(label, path, names, vendored)


def layer_roots(layer_name: str, asset: Path, version: tuple[int, int]) -> list[ModuleRoot]:
    """The folders of a layer asset that are on sys.path in the Python runtime."""
    roots = [module_root(f"layer {layer_name} (python/)", asset / "python", asset)]
    site = asset / "python" / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"
    roots.append(module_root(f"layer {layer_name} (python/lib/python{version[0]}.{version[1]}"
                             f"/site-packages/)", site, asset))
    return roots


def near_misses(module: str, asset: Path) -> list[str]:
    """Places in a layer asset where a module sits but is not importable from."""
    out = []
    root_names, _ = _scan_root(asset, asset)
    if module in root_names:
        out.append("at the layer root (must be under python/)")
    lib = asset / "python" / "lib"
    if confined(lib, asset) is None:
        return out
    try:
        for d in sorted(lib.iterdir())[:64] if lib.is_dir() else []:
            names, _ = _scan_root(d / "site-packages", asset)
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
    function_found: bool | None  # None: cannot tell (star import, not analysed, ...)
    problem: str | None = None  # what is wrong, for messages
    not_analysed: str | None = None  # why the handler could not be checked (info, no defect)


def split_handler(handler: str) -> tuple[str, str] | None:
    """``src/app.main`` -> (``src/app``, ``main``); ``pkg.mod.fn`` -> (``pkg/mod``, ``fn``)."""
    if not isinstance(handler, str) or "." not in handler:
        return None
    module, _, func = handler.rpartition(".")
    if not module or not func:
        return None
    return module.replace(".", "/"), func


def _outside_handler(module_path: str) -> bool:
    """An absolute handler path or one climbing out with ``..``: never looked up (the
    answer would tell whether a file outside the asset exists)."""
    return module_path.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", module_path) \
        or "\0" in module_path or (len(module_path) > 1 and module_path[1] == ":")


def python_handler_file(asset: Path, module_path: str) -> tuple[Path | None, list[str]]:
    candidates = [f"{module_path}.py", f"{module_path}/__init__.py"]
    if _outside_handler(module_path):
        return None, candidates
    for c in candidates:
        p = asset / c
        if _is_file(p, asset) or (p.is_symlink() and confined(p, asset) is None):
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
    #: first-party files whose imports could not be read: (file, why)
    not_analysed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FunctionCode:
    runtime: str
    handler: str
    asset: Path | None  # folder
    inline: str | None
    layers: list[tuple[str, Path]]  # (layer name, asset folder)
    opaque_layers: list[str]  # layers whose content is not in the assembly
    #: well-known public layers (by ARN): (ARN as written, what it is)
    public_layers: list[tuple[str, PublicLayer]] = field(default_factory=list)


def analyze(code: FunctionCode, cache: dict | None = None) -> FunctionAnalysis | None:
    """Analyse one function's bundle; None if the runtime or code is not something we read.

    ``cache`` (one dict per scan) shares the result between functions with the same code and
    between rules; file parses are cached across scans by path, mtime and size.
    """
    if cache is None:
        return _analyze(code)
    key = (code.runtime, code.handler, str(code.asset) if code.asset else None,
           hashlib.sha256(code.inline.encode("utf-8", "replace")).hexdigest()
           if code.inline else None,
           tuple((n, str(p)) for n, p in code.layers),
           tuple(a for a, _ in code.public_layers))
    if key not in cache:
        cache[key] = _analyze(code)
    return cache[key]


def host_version() -> tuple[int, int]:
    return sys.version_info[:2]


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
        if len(code.inline.encode("utf-8", "replace")) > MAX_FILE_BYTES:
            parsed = ParsedPython(not_analysed=_REASONS["too large"])
        else:
            parsed = parse_python_source(code.inline)
        handler_file, rel = None, "index.py (inline)"
    else:
        assert code.asset is not None
        if _outside_handler(module_path):
            return FunctionAnalysis("python", HandlerCheck(
                None, [], None, not_analysed="the handler names a path outside the "
                "function's code (absolute or with '..'); cfncheck does not look outside "
                "the asset"))
        handler_file, tried = python_handler_file(code.asset, module_path)
        if handler_file is None:
            return FunctionAnalysis("python", HandlerCheck(
                None, tried, False, f"neither {' nor '.join(tried)} is in the asset"))
        parsed = parse_python_file(handler_file, code.asset)
        rel = handler_file.relative_to(code.asset).as_posix()
    check = HandlerCheck(rel, [rel], None)
    if parsed.not_analysed:
        check.not_analysed = f"{rel} was not analysed: {parsed.not_analysed}"
        return FunctionAnalysis("python", check)
    if parsed.syntax_error:
        host = host_version()
        if version > host:
            check.not_analysed = (
                f"{rel} was not analysed: it does not parse with the grammar of Python "
                f"{host[0]}.{host[1]}, which cfncheck runs on ({parsed.syntax_error}), and may "
                f"be valid {runtime} syntax")
            analysis = FunctionAnalysis("python", check)
            if parsed.partial is not None:  # still check its module-level imports
                check.not_analysed = check.not_analysed.replace(
                    " was not analysed: ", " was analysed only in part (its module-level "
                    "imports and definitions, read from its tokens): ", 1)
                if func in parsed.partial.bindings:
                    check.function_found = True
                _resolve_imports(analysis, code, version, handler_file, parsed.partial, rel)
            return analysis
        check.problem = f"{rel} does not parse: {parsed.syntax_error}"
        check.function_found = False
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
        roots.append(module_root("the function's asset", code.asset, code.asset))
    for name, path in code.layers:
        roots.extend(layer_roots(name, path, version))
    for _arn, layer in code.public_layers:
        if layer.modules:
            roots.append(ModuleRoot(f"the {layer.publisher} layer", None, layer.modules,
                                    layer.modules))
    return roots


def _resolve_imports(analysis: FunctionAnalysis, code: FunctionCode, version: tuple[int, int],
                     handler_file: Path | None, parsed: ParsedPython, rel: str) -> None:
    roots = _roots(code, version)
    stdlib = _stdlib(version)
    provided = runtime_modules(code.runtime)
    asset_root = roots[0] if code.asset is not None else None
    todo: list[tuple[Path | None, ParsedPython, str]] = [(handler_file, parsed, rel)]
    seen: set = {handler_file} if handler_file else set()

    def follow(f: Path) -> None:
        if f not in seen and len(seen) < MAX_FILES:
            seen.add(f)
            assert code.asset is not None
            sub = parse_python_file(f, code.asset)
            label = f.relative_to(code.asset).as_posix()
            if sub.not_analysed or sub.syntax_error:
                analysis.not_analysed.append((label, sub.not_analysed or
                                              f"does not parse ({sub.syntax_error})"))
            else:
                todo.append((f, sub, label))

    while todo:
        path, info, label = todo.pop()
        for use in info.imports:
            if use.level:
                if path is not None and code.asset is not None:
                    for f in _relative_files(code.asset, path, use):
                        follow(f)
                continue
            top = use.module.split(".")[0]
            if not top or use.optional:
                continue
            res = analysis.imports.get(top)
            if res is not None:
                res.count += 1
                continue
            where = _where(top, roots, stdlib, provided)
            analysis.imports[top] = Resolution(top, where, (label, use.line))
            if asset_root is not None and where == asset_root.label \
                    and top not in asset_root.vendored:
                for f in _module_files(code.asset, use):
                    follow(f)


def _where(top: str, roots: list[ModuleRoot], stdlib: frozenset,
           provided: frozenset = RUNTIME_MODULES) -> str | None:
    for root in roots[:1]:  # the asset comes first on sys.path (/var/task)
        if top in root.names:
            return root.label
    for root in roots[1:]:  # then /opt/python, /opt/python/lib/python3.x/site-packages
        if top in root.names:
            return root.label
    if top in stdlib:
        return "stdlib"
    if top in provided:
        return "runtime"
    return None


def _module_files(asset: Path, use: ImportUse) -> list[Path]:
    """First-party files an absolute import loads (packages' __init__ and the module)."""
    parts = use.module.split(".")
    out = []
    for i in range(1, len(parts) + 1):
        base = asset.joinpath(*parts[:i])
        for f in (base.with_suffix(".py"), base / "__init__.py"):
            if _is_file(f, asset):
                out.append(f)
    base = asset.joinpath(*parts)
    for name in use.names:
        f = base / f"{name}.py"
        if name != "*" and _is_file(f, asset):
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
        if use.module and _is_file(f, asset):
            out.append(f)
    for name in use.names:
        f = target / f"{name}.py"
        if name != "*" and _is_file(f, asset):
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
        found = node_exports(code.inline[:MAX_FILE_BYTES], func)
        return FunctionAnalysis("node", HandlerCheck(
            "index.js (inline)", ["index.js"], found,
            None if found else f"inline code exports no {func!r}"))
    assert code.asset is not None
    if _outside_handler(module_path):
        return FunctionAnalysis("node", HandlerCheck(
            None, [], None, not_analysed="the handler names a path outside the function's "
            "code (absolute or with '..'); cfncheck does not look outside the asset"))
    tried = [f"{module_path}{s}" for s in NODE_SUFFIXES]
    for rel in tried:
        f = code.asset / rel
        if not f.is_symlink() and not _is_file(f, code.asset):
            continue
        raw, why = read_confined(f, code.asset, MAX_FILE_BYTES)
        if raw is None:
            if why == "outside" or why == "too large" or _is_file(f, code.asset):
                return FunctionAnalysis("node", HandlerCheck(
                    rel, tried, None,
                    not_analysed=f"{rel} was not analysed: {_REASONS.get(why or '', why)}"))
            continue
        found = node_exports(raw.decode("utf-8", "replace"), func)
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
    layers, opaque, public = [], [], []
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
        if found:
            continue
        text = render(value)
        known = public_layer(text)
        if known is not None:
            public.append((text, known))
        else:
            opaque.append(value if isinstance(value, str) else _describe(value))
    return FunctionCode(runtime, handler, asset, inline, layers, opaque, public)


def render(value: object) -> str | None:
    """A string value with intrinsic parts as ``${...}``: ``Fn::Sub`` templates as written,
    ``Fn::Join`` of literals and references joined (``${AWS::Region}``), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Sub":
            tpl = arg[0] if isinstance(arg, list) and arg else arg
            return tpl if isinstance(tpl, str) else None
        if fn == "Ref" and isinstance(arg, str):
            return "${" + arg + "}"
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 \
                and isinstance(arg[0], str) and isinstance(arg[1], list):
            parts = [render(p) for p in arg[1]]
            return arg[0].join(p if p is not None else "${?}" for p in parts)
    return None


#: dependency manifests that, in an asset without any installed package, mean "not bundled"
REQUIREMENT_FILES = ("requirements.txt", "pyproject.toml", "Pipfile", "poetry.lock", "uv.lock")


def unbundled_requirements(code: FunctionCode) -> str | None:
    """The dependency manifest of an asset that holds one but no installed distribution
    (``*.dist-info``/``*.egg-info``): its dependencies were never installed (no bundling)."""
    if code.asset is None:
        return None
    found = next((n for n in REQUIREMENT_FILES if _is_file(code.asset / n, code.asset)), None)
    if found is None:
        return None
    _, vendored = _scan_root(code.asset, code.asset)
    return None if vendored else found


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
