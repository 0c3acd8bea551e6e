"""Small deterministic checks that drive the report, suppression and baseline tests.

They flag resources by type only, so the tests do not depend on the real rule pack's verdicts
(which other tests own): every AWS::S3::Bucket (error, security), every DynamoDB table
(warning, security) and every log group (info, not security).
"""

from __future__ import annotations

from pathlib import Path

from cfncheck.checks import CheckInfo, Hit
from cfncheck.config import Config
from cfncheck.engine import scan

ROOT = Path(__file__).resolve().parents[2]
DEFECTIVE = ROOT / "sample_templates" / "serverless-defective" / "cdk.out"


class TypeCheck:
    def __init__(self, info: CheckInfo, rtype: str, prop: str):
        self.info = info
        self.rtype = rtype
        self.prop = prop

    def run(self, ctx):
        for stack in ctx.stacks:
            for lid, res in stack.resources.items():
                if isinstance(res, dict) and res.get("Type") == self.rtype:
                    yield Hit(stack, lid, ("Resources", lid, "Properties"),
                              f"{self.rtype} {lid} lacks {self.prop}", key=self.prop)


BUCKET = CheckInfo(id="T-S3-001", title="Buckets block public access", severity="error",
                   description="Every bucket blocks public access.",
                   remediation="Set `block_public_access=BLOCK_ALL`:\n\n```python\n"
                               "s3.Bucket(self, 'B', block_public_access=...)\n```",
                   docs_url="https://example.com/docs/T-S3-001", category="s3",
                   tags=("security", "s3"), security_severity=8.1, precision="very-high")
TABLE = CheckInfo(id="T-DDB-001", title="Tables have PITR", severity="warning",
                  description="Point-in-time recovery.", remediation="Enable PITR.",
                  category="dynamodb", tags=("security",))
LOGS = CheckInfo(id="T-LOGS-001", title="Log groups have a retention", severity="info",
                 description="Retention.", remediation="Set retention.", category="logs",
                 tags=("reliability",))


def fake_checks() -> list:
    return [TypeCheck(BUCKET, "AWS::S3::Bucket", "PublicAccessBlockConfiguration"),
            TypeCheck(TABLE, "AWS::DynamoDB::Table", "PointInTimeRecoverySpecification"),
            TypeCheck(LOGS, "AWS::Logs::LogGroup", "RetentionInDays")]


def run_scan(path=DEFECTIVE, config: Config | None = None, **kw):
    return scan([str(path)], config or Config(), checks=fake_checks(), jobs=1, **kw)
