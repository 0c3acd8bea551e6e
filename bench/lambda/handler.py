"""The Lambda handler every benchmark function uses (one asset for the whole app)."""
import json
import os

import boto3  # provided by the Lambda Python runtime

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def main(event, context):
    item = TABLE.get_item(Key={"pk": event.get("path", "/")}).get("Item")
    return {"statusCode": 200, "body": json.dumps(item or {}, default=str)}
