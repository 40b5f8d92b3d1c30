//! EventBridge operations: the rules (schedules and event patterns) that invoke
//! functions, each with its one target.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diff::Ref;
use crate::model::RuleSettings;

/// One EventBridge step. `PutRule` and `PutTargets` are both upserts, and a rule
/// without its target invokes nothing, so one step puts both (and tags the rule);
/// likewise EventBridge deletes a rule only once its targets are removed, so one step
/// does `RemoveTargets` then `DeleteRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum EventBridgeOp {
    PutRule {
        /// The physical name of the function the rule invokes.
        function: String,
        rule: String,
        bus: String,
        /// Boxed: a rule's settings (pattern, input) are the largest part of any op.
        settings: Box<RuleSettings>,
        function_arn: Ref,
        /// Every tag, lade's own included.
        tags: BTreeMap<String, String>,
    },
    DeleteRule {
        function: String,
        rule: String,
        bus: String,
    },
}

impl EventBridgeOp {
    /// The function whose invokers the step changes.
    pub fn changes_function(&self) -> &str {
        match self {
            EventBridgeOp::PutRule { function, .. }
            | EventBridgeOp::DeleteRule { function, .. } => function,
        }
    }

    /// The AWS API operation the step starts with.
    pub fn api_call(&self) -> &'static str {
        match self {
            EventBridgeOp::PutRule { .. } => "PutRule",
            EventBridgeOp::DeleteRule { .. } => "DeleteRule",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            EventBridgeOp::PutRule {
                function,
                rule,
                settings,
                bus,
                ..
            } => format!(
                "put rule {rule} ({}) invoking function {function}",
                settings.what(bus)
            ),
            EventBridgeOp::DeleteRule { function, rule, .. } => {
                format!("delete rule {rule}, which invokes function {function}")
            }
        }
    }

    pub fn is_delete(&self) -> bool {
        match self {
            EventBridgeOp::PutRule { .. } => false,
            EventBridgeOp::DeleteRule { .. } => true,
        }
    }
}
