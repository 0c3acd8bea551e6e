"""Ingest handler (SQS event source): normalises partner payloads with acme_common."""
import json

from acme_common.records import normalise


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        try:
            normalise(json.loads(record["body"]))
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
