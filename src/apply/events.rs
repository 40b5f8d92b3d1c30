//! Performs EventBridge steps: rules, with their target and tags.

use super::context::Context;
use super::error::ApplyError;
use crate::cloud::NewRule;
use crate::plan::EventBridgeOp;

impl Context<'_> {
    pub(super) async fn event_bridge(&self, op: &EventBridgeOp) -> Result<(), ApplyError> {
        match op {
            EventBridgeOp::PutRule {
                rule,
                bus,
                settings,
                function_arn,
                tags,
                ..
            } => {
                let rule = NewRule {
                    name: rule.clone(),
                    bus: bus.clone(),
                    settings: settings.as_ref().clone(),
                    tags: tags.clone(),
                    function_arn: self.resolve(function_arn).await?,
                };
                self.cloud.put_rule(&rule).await?;
            }
            EventBridgeOp::DeleteRule { rule, bus, .. } => {
                self.cloud.delete_rule(bus, rule).await?
            }
        }
        Ok(())
    }
}
