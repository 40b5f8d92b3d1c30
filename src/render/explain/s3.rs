//! The `aws` CLI commands of S3 steps.

use super::*;
use crate::plan::S3Op;

/// The references an operation holds.
pub(super) fn refs(op: &S3Op) -> Vec<&Ref> {
    match op {
        S3Op::PutBucketNotifications { entries, .. } => {
            entries.iter().map(|e| &e.function_arn).collect()
        }
    }
}

/// The configuration the step writes: what the plan read of the others' entries, and
/// lade's.
pub(super) fn merged(op: &S3Op) -> Value {
    let S3Op::PutBucketNotifications { entries, kept, .. } = op;
    let mut configuration = match kept {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let mut lambda: Vec<Value> = configuration
        .remove("LambdaFunctionConfigurations")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    for entry in entries {
        let mut json = json!({
            "Id": entry.id,
            "LambdaFunctionArn": value(&entry.function_arn),
            "Events": entry.settings.events,
        });
        let rules: Vec<Value> = [
            ("Prefix", &entry.settings.prefix),
            ("Suffix", &entry.settings.suffix),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.as_ref().map(|v| json!({"Name": name, "Value": v})))
        .collect();
        if !rules.is_empty() {
            json["Filter"] = json!({"Key": {"FilterRules": rules}});
        }
        lambda.push(json);
    }
    if !lambda.is_empty() {
        configuration.insert("LambdaFunctionConfigurations".into(), Value::Array(lambda));
    }
    Value::Object(configuration)
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &S3Op) -> Vec<Command> {
    match op {
        S3Op::PutBucketNotifications { bucket, owned, .. } => vec![
            Command::new("s3api", "get-bucket-notification-configuration")
                .arg("bucket", bucket)
                .note(format!(
                    "the configuration as it is now: the put below replaces all of it, so every entry whose Id does not start with {owned} must be written back as it is (lade reads it again right before writing)"
                )),
            Command::new("s3api", "put-bucket-notification-configuration")
                .arg("bucket", bucket)
                .arg("notification-configuration", compact(&merged(op)))
                .note("the others' entries as the plan read them, and lade's; S3 checks that each function lets this bucket invoke it"),
        ],
    }
}
