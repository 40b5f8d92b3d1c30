import json


def list_items(event, context):
    # A Lambda proxy integration answers the CORS headers itself (API Gateway answers
    # only the preflight from the API's CorsConfiguration).
    return {
        "statusCode": 200,
        "headers": {"Access-Control-Allow-Origin": "https://shop.example.com"},
        "body": json.dumps([]),
    }


def create_item(event, context):
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return {
        "statusCode": 201,
        "headers": {"Access-Control-Allow-Origin": "https://shop.example.com"},
        "body": json.dumps({"by": claims.get("sub")}),
    }
