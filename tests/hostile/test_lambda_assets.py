"""Lambda bundle analysis on hostile assets: confined to the asset, bounded, never a crash.

Each test builds the hostile asset in tmp_path and asserts the safe outcome: nothing outside
the assembly is read or probed for existence (symbolic links, absolute and ``..`` handlers),
deep expressions and oversized files are "not analysed" (info), never a false defect or a
crashed check, and every read of an asset file is bounded (sparse 1 GiB files).
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from cfncheck import lambda_bundle as lb
from cfncheck.engine import scan
from cfncheck.rules.e9401_lambda_handler_missing import LambdaHandlerMissing
from cfncheck.rules.e9402_lambda_import_unresolved import LambdaImportUnresolved

from .conftest import write_assembly

GIB = 1 << 30


def function(handler: str, runtime: str = "python3.12", asset: str = "asset.abc") -> dict:
    return {"Type": "AWS::Lambda::Function", "Metadata": {"aws:asset:path": asset},
            "Properties": {"Runtime": runtime, "Handler": handler, "Role": "arn:aws:iam::"
                           "123456789012:role/r", "Code": {"S3Bucket": "b", "S3Key": "k.zip"}}}


def app(tmp_path: Path, files: dict, handler: str = "app.main", runtime: str = "python3.12"):
    root = write_assembly(tmp_path / "cdk.out", {"App": {"Resources": {
        "Fn": function(handler, runtime)}}})
    asset = root / "asset.abc"
    asset.mkdir()
    for rel, text in files.items():
        p = asset / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root, asset


def findings(root: Path) -> list:
    result = scan([root], checks=[LambdaHandlerMissing(), LambdaImportUnresolved()])
    assert result.errors == []
    return sorted((f.rule_id, f.severity, f.message) for f in result.findings)


@pytest.fixture
def outside(tmp_path) -> Path:
    out = tmp_path / "outside"
    (out / "pkg").mkdir(parents=True)
    (out / "secret.py").write_text("import LEAKED_SECRET_MODULE\ndef main(e, c): pass\n")
    (out / "pkg" / "__init__.py").write_text("import LEAKED_PACKAGE_IMPORT\n")
    return out


def test_a_handler_file_linked_outside_is_not_read(tmp_path, outside):
    root, asset = app(tmp_path, {})
    os.symlink(outside / "secret.py", asset / "app.py")
    found = findings(root)
    assert found == [("E9401", "info",
                      "AWS::Lambda::Function Fn (python3.12) handler 'app.main' not checked: "
                      "app.py was not analysed: it is a symbolic link leading outside the "
                      "asset (not followed) (asset.abc)")]
    assert "LEAKED" not in repr(found)


def test_a_package_linked_outside_is_neither_read_nor_probed(tmp_path, outside):
    root, asset = app(tmp_path, {"app.py": "import pkg\nimport gone\ndef main(e, c): pass\n"})
    os.symlink(outside / "pkg", asset / "pkg")
    os.symlink(outside / "does-not-exist", asset / "gone")
    found = findings(root)
    # both links are taken as present by their names alone: the existence of their targets
    # outside the assembly never changes the output, and their content is never parsed
    assert found == []
    assert lb.confined(asset / "pkg", asset) is None
    assert lb.read_confined(asset / "pkg" / "__init__.py", asset, 100) == (None, "outside")


@pytest.mark.parametrize("runtime", ["python3.12", "nodejs20.x"])
def test_absolute_and_climbing_handlers_are_not_looked_up(tmp_path, outside, runtime):
    messages = set()
    handlers = (f"{outside}/secret.main", f"{outside}/nothing.main", "../../outside/x.main")
    for i, handler in enumerate(handlers):
        root, _ = app(tmp_path / str(i) / runtime, {}, handler, runtime)
        found = findings(root)
        assert [(r, s) for r, s, _ in found] == [("E9401", "info")]
        assert "names a path outside the function's code (absolute or with '..'); cfncheck " \
               "does not look outside the asset" in found[0][2]
        messages.add(found[0][2].replace(handler, "H"))
    assert len(messages) == 1  # same answer whether the file exists or not: no oracle


@pytest.mark.parametrize("source", [
    "x = " + "1+" * 100_000 + "1\n",
    "import os\nx = os" + ".a" * 100_000 + "\n",
    "x = f" + "()" * 100_000 + "\n",
    "x = " + "-" * 100_000 + "1\n",
])
def test_deep_expressions_are_not_analysed_not_a_crash(tmp_path, source):
    root, _ = app(tmp_path, {"app.py": source + "def main(e, c): pass\n"})
    result = scan([root], checks=[LambdaHandlerMissing(), LambdaImportUnresolved()])
    assert result.errors == []
    assert [(f.rule_id, f.severity) for f in result.findings] == [("E9401", "info")]
    assert result.findings[0].message.endswith(
        "app.py was not analysed: its expressions are nested too deeply for the parser "
        "(asset.abc)")


def test_a_deep_first_party_module_is_skipped_not_fatal(tmp_path):
    root, _ = app(tmp_path, {"app.py": "import helper\nimport requests\ndef main(e, c): pass\n",
                             "helper.py": "x = " + "1+" * 100_000 + "1\n"})
    found = findings(root)
    assert [(r, s) for r, s, _ in found] == [("E9402", "error")]  # requests only


def sparse(path: Path, size: int = GIB, head: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("runtime, name", [("python3.12", "app.py"), ("nodejs20.x", "app.js")])
def test_a_handler_over_the_limit_is_not_analysed_and_not_read(tmp_path, runtime, name):
    root, asset = app(tmp_path, {}, "app.main", runtime)
    sparse(asset / name, head=b"def main(e, c): pass\n" if name.endswith(".py") else b"")
    lb._file_cache.clear()
    code = lb.FunctionCode(runtime, "app.main", asset, None, [], [])
    assert peak_bytes(lambda: lb.analyze(code)) < 16 * 1024 * 1024  # a 1 GiB file
    assert findings(root) == [("E9401", "info",
                    f"AWS::Lambda::Function Fn ({runtime}) handler 'app.main' not checked: "
                    f"{name} was not analysed: it is over the 5242880-byte analysis limit "
                    "(asset.abc)")]


@pytest.mark.parametrize("meta", ["top_level.txt", "RECORD"])
def test_dist_info_listings_are_read_bounded(tmp_path, meta):
    root, asset = app(tmp_path, {"app.py": "import big\ndef main(e, c): pass\n"})
    sparse(asset / "big-1.0.dist-info" / meta, head=b"big\n" if meta == "top_level.txt"
           else b"big/__init__.py,,\n")
    (asset / "big").mkdir()
    lb._scan_root_at.cache_clear()
    code = lb.FunctionCode("python3.12", "app.main", asset, None, [], [])
    assert peak_bytes(lambda: lb.analyze(code)) < 16 * 1024 * 1024  # a 1 GiB listing
    assert findings(root) == []  # 'big' resolves to the asset, its listing read up to the bound
    assert lb._dist_top_levels(asset / "big-1.0.dist-info", asset) == {"big"}


def test_fifo_and_device_handlers_are_not_read(tmp_path):
    root, asset = app(tmp_path, {}, "app.main", "nodejs20.x")
    os.mkfifo(asset / "app.js")
    found = findings(root)  # would block forever if opened for reading without care
    assert [(r, s) for r, s, _ in found] == [("E9401", "error")]
    assert "none of app.js, app.mjs, app.cjs is in the asset" in found[0][2]


def test_links_inside_the_asset_are_followed_and_loops_end(tmp_path):
    root, asset = app(tmp_path, {"real/app.py": "import yaml\ndef main(e, c): pass\n"})
    os.symlink(asset / "real" / "app.py", asset / "app.py")
    os.symlink(asset / "loop", asset / "loop")  # a link to itself
    found = findings(root)
    assert [(r, s) for r, s, _ in found] == [("E9402", "error")]
    assert "app.py:1 imports 'yaml'" in found[0][2]
