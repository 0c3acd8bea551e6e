"""cfncheck.lambda_bundle: handler and import analysis of Lambda bundles (parsed, never run)."""

from __future__ import annotations

from pathlib import Path

from cfncheck import lambda_bundle as lb


def write(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def analyze(asset: Path, handler="app.main", runtime="python3.12", layers=(), inline=None):
    return lb.analyze(lb.FunctionCode(runtime, handler, None if inline else asset, inline,
                                      list(layers), []))


def unresolved(a) -> dict:
    return {k: r.first for k, r in a.imports.items() if r.where is None}


def test_optional_and_type_checking_imports_are_ignored(tmp_path):
    asset = write(tmp_path / "a", {"app.py": (
        "from __future__ import annotations\n"
        "import json, os.path\n"
        "try:\n    import ujson as json\nexcept ImportError:\n    pass\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import mypy_boto3_s3\nelse:\n    import attr\n"
        "def main(event, context):\n    import lazy_dep\n    return 1\n")})
    a = analyze(asset)
    assert a.handler.function_found is True
    assert unresolved(a) == {"attr": ("app.py", 11), "lazy_dep": ("app.py", 13)}
    assert a.imports["json"].where == "stdlib" and a.imports["os"].where == "stdlib"


def test_handler_bindings(tmp_path):
    asset = write(tmp_path / "a", {
        "pkg/__init__.py": "", "pkg/mod.py": "from .impl import handler\n",
        "pkg/impl.py": "def handler(e, c):\n    return e\n",
        "star.py": "from pkg.impl import *\n",
        "assigned.py": "import functools\nmain = functools.partial(print)\n",
        "broken.py": "def main(:\n",
        "classy.py": "class main:\n    pass\n"})
    assert analyze(asset, "pkg.mod.handler").handler.function_found is True
    assert analyze(asset, "pkg/mod.handler").handler.file == "pkg/mod.py"
    assert analyze(asset, "star.main").handler.function_found is None  # cannot tell
    assert analyze(asset, "assigned.main").handler.function_found is True
    assert analyze(asset, "classy.main").handler.function_found is True
    broken = analyze(asset, "broken.main", runtime="python3.10").handler
    assert (broken.function_found, broken.not_analysed) == (False, None)
    assert broken.problem.startswith("broken.py does not parse: ")
    # newer than the interpreter we run on: maybe valid there, so not analysed (no defect)
    newer = analyze(asset, "broken.main", runtime="python3.99").handler
    assert (newer.function_found, newer.problem) == (None, None)
    assert newer.not_analysed.startswith(
        "broken.py was not analysed: it does not parse with the grammar of Python 3.11, ")
    assert newer.not_analysed.endswith("and may be valid python3.99 syntax")
    missing = analyze(asset, "nothere.main").handler
    assert missing.problem == "neither nothere.py nor nothere/__init__.py is in the asset"


def test_relative_and_local_imports_are_followed_vendored_packages_are_not(tmp_path):
    asset = write(tmp_path / "a", {
        "app.py": "import svc.core\nimport requests\nfrom lib import helper\n"
                  "def main(e, c):\n    pass\n",
        "svc/__init__.py": "", "svc/core.py": "from . import db\n",
        "svc/db.py": "import psycopg\n",
        "lib/helper.py": "import jinja2\n",
        "requests/__init__.py": "import idna\nimport charset_normalizer\n",
        "requests-2.32.0.dist-info/top_level.txt": "requests\n"})
    a = analyze(asset)
    assert unresolved(a) == {"psycopg": ("svc/db.py", 1), "jinja2": ("lib/helper.py", 1)}
    assert a.imports["requests"].where == "the function's asset"


def test_layer_folders_and_python_version(tmp_path):
    asset = write(tmp_path / "a", {"app.py": "import shared\nimport vendored\nimport distutils\n"
                                             "import imp\ndef main(e, c): pass\n"})
    layer = write(tmp_path / "layer", {"python/shared/__init__.py": "",
                                       "python/lib/python3.12/site-packages/vendored.py": "",
                                       "python/lib/python3.11/site-packages/other.py": "",
                                       "toplevel.py": ""})
    a = analyze(asset, layers=[("L", layer)])
    assert a.imports["shared"].where == "layer L (python/)"
    assert a.imports["vendored"].where == "layer L (python/lib/python3.12/site-packages/)"
    assert unresolved(a) == {"distutils": ("app.py", 3), "imp": ("app.py", 4)}
    old = analyze(asset, runtime="python3.11", layers=[("L", layer)])
    assert unresolved(old) == {"vendored": ("app.py", 2)}  # 3.11 has distutils, not 3.12 libs
    assert lb.near_misses("toplevel", layer) == ["at the layer root (must be under python/)"]
    assert lb.near_misses("other", layer) == ["under python/lib/python3.11/site-packages/"]


def test_inline_code_and_node_handlers(tmp_path):
    inline = analyze(tmp_path, "index.handler", inline="import boto3\ndef handler(e, c): pass\n")
    assert inline.handler.function_found is True and inline.imports["boto3"].where == "runtime"
    asset = write(tmp_path / "n", {
        "index.mjs": "export const handler = async (event) => event;\n",
        "cjs.js": "exports.handler = async function () {};\n",
        "bundled.js": '"use strict";E(O,{other:()=>I,handler:()=>q}),module.exports=x(O);\n',
        "esm.js": "async function main() {}\nexport { main as handler };\n",
        "none.cjs": "module.exports.other = () => 1;\n"})
    def node(handler):
        return lb.analyze(lb.FunctionCode("nodejs20.x", handler, asset, None, [], [])).handler

    assert node("index.handler").file == "index.mjs" and node("index.handler").function_found
    assert node("cjs.handler").function_found and node("bundled.handler").function_found
    assert node("esm.handler").function_found
    assert node("none.handler").problem == "none.cjs exports no 'handler'"
    assert node("gone.handler").problem == \
        "none of gone.js, gone.mjs, gone.cjs is in the asset"
    assert lb.analyze(lb.FunctionCode("java21", "x.Y::z", asset, None, [], [])) is None


def test_parse_cache_follows_file_changes(tmp_path):
    asset = write(tmp_path / "a", {"app.py": "import yaml\ndef main(e, c): pass\n"})
    cache: dict = {}
    code = lb.FunctionCode("python3.12", "app.main", asset, None, [], [])
    assert unresolved(lb.analyze(code, cache)) == {"yaml": ("app.py", 1)}
    assert lb.analyze(code, cache) is lb.analyze(code, cache)
    (asset / "app.py").write_text("import json\n\n\ndef main(e, c): pass\n")
    assert unresolved(lb.analyze(code)) == {}


def test_what_each_runtime_provides(tmp_path):
    asset = write(tmp_path / "a", {"app.py": (
        "import tomllib\nimport cgi\nimport distutils\nimport annotationlib\n"
        "from aws_durable_execution_sdk_python import durable_execution\n"
        "import boto3\ndef main(e, c): pass\n")})
    by_runtime = {rt: sorted(unresolved(analyze(asset, runtime=rt)))
                  for rt in ("python3.10", "python3.11", "python3.12", "python3.13",
                             "python3.14")}
    assert by_runtime == {
        "python3.10": ["annotationlib", "aws_durable_execution_sdk_python", "tomllib"],
        "python3.11": ["annotationlib", "aws_durable_execution_sdk_python"],
        "python3.12": ["annotationlib", "aws_durable_execution_sdk_python", "distutils"],
        "python3.13": ["annotationlib", "cgi", "distutils"],
        "python3.14": ["cgi", "distutils"],
    }
    assert "aws_durable_execution_sdk_python" in lb.runtime_modules("python3.14")
    assert lb.stdlib_modules((3, 99)) == lb.stdlib_modules((3, 14))  # newest known


def test_newer_syntax_than_cfncheck_parses_is_not_analysed(tmp_path):
    # PEP 701 (Python 3.12): quotes reused inside an f-string
    asset = write(tmp_path / "a", {
        "app.py": ('"""Docs.\nimport not_an_import\n"""\n'
                   "import json\nfrom pydantic import (\n    BaseModel,\n)\n"
                   "try:\n    import optional_dep\nexcept ImportError:\n    pass\n"
                   "def main(e, c):\n    import lazy\n    return f\"{e[\"name\"]}\"\n"),
        "tokens.py": "def main(:\n    x = '''\n"})  # neither parser nor tokenizer
    a = analyze(asset, runtime="python3.14")
    h = a.handler
    assert (h.function_found, h.problem) == (True, None)
    assert h.not_analysed.startswith(
        "app.py was analysed only in part (its module-level imports and definitions, read "
        "from its tokens): it does not parse with the grammar of Python 3.11, which cfncheck "
        "runs on (")
    # module-level imports are still checked; docstrings, try blocks and functions are not
    assert unresolved(a) == {"pydantic": ("app.py", 5)}
    assert a.imports["json"].where == "stdlib"
    t = analyze(asset, "tokens.main", runtime="python3.14").handler
    assert (t.function_found, t.problem) == (None, None)
    assert t.not_analysed.startswith("tokens.py was not analysed: it does not parse")


def test_public_layers_by_arn():
    assert lb.public_layer("arn:aws:lambda:eu-west-1:017000801446:layer:"
                           "AWSLambdaPowertoolsPythonV3-python313-arm64:7").publisher == \
        "AWS (Powertools for AWS Lambda, Python)"
    assert lb.public_layer("arn:${AWS::Partition}:lambda:${AWS::Region}:580247275435:layer:"
                           "LambdaInsightsExtension:53").modules == frozenset()
    # the name alone is not enough where AWS documents the publisher account
    assert lb.public_layer("arn:aws:lambda:eu-west-1:111122223333:layer:"
                           "AWSLambdaPowertoolsPythonV3-python313-arm64:7") is None
