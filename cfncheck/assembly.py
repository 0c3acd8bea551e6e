"""The cloud assembly loader: finds every stack in a ``cdk.out`` folder (or plain templates).

What it reads, recursively:

* ``manifest.json`` artifacts: ``aws:cloudformation:stack`` (template, environment, stack name,
  display name, tags, metadata) and ``cdk:cloud-assembly`` (CDK ``Stage``s, ``assembly-Prod/``,
  nested as deep as they go). ``cdk:tree`` and ``cdk:asset-manifest`` are read for their files;
  other artifact types are skipped with a note.
* stack metadata inline in the manifest and in ``additionalMetadataFile``: ``aws:cdk:logicalId``
  (logical id -> construct path) and the ``aws:cdk:warning|error|info`` annotations with their
  stack traces;
* nested stacks (``AWS::CloudFormation::Stack`` whose ``aws:asset:path`` metadata, or whose
  asset hash in the asset manifest, names a ``*.nested.template.json``), linked to their parent;
* ``tree.json`` (construct path -> fqn, e.g. to spot ``-alpha`` constructs);
* asset folders (``asset.<hash>/``) linked to the resources that use them.

Any path named by a manifest that resolves outside the scanned assembly folder is refused.
Problems in one stack are collected as errors and the other stacks are still loaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import InputError
from .template import (
    _SURROGATE_ESCAPE,
    CONFIGURED_MAX_BYTES,
    Template,
    _check_tree,
    load_template,
    read_regular_file,
)

STACK = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
TREE = "cdk:tree"
ASSET_MANIFEST = "cdk:asset-manifest"
QUIET_TYPES = {TREE, ASSET_MANIFEST, "cdk:feature-flag-report"}
MAX_ASSEMBLY_DEPTH = 32
MAX_NESTED_DEPTH = 32  # nested stacks inside nested stacks
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class Annotation:
    level: str  # "warning" | "error" | "info"
    message: str
    construct_path: str
    trace: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Stack:
    """One CloudFormation stack (a CDK stack, a nested stack, or a plain template)."""

    name: str  # display name: "Prod/Api", "Prod/Api/Storage" (nested), or the file name
    template: Template
    template_rel: str  # template path relative to the scanned folder
    assembly_dir: Path | None = None  # the cloud assembly folder that holds the template
    assembly_path: str = ""  # "assembly-Prod", "" for the root assembly
    artifact_id: str = ""
    stack_name: str = ""  # CloudFormation stack name
    environment: str = ""
    tags: dict = field(default_factory=dict)
    cdk_stages: tuple = ()  # CDK Stage display names from outermost to innermost: ("Prod",)
    construct_paths: dict = field(default_factory=dict)  # logical id -> construct path
    construct_prefix: str = ""  # construct path of the stack: "Prod/Api"
    annotations: list = field(default_factory=list)
    traces: dict = field(default_factory=dict)  # construct path -> creation stack trace
    assets: dict = field(default_factory=dict)  # logical id -> asset folder (Path)
    #: logical id -> absolute asset path outside the assembly (CDK skipped staging/bundling)
    unstaged_assets: dict = field(default_factory=dict)
    parent: "Stack | None" = None
    parent_logical_id: str | None = None  # the AWS::CloudFormation::Stack resource in the parent
    children: list = field(default_factory=list)
    tree: "ConstructTree | None" = None
    root: Path | None = None  # the scanned folder
    stage: str = "unknown"
    stage_source: str = ""
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute):
        """``compute(stack)``, computed once per stack and template (rules share these)."""
        entry = self._memo.get(key)
        data = self.template.data
        if entry is None or entry[0] is not data:
            entry = (data, compute(self))
            self._memo[key] = entry
        return entry[1]

    @property
    def resources(self) -> dict:
        return self.template.resources

    def construct_path(self, logical_id: str) -> str | None:
        res = self.resources.get(logical_id)
        if isinstance(res, dict):
            md = res.get("Metadata")
            if isinstance(md, dict) and isinstance(md.get("aws:cdk:path"), str):
                return md["aws:cdk:path"]
        found = self.construct_paths.get(logical_id)
        if found is None and self.tree is not None and self.construct_prefix \
                and logical_id in self.resources:
            found = self.tree.path_of(logical_id, self.construct_prefix)
        return found

    def fqn(self, logical_id: str) -> str | None:
        """The construct fqn (e.g. ``aws-cdk-lib.aws_s3.CfnBucket``) from tree.json."""
        cp = self.construct_path(logical_id)
        if not cp or self.tree is None:
            return None
        return self.tree.fqn(cp)


class ConstructTree:
    """tree.json: construct path -> construct info (fqn, version)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self.logical_ids: dict[str, list[str]] = {}

    def add_file(self, path: Path) -> None:
        data = _read_json(path)
        root = data.get("tree") if isinstance(data, dict) else None
        if not isinstance(root, dict):
            raise InputError("tree.json has no 'tree' object", str(path))
        stack = [root]
        while stack:
            node = stack.pop()
            if not isinstance(node, dict):
                continue
            info = node.get("constructInfo")
            info = info if isinstance(info, dict) else {}
            p = node.get("path")
            if isinstance(p, str):
                fqn = info.get("fqn")
                self.nodes[p] = {"fqn": fqn if isinstance(fqn, str) else None,
                                 "version": info.get("version"), "id": node.get("id")}
                attrs = node.get("attributes")
                lid = attrs.get("aws:cdk:cloudformation:logicalId") \
                    if isinstance(attrs, dict) else None
                if isinstance(lid, str):
                    self.logical_ids.setdefault(lid, []).append(p)
            children = node.get("children")
            if isinstance(children, dict):
                stack.extend(children.values())

    def path_of(self, logical_id: str, stack_prefix: str) -> str | None:
        """Construct path of a logical id within the stack whose construct path is given."""
        for p in self.logical_ids.get(logical_id, ()):
            if p.startswith(stack_prefix + "/"):
                return p
        return None

    def fqn(self, construct_path: str) -> str | None:
        node = self.nodes.get(construct_path.lstrip("/"))
        return node.get("fqn") if node else None

    def owner_fqns(self, construct_path: str) -> Iterator[tuple[str, str]]:
        """(path, fqn) of the construct and each of its ancestors, innermost first."""
        parts = construct_path.lstrip("/").split("/")
        while parts:
            p = "/".join(parts)
            node = self.nodes.get(p)
            if node and node.get("fqn"):
                yield p, node["fqn"]
            parts.pop()


@dataclass
class LoadResult:
    stacks: list[Stack] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trees: list[ConstructTree] = field(default_factory=list)


def load(paths: list[str | Path], *, max_template_bytes: int | None = None) -> LoadResult:
    """Load every stack under the given paths (cdk.out folders, template files or folders).

    ``max_template_bytes`` (config ``max_template_bytes``) caps each template's size unless
    the CFNCHECK_MAX_TEMPLATE_BYTES environment variable is set."""
    token = CONFIGURED_MAX_BYTES.set(max_template_bytes)
    try:
        return _load(paths)
    finally:
        CONFIGURED_MAX_BYTES.reset(token)


def _load(paths: list[str | Path]) -> LoadResult:
    result = LoadResult()
    for raw in paths:
        p = Path(raw)
        try:
            if not p.exists():
                raise InputError("no such file or folder", str(raw))
            if p.is_dir():
                if (p / "manifest.json").is_file():
                    root, stages = _enclosing_assembly(p)
                    tree = None
                    if root != p and (root / "tree.json").is_file():
                        tree = ConstructTree()  # the app's tree sits at the enclosing root
                        tree.add_file(root / "tree.json")
                        result.trees.append(tree)
                    _load_assembly(p, root, result, stages, inherited_tree=tree)
                elif (p / "cdk.out" / "manifest.json").is_file():
                    _load_assembly(p / "cdk.out", p / "cdk.out", result)
                else:
                    _load_template_folder(p, result)
            elif p.name == "manifest.json":
                _load_assembly(p.parent, p.parent, result)
            else:
                _add_plain_template(p, p.parent, p.name, result)
        except InputError as e:
            result.errors.append(e)
    _dedupe_names(result.stacks)
    return result


def _enclosing_assembly(folder: Path) -> tuple[Path, tuple]:
    """(root, Stage names) for an assembly folder. A CDK Stage's sub-assembly
    (``cdk.out/assembly-Prod``) keeps its assets at the enclosing cloud assembly's root
    (``../asset.*``): when the parent folder's manifest lists this folder as a nested cloud
    assembly, paths may resolve anywhere inside that enclosing ``cdk.out`` (and the Stage
    names are kept for stage detection); otherwise the folder itself is the fence."""
    root, stages = folder, ()
    for _ in range(MAX_ASSEMBLY_DEPTH):
        parent = root.resolve().parent
        if not (parent / "manifest.json").is_file():
            break
        try:
            artifacts = _read_json(parent / "manifest.json").get("artifacts")
        except InputError:
            break
        name = None
        for art_id, art in (artifacts.items() if isinstance(artifacts, dict) else ()):
            props = art.get("properties") if isinstance(art, dict) else None
            if isinstance(art, dict) and art.get("type") == NESTED_ASSEMBLY and \
                    isinstance(props, dict) and isinstance(props.get("directoryName"), str) \
                    and (parent / props["directoryName"]).resolve() == root.resolve():
                shown = art.get("displayName") or props.get("displayName") or art_id
                name = shown if isinstance(shown, str) else art_id
                break
        if name is None:
            break
        root, stages = parent, (name, *stages)
    return root, stages


# ---------------------------------------------------------------------------------------------
# plain templates


def _add_plain_template(path: Path, root: Path, rel: str, result: LoadResult) -> None:
    tpl = load_template(path)
    stack = Stack(name=rel, template=tpl, template_rel=rel, root=root)
    stack.stack_name = Path(rel).name.split(".")[0]
    _link_local_nested(stack, path.parent, root, result)
    result.stacks.append(stack)


def _load_template_folder(folder: Path, result: LoadResult) -> None:
    files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix in TEMPLATE_SUFFIXES
                   and not any(part.startswith(".") for part in f.relative_to(folder).parts))
    found = 0
    for f in files:
        rel = f.relative_to(folder).as_posix()
        if not _inside(f, folder):
            result.errors.append(InputError("symbolic link to a file outside the scanned "
                                            "folder; refused", str(f), kind="security"))
            continue
        try:
            tpl = load_template(f)
        except InputError as e:
            if e.kind == "structure":
                result.notes.append(f"skipped {f}: {e.message}")
                continue
            result.errors.append(e)
            continue
        found += 1
        result.stacks.append(Stack(name=rel, template=tpl, template_rel=rel, root=folder,
                                   stack_name=Path(rel).name.split(".")[0]))
    if not found and not result.errors:
        raise InputError("no CloudFormation templates or cdk.out manifest.json found here",
                         str(folder))


def _link_local_nested(stack: Stack, base: Path, root: Path, result: LoadResult) -> None:
    """For a plain template: nested stacks whose TemplateURL is a local relative file."""
    for lid, res in stack.resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::CloudFormation::Stack":
            continue
        props = res.get("Properties")
        url = props.get("TemplateURL") if isinstance(props, dict) else None
        if not isinstance(url, str) or "://" in url:
            continue
        child_path = (base / url)
        if not _inside(child_path, root) or not child_path.is_file():
            continue
        try:
            tpl = load_template(child_path)
        except InputError as e:
            result.errors.append(e)
            continue
        rel = child_path.resolve().relative_to(root.resolve()).as_posix()
        child = Stack(name=f"{stack.name}/{lid}", template=tpl, template_rel=rel, root=root,
                      parent=stack, parent_logical_id=lid, stack_name=lid)
        stack.children.append(child)
        result.stacks.append(child)


# ---------------------------------------------------------------------------------------------
# cloud assemblies


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _safe_join(base: Path, rel: object, root: Path, what: str, manifest: Path) -> Path:
    if not isinstance(rel, str) or not rel or "\0" in rel:
        raise InputError(f"{what} must be a non-empty string (a path), not {rel!r}"[:200],
                         str(manifest), kind="manifest")
    if Path(rel).is_absolute():
        raise InputError(f"{what} {rel!r} is an absolute path; refused", str(manifest),
                         kind="security")
    p = base / rel
    if not _inside(p, root):
        raise InputError(f"{what} {rel!r} points outside the assembly folder; refused",
                         str(manifest), kind="security")
    return p


def _read_json(path: Path) -> dict:
    raw = read_regular_file(path, MAX_MANIFEST_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", str(path), e.lineno, e.colno,
                         kind="parse") from None
    except RecursionError:
        raise InputError("nesting is too deep to parse", str(path), kind="limit") from None
    except ValueError as e:  # integers longer than Python converts
        raise InputError(f"invalid JSON: {str(e).split(';')[0]}", str(path),
                         kind="parse") from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object at the top level", str(path), 1)
    if _SURROGATE_ESCAPE.search(text):
        # "\ud800" decodes to a lone surrogate that no UTF-8 output can hold: refused, as in
        # templates (a name with one would crash the fingerprint or break XML reports)
        _check_tree(data, str(path), "json", surrogates=True)
    return data


def _load_assembly(folder: Path, root: Path, result: LoadResult, stages: tuple = (),
                   depth: int = 0, seen: set | None = None,
                   inherited_tree: ConstructTree | None = None) -> None:
    seen = set() if seen is None else seen
    key = folder.resolve()
    if key in seen:
        raise InputError("nested cloud assembly refers back to itself (cycle)",
                         str(folder / "manifest.json"), kind="structure")
    if depth > MAX_ASSEMBLY_DEPTH:
        raise InputError(f"cloud assemblies nested deeper than {MAX_ASSEMBLY_DEPTH} levels",
                         str(folder / "manifest.json"), kind="limit")
    seen = seen | {key}
    manifest_path = folder / "manifest.json"
    if not _inside(manifest_path, root):
        raise InputError("manifest.json is a symbolic link to a file outside the assembly "
                         "folder; refused", str(manifest_path), kind="security")
    manifest = _read_json(manifest_path)
    artifacts = manifest.get("artifacts", {})
    if not isinstance(artifacts, dict):
        raise InputError("'artifacts' must be an object", str(manifest_path))
    assembly_path = folder.resolve().relative_to(root.resolve()).as_posix()
    assembly_path = "" if assembly_path == "." else assembly_path

    tree: ConstructTree | None = None
    asset_manifests: list[Path] = []
    stack_artifacts = []
    nested_assemblies = []
    for art_id, art in artifacts.items():
        if not isinstance(art, dict):
            result.errors.append(InputError(f"artifact {art_id!r} is not an object",
                                            str(manifest_path)))
            continue
        kind = art.get("type")
        props = art.get("properties")
        if props is None:
            props = {}
        if not isinstance(kind, str) or not isinstance(props, dict):
            what = "'type' must be a string" if not isinstance(kind, str) else \
                "'properties' must be an object"
            result.errors.append(InputError(f"artifact {art_id!r}: {what}", str(manifest_path),
                                            kind="manifest"))
            continue
        try:
            if kind == STACK:
                stack_artifacts.append((art_id, art, props))
            elif kind == NESTED_ASSEMBLY:
                sub = _safe_join(folder, props.get("directoryName"), root,
                                 "directoryName", manifest_path)
                name = _opt_str(art, "displayName", art_id, manifest_path, "") \
                    or _opt_str(props, "displayName", art_id, manifest_path, "") or art_id
                nested_assemblies.append((sub, name))
            elif kind == TREE:
                tree_file = _safe_join(folder, props.get("file", "tree.json"), root, "tree file",
                                       manifest_path)
                if tree_file.is_file():
                    tree = tree or ConstructTree()
                    tree.add_file(tree_file)
            elif kind == ASSET_MANIFEST:
                asset_manifests.append(_safe_join(folder, props.get("file"), root,
                                                  "asset manifest file", manifest_path))
            elif kind not in QUIET_TYPES:
                result.notes.append(f"{manifest_path}: skipped artifact {art_id!r} of unknown "
                                    f"type {kind!r}")
        except InputError as e:
            result.errors.append(e)
    if tree is None and (folder / "tree.json").is_file() and _inside(folder / "tree.json", root):
        try:
            tree = ConstructTree()
            tree.add_file(folder / "tree.json")
        except InputError as e:
            result.errors.append(e)
            tree = None
    if tree is not None:
        result.trees.append(tree)
    tree = tree or inherited_tree
    for sub, name in nested_assemblies:
        try:
            _load_assembly(sub, root, result, stages + (name,), depth + 1, seen, tree)
        except InputError as e:
            result.errors.append(e)

    asset_sources = _read_asset_manifests(asset_manifests, folder, root, result)
    for art_id, art, props in stack_artifacts:
        try:
            _load_stack(art_id, art, props, folder, root, assembly_path, stages, tree,
                        asset_sources, manifest_path, result)
        except InputError as e:
            result.errors.append(e)


def _read_asset_manifests(files: list[Path], folder: Path, root: Path,
                          result: LoadResult) -> dict[str, Path]:
    """Asset hash -> source path (inside the assembly), from every ``*.assets.json``."""
    sources: dict[str, Path] = {}
    for f in files:
        if not f.is_file():
            result.notes.append(f"{f}: asset manifest listed but absent")
            continue
        try:
            data = _read_json(f)
        except InputError as e:
            result.errors.append(e)
            continue
        entries = data.get("files") or {}
        if not isinstance(entries, dict):
            result.errors.append(InputError("'files' must be an object", str(f),
                                            kind="manifest"))
            continue
        for h, entry in entries.items():
            src = entry.get("source") if isinstance(entry, dict) else None
            path = src.get("path") if isinstance(src, dict) else None
            if isinstance(path, str):
                p = folder / path
                if _inside(p, root):
                    sources[h] = p
    return sources


def _load_stack(art_id: str, art: dict, props: dict, folder: Path, root: Path,
                assembly_path: str, stages: tuple, tree: ConstructTree | None,
                asset_sources: dict, manifest_path: Path, result: LoadResult) -> None:
    tpl_path = _safe_join(folder, props.get("templateFile"), root, "templateFile", manifest_path)
    if not tpl_path.exists():
        raise InputError(f"stack {art_id!r}: template file {props.get('templateFile')!r} is "
                         "listed in the manifest but absent", str(manifest_path))
    tpl = load_template(tpl_path, require_resources=False)
    where = str(manifest_path)
    metadata: dict = {}
    inline = art.get("metadata") or {}
    if not isinstance(inline, dict):
        result.errors.append(InputError(f"stack {art_id!r}: 'metadata' must be an object",
                                        where, kind="manifest"))
        inline = {}
    sources = [inline]
    extra = art.get("additionalMetadataFile")
    if extra:
        try:
            md_path = _safe_join(folder, extra, root, "additionalMetadataFile", manifest_path)
            sources.append(_read_json(md_path))
        except InputError as e:
            result.errors.append(e)
    for source in sources:
        for k, v in source.items():
            if isinstance(v, list):
                metadata.setdefault(k, []).extend(v)
    display = _opt_str(art, "displayName", art_id, manifest_path, art_id, result) or art_id
    tags = props.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        result.errors.append(InputError(f"stack {art_id!r}: 'tags' must be an object of "
                                        "strings", where, kind="manifest"))
        tags = {}
    stack = Stack(
        name=display, template=tpl,
        template_rel=tpl_path.resolve().relative_to(root.resolve()).as_posix(),
        assembly_dir=folder, assembly_path=assembly_path, artifact_id=art_id,
        stack_name=_opt_str(props, "stackName", art_id, manifest_path, art_id, result) or art_id,
        environment=_opt_str(art, "environment", art_id, manifest_path, "", result),
        tags=dict(tags), cdk_stages=stages, tree=tree, root=root,
    )
    entries = _metadata_entries(metadata)
    prefix_guess = str(display).strip("/")
    stack.construct_prefix = prefix_guess
    _attach_metadata(stack, entries)
    _link_assets(stack, folder, root, asset_sources, result)
    result.stacks.append(stack)
    _load_nested(stack, entries, folder, root, asset_sources, result, set())


def _opt_str(obj: dict, key: str, art_id: str, manifest: Path, default: str,
             result: LoadResult | None = None) -> str:
    """A string field of a manifest object; a wrong type is an error (recorded or raised)."""
    value = obj.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value
    err = InputError(f"artifact {art_id!r}: {key!r} must be a string, not "
                     f"{type(value).__name__}", str(manifest), kind="manifest")
    if result is None:
        raise err
    result.errors.append(err)
    return default


def _metadata_entries(metadata: dict) -> list[tuple[str, str, object, list]]:
    """(construct path without leading '/', type, data, trace) for every metadata entry."""
    out = []
    for path, entries in metadata.items():
        if not isinstance(entries, list):
            continue
        for e in entries:
            if isinstance(e, dict) and isinstance(e.get("type"), str):
                trace = e.get("trace") if isinstance(e.get("trace"), list) else []
                out.append((str(path).lstrip("/"), e["type"], e.get("data"), trace))
    return out


def _attach_metadata(stack: Stack, entries: list, nested_prefixes: tuple = ()) -> None:
    """Keep the entries that belong to this stack (not to a nested stack under it)."""
    prefix = stack.construct_prefix

    def mine(path: str) -> bool:
        if stack.parent is not None and not (path == prefix or path.startswith(prefix + "/")):
            return False
        return not any(path.startswith(p + "/") for p in nested_prefixes)

    resources = stack.resources
    for path, kind, data, trace in entries:
        if not mine(path):
            continue
        if kind == "aws:cdk:logicalId" and isinstance(data, str):
            if data in resources or stack.parent is None:
                stack.construct_paths.setdefault(data, path)
            if trace:
                stack.traces.setdefault(path, trace)
        elif kind == "aws:cdk:creationStack" and isinstance(data, list):  # CDK >= 2.2xx
            stack.traces.setdefault(path, [str(x) for x in data])
        elif kind in ("aws:cdk:warning", "aws:cdk:error", "aws:cdk:info"):
            msg = data if isinstance(data, str) else json.dumps(data)
            stack.annotations.append(Annotation(kind.split(":")[-1], msg, path, trace))
    # if the manifest has no entry for a path, but the template says aws:cdk:path, use it
    for lid, res in resources.items():
        if isinstance(res, dict) and isinstance(res.get("Metadata"), dict):
            cp = res["Metadata"].get("aws:cdk:path")
            if isinstance(cp, str):
                stack.construct_paths[lid] = cp


def _asset_hash_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield from _HASH.findall(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _asset_hash_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _asset_hash_in(v)


def _link_assets(stack: Stack, folder: Path, root: Path, asset_sources: dict,
                 result: LoadResult) -> None:
    # Only resources whose text holds a known asset hash are walked for one (a substring
    # search of the file instead of a walk of every resource; None for YAML: walk them all).
    mentioning = stack.template.resources_mentioning(asset_sources) if asset_sources else set()
    checked: dict[str, tuple[Path, bool, bool]] = {}  # asset path -> (path, inside, exists)
    for lid, res in stack.resources.items():
        if not isinstance(res, dict):
            continue
        md = res.get("Metadata") if isinstance(res.get("Metadata"), dict) else {}
        asset_path = md.get("aws:asset:path")
        target: Path | None = None
        if isinstance(asset_path, str) and "\0" not in asset_path:
            if asset_path not in checked:  # functions share assets: resolve each path once
                p = folder / asset_path
                inside = _inside(p, root)
                checked[asset_path] = (p, inside, inside and p.exists())
            p, inside, exists = checked[asset_path]
            if exists:
                target = p
            elif not inside and Path(asset_path).is_absolute():
                # CDK writes the absolute source path when it skips staging or bundling
                # (`cdk synth --no-staging`, bundling limited to other stacks): a normal
                # assembly whose code is simply not in it. Never read; one note per stack.
                stack.unstaged_assets[lid] = asset_path
                continue
            elif not inside:
                result.errors.append(InputError(
                    f"resource {lid}: aws:asset:path {asset_path!r} points outside the "
                    "assembly folder; refused", str(stack.template.path), kind="security"))
        if target is None and asset_sources and (mentioning is None or lid in mentioning):
            for h in _asset_hash_in(res.get("Properties")):
                src = asset_sources.get(h)
                if src is not None and src.exists():
                    target = src
                    break
        if target is not None:
            stack.assets[lid] = target
    if stack.unstaged_assets:
        result.notes.append(_unstaged_note(stack))


def _unstaged_note(stack: Stack) -> str:
    lids = sorted(stack.unstaged_assets)
    shown = ", ".join(lids[:5]) + (f" and {len(lids) - 5} more" if len(lids) > 5 else "")
    return (f"stack {stack.name}: the code of {len(lids)} resource(s) ({shown}) is not in the "
            "assembly: their aws:asset:path is an absolute source path, as CDK writes it when "
            "it skips staging or bundling (cdk synth --no-staging, bundling limited to other "
            "stacks); cfncheck reads nothing outside the assembly, so their bundles are not "
            "checked. Synthesize with staging and bundling to check them.")


def _nested_prefix(construct_path: str | None, lid: str, parent: Stack) -> str:
    if construct_path:
        cp = construct_path.lstrip("/")
        if ".NestedStack/" in cp:
            return cp.split(".NestedStack/")[0]
        return cp.rsplit("/", 1)[0] if cp.endswith(".NestedStackResource") else cp
    return f"{parent.construct_prefix}/{lid}"


def _load_nested(parent: Stack, entries: list, folder: Path, root: Path, asset_sources: dict,
                 result: LoadResult, seen: set) -> None:
    nested = []
    for lid, res in parent.resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::CloudFormation::Stack":
            continue
        path = parent.assets.get(lid)
        if path is None or not path.is_file():
            continue  # a nested stack that is not in this assembly (e.g. a URL): nothing to load
        nested.append((lid, path, _nested_prefix(parent.construct_path(lid), lid, parent)))
    prefixes = tuple(p for _, _, p in nested)
    # re-attach the parent's metadata now that we know which paths belong to nested stacks
    parent.construct_paths.clear()
    parent.annotations.clear()
    parent.traces.clear()
    _attach_metadata(parent, entries, prefixes)
    for lid, path, prefix in nested:
        key = path.resolve()
        if key in seen:
            result.errors.append(InputError("nested stack refers back to itself (cycle)",
                                            str(path), kind="structure"))
            continue
        if len(seen) >= MAX_NESTED_DEPTH:
            result.errors.append(InputError(f"nested stacks nested deeper than "
                                            f"{MAX_NESTED_DEPTH} levels", str(path),
                                            kind="limit"))
            continue
        try:
            tpl = load_template(path, require_resources=False)
        except InputError as e:
            result.errors.append(e)
            continue
        child = Stack(
            name=prefix, template=tpl,
            template_rel=path.resolve().relative_to(root.resolve()).as_posix(),
            assembly_dir=folder, assembly_path=parent.assembly_path,
            artifact_id=parent.artifact_id, stack_name=f"{parent.stack_name}-{lid}",
            environment=parent.environment, tags=dict(parent.tags),
            cdk_stages=parent.cdk_stages, tree=parent.tree, root=root, parent=parent,
            parent_logical_id=lid, construct_prefix=prefix,
        )
        _attach_metadata(child, entries)
        _link_assets(child, folder, root, asset_sources, result)
        parent.children.append(child)
        result.stacks.append(child)
        _load_nested(child, entries, folder, root, asset_sources, result, seen | {key})


def _dedupe_names(stacks: list[Stack]) -> None:
    counts: dict[str, int] = {}
    for s in stacks:
        counts[s.name] = counts.get(s.name, 0) + 1
    for s in stacks:
        if counts[s.name] > 1 and s.assembly_path:
            s.name = f"{s.assembly_path}:{s.name}"
