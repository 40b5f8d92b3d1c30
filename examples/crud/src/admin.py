"""A catch-all admin endpoint: API Gateway passes the greedy path in `proxy`."""

import json


def handler(event, context):
    path = (event.get("pathParameters") or {}).get("proxy", "")
    return {"statusCode": 200, "body": json.dumps({"admin": path, "method": event.get("httpMethod")})}
