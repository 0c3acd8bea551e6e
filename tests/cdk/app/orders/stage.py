"""The Stage: one Api stack (with a nested Storage stack)."""

import aws_cdk as cdk
from constructs import Construct

from .api_stack import ApiStack


class OrdersStage(cdk.Stage):
    def __init__(self, scope: Construct, construct_id: str, *, variant: str) -> None:
        super().__init__(scope, construct_id)
        ApiStack(self, "Api", variant=variant)
        if variant == "fixed":
            cdk.Tags.of(self).add("Environment", construct_id.lower())
            cdk.Tags.of(self).add("Owner", "orders-team")
