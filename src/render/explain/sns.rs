//! The `aws` CLI commands of SNS steps.

use super::*;
use crate::plan::SnsOp;

/// The references an operation holds.
pub(super) fn refs(op: &SnsOp) -> Vec<&Ref> {
    match op {
        SnsOp::Subscribe { function_arn, .. } => vec![function_arn],
        SnsOp::SetSubscriptionFilter { .. } | SnsOp::Unsubscribe { .. } => Vec::new(),
    }
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &SnsOp) -> Vec<Command> {
    match op {
        SnsOp::Subscribe {
            topic,
            function_arn,
            filter,
            ..
        } => {
            let mut subscribe = Command::new("sns", "subscribe")
                .arg("topic-arn", topic)
                .arg("protocol", "lambda")
                .arg("notification-endpoint", value(function_arn));
            if let Some(filter) = filter {
                subscribe = subscribe.arg(
                    "attributes",
                    compact(&json!({"FilterPolicy": compact(filter)})),
                );
            }
            vec![subscribe.flag("return-subscription-arn").note(
                "Subscribe is idempotent: the same topic and function give the same subscription",
            )]
        }
        SnsOp::SetSubscriptionFilter {
            subscription,
            filter,
            ..
        } => vec![
            Command::new("sns", "set-subscription-attributes")
                .arg("subscription-arn", subscription)
                .arg("attribute-name", "FilterPolicy")
                .arg(
                    "attribute-value",
                    filter.as_ref().map(compact).unwrap_or_default(),
                )
                .note(if filter.is_some() {
                    "only messages that match the policy invoke the function"
                } else {
                    "an empty policy removes the filter: every message invokes the function"
                }),
        ],
        SnsOp::Unsubscribe { subscription, .. } => {
            vec![Command::new("sns", "unsubscribe").arg("subscription-arn", subscription)]
        }
    }
}
