//! Semantic comparison of IAM policy documents.
//!
//! IAM keeps a document as it was sent, but many spellings mean the same thing: key
//! order, a lone `Statement` object versus a list of one, `"Action": "s3:GetObject"`
//! versus `["s3:GetObject"]`, and the order of actions or resources in a list. lade
//! compares [`normalize`]d documents so that none of these shows up as a change. It
//! never sends the normalised form: what the user wrote is what IAM gets.

use serde_json::{Map, Value};

/// Keys whose value is a set of strings: a lone string equals a list of one, and order
/// does not matter.
const SET_KEYS: &[&str] = &[
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Service",
    "AWS",
    "Federated",
    "CanonicalUser",
];

/// The canonical form of a policy document, for comparison only.
pub fn normalize(document: &Value) -> Value {
    match document {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                let value = &map[key];
                let value = if key == "Statement" {
                    let statements = match value {
                        Value::Array(items) => items.iter().map(normalize).collect(),
                        other => vec![normalize(other)],
                    };
                    Value::Array(statements)
                } else if SET_KEYS.contains(&key.as_str()) {
                    string_set(value)
                } else {
                    normalize(value)
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Whether two policy documents mean the same thing.
pub fn equivalent(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

fn string_set(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(items) => items.iter().map(normalize).collect(),
        other => vec![normalize(other)],
    };
    items.sort_by_key(|item| item.to_string());
    items.dedup();
    Value::Array(items)
}

/// The service principals a policy's statements name, e.g. `lambda.amazonaws.com`, in
/// the order they appear.
pub fn trusted_services(document: &Value) -> Vec<String> {
    let mut services = Vec::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        match &statement["Principal"]["Service"] {
            Value::String(s) => services.push(s.clone()),
            Value::Array(items) => {
                services.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
            }
            _ => {}
        }
    }
    services
}

/// What Lambda's poller needs to read `source` (and to send failed records on).
pub fn trigger_statements(source: &crate::model::EventSource) -> Vec<Value> {
    let arn = &source.arn;
    let actions: &[&str] = match source.kind {
        crate::model::SourceKind::Sqs => &[
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
        ],
        crate::model::SourceKind::DynamoDb => &[
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ],
        crate::model::SourceKind::Kinesis => &[
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
            "kinesis:SubscribeToShard",
        ],
    };
    let mut statements =
        vec![serde_json::json!({ "Effect": "Allow", "Action": actions, "Resource": arn })];
    // Listing streams names no stream: it takes `*`.
    match source.kind {
        crate::model::SourceKind::DynamoDb => statements.push(
            serde_json::json!({ "Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": "*" }),
        ),
        crate::model::SourceKind::Kinesis => statements
            .push(serde_json::json!({ "Effect": "Allow", "Action": ["kinesis:ListStreams"], "Resource": "*" })),
        crate::model::SourceKind::Sqs => {}
    }
    if let Some(destination) = &source.settings.on_failure {
        let action = if destination.split(':').nth(2) == Some("sns") {
            "sns:Publish"
        } else {
            "sqs:SendMessage"
        };
        statements.push(
            serde_json::json!({ "Effect": "Allow", "Action": [action], "Resource": destination }),
        );
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_scalar_lists_do_not_matter() {
        let a = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "*"}});
        let b = json!({"Statement": [{"Resource": ["*"], "Action": ["s3:GetObject"],
            "Effect": "Allow"}], "Version": "2012-10-17"});
        assert!(equivalent(&a, &b));
    }

    #[test]
    fn action_order_does_not_matter_but_content_does() {
        let a =
            json!({"Statement": [{"Effect": "Allow", "Action": ["a:B", "a:C"], "Resource": "*"}]});
        let b =
            json!({"Statement": [{"Effect": "Allow", "Action": ["a:C", "a:B"], "Resource": "*"}]});
        let c =
            json!({"Statement": [{"Effect": "Deny", "Action": ["a:C", "a:B"], "Resource": "*"}]});
        assert!(equivalent(&a, &b));
        assert!(!equivalent(&a, &c));
    }

    #[test]
    fn principal_service_string_equals_list_of_one() {
        let a = json!({"Statement": [{"Principal": {"Service": "lambda.amazonaws.com"}}]});
        let b = json!({"Statement": [{"Principal": {"Service": ["lambda.amazonaws.com"]}}]});
        assert!(equivalent(&a, &b));
    }
}
