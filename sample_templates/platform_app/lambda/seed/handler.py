"""Trigger: seeds the reference data after each deployment."""
import os

import boto3

REFERENCE = [("CURRENCY", "EUR"), ("CURRENCY", "USD"), ("CURRENCY", "GBP")]


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    with table.batch_writer() as batch:
        for kind, code in REFERENCE:
            batch.put_item(Item={"pk": f"REF#{kind}", "sk": code})
    return {"seeded": len(REFERENCE)}
