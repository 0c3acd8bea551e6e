"""Fuzz target for the template loader, the cloud-assembly loader, config and the policy engine.

Hypothesis generates templates (JSON and YAML, valid and broken: truncated, bytes flipped,
wrong types in every section, intrinsic functions pointing anywhere, nested stacks pointing at
themselves), cloud assemblies in a temporary folder (every artifact type, missing and broken
files, wrong types for every manifest field, paths with ``../`` and absolute paths), config
files and policy files. For each input the invariants are:

* nothing but :class:`cfncheck.errors.InputError` escapes the library (``engine.scan``,
  ``template.parse_template``, ``config.load_config``, ``policy.load_policy_checks``);
* every error names its file;
* the same input scanned twice renders byte-identical JSON (and SARIF, once that writer exists).

Run for a bounded time (the CI job and ``tests/hostile/test_fuzz_loaders.py`` use this)::

    python bench/fuzz_loaders.py --seconds 120            # all targets, round robin
    python bench/fuzz_loaders.py --target assembly --seconds 60

If atheris is installed, ``--atheris`` runs a coverage-guided fuzz of the template parser
instead (``-max_total_time`` bounds it): ``python bench/fuzz_loaders.py --atheris
-max_total_time=60``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from cfncheck.checks import CheckInfo, Hit
from cfncheck.config import Config, load_config
from cfncheck.errors import InputError

# ---------------------------------------------------------------------------------------------
# strategies

LIDS = ["A", "B", "Fn", "Bucket", "Child", "Nested", "Param", "Out", "X-1", "1"]
TYPES = ["AWS::S3::Bucket", "AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Logs::LogGroup",
         "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::CloudFormation::Stack",
         "AWS::DynamoDB::Table", "AWS::ApiGateway::RestApi", "Custom::Thing", "", "AWS::*"]
EXPORTS = ["e1", "e2", "e3"]
NESTED_FILES = ["child.nested.template.json", "self.template.json", "missing.nested.json",
                "../outside.json", "/etc/passwd", "asset.abc", "", "bad.nested.template.json"]

scalars = (st.none() | st.booleans() | st.integers(-2**63, 2**63)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=8)
lid = st.sampled_from(LIDS) | st.text(min_size=1, max_size=6)
attr = st.sampled_from(["Arn", "Outputs.O", "Outputs.P", "Outputs.Missing", "Name"])


def intrinsic(children):
    return st.one_of(
        st.builds(lambda x: {"Ref": x}, lid | json_values),
        st.builds(lambda x, a: {"Fn::GetAtt": [x, a]}, lid, attr),
        st.builds(lambda x, a: {"Fn::GetAtt": f"{x}.{a}"}, lid, attr),
        st.builds(lambda x, a: {"Fn::Sub": f"arn:${{{x}}}:${{{x}.{a}}}:${{!Lit}}"}, lid, attr),
        st.builds(lambda s, v: {"Fn::Sub": [s, v]}, st.text(max_size=10), json_values),
        st.builds(lambda n: {"Fn::ImportValue": n}, st.sampled_from(EXPORTS) | json_values),
        st.builds(lambda s, o: {"Fn::GetStackOutput": {"StackName": s, "OutputName": o}},
                  st.sampled_from(["A", "B", "stack0", "stack1"]), st.sampled_from(["O", "P"])),
        st.builds(lambda items: {"Fn::Join": ["", items]}, st.lists(children, max_size=3)),
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["Name", "Value", "Dimensions", "FunctionName"]),
                        children, max_size=3),
    )


values = st.recursive(scalars, intrinsic, max_leaves=10)


@st.composite
def resources(draw):
    rtype = draw(st.sampled_from(TYPES) | json_values)
    res: dict = {"Type": rtype}
    if draw(st.booleans()):
        res["Properties"] = draw(st.dictionaries(
            st.sampled_from(["Name", "FunctionName", "BucketName", "Parameters", "Dimensions",
                             "DashboardBody", "TemplateURL", "Policies"]) | st.text(max_size=5),
            values, max_size=4) | json_values)
    if rtype == "AWS::CloudFormation::Stack" or draw(st.integers(0, 5)) == 0:
        res["Metadata"] = {"aws:asset:path": draw(st.sampled_from(NESTED_FILES) | json_values),
                           "aws:cdk:path": draw(st.text(max_size=10) | json_values)}
    if draw(st.booleans()):
        res["DependsOn"] = draw(lid | st.lists(lid, max_size=3) | json_values)
    if draw(st.integers(0, 6)) == 0:
        res = draw(json_values)
    return res


@st.composite
def templates(draw) -> dict:
    tpl: dict = {}
    if draw(st.integers(0, 8)):
        tpl["Resources"] = draw(st.dictionaries(lid, resources(), max_size=5))
    else:
        tpl["Resources"] = draw(json_values)
    if draw(st.booleans()):
        tpl["Parameters"] = draw(st.dictionaries(lid, st.just({"Type": "String"}) | json_values,
                                                 max_size=3))
    if draw(st.booleans()):
        tpl["Outputs"] = draw(st.dictionaries(
            st.sampled_from(["O", "P", "Q"]),
            st.builds(lambda v, e: {"Value": v, **({"Export": {"Name": e}} if e else {})},
                      values, st.none() | st.sampled_from(EXPORTS) | json_values)
            | json_values, max_size=3))
    for section in ("Conditions", "Mappings", "Metadata", "Transform"):
        if draw(st.integers(0, 6)) == 0:
            tpl[section] = draw(json_values)
    if draw(st.integers(0, 10)) == 0:
        return draw(json_values)  # not a template at all
    return tpl


def _dump(data, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(data).encode()
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass")


@st.composite
def mutate(draw, raw: bytes) -> bytes:
    """Leave as is (most often), truncate, splice random bytes in, or flip a byte."""
    how = draw(st.integers(0, 9))
    if how <= 5 or not raw:
        return raw
    pos = draw(st.integers(0, len(raw)))
    if how == 6:
        return raw[:pos]
    if how == 7:
        return raw[:pos] + draw(st.binary(min_size=1, max_size=8)) + raw[pos:]
    if how == 8:
        junk = draw(st.sampled_from([b"&a [1]", b"*a", b"!!python/object/apply:os.system ['id']",
                                     b"!Ref", b"\xff\xfe", b"\\udc80", b"[[[[", b"{{", b": :",
                                     b"\t", b"\x00", b"NaN", b"1" * 5000, b"<<: *a"]))
        return raw[:pos] + junk + raw[pos:]
    return draw(st.binary(max_size=64))


@st.composite
def template_bytes(draw) -> bytes:
    fmt = draw(st.sampled_from(["json", "yaml"]))
    return draw(mutate(_dump(draw(templates()), fmt)))


FIELD = st.sampled_from(["templateFile", "directoryName", "file", "tags", "stackName",
                         "additionalMetadataFile", "displayName", "metadata", "environment",
                         "properties", "type"])
PATHS = st.sampled_from(["stack0.template.json", "missing.json", "../outside.json",
                         "/etc/passwd", "", ".", "sub", "bad.json", "tree.json", "manifest.json",
                         "child.nested.template.json", "assets.json", "md.json", "link.json"])


@st.composite
def assemblies(draw) -> dict:
    """A description of a cloud assembly: files (name -> bytes) and a manifest."""
    files: dict[str, bytes] = {}
    artifacts: dict = {}
    n = draw(st.integers(0, 3))
    for i in range(n):
        name = f"stack{i}.template.json"
        files[name] = draw(template_bytes())
        props: dict = {"templateFile": name}
        art: dict = {"type": "aws:cloudformation:stack", "properties": props,
                     "displayName": draw(st.sampled_from([f"Prod/S{i}", f"Dev/S{i}", "Dup"])),
                     "environment": "aws://1/eu-west-1"}
        for _ in range(draw(st.integers(0, 3))):
            f = draw(FIELD)
            v = draw(PATHS | json_values)
            if f in ("properties", "type", "metadata", "displayName", "environment"):
                art[f] = v
            elif f == "additionalMetadataFile":
                art[f] = v
            else:
                props[f] = v
        if draw(st.booleans()):
            art["metadata"] = draw(st.dictionaries(
                st.sampled_from(["/Prod/S0", "/Prod/S0/Fn/Resource", "x"]),
                st.lists(st.fixed_dictionaries({"type": st.sampled_from(
                    ["aws:cdk:logicalId", "aws:cdk:warning", "aws:cdk:error", "other"]),
                    "data": json_values, "trace": st.lists(st.text(max_size=5), max_size=2)})
                    | json_values, max_size=3) | json_values, max_size=3))
        artifacts[f"a{i}"] = art
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cdk:tree", "cdk:asset-manifest", "cdk:cloud-assembly",
                                     "cdk:feature-flag-report", "other:type"]) | json_values)
        prop = {"file": draw(PATHS | json_values), "directoryName": draw(PATHS | json_values)}
        artifacts[draw(st.text(max_size=6))] = {"type": kind, "properties": prop}
    files["child.nested.template.json"] = draw(template_bytes())
    files["self.template.json"] = b'{"Resources": {"Self": {"Type": ' \
        b'"AWS::CloudFormation::Stack", "Metadata": {"aws:asset:path": "self.template.json"}}}}'
    files["tree.json"] = _dump(draw(st.fixed_dictionaries({"tree": json_values})
                                    | json_values), "json")
    files["assets.json"] = _dump(draw(st.fixed_dictionaries({"files": st.dictionaries(
        st.text(max_size=4) | st.just("a" * 64), json_values, max_size=2)}) | json_values),
        "json")
    files["md.json"] = _dump(draw(json_values), "json")
    files["bad.json"] = b'{"artifacts": '
    manifest: object = {"version": "36.0.0", "artifacts": artifacts}
    if draw(st.integers(0, 12)) == 0:
        manifest = draw(json_values)
    raw = json.dumps(manifest).encode()
    files["manifest.json"] = draw(mutate(raw)) if draw(st.integers(0, 5)) == 0 else raw
    sub = draw(st.booleans())
    return {"files": files, "sub_manifest": sub}


def write_assembly(root: Path, spec: dict) -> None:
    for name, data in spec["files"].items():
        (root / name).write_bytes(data)
    if spec["sub_manifest"]:
        (root / "sub").mkdir(exist_ok=True)
        (root / "sub" / "manifest.json").write_bytes(
            b'{"artifacts": {"back": {"type": "cdk:cloud-assembly", '
            b'"properties": {"directoryName": ".."}}}}')
    (root.parent / "outside.json").write_text('{"Resources": {"Secret": {"Type": "X"}}}')
    try:
        os.symlink("/etc/hostname", root / "link.json")
    except OSError:
        pass


config_docs = st.fixed_dictionaries({}, optional={
    "fail_on": st.sampled_from(["error", "warning", "info", "never", "bogus"]) | json_values,
    "stages": st.dictionaries(st.text(max_size=5), st.text(max_size=5)) | json_values,
    "rules": st.fixed_dictionaries({}, optional={"disable": st.lists(st.text(max_size=6)),
                                                 "only": json_values,
                                                 "severity": json_values}) | json_values,
    "parameters": st.dictionaries(st.text(max_size=6), json_values) | json_values,
    "suppressions": st.lists(st.fixed_dictionaries({"id": st.text(max_size=6),
                                                    "reason": st.text(max_size=6)},
                                                   optional={"path": json_values})) | json_values,
    "policies": st.lists(st.text(max_size=5)) | json_values,
}) | json_values

def _builtin_policies() -> list:
    folder = Path(__file__).resolve().parents[1] / "policies"
    docs = []
    for f in sorted(folder.glob("*.yaml")):
        try:
            docs.append(yaml.safe_load(f.read_text()))
        except (OSError, yaml.YAMLError):
            continue
    return docs or [{"id": "CC-FUZZ-001", "title": "t", "severity": "error",
                     "resource_types": ["AWS::S3::Bucket"], "message": "m",
                     "assert": {"path": "Properties.BucketName", "exists": True}}]


REGEXES = ["(a+)+$", "^(a|aa)+$", "(x+x+)+y", "(?<=x)y", "(a)\\1", "[", "\\", ".*" * 50]
regex_assertion = st.builds(
    lambda op, path, rx: {"path": path, op: rx}, st.sampled_from(["regex", "not_regex"]),
    st.sampled_from(["Properties.BucketName", "Type", "$", "Properties.*"]),
    st.sampled_from(REGEXES) | st.text(max_size=8))


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


@st.composite
def policy_docs(draw):
    """A built-in policy with one to three subtrees replaced (junk, a regex assertion, ...)."""
    import copy

    doc = copy.deepcopy(draw(st.sampled_from(_builtin_policies())))
    doc["id"] = "CC-FUZZ-001"
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        value = draw(json_values | regex_assertion | st.lists(regex_assertion, max_size=2)
                     | st.sampled_from(["{logical_id}", "{", "{__class__}", "{0}", "${x}"]))
        if not path:
            doc = value
            break
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = value
    if draw(st.booleans()) and isinstance(doc, dict):
        doc["assert"] = {"all": [doc.get("assert"), draw(regex_assertion)]}
    return doc


def yaml_text(doc) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------------------
# targets (each raises AssertionError, or lets a non-InputError exception escape, on a bug)


class Probe:
    """Walks every resource through the graph and location API; reports each one."""

    info = CheckInfo(id="CC-FUZZ-900", title="probe", severity="warning", kind="builtin")

    def run(self, ctx):
        g = ctx.graph
        for node in g.resources("*"):
            g.referrers(node)
            g.references(node)
            g.referrers(node, source_type="AWS::*", kinds=("Ref", "GetAtt"))
            node.stack.construct_path(node.logical_id)
            node.stack.fqn(node.logical_id)
            props = node.resource.get("Properties")
            if isinstance(props, dict):
                for v in props.values():
                    g.resolve(node.stack, v)
            yield Hit(node.stack, node.logical_id, ("Resources", node.logical_id, "Properties"),
                      f"probe {node.logical_id}", key="probe")


def check_error(e: InputError, files: set[str] | None = None) -> None:
    assert e.file, f"error without a file: {e!r} {e}"
    assert "\n" not in str(e)
    if files is not None:
        assert any(e.file == f or e.file.startswith(f) for f in files), (e.file, files)


def run_template(raw: bytes) -> None:
    from cfncheck.template import parse_template

    try:
        tpl = parse_template(raw, "fuzz.template")
    except InputError as e:
        check_error(e, {"fuzz.template"})
        return
    json.dumps(tpl.data, default=str)
    for lid in list(tpl.resources)[:3]:
        tpl.locate(("Resources", lid, "Properties", "X"))


_CHECKS: list = []


def _checks() -> list:
    """The rule pack, the built-in policies (when they load) and the probe; built once."""
    if not _CHECKS:
        from cfncheck.engine import collect_checks
        from cfncheck.rules import all_rules

        try:
            _CHECKS.extend(collect_checks(Config()))
        except InputError as e:  # a policy being edited: fuzz the rest
            print(f"fuzz: built-in policies do not load ({e}); rules only", file=sys.stderr)
            _CHECKS.extend(all_rules())
        _CHECKS.append(Probe())
    return _CHECKS


def _render_all(result) -> list[str]:
    from cfncheck.report import FORMATS, ReportOptions, render

    return [render(f, result, ReportOptions()) for f in ("json", "sarif") if f in FORMATS]


def run_assembly(spec: dict, checks=None) -> None:
    from cfncheck.engine import scan

    checks = checks if checks is not None else _checks()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cdk.out"
        root.mkdir()
        write_assembly(root, spec)
        outs = []
        for _ in range(2):
            try:
                result = scan([str(root)], Config(), checks=checks)
            except InputError as e:
                check_error(e, {str(root)})
                return
            for e in result.errors:
                check_error(e, {str(root)})
                assert "outside.json" not in (e.file or ""), e
            for s in result.stacks:
                assert Path(s.template.path).resolve().is_relative_to(root.resolve()), s
            outs.append(_render_all(result))
        assert outs[0] == outs[1], "same input, different output"


def run_config(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / ".cfncheck.yaml"
        p.write_bytes(raw)
        try:
            cfg = load_config(p)
        except InputError as e:
            check_error(e, {str(p)})
            return
        cfg.enabled("CC-S3-001")
        cfg.severity("CC-S3-001", "error")
        cfg.parameter("CC-S3-001", "x")
        _ = cfg.stages, cfg.stage_tokens, cfg.suppressions, cfg.policy_dirs, cfg.fail_on


def run_policy(raw: bytes) -> None:
    from cfncheck.engine import scan
    from cfncheck.policy import load_policy_checks

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "policies"
        d.mkdir()
        (d / "fuzz.yaml").write_bytes(raw)
        cfg = Config({"builtin_policies": False})
        try:
            checks = load_policy_checks(cfg, [d])
        except InputError as e:
            check_error(e, {str(d)})
            return
        tpl = Path(tmp) / "t.json"
        tpl.write_text(json.dumps({"Resources": {"B": {"Type": "AWS::S3::Bucket",
                                                       "Properties": {"BucketName": "a" * 40}}}}))
        try:
            scan([str(tpl)], cfg, checks=checks)
        except InputError as e:
            check_error(e)


# ---------------------------------------------------------------------------------------------
# hypothesis wrappers and the bounded driver

FUZZ_SETTINGS = dict(deadline=None, database=None, derandomize=False,
                     suppress_health_check=list(HealthCheck))


def targets() -> dict:
    @given(template_bytes())
    def template(raw):
        run_template(raw)

    @given(assemblies())
    def assembly(spec):
        run_assembly(spec)

    @given(yaml_text_or_bytes(config_docs))
    def config(raw):
        run_config(raw)

    @given(yaml_text_or_bytes(policy_docs()))
    def policy(raw):
        run_policy(raw)

    return {"template": template, "assembly": assembly, "config": config, "policy": policy}


def yaml_text_or_bytes(docs):
    return st.builds(yaml_text, docs).flatmap(mutate)


def fuzz(seconds: float, names: list[str] | None = None, batch: int = 25,
         start_seed: int = 0) -> dict[str, int]:
    """Run the targets round robin for about ``seconds``; return examples run per target.
    A round is always finished, so every target runs at least ``batch`` examples however
    slow the machine (a time box alone starved the last targets under load)."""
    names = names or list(targets())
    counts = dict.fromkeys(names, 0)
    end = time.monotonic() + seconds
    i = start_seed
    while time.monotonic() < end:
        for name in names:
            fresh = targets()[name]  # a settings object may decorate a function only once
            test = settings(max_examples=batch, **FUZZ_SETTINGS)(seed(i)(fresh))
            test()
            counts[name] += batch
        i += 1
    return counts


def _atheris(argv: list[str]) -> None:
    import atheris

    def one_input(data: bytes) -> None:
        run_template(data)

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--atheris" in argv:
        _atheris([sys.argv[0], *[a for a in argv if a != "--atheris"]])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--target", action="append", choices=list(targets()))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    counts = fuzz(args.seconds, args.target, start_seed=args.seed)
    print(f"fuzzed {sum(counts.values())} examples in {time.monotonic() - t0:.1f}s "
          f"(seed {args.seed}): " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
