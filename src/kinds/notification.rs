//! S3 notifications: entries in a bucket's notification configuration
//! (`LambdaFunctionConfigurations`) that invoke functions, each with the statement in
//! the function's resource policy that lets that bucket, and only it, invoke it.
//!
//! **Ownership.** The bucket is not lade's; its entries are lade's when their id
//! starts with `lade/<project>/<stage>/` ([`Scope::notification_prefix`]): two stages
//! (or projects) on one bucket each see only their own. Every other entry (queues,
//! topics, EventBridge, other Lambda entries) is written back as it is read.
//!
//! **Ids.** `lade/<project>/<stage>/<8 hex digits>`, the digits a hash of the
//! trigger's identity (function, bucket, event types, prefix, suffix), not an index:
//! reordering `events:` renames nothing. A trigger whose prefix (or events, or suffix)
//! changes keeps its id and is updated in place: live entries are matched to the
//! manifest's first by id, then, among those left of one function on one bucket, in
//! order.
//!
//! **One write per bucket.** `PutBucketNotificationConfiguration` replaces the whole
//! configuration, so all of a plan's changes on one bucket are one step, which writes
//! every entry lade wants there (`S3Op::PutBucketNotifications`): two steps would
//! each read, change and write, and could undo each other.
//!
//! **Permissions.** One statement per function and bucket, `lade-s3-<bucket>` (`.`
//! written `_`: statement ids take letters, digits, `-` and `_`; bucket names have no
//! `_`, so no two buckets share one), for the principal `s3.amazonaws.com`, with
//! `SourceArn` the bucket's ARN and `SourceAccount` the function's account (a bucket
//! ARN names no account, and a deleted bucket's name can be taken by another
//! account). S3 checks each destination when the configuration is written, so the
//! statement comes first; it goes after the entries that use it. A function that is
//! deleted takes its resource policy with it.

use std::collections::{BTreeMap, BTreeSet};

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{
    Function as DesiredFunction, Live, LiveNotification, Notification as DesiredNotification,
    NotificationSettings, ResourceKind,
};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op, PermissionSource, PlannedNotification, S3Op};

/// The notification kind.
pub struct Notification;

/// The prefix of every statement id lade gives a bucket's permission.
pub const STATEMENT_PREFIX: &str = "lade-s3-";

/// The statement id of `bucket`'s permission on a function.
pub fn statement_id(bucket: &str) -> String {
    format!("{STATEMENT_PREFIX}{}", bucket.replace('.', "_"))
}

/// The name plans show: `shop-dev-thumbs ← s3://uploads (s3:ObjectCreated:*, incoming/…)`.
pub fn notification_name(function: &str, bucket: &str, settings: &NotificationSettings) -> String {
    let mut what = settings.events.join(", ");
    if let Some(prefix) = &settings.prefix {
        what.push_str(&format!(", {prefix}…"));
    }
    if let Some(suffix) = &settings.suffix {
        what.push_str(&format!(", …{suffix}"));
    }
    format!("{function} ← s3://{bucket} ({what})")
}

fn address(function: &str, bucket: &str, id: &str) -> Address {
    Address::Notification {
        function: function.to_string(),
        bucket: bucket.to_string(),
        id: id.to_string(),
    }
}

fn permission_address(function: &str, bucket: &str) -> Address {
    Address::NotificationPermission {
        function: function.to_string(),
        bucket: bucket.to_string(),
    }
}

/// A wanted entry matched to the live one it is (if any), or a live one nothing wants.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub wanted: Option<&'a DesiredNotification>,
    pub live: Option<&'a LiveNotification>,
}

impl Pair<'_> {
    /// The id the entry has, or will have: a live entry keeps its own.
    pub fn id(&self) -> &str {
        match (self.live, self.wanted) {
            (Some(live), _) => &live.id,
            (None, Some(wanted)) => &wanted.id,
            (None, None) => "",
        }
    }
}

/// Matches one function's wanted entries on one bucket to its live ones there: by id,
/// then in order (an in-place update). What is left is created or deleted.
pub fn pairs<'a>(
    wanted: &[&'a DesiredNotification],
    live: &[&'a LiveNotification],
) -> Vec<Pair<'a>> {
    let mut taken = vec![false; live.len()];
    let mut matched: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| {
            let i = (0..live.len()).find(|&i| !taken[i] && live[i].id == w.id)?;
            taken[i] = true;
            Some(i)
        })
        .collect();
    for m in matched.iter_mut().filter(|m| m.is_none()) {
        if let Some(i) = (0..live.len()).find(|&i| !taken[i]) {
            taken[i] = true;
            *m = Some(i);
        }
    }
    let mut out: Vec<Pair> = wanted
        .iter()
        .zip(&matched)
        .map(|(w, m)| Pair {
            wanted: Some(*w),
            live: m.map(|i| live[i]),
        })
        .collect();
    out.extend(
        live.iter()
            .zip(&taken)
            .filter(|(_, t)| !**t)
            .map(|(l, _)| Pair {
                wanted: None,
                live: Some(*l),
            }),
    );
    out
}

/// Every pair on `bucket`, for every function the manifest wants or that has an entry
/// of lade's there: `(function name, pair)`.
fn bucket_pairs<'a>(
    desired: &'a [&'a DesiredFunction],
    live: &'a Live,
    bucket: &str,
) -> Vec<(String, Pair<'a>)> {
    let entries: &[LiveNotification] = live
        .buckets
        .get(bucket)
        .map_or(&[], |b| b.notifications.as_slice());
    let mut functions: BTreeSet<&str> = entries.iter().map(|e| e.function.as_str()).collect();
    functions.extend(
        desired
            .iter()
            .filter(|f| f.notifications.iter().any(|n| n.bucket == bucket))
            .map(|f| f.name.as_str()),
    );
    let mut out = Vec::new();
    for function in functions {
        let wanted: Vec<&DesiredNotification> = desired
            .iter()
            .filter(|f| f.name == function)
            .flat_map(|f| f.notifications.iter())
            .filter(|n| n.bucket == bucket)
            .collect();
        let existing: Vec<&LiveNotification> =
            entries.iter().filter(|e| e.function == function).collect();
        for pair in pairs(&wanted, &existing) {
            out.push((function.to_string(), pair));
        }
    }
    out
}

/// Every bucket the manifest or the account holds lade's entries on.
fn buckets(desired: &[&DesiredFunction], live: &Live) -> BTreeSet<String> {
    desired
        .iter()
        .flat_map(|f| f.notifications.iter().map(|n| n.bucket.clone()))
        .chain(
            live.buckets
                .iter()
                .filter(|(_, b)| !b.notifications.is_empty())
                .map(|(name, _)| name.clone()),
        )
        .collect()
}

/// The function's ARN: known when it is live, learnt from `CreateFunction` otherwise.
fn function_arn(live: &Live, function: &str) -> Ref {
    match live.functions.get(function) {
        Some(f) => Ref::Known(f.arn.clone()),
        None => Ref::After(Output::FunctionArn(function.to_string())),
    }
}

/// lade's statement for `bucket` on `function`: its `SourceArn` and `SourceAccount`.
fn live_statement<'a>(
    live: &'a Live,
    function: &str,
    bucket: &str,
) -> Option<(Option<&'a str>, Option<&'a str>)> {
    let sid = statement_id(bucket);
    live.permissions
        .get(function)?
        .iter()
        .find(|p| p.sid == sid)
        .filter(|p| p.principal == crate::arn::S3_PRINCIPAL)
        .map(|p| (p.source_arn.as_deref(), p.source_account.as_deref()))
}

fn settings_fields(
    wanted: &NotificationSettings,
    live: Option<&NotificationSettings>,
) -> Vec<FieldChange> {
    type Setting = fn(&NotificationSettings) -> Option<FieldValue>;
    let rows: [(Field, Setting); 3] = [
        (Field::Events, |s| Some(FieldValue::List(s.events.clone()))),
        (Field::Prefix, |s| s.prefix.clone().map(FieldValue::Text)),
        (Field::Suffix, |s| s.suffix.clone().map(FieldValue::Text)),
    ];
    rows.into_iter()
        .filter_map(|(field, value)| {
            let new = value(wanted);
            let old = live.and_then(value);
            let differs = match live {
                Some(_) => old != new,
                None => new.is_some(),
            };
            differs.then_some(FieldChange { field, old, new })
        })
        .collect()
}

fn wanted_functions(desired: &crate::model::Desired) -> Vec<&DesiredFunction> {
    desired.functions.values().collect()
}

impl Kind for Notification {
    fn name(&self) -> &'static str {
        "notification"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let functions = wanted_functions(desired);
        let mut changes = Vec::new();
        for bucket in buckets(&functions, live) {
            for (function, pair) in bucket_pairs(&functions, live, &bucket) {
                match (pair.wanted, pair.live) {
                    (Some(wanted), None) => changes.push(Change {
                        fields: settings_fields(&wanted.settings, None),
                        ..Change::new(
                            address(&function, &bucket, &wanted.id),
                            notification_name(&function, &bucket, &wanted.settings),
                            Action::Create,
                        )
                    }),
                    (Some(wanted), Some(existing)) => {
                        let mut fields =
                            settings_fields(&wanted.settings, Some(&existing.settings));
                        if let Some(arn) = live.functions.get(&function).map(|f| &f.arn)
                            && &existing.function_arn != arn
                        {
                            fields.push(FieldChange {
                                field: Field::Target,
                                old: Some(FieldValue::Text(existing.function_arn.clone())),
                                new: Some(FieldValue::Text(arn.clone())),
                            });
                        }
                        if !fields.is_empty() {
                            changes.push(Change {
                                fields,
                                ..Change::new(
                                    address(&function, &bucket, &existing.id),
                                    notification_name(&function, &bucket, &wanted.settings),
                                    Action::Update,
                                )
                            });
                        }
                    }
                    (None, Some(existing)) => changes.push(deleted_entry(existing)),
                    (None, None) => {}
                }
            }
        }
        // The permissions of the functions the manifest keeps: one per bucket that
        // function has an entry on; a statement of lade's for any other bucket goes.
        for function in &functions {
            let wanted: BTreeSet<&str> = function
                .notifications
                .iter()
                .map(|n| n.bucket.as_str())
                .collect();
            for bucket in &wanted {
                let expected_arn = live
                    .functions
                    .get(&function.name)
                    .and_then(|f| crate::arn::bucket_arn(&f.arn, bucket));
                let expected_account = live
                    .functions
                    .get(&function.name)
                    .and_then(|f| crate::arn::account_of(&f.arn));
                let name = format!("{} ← s3://{bucket} (its permission)", function.name);
                match live_statement(live, &function.name, bucket) {
                    None => changes.push(Change {
                        fields: vec![FieldChange {
                            field: Field::SourceArn,
                            old: None,
                            new: Some(
                                expected_arn
                                    .clone()
                                    .map_or(FieldValue::KnownAfterApply, FieldValue::Text),
                            ),
                        }],
                        ..Change::new(
                            permission_address(&function.name, bucket),
                            name,
                            Action::Create,
                        )
                    }),
                    Some((arn, account)) => {
                        let arn_ok = expected_arn.as_deref().is_none_or(|e| arn == Some(e));
                        let account_ok = expected_account.is_none_or(|e| account == Some(e));
                        if !(arn_ok && account_ok) {
                            changes.push(Change {
                                fields: vec![FieldChange {
                                    field: Field::SourceArn,
                                    old: arn.map(|a| {
                                        FieldValue::Text(format!(
                                            "{a} (account {})",
                                            account.unwrap_or("any")
                                        ))
                                    }),
                                    new: expected_arn.map(|a| {
                                        FieldValue::Text(format!(
                                            "{a} (account {})",
                                            expected_account.unwrap_or("any")
                                        ))
                                    }),
                                }],
                                ..Change::new(
                                    permission_address(&function.name, bucket),
                                    name,
                                    Action::Update,
                                )
                            });
                        }
                    }
                }
            }
            for statement in live.permissions.get(&function.name).into_iter().flatten() {
                if !statement.sid.starts_with(STATEMENT_PREFIX) {
                    continue;
                }
                let Some(bucket) = statement
                    .source_arn
                    .as_deref()
                    .and_then(crate::arn::bucket_of)
                else {
                    continue;
                };
                if !wanted.contains(bucket) && statement.sid == statement_id(bucket) {
                    changes.push(Change::new(
                        permission_address(&function.name, bucket),
                        format!("{} ← s3://{bucket} (its permission)", function.name),
                        Action::Delete,
                    ));
                }
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Notification)
            .filter(|c| c.action != Action::Delete)
        {
            if let Address::NotificationPermission { function, bucket } = &change.address {
                let spec = StepSpec::new(
                    Phase::Triggers,
                    Op::Lambda(LambdaOp::AddSourcePermission {
                        function: function.clone(),
                        statement_id: statement_id(bucket),
                        function_arn: function_arn(cx.live, function),
                        source: PermissionSource::Bucket(bucket.clone()),
                    }),
                )
                .needs([Need::Exists(Address::Function(function.clone()))])
                .why("the permission is on the function, and comes before the bucket's notifications: S3 checks each destination when they are written");
                specs.push(if change.action == Action::Create {
                    spec.creates(change.address.clone())
                } else {
                    spec.sets(change.address.clone())
                });
            }
        }
        specs.extend(bucket_steps(cx, false));
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = bucket_steps(cx, true);
        for change in cx
            .changes_of(ResourceKind::Notification)
            .filter(|c| c.action == Action::Delete)
        {
            if let Address::NotificationPermission { function, bucket } = &change.address {
                let gone: Vec<Need> = cx
                    .changes_of(ResourceKind::Notification)
                    .filter(|c| c.action == Action::Delete)
                    .filter(|c| matches!(&c.address, Address::Notification { function: f, bucket: b, .. } if f == function && b == bucket))
                    .map(|c| Need::Gone(c.address.clone()))
                    .collect();
                specs.push(
                    StepSpec::new(
                        Phase::TriggerCleanup,
                        Op::Lambda(LambdaOp::RemoveSourcePermission {
                            function: function.clone(),
                            statement_id: statement_id(bucket),
                            source: PermissionSource::Bucket(bucket.clone()),
                        }),
                    )
                    .deletes(change.address.clone())
                    .needs(gone)
                    .why("a bucket's permission goes after its notifications to the function"),
                );
            }
        }
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.buckets
            .iter()
            .map(|(bucket, b)| {
                (
                    Object::Notifications(bucket.clone()),
                    fingerprint(&b.notifications),
                )
            })
            .collect()
    }
}

fn deleted_entry(existing: &LiveNotification) -> Change {
    Change::new(
        address(&existing.function, &existing.bucket, &existing.id),
        notification_name(&existing.function, &existing.bucket, &existing.settings),
        Action::Delete,
    )
}

/// One step per bucket with a change of lade's entries: writes every entry lade wants
/// there. With `only_deletes`, the buckets whose changes are all deletes (their step
/// is clean-up); otherwise the others.
fn bucket_steps(cx: &PlanCx, only_deletes: bool) -> Vec<StepSpec> {
    let mut by_bucket: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for change in cx.changes_of(ResourceKind::Notification) {
        if let Address::Notification { bucket, .. } = &change.address {
            by_bucket.entry(bucket.as_str()).or_default().push(change);
        }
    }
    let functions = wanted_functions(cx.desired);
    let mut specs = Vec::new();
    for (bucket, changes) in by_bucket {
        let all_deletes = changes.iter().all(|c| c.action == Action::Delete);
        if all_deletes != only_deletes {
            continue;
        }
        let entries: Vec<PlannedNotification> = bucket_pairs(&functions, cx.live, bucket)
            .into_iter()
            .filter_map(|(function, pair)| {
                let wanted = pair.wanted?;
                Some(PlannedNotification {
                    id: pair.id().to_string(),
                    function_arn: function_arn(cx.live, &function),
                    function,
                    settings: wanted.settings.clone(),
                })
            })
            .collect();
        let kept = cx
            .live
            .buckets
            .get(bucket)
            .map_or(serde_json::json!({}), |b| b.others.clone());
        let mut needs = Vec::new();
        for entry in &entries {
            needs.push(Need::Exists(Address::Function(entry.function.clone())));
            needs.push(Need::Ready(permission_address(&entry.function, bucket)));
        }
        let mut spec = StepSpec::new(
            if only_deletes {
                Phase::TriggerCleanup
            } else {
                Phase::Triggers
            },
            Op::S3(S3Op::PutBucketNotifications {
                bucket: bucket.to_string(),
                owned: cx.desired.scope.notification_prefix(),
                entries,
                kept,
            }),
        )
        .needs(needs)
        .why("S3 checks each destination when the configuration is written: the functions and their permissions come first");
        for change in changes {
            spec = match change.action {
                Action::Create => spec.creates(change.address.clone()),
                Action::Delete => spec.deletes(change.address.clone()),
                Action::Update | Action::Replace { .. } => spec.sets(change.address.clone()),
            };
        }
        specs.push(spec);
    }
    specs
}
