"""CRUD handlers for API Gateway's Lambda proxy integration."""

import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def list_items(event, context):
    return respond(200, TABLE.scan().get("Items", []))


def get_item(event, context):
    item = TABLE.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return respond(200, item) if item else respond(404, {"error": "not found"})


def put_item(event, context):
    item = json.loads(event.get("body") or "{}")
    if event.get("pathParameters"):
        item["id"] = event["pathParameters"]["id"]
    TABLE.put_item(Item=item)
    return respond(200, item)


def delete_item(event, context):
    TABLE.delete_item(Key={"id": event["pathParameters"]["id"]})
    return respond(204, {})
