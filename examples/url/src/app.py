"""Answers a function URL request with a greeting, as JSON."""

import json
import os


def handler(event, context):
    # A function URL passes the request in the API Gateway HTTP API (2.0) format.
    path = event.get("rawPath", "/")
    body = {"hello": path, "web_url": os.environ.get("WEB_URL")}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
