//! Triggers: the SQS queues and DynamoDB and Kinesis streams that invoke functions,
//! each a Lambda event-source mapping.
//!
//! A mapping's identity is its function and its source's ARN: Lambda allows one
//! mapping from a source to a function, and gives each a new id when it is created.
//! A mapping is lade's when its function is (the function's tags prove it), so every
//! mapping on an owned function that the manifest does not ask for is deleted, and
//! nothing on a function lade does not own is read or changed.
//!
//! Every setting but the starting position changes in place
//! (`UpdateEventSourceMapping`). A stream read from another position is a new
//! mapping: the old one is deleted first, then the new one created ([`Need::Gone`]).
//! A mapping waits for its function and for the role's policies, since Lambda checks
//! the role's permissions to read the source when the mapping is created; a function
//! is deleted only after its mappings (they would outlive it otherwise).

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue};
use crate::model::{
    Desired, EventSource, Function as DesiredFunction, Live, LiveEventSource, ResourceKind,
    RoleRef, SourceSettings,
};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op};

/// The trigger kind.
pub struct Trigger;

/// The name plans show for a trigger: `shop-dev-worker ← arn:aws:sqs:…:jobs`.
pub fn trigger_name(function: &str, source: &str) -> String {
    format!("{function} ← {source}")
}

fn address(function: &str, source: &str) -> Address {
    Address::EventSource {
        function: function.to_string(),
        source: source.to_string(),
    }
}

impl Kind for Trigger {
    fn name(&self) -> &'static str {
        "trigger"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        for function in desired.functions.values() {
            let mappings = live.event_sources.get(&function.name);
            for source in &function.event_sources {
                let existing = mappings.into_iter().flatten().find(|m| m.arn == source.arn);
                let fields = settings_fields(&source.settings, existing.map(|m| &m.settings));
                let name = trigger_name(&function.name, &source.arn);
                let action = match existing {
                    None => Action::Create,
                    Some(_) if fields.is_empty() => continue,
                    Some(live)
                        if live.settings.starting_position != source.settings.starting_position =>
                    {
                        Action::Replace { of: name.clone() }
                    }
                    Some(_) => Action::Update,
                };
                changes.push(Change {
                    fields,
                    ..Change::new(address(&function.name, &source.arn), name, action)
                });
            }
        }
        // What invokes an owned function that the manifest does not ask for: the
        // function's removed triggers, every trigger of a removed function, and a
        // second mapping from one source (which AWS refuses, and emulators allow).
        for (function, mappings) in &live.event_sources {
            let wanted = desired.functions.values().find(|f| &f.name == function);
            for (i, mapping) in mappings.iter().enumerate() {
                let kept = wanted
                    .is_some_and(|f| f.event_sources.iter().any(|s| s.arn == mapping.arn))
                    && !mappings[..i].iter().any(|m| m.arn == mapping.arn);
                if !kept {
                    changes.push(Change::new(
                        Address::StaleEventSource {
                            function: function.clone(),
                            uuid: mapping.uuid.clone(),
                        },
                        trigger_name(function, &mapping.arn),
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
            .changes_of(ResourceKind::Trigger)
            .filter(|c| c.action != Action::Delete)
        {
            let Address::EventSource { function, source } = &change.address else {
                continue;
            };
            let Some((wanted, trigger)) = wanted(cx.desired, function, source) else {
                continue;
            };
            let role = role_needs(cx.desired, wanted);
            let live = live_mapping(cx.live, function, source);
            match (&change.action, live) {
                (Action::Update, Some(live)) => specs.push(
                    StepSpec::new(
                        Phase::Triggers,
                        Op::Lambda(LambdaOp::UpdateEventSourceMapping {
                            function: function.clone(),
                            uuid: live.uuid.clone(),
                            kind: trigger.kind,
                            source: source.clone(),
                            settings: trigger.settings.clone(),
                        }),
                    )
                    .sets(change.address.clone())
                    .needs(role)
                    .why("Lambda checks that the function's role may read the source"),
                ),
                (Action::Create | Action::Replace { .. }, live) => {
                    if let Some(live) = live {
                        // Read from another position: the old mapping goes first.
                        specs.push(delete(function, &live.uuid, source, change.address.clone()));
                    }
                    specs.push(
                        StepSpec::new(
                            Phase::Triggers,
                            Op::Lambda(LambdaOp::CreateEventSourceMapping {
                                function: function.clone(),
                                kind: trigger.kind,
                                source: source.clone(),
                                settings: trigger.settings.clone(),
                            }),
                        )
                        .creates(change.address.clone())
                        .needs([
                            Need::Ready(Address::Function(function.clone())),
                            Need::Gone(change.address.clone()),
                        ])
                        .needs(role)
                        .why("a trigger needs its function, and a role that may read the source; one made anew waits for the old one's removal"),
                    );
                }
                (Action::Update | Action::Delete, _) => {}
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        cx.changes_of(ResourceKind::Trigger)
            .filter(|c| c.action == Action::Delete)
            .filter_map(|change| {
                let Address::StaleEventSource { uuid, .. } = &change.address else {
                    return None;
                };
                let mapping = cx
                    .live
                    .event_sources
                    .values()
                    .flatten()
                    .find(|m| &m.uuid == uuid)?;
                Some(delete(
                    &mapping.function,
                    uuid,
                    &mapping.arn,
                    change.address.clone(),
                ))
            })
            .collect()
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.event_sources
            .iter()
            .map(|(function, mappings)| (Object::Triggers(function.clone()), fingerprint(mappings)))
            .collect()
    }
}

fn delete(function: &str, uuid: &str, source: &str, address: Address) -> StepSpec {
    StepSpec::new(
        Phase::TriggerCleanup,
        Op::Lambda(LambdaOp::DeleteEventSourceMapping {
            function: function.to_string(),
            uuid: uuid.to_string(),
            source: source.to_string(),
        }),
    )
    .deletes(address)
}

/// The function and trigger the manifest wants at this address.
fn wanted<'a>(
    desired: &'a Desired,
    function: &str,
    source: &str,
) -> Option<(&'a DesiredFunction, &'a EventSource)> {
    let wanted = desired.functions.values().find(|f| f.name == function)?;
    let trigger = wanted.event_sources.iter().find(|s| s.arn == source)?;
    Some((wanted, trigger))
}

fn live_mapping<'a>(live: &'a Live, function: &str, source: &str) -> Option<&'a LiveEventSource> {
    live.event_sources
        .get(function)?
        .iter()
        .find(|m| m.arn == source)
}

/// The role whose policies must be in place before Lambda checks them: the function's,
/// when it is lade's.
fn role_needs(desired: &Desired, function: &DesiredFunction) -> Vec<Need> {
    match &function.role {
        RoleRef::Key(key) => desired
            .roles
            .get(key)
            .map(|role| Need::Ready(Address::Role(role.name.clone())))
            .into_iter()
            .collect(),
        RoleRef::Arn(_) => Vec::new(),
    }
}

/// One setting of a trigger, as a plan shows it; `None` where it does not apply.
type Setting = fn(&SourceSettings) -> Option<FieldValue>;

/// How a trigger's settings differ (every setting, for a new trigger).
fn settings_fields(wanted: &SourceSettings, live: Option<&SourceSettings>) -> Vec<FieldChange> {
    let rows: [(Field, Setting); 10] = [
        (Field::BatchSize, |s| {
            Some(FieldValue::Number(s.batch_size.into()))
        }),
        (Field::BatchingWindow, |s| {
            Some(FieldValue::Number(s.batching_window.into()))
        }),
        (Field::MaxConcurrency, |s| {
            s.max_concurrency.map(|n| FieldValue::Number(n.into()))
        }),
        (Field::ReportBatchItemFailures, |s| {
            Some(FieldValue::Flag(s.report_batch_item_failures))
        }),
        (Field::Filter, |s| {
            (!s.filter.is_empty())
                .then(|| FieldValue::Document(serde_json::Value::from(s.filter.clone())))
        }),
        (Field::Enabled, |s| Some(FieldValue::Flag(s.enabled))),
        (Field::StartingPosition, |s| {
            s.starting_position.clone().map(FieldValue::Text)
        }),
        (Field::OnFailure, |s| {
            s.on_failure.clone().map(FieldValue::Text)
        }),
        (Field::BisectOnError, |s| {
            s.starting_position
                .is_some()
                .then_some(FieldValue::Flag(s.bisect_on_error))
        }),
        (Field::MaxRetries, |s| {
            s.max_retries.map(|n| FieldValue::Number(n.into()))
        }),
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
