"""Background worker, released through CodeDeploy canary deployments; records each run."""
import os
import time

import boto3
from acme_common.records import normalise

TABLE = boto3.resource("dynamodb").Table(os.environ["RELEASES_TABLE"])


def handler(event, context):
    record = normalise(event)
    TABLE.put_item(Item={"release": context.function_version, "at": int(time.time()), **record})
    return {"processed": record}
