"""Property-based tests over generated templates, assemblies, config and policy files.

The strategies and invariants live in ``bench/fuzz_loaders.py`` (the fuzz target); here each
runs a fixed number of derandomized examples, so CI is reproducible. The invariants: only
InputError escapes, every error names its file, the same input gives byte-identical JSON and
SARIF. ``test_bounded_fuzz`` then fuzzes all targets for a few seconds with a seed
(``CFNCHECK_FUZZ_SECONDS``, ``CFNCHECK_FUZZ_SEED`` to vary both in a nightly job).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

_path = Path(__file__).resolve().parents[2] / "bench" / "fuzz_loaders.py"
_spec = importlib.util.spec_from_file_location("fuzz_loaders", _path)
fuzz = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_loaders"] = fuzz
_spec.loader.exec_module(fuzz)



def ci(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@ci(150)
@given(fuzz.template_bytes())
def test_template_parser(raw):
    fuzz.run_template(raw)


@ci(60)
@given(fuzz.assemblies())
def test_assembly_scan(spec):
    fuzz.run_assembly(spec)


@ci(80)
@given(fuzz.yaml_text_or_bytes(fuzz.config_docs))
def test_config(raw):
    fuzz.run_config(raw)


@ci(25)
@given(fuzz.yaml_text_or_bytes(fuzz.policy_docs()))
def test_policy(raw):
    fuzz.run_policy(raw)


def test_bounded_fuzz():
    seconds = float(os.environ.get("CFNCHECK_FUZZ_SECONDS", "6"))
    seed = int(os.environ.get("CFNCHECK_FUZZ_SEED", "0"))
    counts = fuzz.fuzz(seconds, batch=10, start_seed=seed)
    assert all(n >= 10 for n in counts.values()), counts
