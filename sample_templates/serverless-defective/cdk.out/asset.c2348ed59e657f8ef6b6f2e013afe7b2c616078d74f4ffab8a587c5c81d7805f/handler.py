"""Worker: reacts to S3 ObjectCreated notifications and records an audit entry."""
import os
import urllib.parse
from datetime import datetime, timezone

import boto3

from shared_utils import get_logger

LOG = get_logger(__name__)
AUDIT = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE_NAME"])
SNS = boto3.client("sns")


def main(event, context):
    for record in event.get("Records", []):
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        AUDIT.put_item(Item={
            "pk": key,
            "sk": datetime.now(timezone.utc).isoformat(),
            "event": record.get("eventName", "unknown"),
        })
        SNS.publish(TopicArn=os.environ["ALERTS_TOPIC_ARN"], Message=f"new object {key}")
    return {"processed": len(event.get("Records", []))}
