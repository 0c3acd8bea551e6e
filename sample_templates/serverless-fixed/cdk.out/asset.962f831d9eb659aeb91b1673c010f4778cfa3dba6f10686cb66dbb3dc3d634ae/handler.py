"""Orders API: proxy integration behind API Gateway (GET/POST /api/orders...)."""
import json
import os

import boto3

from shared_utils import get_logger, json_response
from shared_utils.ids import new_id

LOG = get_logger(__name__)
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def main(event, context):
    method = event.get("httpMethod", "GET")
    params = event.get("pathParameters") or {}
    if method == "POST":
        order = json.loads(event.get("body") or "{}")
        order["orderId"] = new_id("ord")
        TABLE.put_item(Item=order)
        return json_response(201, order)
    if "orderId" in params:
        item = TABLE.get_item(Key={"orderId": params["orderId"]}).get("Item")
        return json_response(200 if item else 404, item or {"message": "not found"})
    return json_response(200, TABLE.scan(Limit=50).get("Items", []))
