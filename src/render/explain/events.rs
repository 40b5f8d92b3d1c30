//! The `aws` CLI commands of EventBridge steps.

use super::*;
use crate::plan::EventBridgeOp;

/// The references an operation holds.
pub(super) fn refs(op: &EventBridgeOp) -> Vec<&Ref> {
    match op {
        EventBridgeOp::PutRule { function_arn, .. } => vec![function_arn],
        EventBridgeOp::DeleteRule { .. } => Vec::new(),
    }
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &EventBridgeOp) -> Vec<Command> {
    match op {
        EventBridgeOp::PutRule {
            rule,
            bus,
            settings,
            function_arn,
            tags,
            ..
        } => {
            let mut put = Command::new("events", "put-rule")
                .arg("name", rule)
                .arg("event-bus-name", bus);
            if let Some(schedule) = &settings.schedule {
                put = put.arg("schedule-expression", schedule);
            }
            if let Some(pattern) = &settings.pattern {
                put = put.arg("event-pattern", compact(pattern));
            }
            put = put.arg_if("description", &settings.description).arg(
                "state",
                if settings.enabled {
                    "ENABLED"
                } else {
                    "DISABLED"
                },
            );
            let tags: Vec<String> = tags
                .iter()
                .map(|(k, v)| format!("Key={k},Value={v}"))
                .collect();

            let mut target =
                json!({"Id": crate::model::RULE_TARGET_ID, "Arn": value(function_arn)});
            if let Some(input) = &settings.input {
                target["Input"] = Value::String(compact(input));
            }
            vec![
                put.note("PutRule is an upsert: it creates the rule or sets all of it"),
                Command::new("events", "tag-resource")
                    .arg("resource-arn", format!("<arn of rule {rule}>"))
                    .args("tags", tags)
                    .note("PutRule tags a rule only when it creates it; the rule's ARN is `RuleArn` in put-rule's output"),
                Command::new("events", "put-targets")
                    .arg("rule", rule)
                    .arg("event-bus-name", bus)
                    .arg("targets", compact(&json!([target])))
                    .note("the rule's one target, the function, with the event it receives"),
            ]
        }
        EventBridgeOp::DeleteRule { rule, bus, .. } => vec![
            Command::new("events", "remove-targets")
                .arg("rule", rule)
                .arg("event-bus-name", bus)
                .arg("ids", crate::model::RULE_TARGET_ID)
                .note("EventBridge deletes a rule only once it has no targets"),
            Command::new("events", "delete-rule")
                .arg("name", rule)
                .arg("event-bus-name", bus),
        ],
    }
}
