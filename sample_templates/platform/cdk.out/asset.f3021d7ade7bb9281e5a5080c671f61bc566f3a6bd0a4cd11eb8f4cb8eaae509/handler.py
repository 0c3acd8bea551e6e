"""Payment provider webhook (function URL)."""
import json


def handler(event, context):
    body = json.loads(event.get("body") or "{}")
    kind = body.get("type", "unknown")
    print(json.dumps({"received": kind, "id": body.get("id")}))
    return {"statusCode": 204}
