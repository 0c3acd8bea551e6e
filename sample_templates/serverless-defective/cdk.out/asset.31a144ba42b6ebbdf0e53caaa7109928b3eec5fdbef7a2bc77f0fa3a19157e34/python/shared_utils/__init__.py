"""shared_utils: a tiny in-house helper package shipped as a Lambda layer.

Lives at python/shared_utils/ inside the layer asset, so it is importable as
``import shared_utils`` from any function that uses the layer.
"""
import json
import logging
import os

__version__ = "0.1.0"


def get_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    return logger


def json_response(status: int, body) -> dict:
    """Return an API Gateway proxy-integration response."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, default=str),
    }
