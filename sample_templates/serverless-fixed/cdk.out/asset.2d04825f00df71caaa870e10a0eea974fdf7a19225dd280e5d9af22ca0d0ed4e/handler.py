"""Report: GET /api/reports -- summarises orders. Imports only stdlib, boto3,
the shared_utils layer and its own local module."""
import os
from collections import Counter

import boto3

import formatting
from shared_utils import get_logger, json_response

LOG = get_logger(__name__)
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def main(event, context):
    items = TABLE.scan(Limit=100).get("Items", [])
    by_status = Counter(i.get("status", "unknown") for i in items)
    rows = [formatting.to_csv_row(kv) for kv in sorted(by_status.items())]
    return json_response(200, {"rows": rows})
