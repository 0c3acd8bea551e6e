"""cfncheck: compliance checks for AWS CloudFormation as AWS CDK synthesizes it."""

__version__ = "0.1.0"
