//! Rules: the schedules (`rate(…)`, `cron(…)`) and EventBridge event patterns that
//! invoke functions, each an EventBridge rule with one target (the function) and one
//! statement in the function's resource policy that lets that rule, and only it,
//! invoke the function.
//!
//! **Names.** A rule is named `<function name>-<8 hex digits>`, the digits a hash of
//! the trigger's identity: its expression for a schedule, its bus and pattern for a
//! pattern (see `manifest::validate::events`). Not an index: reordering `events:` or
//! removing one from the middle would rename, and so delete and re-create, every rule
//! after it. A rule whose expression or pattern changes keeps its name and is updated
//! in place (`PutRule` is an upsert): live rules are matched to the manifest's first by
//! name, then, among those left, one schedule to one schedule (and one pattern to one
//! pattern on the same bus) in order. So a name is the identity a rule was created
//! with, and the next plan still matches it.
//!
//! **Ownership.** A rule is lade's when its tags say so: `lade:project`, `lade:stage`,
//! and `lade:function`, the function it invokes (its target is not proof: anyone may
//! point a rule at a function). Rules are found by name prefix on the default bus, on
//! every bus the manifest names, and on every bus a rule statement of lade's names.
//!
//! **Permissions.** Each rule has its own statement, `lade-rule-<rule name>` (at most
//! 74 characters, within Lambda's 100), scoped by `SourceArn` to that rule's ARN, for
//! the principal `events.amazonaws.com`. It is added before the rule is put, so that
//! the rule's first event finds it, and removed after the rule, so that a rule on a bus
//! the manifest no longer names is still found through its statement's `SourceArn`
//! (`live`). A function that is deleted takes its resource policy with it, so only a
//! kept function's statements are removed.

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{
    Function as DesiredFunction, Live, LiveRule, ResourceKind, Rule as DesiredRule, RuleSettings,
    TAG_FUNCTION,
};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{EventBridgeOp, LambdaOp, Op};

/// The rule kind.
pub struct Rule;

/// The prefix of every statement id lade gives a rule's permission.
pub const STATEMENT_PREFIX: &str = "lade-rule-";

/// The statement id of a rule's permission on its function.
pub fn statement_id(rule: &str) -> String {
    format!("{STATEMENT_PREFIX}{rule}")
}

/// The name plans show for a rule: `shop-dev-worker ← rate(5 minutes)`.
pub fn rule_name(function: &str, settings: &RuleSettings, bus: &str) -> String {
    format!("{function} ← {}", settings.what(bus))
}

/// A wanted rule matched to the live rule it is (if any), or a live rule nothing wants.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub wanted: Option<&'a DesiredRule>,
    pub live: Option<&'a LiveRule>,
}

/// Matches a function's wanted rules to its live ones: by name first, then, among
/// those left, in order, a schedule to a schedule and a pattern to a pattern on the
/// same bus (an in-place update). What is left over is created or deleted.
pub fn pairs<'a>(wanted: &'a [DesiredRule], live: &'a [LiveRule]) -> Vec<Pair<'a>> {
    let mut taken = vec![false; live.len()];
    let mut matched: Vec<Option<usize>> = wanted
        .iter()
        .map(|rule| {
            let i = live
                .iter()
                .enumerate()
                .position(|(i, l)| !taken[i] && l.name == rule.name)?;
            taken[i] = true;
            Some(i)
        })
        .collect();
    for (w, rule) in wanted.iter().enumerate() {
        if matched[w].is_some() {
            continue;
        }
        let same_shape = |l: &LiveRule| {
            l.bus == rule.bus && l.settings.schedule.is_some() == rule.settings.schedule.is_some()
        };
        if let Some(i) = (0..live.len()).find(|&i| !taken[i] && same_shape(&live[i])) {
            taken[i] = true;
            matched[w] = Some(i);
        }
    }
    let mut pairs: Vec<Pair> = wanted
        .iter()
        .zip(&matched)
        .map(|(rule, m)| Pair {
            wanted: Some(rule),
            live: m.map(|i| &live[i]),
        })
        .collect();
    pairs.extend(
        live.iter()
            .zip(&taken)
            .filter(|(_, taken)| !**taken)
            .map(|(rule, _)| Pair {
                wanted: None,
                live: Some(rule),
            }),
    );
    pairs
}

fn address(function: &str, rule: &str) -> Address {
    Address::Rule {
        function: function.to_string(),
        rule: rule.to_string(),
    }
}

fn permission_address(function: &str, rule: &str) -> Address {
    Address::RulePermission {
        function: function.to_string(),
        rule: rule.to_string(),
    }
}

/// The function's ARN: known when it is live, learnt from `CreateFunction` otherwise.
fn function_arn(live: &Live, function: &str) -> Ref {
    match live.functions.get(function) {
        Some(f) => Ref::Known(f.arn.clone()),
        None => Ref::After(Output::FunctionArn(function.to_string())),
    }
}

/// The `SourceArn` of lade's statement for `rule` on `function`, if there is one.
fn live_statement<'a>(live: &'a Live, function: &str, rule: &str) -> Option<Option<&'a str>> {
    let sid = statement_id(rule);
    live.permissions
        .get(function)?
        .iter()
        .find(|p| p.sid == sid && p.principal == crate::arn::EVENTS_PRINCIPAL)
        .map(|p| p.source_arn.as_deref())
}

impl Kind for Rule {
    fn name(&self) -> &'static str {
        "rule"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        let none = Vec::new();
        for function in desired.functions.values() {
            let live_rules = live.rules.get(&function.name).unwrap_or(&none);
            for pair in pairs(&function.rules, live_rules) {
                if let Some(change) = pair_change(live, function, pair) {
                    changes.push(change);
                }
            }
            // Statements of lade's for rules that no longer exist (a run interrupted
            // between deleting a rule and its permission).
            let named: Vec<String> = function
                .rules
                .iter()
                .map(|r| r.name.clone())
                .chain(live_rules.iter().map(|r| r.name.clone()))
                .collect();
            for statement in live.permissions.get(&function.name).into_iter().flatten() {
                let Some(rule) = statement.sid.strip_prefix(STATEMENT_PREFIX) else {
                    continue;
                };
                if !named.iter().any(|n| n == rule) {
                    changes.push(Change::new(
                        permission_address(&function.name, rule),
                        format!("{} ← rule {rule} (its permission)", function.name),
                        Action::Delete,
                    ));
                }
            }
        }
        // Every rule of a function the manifest no longer has.
        for (function, rules) in &live.rules {
            if desired.functions.values().any(|f| &f.name == function) {
                continue;
            }
            for rule in rules {
                changes.push(Change::new(
                    address(function, &rule.name),
                    rule_name(function, &rule.settings, &rule.bus),
                    Action::Delete,
                ));
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Rule)
            .filter(|c| c.action != Action::Delete)
        {
            let Address::Rule { function, rule } = &change.address else {
                continue;
            };
            let Some((wanted_fn, wanted)) = wanted(cx, function, change) else {
                continue;
            };
            let live = cx
                .live
                .rules
                .get(function)
                .and_then(|rules| rules.iter().find(|r| &r.name == rule));
            let fn_arn = function_arn(cx.live, function);
            let needs_permission = change.action == Action::Create
                || change.fields.iter().any(|f| f.field == Field::SourceArn);
            let needs_rule = change.action == Action::Create
                || change.fields.iter().any(|f| f.field != Field::SourceArn);
            let bus = live.map_or(wanted.bus.as_str(), |l| l.bus.as_str());
            if needs_permission {
                let spec = StepSpec::new(
                    Phase::Triggers,
                    Op::Lambda(LambdaOp::AddRulePermission {
                        function: function.clone(),
                        statement_id: statement_id(rule),
                        function_arn: fn_arn.clone(),
                        rule: rule.clone(),
                        bus: bus.to_string(),
                    }),
                )
                .needs([Need::Exists(Address::Function(function.clone()))])
                .why("the permission is on the function, and comes before the rule so that its first event may invoke it");
                let target = permission_address(function, rule);
                specs.push(if live_statement(cx.live, function, rule).is_some() {
                    spec.sets(target)
                } else {
                    spec.creates(target)
                });
            }
            if needs_rule {
                let mut tags = cx.desired.scope.ownership_tags();
                tags.insert(TAG_FUNCTION.to_string(), wanted_fn.name.clone());
                // The same name held by a rule of another function (one replaced
                // under a new physical name, or a key moved): deleted first, or the
                // delete would take the new rule.
                let gone: Vec<Need> = cx
                    .live
                    .rules
                    .iter()
                    .filter(|(other, _)| *other != function)
                    .flat_map(|(other, rules)| {
                        rules
                            .iter()
                            .filter(|r| &r.name == rule && r.bus == bus)
                            .map(|r| Need::Gone(address(other, &r.name)))
                    })
                    .collect();
                let why = if gone.is_empty() {
                    "a rule's target is its function, which its permission lets the rule invoke"
                } else {
                    "a rule's target is its function, which its permission lets the rule invoke; the rule of the same name on another function goes first"
                };
                let spec = StepSpec::new(
                    Phase::Triggers,
                    Op::EventBridge(EventBridgeOp::PutRule {
                        function: function.clone(),
                        rule: rule.clone(),
                        bus: bus.to_string(),
                        settings: Box::new(wanted.settings.clone()),
                        function_arn: fn_arn,
                        tags,
                    }),
                )
                .needs([
                    Need::Exists(Address::Function(function.clone())),
                    Need::Ready(permission_address(function, rule)),
                ])
                .needs(gone)
                .why(why);
                specs.push(if change.action == Action::Create {
                    spec.creates(change.address.clone())
                } else {
                    spec.sets(change.address.clone())
                });
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Rule)
            .filter(|c| c.action == Action::Delete)
        {
            match &change.address {
                Address::Rule { function, rule } => {
                    let Some(live) = cx
                        .live
                        .rules
                        .get(function)
                        .and_then(|rules| rules.iter().find(|r| &r.name == rule))
                    else {
                        continue;
                    };
                    specs.push(
                        StepSpec::new(
                            Phase::TriggerCleanup,
                            Op::EventBridge(EventBridgeOp::DeleteRule {
                                function: function.clone(),
                                rule: rule.clone(),
                                bus: live.bus.clone(),
                            }),
                        )
                        .deletes(change.address.clone()),
                    );
                    let kept = cx.desired.functions.values().any(|f| &f.name == function);
                    if kept && live_statement(cx.live, function, rule).is_some() {
                        // After the rule: its statement is how the next plan finds a
                        // rule on a bus the manifest no longer names.
                        specs.push(
                            remove_permission(function, rule)
                                .needs([Need::Gone(change.address.clone())])
                                .why("a rule's permission goes after the rule, since it records the rule's bus"),
                        );
                    }
                }
                Address::RulePermission { function, rule } => {
                    specs.push(remove_permission(function, rule));
                }
                _ => {}
            }
        }
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.rules
            .iter()
            .map(|(function, rules)| (Object::Rules(function.clone()), fingerprint(rules)))
            .collect()
    }
}

fn remove_permission(function: &str, rule: &str) -> StepSpec {
    StepSpec::new(
        Phase::TriggerCleanup,
        Op::Lambda(LambdaOp::RemoveRulePermission {
            function: function.to_string(),
            statement_id: statement_id(rule),
            rule: rule.to_string(),
        }),
    )
    .deletes(permission_address(function, rule))
}

/// The function and the wanted rule a create or update change is about.
fn wanted<'a>(
    cx: &'a PlanCx,
    function: &str,
    change: &Change,
) -> Option<(&'a DesiredFunction, &'a DesiredRule)> {
    let wanted_fn = cx.desired.functions.values().find(|f| f.name == function)?;
    let Address::Rule { rule, .. } = &change.address else {
        return None;
    };
    let live_rules = cx.live.rules.get(function).map_or(&[][..], Vec::as_slice);
    let pair = pairs(&wanted_fn.rules, live_rules).into_iter().find(|p| {
        p.live.map(|l| &l.name) == Some(rule)
            || (p.live.is_none() && p.wanted.is_some_and(|w| &w.name == rule))
    })?;
    Some((wanted_fn, pair.wanted?))
}

/// The change for one pair, if it differs.
fn pair_change(live: &Live, function: &DesiredFunction, pair: Pair) -> Option<Change> {
    match (pair.wanted, pair.live) {
        (Some(wanted), None) => Some(Change {
            fields: settings_fields(&wanted.settings, None, &wanted.bus),
            ..Change::new(
                address(&function.name, &wanted.name),
                rule_name(&function.name, &wanted.settings, &wanted.bus),
                Action::Create,
            )
        }),
        (Some(wanted), Some(existing)) => {
            let mut fields =
                settings_fields(&wanted.settings, Some(&existing.settings), &wanted.bus);
            if let Some(arn) = live.functions.get(&function.name).map(|f| &f.arn)
                && existing.target.as_ref() != Some(arn)
            {
                fields.push(FieldChange {
                    field: Field::Target,
                    old: existing.target.clone().map(FieldValue::Text),
                    new: Some(FieldValue::Text(arn.clone())),
                });
            }
            let statement = live_statement(live, &function.name, &existing.name);
            if statement != Some(Some(existing.arn.as_str())) {
                fields.push(FieldChange {
                    field: Field::SourceArn,
                    old: statement.flatten().map(|s| FieldValue::Text(s.to_string())),
                    new: Some(FieldValue::Text(existing.arn.clone())),
                });
            }
            if fields.is_empty() {
                return None;
            }
            Some(Change {
                fields,
                ..Change::new(
                    address(&function.name, &existing.name),
                    rule_name(&function.name, &wanted.settings, &wanted.bus),
                    Action::Update,
                )
            })
        }
        (None, Some(existing)) => Some(Change::new(
            address(&function.name, &existing.name),
            rule_name(&function.name, &existing.settings, &existing.bus),
            Action::Delete,
        )),
        (None, None) => None,
    }
}

/// How a rule's settings differ (every setting, for a new rule).
fn settings_fields(
    wanted: &RuleSettings,
    live: Option<&RuleSettings>,
    bus: &str,
) -> Vec<FieldChange> {
    type Setting = fn(&RuleSettings) -> Option<FieldValue>;
    let rows: [(Field, Setting); 5] = [
        (Field::Schedule, |s| {
            s.schedule.clone().map(FieldValue::Text)
        }),
        (Field::Pattern, |s| {
            s.pattern.clone().map(FieldValue::Document)
        }),
        (Field::Input, |s| s.input.clone().map(FieldValue::Document)),
        (Field::Description, |s| {
            (!s.description.is_empty()).then(|| FieldValue::Text(s.description.clone()))
        }),
        (Field::Enabled, |s| Some(FieldValue::Flag(s.enabled))),
    ];
    let mut fields: Vec<FieldChange> = rows
        .into_iter()
        .filter_map(|(field, value)| {
            let new = value(wanted);
            let old = live.and_then(value);
            let differs = match live {
                Some(_) => old != new,
                None => new.is_some(),
            };
            differs.then_some(FieldChange { field, old, new })
        })
        .collect();
    if live.is_none() && wanted.pattern.is_some() {
        fields.push(FieldChange {
            field: Field::Bus,
            old: None,
            new: Some(FieldValue::Text(bus.to_string())),
        });
    }
    fields
}
