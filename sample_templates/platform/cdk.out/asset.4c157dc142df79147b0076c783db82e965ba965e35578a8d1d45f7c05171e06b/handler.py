"""Background worker, released through CodeDeploy canary deployments."""
from acme_common.records import normalise


def handler(event, context):
    return {"processed": normalise(event)}
