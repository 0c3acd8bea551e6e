"""Shared fixtures: the committed sample assemblies."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.samples import DEFECTIVE, FIXED

# cfncheck's user cache (cfncheck/cache.py) goes to a folder of this test run, not to ~/.cache
os.environ.setdefault("CFNCHECK_CACHE_DIR", tempfile.mkdtemp(prefix="cfncheck-test-cache-"))


@pytest.fixture
def defective() -> Path:
    return DEFECTIVE


@pytest.fixture
def fixed() -> Path:
    return FIXED


@pytest.fixture
def assembly_copy(tmp_path):
    """Copy a sample assembly into tmp so a test can change it."""

    def make(src: Path = DEFECTIVE) -> Path:
        dst = tmp_path / "cdk.out"
        shutil.copytree(src, dst)
        return dst

    return make


def pytest_sessionfinish(session, exitstatus):
    """The CDK plugin prints its closing count when the process exits (after CDK's report);
    in a test run that would come after pytest's own closing line: drop it."""
    import sys

    cdk = sys.modules.get("cfncheck.cdk")
    if cdk is not None:
        cdk._CLOSING.clear()
