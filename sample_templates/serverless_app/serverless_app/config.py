"""Per-stage settings shared by the stacks."""
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import RemovalPolicy

APP_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = APP_ROOT / "lambda"
LAYER_DIR = APP_ROOT / "layer"

# Never let local byte-code or editor junk change asset hashes.
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".DS_Store"]

# DEFECT 11 (defective variant only): literal region/account in an ARN.
HARDCODED_ALERTS_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:alerts-topic"


@dataclass(frozen=True)
class StageConfig:
    """What differs between variants and between Dev and Prod."""

    variant: str  # "defective" | "fixed"
    env_name: str  # "dev" | "prod"

    @property
    def defective(self) -> bool:
        return self.variant == "defective"

    @property
    def is_prod(self) -> bool:
        return self.env_name == "prod"

    @property
    def stateful_removal_policy(self) -> RemovalPolicy:
        """Removal policy for tables, buckets, log groups, keys, queues."""
        if self.defective:
            # DEFECT 5: DESTROY everywhere, Prod included.
            return RemovalPolicy.DESTROY
        return RemovalPolicy.RETAIN if self.is_prod else RemovalPolicy.DESTROY
