"""cfncheck.source_map: construct path -> line of the CDK app source that created it."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from cfncheck import source_map
from cfncheck.assembly import load
from cfncheck.source_map import find_app_dir, source_location
from tests.samples import DEFECTIVE, SAMPLES


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def line(path: Path, needle: str) -> int:
    hits = [i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.fixture(autouse=True)
def fresh_cache():
    source_map.clear_cache()
    yield
    source_map.clear_cache()


@pytest.fixture
def app(tmp_path):
    """A small Python CDK app: two classes create a construct with the id "Table"."""
    root = tmp_path / "repo"
    write(root, "infra/cdk.json", '{"app": "python3 app.py"}')
    write(root, "infra/app.py", """
        import aws_cdk as cdk
        from stacks.api import ApiStack
        from stacks import stage

        app = cdk.App()
        stage.AppStage(app, "Prod")
        ApiStack(app, "Standalone")
        app.synth()
    """)
    write(root, "infra/stacks/__init__.py", "")
    write(root, "infra/stacks/stage.py", """
        import aws_cdk as cdk
        from .api import ApiStack


        class AppStage(cdk.Stage):
            def __init__(self, scope, construct_id):
                super().__init__(scope, construct_id)
                ApiStack(self, "Api")
    """)
    write(root, "infra/stacks/api.py", """
        import aws_cdk as cdk
        from aws_cdk import aws_dynamodb as dynamodb, aws_lambda as lambda_
        from .audit import Audit


        class BaseStack(cdk.Stack):
            def add_table(self):
                return dynamodb.Table(self, "Table", partition_key=None)


        class ApiStack(BaseStack):
            def __init__(self, scope, construct_id):
                super().__init__(scope, construct_id)
                fn = lambda_.Function(
                    self,
                    id="Handler",
                    code=None,
                )
                Audit(self, "Audit")
                self.add_table()
    """)
    write(root, "infra/stacks/audit.py", """
        from constructs import Construct
        from aws_cdk import aws_dynamodb as dynamodb


        class Audit(Construct):
            def __init__(self, scope, construct_id):
                super().__init__(scope, construct_id)
                dynamodb.Table(self, "Table")
    """)
    # never imported by the app: must not be indexed
    write(root, "infra/tests/test_api.py",
          'from stacks.api import ApiStack\nApiStack(None, "Api")\n')
    write(root, "infra/.venv/lib/x.py", 'Thing(None, "Handler")\n')
    write(root, "infra/cdk.out/manifest.json", "{}")
    return root


def stack_at(app_root: Path, traces=None):
    out = app_root / "infra" / "cdk.out"
    return SimpleNamespace(root=out, assembly_dir=out, traces=traces or {},
                           template=SimpleNamespace(path=out / "X.template.json"))


def test_construct_id_in_stack_class(app):
    st = stack_at(app)
    api = app / "infra/stacks/api.py"
    got = source_location(st, "Prod/Api/Handler/Resource", repo_root=app)
    # the call starts on the line of lambda_.Function( ; the id is a keyword two lines below
    assert got == {"file": "infra/stacks/api.py", "line": line(api, "lambda_.Function("),
                   "how": "construct-id"}
    # a CDK-generated child (ServiceRole) resolves to the user's construct
    assert source_location(st, "Prod/Api/Handler/ServiceRole/Resource", repo_root=app) == got


def test_ancestry_disambiguates_equal_ids(app):
    st = stack_at(app)
    audit = app / "infra/stacks/audit.py"
    api = app / "infra/stacks/api.py"
    in_audit = source_location(st, "Prod/Api/Audit/Table/Resource", repo_root=app)
    assert in_audit["file"] == "infra/stacks/audit.py"
    assert in_audit["line"] == line(audit, 'dynamodb.Table(self, "Table")')
    # directly under the stack: the call in BaseStack (a base class of ApiStack)
    in_base = source_location(st, "Prod/Api/Table/Resource", repo_root=app)
    assert in_base == {"file": "infra/stacks/api.py",
                       "line": line(api, 'dynamodb.Table(self, "Table"'),
                       "how": "construct-id"}
    # a top-level stack (no Stage) resolves through the module-level call
    assert source_location(st, "Standalone/Audit/Table/Resource", repo_root=app)["line"] == \
        line(audit, 'dynamodb.Table(self, "Table")')
    # the stack itself
    assert source_location(st, "Prod/Api", repo_root=app) == {
        "file": "infra/stacks/stage.py", "line": line(app / "infra/stacks/stage.py",
                                                      'ApiStack(self, "Api")'),
        "how": "construct-id"}


def test_unknown_ids_and_non_python_apps(app, tmp_path):
    st = stack_at(app)
    assert source_location(st, "Prod/Api/Nothing/Resource", repo_root=app)["line"] == \
        line(app / "infra/stacks/stage.py", 'ApiStack(self, "Api")')  # nearest known ancestor
    assert source_location(st, "Other/Thing", repo_root=app) is None
    assert source_location(st, None) is None
    # without repo_root: an absolute path
    assert source_location(st, "Prod/Api")["file"] == str(app / "infra/stacks/stage.py")
    # a TypeScript app: cdk.json names no Python file -> nothing from ids
    ts = tmp_path / "ts"
    write(ts, "cdk.json", '{"app": "npx ts-node --prefer-ts-exts bin/app.ts"}')
    write(ts, "app.py", 'X(None, "Prod")\n')
    out = ts / "cdk.out"
    out.mkdir()
    ts_stack = SimpleNamespace(root=out, assembly_dir=out, traces={},
                               template=SimpleNamespace(path=out / "t.json"))
    assert source_location(ts_stack, "Prod") is None


def test_only_imported_modules_are_indexed_and_parsed_once(app, monkeypatch):
    parsed = []
    real = ast.parse

    def counting(source, filename="<unknown>", *a, **k):
        parsed.append(Path(filename).name)
        return real(source, filename, *a, **k)

    monkeypatch.setattr(source_map.ast, "parse", counting)
    st = stack_at(app)
    for cp in ("Prod/Api/Handler/Resource", "Prod/Api/Audit/Table/Resource", "Prod/Api"):
        assert source_location(st, cp, repo_root=app)["file"].startswith("infra/stacks/")
    index = source_map.app_index(app / "infra")
    names = sorted(p.relative_to(app / "infra").as_posix() for p in index.files)
    assert names == ["app.py", "stacks/__init__.py", "stacks/api.py", "stacks/audit.py",
                     "stacks/stage.py"]
    # each file parsed once to follow imports and once to index, whatever the number of calls
    assert sorted(parsed) == sorted(Path(n).name for n in names * 2)


def test_stack_trace_frames_win_when_they_name_app_files(app):
    ts_file = write(app, "infra/lib/api-stack.ts", "export class ApiStack {}\n" * 20)
    trace = [
        "at new Bucket (/x/node_modules/aws-cdk-lib/aws-s3/lib/bucket.js:1:2)",
        "at Kernel._Kernel_create (/tmp/jsii-kernel-abc/lib/program.js:9:1)",
        f"at new ApiStack ({ts_file}:12:5)",
        "at node:internal/main:1:1",
    ]
    st = stack_at(app, traces={"Prod/Api/Handler": trace})
    assert source_location(st, "Prod/Api/Handler/Resource", repo_root=app) == {
        "file": "infra/lib/api-stack.ts", "line": 12, "how": "stack-trace"}
    # a jsii (Python app) trace has no user frame: the construct id is used
    jsii_only = ["...aws-cdk-lib, jsii runtime, node internals...",
                 "(no user code in 10 frames, use --stack-trace-limit to capture more)"]
    st = stack_at(app, traces={"Prod/Api/Handler/Resource": jsii_only})
    assert source_location(st, "Prod/Api/Handler/Resource", repo_root=app)["how"] == \
        "construct-id"


def test_find_app_dir_walks_up_from_the_assembly(app, tmp_path):
    assert find_app_dir(stack_at(app)) == (app / "infra").resolve()
    lone = tmp_path / "lone" / "cdk.out"
    lone.mkdir(parents=True)
    assert find_app_dir(SimpleNamespace(root=lone, assembly_dir=lone, template=None)) is None


def test_sample_app_findings_map_to_its_sources():
    """The committed sample: its cdk.out is not under the app folder, so app_dir is given."""
    app_dir = SAMPLES / "serverless_app"
    stacks = {s.name: s for s in load([DEFECTIVE]).stacks}
    api = stacks["Prod/Api"]
    cps = sorted(cp for cp in api.construct_paths.values() if cp.endswith("/Resource"))
    assert cps
    # CDK 2.275 writes aws:cdk:creationStack traces; for a Python app they hold no user frame
    assert api.traces["Prod/Api/OrdersTable/Resource"][-1].startswith("(no user code")
    mapped = 0
    for cp in cps:
        got = source_location(api, cp, repo_root=SAMPLES.parent, app_dir=app_dir)
        if got is None:
            continue
        mapped += 1
        assert got["file"].startswith("sample_templates/serverless_app/")
        assert got["how"] == "construct-id"
        text = (SAMPLES.parent / got["file"]).read_text().splitlines()[got["line"] - 1]
        ids = cp.split("/")[1:]
        # the line is a call of one of the path's ids (or starts a call whose id follows)
        window = "\n".join((SAMPLES.parent / got["file"]).read_text().splitlines()
                           [got["line"] - 1:got["line"] + 3])
        assert any(f'"{i}"' in window for i in ids), (cp, got, text)
    assert mapped == len(cps)
