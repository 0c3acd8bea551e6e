"""Internal status endpoint (function URL, IAM-signed requests only)."""
import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"stage": os.environ.get("STAGE"), "version": context.function_version}),
    }
