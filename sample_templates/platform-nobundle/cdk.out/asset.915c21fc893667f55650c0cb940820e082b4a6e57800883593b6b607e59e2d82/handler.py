"""Ingest handler: normalises partner payloads with the shared acme_common package."""
import json

from acme_common.records import normalise


def handler(event, context):
    records = [normalise(json.loads(r["body"])) for r in event.get("Records", [])]
    return {"accepted": len(records)}
