//! EventBridge rules: the schedules and event patterns that invoke functions.
//!
//! `PutRule` and `PutTargets` are upserts: retried, or repeated after a lost answer,
//! they leave the same rule and target. `PutRule` replaces every setting it is given
//! and clears those it is not (a description left out is removed), so lade always sends
//! the whole rule. Tags passed to `PutRule` are applied only when it creates the rule,
//! so the adapter tags it again (`TagResource`) after every put.
//!
//! Before putting a rule whose name exists, the adapter reads the rule's tags: a rule
//! with lade's name that this project and stage (and this function) do not own is
//! [`CloudError::NotOwned`], never overwritten. `DeleteRule` refuses a rule that still
//! has targets, so lade's target is removed first; a rule or target already gone is
//! success.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_eventbridge::types::{RuleState, Tag, Target};

use super::AwsCloud;
use crate::cloud::{CloudError, EventBridgeApi, NewRule, NotOurs};
use crate::model::{LiveRule, RULE_TARGET_ID, ResourceKind, RuleSettings, TAG_FUNCTION};

const NOT_FOUND: &str = "ResourceNotFoundException";

/// Rules per `ListRules` page: EventBridge's maximum.
const LIST_PAGE: i32 = 100;

fn invalid(operation: &str, message: String) -> CloudError {
    CloudError::Service {
        operation: operation.to_string(),
        message,
    }
}

#[async_trait]
impl EventBridgeApi for AwsCloud {
    async fn list_rules(
        &self,
        bus: &str,
        prefix: &str,
    ) -> Result<Vec<(LiveRule, BTreeMap<String, String>)>, CloudError> {
        let mut rules = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .call("ListRules", || {
                    self.events
                        .list_rules()
                        .event_bus_name(bus)
                        .name_prefix(prefix)
                        .limit(LIST_PAGE)
                        .set_next_token(token.clone())
                        .send()
                })
                .await?;
            rules.extend(page.rules().iter().cloned());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut found = Vec::new();
        for rule in rules {
            let (Some(name), Some(arn)) = (rule.name(), rule.arn()) else {
                continue;
            };
            let tags = match self.rule_tags(arn).await {
                Ok(tags) => tags,
                // Deleted since it was listed.
                Err(error) if error.is(NOT_FOUND) => continue,
                Err(error) => return Err(error.into()),
            };
            // Someone else's rule under lade's prefix: its targets are none of lade's
            // business.
            if !tags.contains_key(TAG_FUNCTION) {
                continue;
            }
            let target = match self.lade_target(bus, name).await {
                Ok(target) => target,
                Err(error) if error.is(NOT_FOUND) => continue,
                Err(error) => return Err(error.into()),
            };
            let settings = RuleSettings {
                schedule: rule.schedule_expression().map(str::to_owned),
                pattern: rule
                    .event_pattern()
                    .and_then(|p| serde_json::from_str(p).ok()),
                input: target
                    .as_ref()
                    .and_then(|t| t.input())
                    .and_then(|i| serde_json::from_str(i).ok()),
                description: rule.description().unwrap_or_default().to_owned(),
                enabled: !matches!(rule.state(), Some(RuleState::Disabled)),
            };
            found.push((
                LiveRule {
                    name: name.to_owned(),
                    arn: arn.to_owned(),
                    bus: rule.event_bus_name().unwrap_or(bus).to_owned(),
                    function: tags[TAG_FUNCTION].clone(),
                    settings,
                    target: target.as_ref().map(|t| t.arn().to_owned()),
                },
                tags,
            ));
        }
        Ok(found)
    }

    async fn put_rule(&self, rule: &NewRule) -> Result<String, CloudError> {
        self.check_rule_owner(rule).await?;
        let state = if rule.settings.enabled {
            RuleState::Enabled
        } else {
            RuleState::Disabled
        };
        let tags: Vec<Tag> = rule
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("PutRule", e.to_string()))?;
        let pattern = rule.settings.pattern.as_ref().map(|p| p.to_string());
        let description = Some(rule.settings.description.clone()).filter(|d| !d.is_empty());
        let put = self
            .call("PutRule", || {
                self.events
                    .put_rule()
                    .name(&rule.name)
                    .event_bus_name(&rule.bus)
                    .set_schedule_expression(rule.settings.schedule.clone())
                    .set_event_pattern(pattern.clone())
                    .set_description(description.clone())
                    .state(state.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        let arn = put
            .rule_arn()
            .map(str::to_owned)
            .ok_or_else(|| invalid("PutRule", "EventBridge returned no rule ARN".into()))?;
        self.call("TagResource", || {
            self.events
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
        let target = Target::builder()
            .id(RULE_TARGET_ID)
            .arn(&rule.function_arn)
            .set_input(rule.settings.input.as_ref().map(|i| i.to_string()))
            .build()
            .map_err(|e| invalid("PutTargets", e.to_string()))?;
        let put = self
            .call("PutTargets", || {
                self.events
                    .put_targets()
                    .rule(&rule.name)
                    .event_bus_name(&rule.bus)
                    .targets(target.clone())
                    .send()
            })
            .await?;
        if put.failed_entry_count() > 0 {
            let reasons: Vec<String> = put
                .failed_entries()
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.error_code().unwrap_or("error"),
                        e.error_message().unwrap_or_default()
                    )
                })
                .collect();
            return Err(invalid("PutTargets", reasons.join("; ")));
        }
        Ok(arn)
    }

    async fn delete_rule(&self, bus: &str, name: &str) -> Result<(), CloudError> {
        match self
            .call("RemoveTargets", || {
                self.events
                    .remove_targets()
                    .rule(name)
                    .event_bus_name(bus)
                    .ids(RULE_TARGET_ID)
                    .send()
            })
            .await
        {
            Ok(_) => {}
            Err(error) if error.is(NOT_FOUND) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        match self
            .call("DeleteRule", || {
                self.events
                    .delete_rule()
                    .name(name)
                    .event_bus_name(bus)
                    .send()
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl AwsCloud {
    async fn rule_tags(
        &self,
        arn: &str,
    ) -> Result<BTreeMap<String, String>, super::error::AwsError> {
        let listed = self
            .call("ListTagsForResource", || {
                self.events
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
            })
            .await?;
        Ok(listed
            .tags()
            .iter()
            .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
            .collect())
    }

    /// lade's target on the rule (id `lade`), if it has one.
    async fn lade_target(
        &self,
        bus: &str,
        rule: &str,
    ) -> Result<Option<Target>, super::error::AwsError> {
        let listed = self
            .call("ListTargetsByRule", || {
                self.events
                    .list_targets_by_rule()
                    .rule(rule)
                    .event_bus_name(bus)
                    .send()
            })
            .await?;
        Ok(listed
            .targets()
            .iter()
            .find(|t| t.id() == RULE_TARGET_ID)
            .cloned())
    }

    /// Refuses to put a rule over one of the same name that is not this project's,
    /// stage's and function's.
    async fn check_rule_owner(&self, rule: &NewRule) -> Result<(), CloudError> {
        let described = self
            .call("DescribeRule", || {
                self.events
                    .describe_rule()
                    .name(&rule.name)
                    .event_bus_name(&rule.bus)
                    .send()
            })
            .await;
        let arn = match described {
            Ok(found) => found.arn().unwrap_or_default().to_owned(),
            Err(error) if error.is(NOT_FOUND) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        let found = match self.rule_tags(&arn).await {
            Ok(tags) => tags,
            Err(error) if error.is(NOT_FOUND) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        let ours = ["lade:project", "lade:stage", TAG_FUNCTION]
            .iter()
            .all(|key| found.get(*key) == rule.tags.get(*key));
        if ours {
            return Ok(());
        }
        Err(CloudError::NotOwned {
            kind: ResourceKind::Rule,
            name: rule.name.clone(),
            reason: NotOurs::tags(&found, &rule.tags),
        })
    }
}
