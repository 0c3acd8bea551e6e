"""Items HTTP API handler: python3.14 with the Powertools for AWS Lambda layer."""
import os

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@app.get("/items/<item_id>")
@tracer.capture_method
def get_item(item_id: str):
    item = TABLE.get_item(Key={"pk": f"ITEM#{item_id}", "sk": "META"}).get("Item")
    if item is None:
        return {"message": f"item {item_id} not found"}, 404
    # PEP 701 (Python 3.12+): the same quote character inside the replacement field.
    logger.info(f"served {item["pk"]} ({item.get("name", "unnamed")})")
    return item


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    return app.resolve(event, context)
