"""Per-stage settings and the few literals a platform team keeps in one place."""
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Environment, RemovalPolicy

APP_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_DIR = APP_ROOT / "lambda"

# Never let local byte-code or editor junk change asset hashes.
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".DS_Store"]

OWNER = "platform-team"

# The organisation's central event bus lives in the shared-services account.
CENTRAL_ACCOUNT = "222222222222"
CENTRAL_EVENT_BUS_ARN = f"arn:aws:events:eu-west-1:{CENTRAL_ACCOUNT}:event-bus/central-bus"

# DynamoDB replica region and the region of the organisation-wide SSM parameters
# (both deliberate cross-region designs).
REPLICA_REGION = "eu-central-1"
GLOBAL_PARAMETERS_REGION = "us-east-1"

# AWS's official Powertools for AWS Lambda (Python) v3 layer; 017000801446 is AWS's
# publisher account (https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer).
POWERTOOLS_LAYER_VERSION = 18

# Bucket the data-platform team owns; this app only attaches a policy to it.
SHARED_REPORTS_BUCKET = "acme-shared-reports"


@dataclass(frozen=True)
class StageConfig:
    """What differs between Dev and Prod."""

    env_name: str  # "dev" | "prod"
    account: str
    region: str = "eu-west-1"

    @property
    def is_prod(self) -> bool:
        return self.env_name == "prod"

    @property
    def env(self) -> Environment:
        return Environment(account=self.account, region=self.region)

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.is_prod else RemovalPolicy.DESTROY

    @property
    def powertools_layer_arn(self) -> str:
        return (
            f"arn:aws:lambda:{self.region}:017000801446:layer:"
            f"AWSLambdaPowertoolsPythonV3-python313-x86_64:{POWERTOOLS_LAYER_VERSION}"
        )

    @property
    def certificate_arn_context_key(self) -> str:
        return f"{self.env_name}-certificate-arn"
