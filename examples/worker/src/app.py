"""Two workers: one drains an SQS queue (and runs a nightly job), one follows a
DynamoDB table's stream.

Adapted from the AWS SAM sample "aws_sam_py_sqs_receiver" and the Lambda developer
guide's DynamoDB Streams tutorial.
"""

import json


def receive(event, context):
    """Print each message's body. A message whose body is not JSON is reported as
    failed, so that SQS hands only it back (`report_batch_item_failures: true`).
    The nightly schedule sends `{"job": "nightly"}` instead of a batch of records."""
    if event.get("job") == "nightly":
        print("nightly clean-up")
        return {"job": "nightly"}
    failures = []
    for record in event.get("Records", []):
        try:
            print(json.loads(record["body"]))
        except (KeyError, ValueError):
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}


def audit(event, context):
    """Print what changed in the table, one line per record."""
    for record in event.get("Records", []):
        keys = record.get("dynamodb", {}).get("Keys", {})
        print(record.get("eventName"), json.dumps(keys, sort_keys=True))
    return {"records": len(event.get("Records", []))}
