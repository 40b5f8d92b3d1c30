"""The `stages` example: `web` answers `GET /hello` and asks `worker` for a word.

lade fills `WORKER_ARN` and `PUBLIC_URL` in from `${function:worker.arn}` and
`${api.url}` in lade.yaml; `STAGE` comes from `defaults:`.
"""

import json
import os

import boto3


def web(event, context):
    """Entry point named by `handler: app.web`: a Lambda proxy response."""
    reply = boto3.client("lambda").invoke(
        FunctionName=os.environ["WORKER_ARN"],
        Payload=json.dumps({"name": "world"}),
    )
    word = json.loads(reply["Payload"].read())["word"]
    body = {
        "message": f"hello, {word}",
        "stage": os.environ["STAGE"],
        "url": os.environ["PUBLIC_URL"],
        "api_key_set": os.environ.get("API_KEY", "not-set") != "not-set",
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def worker(event, context):
    """Entry point named by `handler: app.worker`: invoked directly by `web`."""
    return {"word": event.get("name", "nobody")}
