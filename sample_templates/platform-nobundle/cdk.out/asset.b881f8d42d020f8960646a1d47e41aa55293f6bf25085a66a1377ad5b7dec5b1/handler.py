"""Orders REST API handler (behind API Gateway, Lambda proxy integration)."""
import json
import os
import uuid

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _response(status: int, body) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def handler(event, context):
    method = event.get("httpMethod")
    params = event.get("pathParameters") or {}
    if method == "GET" and "orderId" in params:
        item = TABLE.get_item(Key={"pk": f"ORDER#{params['orderId']}", "sk": "META"}).get("Item")
        return _response(200, item) if item else _response(404, {"message": "not found"})
    if method == "GET":
        result = TABLE.query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "ORDERS"}, Limit=50,
        )
        return _response(200, result.get("Items", []))
    if method == "POST":
        order = json.loads(event.get("body") or "{}")
        order_id = str(uuid.uuid4())
        TABLE.put_item(Item={"pk": f"ORDER#{order_id}", "sk": "META", **order})
        return _response(201, {"orderId": order_id})
    return _response(405, {"message": "method not allowed"})
