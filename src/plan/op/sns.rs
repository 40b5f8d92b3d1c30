//! SNS operations: subscriptions of functions to topics.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::Ref;

/// One SNS call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SnsOp {
    /// `Subscribe` (protocol `lambda`), with the filter policy as an attribute.
    Subscribe {
        function: String,
        topic: String,
        function_arn: Ref,
        filter: Option<Value>,
    },
    /// `SetSubscriptionAttributes` `FilterPolicy`: set, or removed with `None`.
    SetSubscriptionFilter {
        function: String,
        topic: String,
        /// The subscription's ARN.
        subscription: String,
        filter: Option<Value>,
    },
    Unsubscribe {
        function: String,
        topic: String,
        subscription: String,
    },
}

impl SnsOp {
    /// The function whose invokers the step changes.
    pub fn changes_function(&self) -> &str {
        match self {
            SnsOp::Subscribe { function, .. }
            | SnsOp::SetSubscriptionFilter { function, .. }
            | SnsOp::Unsubscribe { function, .. } => function,
        }
    }

    pub fn api_call(&self) -> &'static str {
        match self {
            SnsOp::Subscribe { .. } => "Subscribe",
            SnsOp::SetSubscriptionFilter { .. } => "SetSubscriptionAttributes",
            SnsOp::Unsubscribe { .. } => "Unsubscribe",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SnsOp::Subscribe {
                function, topic, ..
            } => format!("subscribe function {function} to {topic}"),
            SnsOp::SetSubscriptionFilter {
                function,
                topic,
                filter,
                ..
            } => match filter {
                Some(_) => format!(
                    "set the filter policy of function {function}'s subscription to {topic}"
                ),
                None => format!(
                    "remove the filter policy of function {function}'s subscription to {topic}"
                ),
            },
            SnsOp::Unsubscribe {
                function, topic, ..
            } => format!("unsubscribe function {function} from {topic}"),
        }
    }

    pub fn is_delete(&self) -> bool {
        match self {
            SnsOp::Unsubscribe { .. } => true,
            SnsOp::Subscribe { .. } | SnsOp::SetSubscriptionFilter { .. } => false,
        }
    }
}
