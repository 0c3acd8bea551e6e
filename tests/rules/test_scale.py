"""The rule pack at scale: 40 stacks x ~340 resources (the defective Prod/Api template,
replicated) give exactly the replicated findings. Speed is measured by bench/run.py, not here."""

from __future__ import annotations

import json

from cfncheck.assembly import load
from cfncheck.checks import ScanContext
from cfncheck.config import Config
from cfncheck.graph import Graph
from cfncheck.rules import all_rules
from cfncheck.stages import assign_stages
from tests.rules.helpers import DEFECTIVE, PROD_API


def test_many_stacks_many_resources(tmp_path):
    src = json.loads((DEFECTIVE / PROD_API).read_text())["Resources"]
    for n in range(40):
        res = {f"{lid}X{k}": r for k in range(6) for lid, r in src.items()}
        (tmp_path / f"stack{n}.json").write_text(json.dumps({"Resources": res}))
    loaded = load([tmp_path])
    assign_stages(loaded.stacks)
    ctx = ScanContext(loaded.stacks, Graph(loaded.stacks), Config())
    counts = {r.id: sum(1 for _ in r.run(ctx)) for r in all_rules()}
    assert counts["W9102"] == 40 * 6 * 2 and counts["W9203"] == 40 * 6 * 3
