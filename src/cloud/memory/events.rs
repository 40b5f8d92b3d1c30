//! The in-memory double's EventBridge rules, in
//! [`Account::rules`](super::Account::rules), keyed by bus and name. Like EventBridge,
//! `PutRule` is an upsert, and a rule is deleted only once its targets are removed
//! (the double removes lade's target first, as the adapter does).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{ACCOUNT, MemoryCloud, Operation};
use crate::cloud::{CloudError, EventBridgeApi, NewRule};
use crate::model::LiveRule;

/// The EventBridge operations the double records.
#[derive(Debug, Clone, Copy)]
enum EventsCall {
    ListRules,
    ListTagsForResource,
    ListTargetsByRule,
    PutRule,
    TagResource,
    PutTargets,
    RemoveTargets,
    DeleteRule,
}

impl Operation for EventsCall {
    fn is_read(self) -> bool {
        match self {
            EventsCall::ListRules
            | EventsCall::ListTagsForResource
            | EventsCall::ListTargetsByRule => true,
            EventsCall::PutRule
            | EventsCall::TagResource
            | EventsCall::PutTargets
            | EventsCall::RemoveTargets
            | EventsCall::DeleteRule => false,
        }
    }
}

/// The ARN EventBridge gives a rule: `rule/<name>` on the default bus,
/// `rule/<bus>/<name>` on another.
pub fn rule_arn(bus: &str, name: &str) -> String {
    let path = if bus == "default" {
        name.to_string()
    } else {
        format!("{bus}/{name}")
    };
    format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/{path}")
}

#[async_trait]
impl EventBridgeApi for MemoryCloud {
    async fn list_rules(
        &self,
        bus: &str,
        prefix: &str,
    ) -> Result<Vec<(LiveRule, BTreeMap<String, String>)>, CloudError> {
        self.record(EventsCall::ListRules);
        let found: Vec<_> = {
            let account = self.account.lock().unwrap();
            account
                .rules
                .values()
                .filter(|(rule, _)| rule.bus == bus && rule.name.starts_with(prefix))
                .cloned()
                .collect()
        };
        for _ in &found {
            self.record(EventsCall::ListTagsForResource);
            self.record(EventsCall::ListTargetsByRule);
        }
        Ok(found)
    }

    async fn put_rule(&self, rule: &NewRule) -> Result<String, CloudError> {
        self.record(EventsCall::PutRule);
        self.record(EventsCall::TagResource);
        self.record(EventsCall::PutTargets);
        let arn = rule_arn(&rule.bus, &rule.name);
        let function = rule
            .tags
            .get(crate::model::TAG_FUNCTION)
            .cloned()
            .unwrap_or_default();
        let mut account = self.account.lock().unwrap();
        account.rules.insert(
            format!("{}/{}", rule.bus, rule.name),
            (
                LiveRule {
                    name: rule.name.clone(),
                    arn: arn.clone(),
                    bus: rule.bus.clone(),
                    function,
                    settings: rule.settings.clone(),
                    target: Some(rule.function_arn.clone()),
                },
                rule.tags.clone(),
            ),
        );
        Ok(arn)
    }

    async fn delete_rule(&self, bus: &str, name: &str) -> Result<(), CloudError> {
        self.record(EventsCall::RemoveTargets);
        self.record(EventsCall::DeleteRule);
        let mut account = self.account.lock().unwrap();
        account.rules.remove(&format!("{bus}/{name}"));
        Ok(())
    }
}
