"""Paths of the committed sample assemblies, and helpers to build broken ones in tests."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_templates"
DEFECTIVE = SAMPLES / "serverless-defective" / "cdk.out"
FIXED = SAMPLES / "serverless-fixed" / "cdk.out"
PLATFORM = SAMPLES / "platform" / "cdk.out"  # platform_app, every asset bundled
PLATFORM_NOBUNDLE = SAMPLES / "platform-nobundle" / "cdk.out"  # bundling limited to Dev/Api
SHARED = ROOT.parent / "shared"


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    return path
