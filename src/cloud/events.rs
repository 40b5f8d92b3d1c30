//! EventBridge rules: the schedules and event patterns that invoke functions. A rule
//! is lade's when its tags say so (`lade:project`, `lade:stage`, and `lade:function`
//! naming the function it invokes). See the parent module for the idempotency
//! contract.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::CloudError;
use crate::model::{LiveRule, RuleSettings};

/// A rule as lade puts it: its settings, tags and one target, the function.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRule {
    pub name: String,
    pub bus: String,
    pub settings: RuleSettings,
    /// Every tag, lade's own included.
    pub tags: BTreeMap<String, String>,
    /// The ARN of the function the rule invokes.
    pub function_arn: String,
}

/// The EventBridge reads and writes lade needs.
#[async_trait]
pub trait EventBridgeApi: Send + Sync {
    /// The rules on `bus` whose names start with `prefix` (`ListRules`, paginated),
    /// each with its tags (`ListTagsForResource`) and lade's target
    /// (`ListTargetsByRule`); the caller keeps those its tags prove it owns. Returns
    /// `(rule, tags)` pairs.
    async fn list_rules(
        &self,
        bus: &str,
        prefix: &str,
    ) -> Result<Vec<(LiveRule, BTreeMap<String, String>)>, CloudError>;

    /// Creates or updates the rule (`PutRule` is an upsert, and sets the state), tags
    /// it, and points its one target (id `lade`) at the function (`PutTargets`,
    /// an upsert too). Returns the rule's ARN.
    async fn put_rule(&self, rule: &NewRule) -> Result<String, CloudError>;

    /// Removes lade's target, then deletes the rule (EventBridge refuses to delete a
    /// rule that has targets). A rule already gone counts as success.
    async fn delete_rule(&self, bus: &str, name: &str) -> Result<(), CloudError>;
}
