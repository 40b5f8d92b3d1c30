//! Lambda functions: their diff (configuration, code, environment, tags, role, and the
//! record of what lade applied), the steps that create, update, replace and delete
//! them, how lade proves it owns one, and the fingerprint of each live function.
//!
//! Ownership is the `lade:project` and `lade:stage` tags. A function that lade holds
//! under another name with the same manifest key (`lade:key`) was renamed: it is
//! replaced, the new one created before the old one is deleted.

pub mod record;

use std::collections::{BTreeMap, BTreeSet};

use self::record::{TAG_CONFIG, current_record, drifted, is_record_tag};
use super::{DiffCx, Fingerprint, Kind, PlanCx, deleted, fingerprint, role};
use crate::diff::{self, Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{
    Artifact, CrossRef, Desired, Function as DesiredFunction, Live, LiveFunction, ResourceKind,
    RoleRef, Scope, TAG_KEY, TAG_PROJECT, TAG_STAGE,
};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{CodeRef, FunctionSettings, LambdaOp, Op};

/// The function kind.
pub struct Function;

/// Whether tags prove that this project and stage own a function (or a REST API); the
/// reason when they do not.
pub fn proof(scope: &Scope, tags: &BTreeMap<String, String>) -> Result<(), String> {
    if scope.owns_tags(tags) {
        return Ok(());
    }
    Err(match (tags.get(TAG_PROJECT), tags.get(TAG_STAGE)) {
        (None, _) => "it has no `lade:project` tag, so lade does not own it".to_string(),
        (Some(project), stage) => format!(
            "it belongs to lade project `{project}` stage `{}`, not `{}` stage `{}`",
            stage.map(String::as_str).unwrap_or("?"),
            scope.project,
            scope.stage
        ),
    })
}

impl Kind for Function {
    fn name(&self) -> &'static str {
        "function"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        for function in desired.functions.values() {
            let role_arn = wanted_role_arn(desired, live, function);
            let artifact = cx.artifacts.get(&function.key);
            let Some(existing) = live.functions.get(&function.name) else {
                changes.push(Change {
                    key: Some(function.key.clone()),
                    fields: function_fields(desired, live, function, &role_arn, artifact, None),
                    ..Change::new(
                        Address::Function(function.name.clone()),
                        &function.name,
                        Action::Create,
                    )
                });
                continue;
            };
            let mut fields =
                function_fields(desired, live, function, &role_arn, artifact, Some(existing));
            let drifted = drifted(function, existing);
            let reconfigured = fields.iter().any(|c| c.field.is_function_config());
            if drifted && !reconfigured {
                // The configuration is what the manifest asks for, but the record of it
                // is not: an apply was stopped between `UpdateFunctionConfiguration`
                // and the `TagResource` that records it. Record it again, or the next
                // change would pass for drift.
                fields.push(FieldChange {
                    field: Field::Record,
                    old: existing.tags.get(TAG_CONFIG).map(FieldValue::text),
                    new: current_record(function, existing)
                        .get(TAG_CONFIG)
                        .map(FieldValue::text),
                });
            }
            if !fields.is_empty() {
                changes.push(Change {
                    key: Some(function.key.clone()),
                    fields,
                    drift: drifted && reconfigured,
                    ..Change::new(
                        Address::Function(function.name.clone()),
                        &function.name,
                        Action::Update,
                    )
                });
            }
        }

        // A function that lade holds under another name with the same manifest key:
        // its physical name changed, so it is replaced.
        let mut replaced = BTreeSet::new();
        for change in changes.iter_mut().filter(|c| c.action == Action::Create) {
            let previous = live.functions.values().find(|f| {
                f.tags.get(TAG_KEY) == change.key.as_ref()
                    && !desired.functions.values().any(|d| d.name == f.name)
            });
            if let Some(previous) = previous {
                change.action = Action::Replace {
                    of: previous.name.clone(),
                };
                replaced.insert(previous.name.clone());
            }
        }
        for name in live.functions.keys() {
            let wanted = desired.functions.values().any(|f| &f.name == name);
            if !wanted && !replaced.contains(name) {
                changes.push(deleted(Address::Function(name.clone()), name));
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let (desired, live) = (cx.desired, cx.live);
        let scope = &desired.scope;
        let mut specs = Vec::new();
        // A referenced function first, so that the plan reads in the order it runs.
        for change in in_reference_order(desired, cx.changes) {
            let Some(function) = change.key.as_ref().and_then(|k| desired.functions.get(k)) else {
                continue;
            };
            let address = Address::Function(function.name.clone());
            let environment = diff::env::planned(desired, live, function, cx.salt);
            let referenced: Vec<Need> = function
                .environment
                .values()
                .flat_map(|value| diff::env::resolve(desired, live, value))
                .filter_map(|part| match part {
                    Ref::After(Output::FunctionArn(name)) => {
                        Some(Need::Exists(Address::Function(name)))
                    }
                    Ref::After(Output::RoleArn(name)) => Some(Need::Exists(Address::Role(name))),
                    Ref::After(Output::ApiUrl) => Some(Need::Exists(Address::RestApi)),
                    Ref::After(Output::HttpApiUrl(_)) => Some(Need::Exists(Address::HttpApi)),
                    Ref::After(Output::FunctionUrl(name)) => {
                        Some(Need::Exists(Address::FunctionUrl(name)))
                    }
                    _ => None,
                })
                .collect();
            let role_need: Vec<Need> = match &function.role {
                RoleRef::Key(key) => desired
                    .roles
                    .get(key)
                    .map(|r| Need::Ready(Address::Role(r.name.clone())))
                    .into_iter()
                    .collect(),
                RoleRef::Arn(_) => Vec::new(),
            };
            let role_why = "a function must not start before its role and the role's policies exist, nor before what its environment references";
            let settings = FunctionSettings {
                handler: function.handler.clone(),
                runtime: function.runtime.clone(),
                role: wanted_role_arn(desired, live, function),
                memory: function.memory,
                timeout: function.timeout,
                environment,
                description: function.description.clone(),
            };
            let code = || code_ref(cx.artifacts, function);
            if change.action.is_new() {
                specs.push(
                    StepSpec::new(
                        Phase::Functions,
                        Op::Lambda(LambdaOp::CreateFunction {
                            name: function.name.clone(),
                            settings,
                            architecture: function.architecture,
                            code: code(),
                            tags: function_tags(scope, function),
                        }),
                    )
                    .creates(address)
                    .needs(role_need)
                    .needs(referenced)
                    .why(role_why),
                );
                continue;
            }
            let Some(existing) = live.functions.get(&function.name) else {
                continue;
            };
            let has = |f: &Field| change.fields.iter().any(|c| &c.field == f);
            let chain_why = "Lambda accepts one update at a time per function";
            let update = |op: Op| {
                StepSpec::new(Phase::Functions, op)
                    .sets(address.clone())
                    .why(chain_why)
            };
            if change.fields.iter().any(|c| c.field.is_function_config()) {
                let moved = has(&Field::Role);
                let why = if !referenced.is_empty() {
                    "a function's environment holds values of resources created first"
                } else if moved {
                    role_why
                } else {
                    ""
                };
                let mut spec = update(Op::Lambda(LambdaOp::UpdateFunctionConfiguration {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    settings,
                }))
                .needs(referenced)
                .why(why);
                if moved {
                    spec = spec
                        .needs(role_need)
                        .releases(role::owned_by_arn(live, &existing.role_arn));
                }
                specs.push(spec);
            }
            if has(&Field::Code) || has(&Field::Architecture) {
                specs.push(update(Op::Lambda(LambdaOp::UpdateFunctionCode {
                    name: function.name.clone(),
                    code: code(),
                    architecture: function.architecture,
                })));
            }
            if has(&Field::Record) {
                specs.push(update(Op::Lambda(LambdaOp::TagFunction {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    tags: current_record(function, existing),
                })));
            }
            if has(&Field::Tags) {
                let wanted = function_tags(scope, function);
                let stale: Vec<String> = existing
                    .tags
                    .keys()
                    .filter(|k| {
                        !k.starts_with("aws:") && !is_record_tag(k) && !wanted.contains_key(*k)
                    })
                    .cloned()
                    .collect();
                let changed: BTreeMap<String, String> = wanted
                    .into_iter()
                    .filter(|(k, v)| existing.tags.get(k) != Some(v))
                    .collect();
                if !changed.is_empty() {
                    specs.push(update(Op::Lambda(LambdaOp::TagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        tags: changed,
                    })));
                }
                if !stale.is_empty() {
                    specs.push(update(Op::Lambda(LambdaOp::UntagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        keys: stale,
                    })));
                }
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        cx.changes_of(ResourceKind::Function)
            .filter_map(|c| match &c.action {
                Action::Delete => Some((c.name.clone(), None)),
                Action::Replace { of } => Some((of.clone(), Some(c.address.clone()))),
                Action::Create | Action::Update => None,
            })
            .map(|(name, successor)| {
                let role = cx
                    .live
                    .functions
                    .get(&name)
                    .and_then(|f| role::owned_by_arn(cx.live, &f.role_arn));
                StepSpec::new(Phase::FunctionCleanup, Op::Lambda(LambdaOp::DeleteFunction { name: name.clone() }))
                    .deletes(Address::Function(name))
                    // The new deployment, if there is one, no longer routes to it.
                    .needs([Need::Exists(Address::Deployment)])
                    .replaced_by(successor)
                    .releases(role)
                    .why("a function is deleted once its successor exists and the new deployment no longer routes to it")
            })
            .collect()
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.functions
            .iter()
            .map(|(name, function)| (Object::Function(name.clone()), fingerprint(function)))
            .collect()
    }
}

/// The package a step uploads for `function`, as the plan records it.
fn code_ref(artifacts: &BTreeMap<String, Artifact>, function: &DesiredFunction) -> CodeRef {
    let artifact = artifacts.get(&function.key);
    CodeRef {
        key: function.key.clone(),
        sha256: artifact.map(|a| a.sha256.clone()).unwrap_or_default(),
        size: artifact.map(|a| a.size()).unwrap_or_default(),
    }
}

/// The function changes other than deletes, each after the functions whose ARN its
/// environment holds.
fn in_reference_order<'a>(desired: &Desired, changes: &'a [Change]) -> Vec<&'a Change> {
    let functions: Vec<&Change> = changes
        .iter()
        .filter(|c| c.kind() == ResourceKind::Function && c.action != Action::Delete)
        .collect();
    let mut ordered: Vec<&Change> = Vec::new();
    let mut visiting = BTreeSet::new();
    fn visit<'a>(
        change: &'a Change,
        desired: &Desired,
        functions: &[&'a Change],
        ordered: &mut Vec<&'a Change>,
        visiting: &mut BTreeSet<String>,
    ) {
        if ordered.iter().any(|c| c.address == change.address)
            || !visiting.insert(change.name.clone())
        {
            return;
        }
        let referenced = change
            .key
            .as_ref()
            .and_then(|k| desired.functions.get(k))
            .into_iter()
            .flat_map(|f| f.environment.values())
            .flat_map(|v| v.refs())
            .filter_map(|r| match r {
                CrossRef::FunctionArn(key) | CrossRef::FunctionUrl(key) => {
                    desired.functions.get(key)
                }
                _ => None,
            });
        for target in referenced {
            let address = Address::Function(target.name.clone());
            if let Some(next) = functions.iter().find(|c| c.address == address) {
                visit(next, desired, functions, ordered, visiting);
            }
        }
        ordered.push(change);
    }
    for change in &functions {
        visit(change, desired, &functions, &mut ordered, &mut visiting);
    }
    ordered
}

/// The tags a function should carry: the user's, the ownership tags, and its
/// manifest key (so a renamed function is recognised and replaced).
pub fn function_tags(scope: &Scope, function: &DesiredFunction) -> BTreeMap<String, String> {
    let mut tags = function.tags.clone();
    tags.extend(scope.ownership_tags());
    tags.insert(TAG_KEY.to_string(), function.key.clone());
    tags
}

/// What a function's role ARN should be: the given ARN, the live role's ARN, or the
/// ARN of the role this plan creates, which apply learns from `CreateRole`.
pub fn wanted_role_arn(desired: &Desired, live: &Live, function: &DesiredFunction) -> Ref {
    match &function.role {
        RoleRef::Arn(arn) => Ref::Known(arn.clone()),
        RoleRef::Key(key) => {
            let name = desired.roles.get(key).map_or(key, |role| &role.name);
            match live.roles.get(name) {
                Some(existing) => Ref::Known(existing.arn.clone()),
                None => Ref::After(Output::RoleArn(name.clone())),
            }
        }
    }
}

/// Whether a live function's role ARN already is the wanted one. A role this plan
/// creates has an ARN ending in its path and name, whatever the account.
fn role_matches(wanted: &Ref, live_arn: &str, path: &str) -> bool {
    match wanted {
        Ref::Known(arn) => arn == live_arn,
        Ref::After(Output::RoleArn(role)) => live_arn.ends_with(&format!(":role{path}{role}")),
        Ref::After(_) => false,
    }
}

/// Tags as compared: AWS's own `aws:*` tags and lade's record of what it applied are
/// not part of what the manifest asks for.
fn comparable_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with("aws:") && !is_record_tag(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn function_fields(
    desired: &Desired,
    live_state: &Live,
    function: &DesiredFunction,
    role_arn: &Ref,
    artifact: Option<&Artifact>,
    live: Option<&LiveFunction>,
) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    // (field, live value, wanted value) for every plain configuration field.
    let plain = [
        (
            Field::Handler,
            live.map(|l| FieldValue::text(&l.handler)),
            FieldValue::text(&function.handler),
        ),
        (
            Field::Runtime,
            live.map(|l| FieldValue::text(&l.runtime)),
            FieldValue::text(&function.runtime),
        ),
        (
            Field::Memory,
            live.map(|l| FieldValue::Number(l.memory.into())),
            FieldValue::Number(function.memory.into()),
        ),
        (
            Field::Timeout,
            live.map(|l| FieldValue::Number(l.timeout.into())),
            FieldValue::Number(function.timeout.into()),
        ),
        (
            Field::Description,
            live.map(|l| FieldValue::text(&l.description)),
            FieldValue::text(&function.description),
        ),
        (
            Field::Architecture,
            live.map(|l| FieldValue::text(l.architecture.as_str())),
            FieldValue::text(function.architecture.as_str()),
        ),
    ];
    for (field, old, new) in plain {
        if old.as_ref() != Some(&new) {
            fields.push(FieldChange {
                field,
                old,
                new: Some(new),
            });
        }
    }
    if let Some(artifact) = artifact {
        let new = FieldValue::Code {
            sha256: artifact.sha256.clone(),
            size: artifact.size(),
        };
        let old = live.map(|l| FieldValue::Code {
            sha256: l.code_sha256.clone(),
            size: u64::try_from(l.code_size).unwrap_or_default(),
        });
        if live.is_none_or(|l| l.code_sha256 != artifact.sha256) {
            fields.push(FieldChange {
                field: Field::Code,
                old,
                new: Some(new),
            });
        }
    }
    let scope = &desired.scope;
    fields.extend(diff::env::field(desired, live_state, function, live));
    let tags = FieldValue::Map(function_tags(scope, function));
    let live_tags = live.map(|l| FieldValue::Map(comparable_tags(&l.tags)));
    if live_tags.as_ref() != Some(&tags) {
        fields.push(FieldChange {
            field: Field::Tags,
            old: live_tags,
            new: Some(tags),
        });
    }
    let path = scope.iam_path();
    if live.is_none_or(|l| !role_matches(role_arn, &l.role_arn, &path)) {
        fields.push(FieldChange {
            field: Field::Role,
            old: live.map(|l| FieldValue::text(&l.role_arn)),
            new: Some(role_arn.display()),
        });
    }
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    fields
}
