//! SNS subscriptions: a function subscribed (protocol `lambda`) to a topic, with an
//! optional filter policy, and the statement in the function's resource policy that
//! lets that topic, and only it, invoke it.
//!
//! **Ownership.** Subscriptions cannot be tagged. A subscription is lade's when its
//! endpoint is the ARN of a function lade owns (tagged `lade:project`, `lade:stage`):
//! `live` lists the subscriptions of each topic the manifest names (and each topic a
//! statement of lade's names) and keeps those. A subscription someone else made for
//! an owned function is therefore adopted: a function lade owns is lade's to wire.
//!
//! **Identity.** SNS keeps one subscription per topic, protocol and endpoint, so a
//! subscription is identified by its function and topic. Its filter policy changes in
//! place (`SetSubscriptionAttributes`).
//!
//! **Permissions.** One statement per function and topic,
//! `lade-sns-<topic name, cut to 70>-<8 hex digits of the topic's ARN>` (topic names
//! take only characters statement ids take), for `sns.amazonaws.com`, with
//! `SourceArn` the topic's ARN. It is added before the subscription (its first
//! message finds it) and removed after it.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{Live, LiveSubscription, ResourceKind};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op, PermissionSource, SnsOp};

/// The subscription kind.
pub struct Subscription;

/// The prefix of every statement id lade gives a topic's permission.
pub const STATEMENT_PREFIX: &str = "lade-sns-";

/// The statement id of `topic`'s permission on a function.
pub fn statement_id(topic: &str) -> String {
    let name: String = topic
        .rsplit(':')
        .next()
        .unwrap_or(topic)
        .chars()
        .take(70)
        .collect();
    let digest = Sha256::digest(topic.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{STATEMENT_PREFIX}{name}-{hash}")
}

/// The name plans show: `shop-dev-alerts ← arn:aws:sns:us-east-1:123456789012:alerts`.
pub fn subscription_name(function: &str, topic: &str) -> String {
    format!("{function} ← {topic}")
}

fn address(function: &str, topic: &str) -> Address {
    Address::Subscription {
        function: function.to_string(),
        topic: topic.to_string(),
    }
}

fn permission_address(function: &str, topic: &str) -> Address {
    Address::SubscriptionPermission {
        function: function.to_string(),
        topic: topic.to_string(),
    }
}

fn function_arn(live: &Live, function: &str) -> Ref {
    match live.functions.get(function) {
        Some(f) => Ref::Known(f.arn.clone()),
        None => Ref::After(Output::FunctionArn(function.to_string())),
    }
}

/// The `SourceArn` of lade's statement for `topic` on `function`, if there is one.
fn live_statement<'a>(live: &'a Live, function: &str, topic: &str) -> Option<Option<&'a str>> {
    let sid = statement_id(topic);
    live.permissions
        .get(function)?
        .iter()
        .find(|p| p.sid == sid && p.principal == crate::arn::SNS_PRINCIPAL)
        .map(|p| p.source_arn.as_deref())
}

fn live_subscription<'a>(
    live: &'a Live,
    function: &str,
    topic: &str,
) -> Option<&'a LiveSubscription> {
    live.subscriptions
        .get(function)?
        .iter()
        .find(|s| s.topic == topic)
}

fn filter_value(filter: &Option<serde_json::Value>) -> Option<FieldValue> {
    filter.clone().map(FieldValue::Document)
}

impl Kind for Subscription {
    fn name(&self) -> &'static str {
        "subscription"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        let none = Vec::new();
        for function in desired.functions.values() {
            let existing = live.subscriptions.get(&function.name).unwrap_or(&none);
            for wanted in &function.subscriptions {
                let name = subscription_name(&function.name, &wanted.topic);
                match existing.iter().find(|s| s.topic == wanted.topic) {
                    None => changes.push(Change {
                        fields: filter_value(&wanted.filter)
                            .map(|new| FieldChange {
                                field: Field::FilterPolicy,
                                old: None,
                                new: Some(new),
                            })
                            .into_iter()
                            .collect(),
                        ..Change::new(address(&function.name, &wanted.topic), name, Action::Create)
                    }),
                    Some(live_sub) if live_sub.filter != wanted.filter => changes.push(Change {
                        fields: vec![FieldChange {
                            field: Field::FilterPolicy,
                            old: filter_value(&live_sub.filter),
                            new: filter_value(&wanted.filter),
                        }],
                        ..Change::new(address(&function.name, &wanted.topic), name, Action::Update)
                    }),
                    Some(_) => {}
                }
                let permission = format!("{} ← {} (its permission)", function.name, wanted.topic);
                match live_statement(live, &function.name, &wanted.topic) {
                    None => changes.push(Change {
                        fields: vec![FieldChange {
                            field: Field::SourceArn,
                            old: None,
                            new: Some(FieldValue::Text(wanted.topic.clone())),
                        }],
                        ..Change::new(
                            permission_address(&function.name, &wanted.topic),
                            permission,
                            Action::Create,
                        )
                    }),
                    Some(arn) if arn != Some(wanted.topic.as_str()) => changes.push(Change {
                        fields: vec![FieldChange {
                            field: Field::SourceArn,
                            old: arn.map(|a| FieldValue::Text(a.to_string())),
                            new: Some(FieldValue::Text(wanted.topic.clone())),
                        }],
                        ..Change::new(
                            permission_address(&function.name, &wanted.topic),
                            permission,
                            Action::Update,
                        )
                    }),
                    Some(_) => {}
                }
            }
            let wanted: BTreeSet<&str> = function
                .subscriptions
                .iter()
                .map(|s| s.topic.as_str())
                .collect();
            for live_sub in existing
                .iter()
                .filter(|s| !wanted.contains(s.topic.as_str()))
            {
                changes.push(Change::new(
                    address(&function.name, &live_sub.topic),
                    subscription_name(&function.name, &live_sub.topic),
                    Action::Delete,
                ));
            }
            for statement in live.permissions.get(&function.name).into_iter().flatten() {
                let Some(topic) = statement.source_arn.as_deref() else {
                    continue;
                };
                if statement.sid.starts_with(STATEMENT_PREFIX)
                    && statement.sid == statement_id(topic)
                    && !wanted.contains(topic)
                {
                    changes.push(Change::new(
                        permission_address(&function.name, topic),
                        format!("{} ← {topic} (its permission)", function.name),
                        Action::Delete,
                    ));
                }
            }
        }
        // Every subscription of a function the manifest no longer has.
        for (function, subscriptions) in &live.subscriptions {
            if desired.functions.values().any(|f| &f.name == function) {
                continue;
            }
            for live_sub in subscriptions {
                changes.push(Change::new(
                    address(function, &live_sub.topic),
                    subscription_name(function, &live_sub.topic),
                    Action::Delete,
                ));
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Subscription)
            .filter(|c| c.action != Action::Delete)
        {
            match &change.address {
                Address::SubscriptionPermission { function, topic } => {
                    let spec = StepSpec::new(
                        Phase::Triggers,
                        Op::Lambda(LambdaOp::AddSourcePermission {
                            function: function.clone(),
                            statement_id: statement_id(topic),
                            function_arn: function_arn(cx.live, function),
                            source: PermissionSource::Topic(topic.clone()),
                        }),
                    )
                    .needs([Need::Exists(Address::Function(function.clone()))])
                    .why("the permission is on the function, and comes before the subscription so that its first message may invoke it");
                    specs.push(if change.action == Action::Create {
                        spec.creates(change.address.clone())
                    } else {
                        spec.sets(change.address.clone())
                    });
                }
                Address::Subscription { function, topic } => {
                    let Some(wanted) = cx
                        .desired
                        .functions
                        .values()
                        .find(|f| &f.name == function)
                        .and_then(|f| f.subscriptions.iter().find(|s| &s.topic == topic))
                    else {
                        continue;
                    };
                    let live_sub = live_subscription(cx.live, function, topic);
                    match (&change.action, live_sub) {
                        (Action::Update, Some(live_sub)) => specs.push(
                            StepSpec::new(
                                Phase::Triggers,
                                Op::Sns(SnsOp::SetSubscriptionFilter {
                                    function: function.clone(),
                                    topic: topic.clone(),
                                    subscription: live_sub.arn.clone(),
                                    filter: wanted.filter.clone(),
                                }),
                            )
                            .sets(change.address.clone()),
                        ),
                        _ => specs.push(
                            StepSpec::new(
                                Phase::Triggers,
                                Op::Sns(SnsOp::Subscribe {
                                    function: function.clone(),
                                    topic: topic.clone(),
                                    function_arn: function_arn(cx.live, function),
                                    filter: wanted.filter.clone(),
                                }),
                            )
                            .needs([
                                Need::Exists(Address::Function(function.clone())),
                                Need::Ready(permission_address(function, topic)),
                            ])
                            .why("a subscription invokes its function, which its permission lets the topic invoke")
                            .creates(change.address.clone()),
                        ),
                    }
                }
                _ => {}
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Subscription)
            .filter(|c| c.action == Action::Delete)
        {
            match &change.address {
                Address::Subscription { function, topic } => {
                    let Some(live_sub) = live_subscription(cx.live, function, topic) else {
                        continue;
                    };
                    specs.push(
                        StepSpec::new(
                            Phase::TriggerCleanup,
                            Op::Sns(SnsOp::Unsubscribe {
                                function: function.clone(),
                                topic: topic.clone(),
                                subscription: live_sub.arn.clone(),
                            }),
                        )
                        .deletes(change.address.clone()),
                    );
                }
                Address::SubscriptionPermission { function, topic } => specs.push(
                    StepSpec::new(
                        Phase::TriggerCleanup,
                        Op::Lambda(LambdaOp::RemoveSourcePermission {
                            function: function.clone(),
                            statement_id: statement_id(topic),
                            source: PermissionSource::Topic(topic.clone()),
                        }),
                    )
                    .deletes(change.address.clone())
                    .needs([Need::Gone(address(function, topic))])
                    .why("a topic's permission goes after the subscription it lets invoke the function"),
                ),
                _ => {}
            }
        }
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.subscriptions
            .iter()
            .map(|(function, subs)| (Object::Subscriptions(function.clone()), fingerprint(subs)))
            .collect()
    }
}
