"""The `hello` function: answers API Gateway with a small JSON document.

API Gateway's Lambda proxy integration passes the HTTP request as `event` and
expects a dict with `statusCode`, `headers` and a string `body` in return.
"""

import json


def handler(event, context):
    """Entry point named by `handler: app.handler` in lade.yaml."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "hello from lade"}),
    }
