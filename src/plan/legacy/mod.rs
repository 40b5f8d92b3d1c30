//! The planner before resource kinds had one home each, kept as a test oracle: the
//! property tests (tests/properties.rs) check that [`build`] and `plan::build` give
//! the same plan, step for step and edge for edge, over random manifests and
//! accounts. Delete it once the new planner has been proven on real use.

mod api;

use std::collections::{BTreeMap, BTreeSet};

use super::{
    CodeRef, FORMAT_VERSION, FunctionSettings, IamOp, LambdaOp, Op, Plan, PlanError, PlannedRole,
    Step, fingerprint,
};
use crate::diff::{self, Action, Change, Field, Output, Ref};
use crate::kinds::function::record::{current_record, is_record_tag};
use crate::kinds::function::{function_tags, wanted_role_arn};
use crate::model::{Artifact, CrossRef, Desired, Live, ResourceKind, RoleRef};

/// Plans the steps that make `live` match `desired`.
pub fn build(
    desired: &Desired,
    live: &Live,
    artifacts: &BTreeMap<String, Artifact>,
    salt: String,
) -> Result<Plan, PlanError> {
    if !live.foreign.is_empty() {
        return Err(PlanError::NotOwned(live.foreign.clone()));
    }
    let changes = diff::diff(desired, live, artifacts);
    let mut graph = Graph::default();
    let scope = &desired.scope;

    // Rule 1: roles and their policies. `role_ready` collects, per role name, every
    // step that must finish before a function may use the role.
    let mut role_ready: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for change in changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Role && c.action != Action::Delete)
    {
        let Some(role) = change.key.as_ref().and_then(|k| desired.roles.get(k)) else {
            continue;
        };
        let mut ready = Vec::new();
        let created = (change.action == Action::Create).then(|| {
            graph.push(
                Op::Iam(IamOp::CreateRole {
                    role: PlannedRole {
                        name: role.name.clone(),
                        path: role.path.clone(),
                        trust_policy: role.trust_policy(),
                        tags: scope.ownership_tags(),
                    },
                }),
                vec![],
                "",
            )
        });
        ready.extend(created);
        let after_create: Vec<usize> = created.into_iter().collect();
        let why = "a policy can only be set on a role that exists";
        for field in &change.fields {
            let op = match (&field.field, &field.new) {
                (Field::TrustPolicy, Some(_)) if created.is_some() => continue,
                (Field::TrustPolicy, Some(document)) => Op::Iam(IamOp::UpdateTrustPolicy {
                    role: role.name.clone(),
                    document: document.clone(),
                }),
                (Field::ManagedPolicy(arn), Some(_)) => Op::Iam(IamOp::AttachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                }),
                (Field::ManagedPolicy(arn), None) => Op::Iam(IamOp::DetachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                }),
                (Field::InlinePolicy(name), Some(document)) => Op::Iam(IamOp::PutRolePolicy {
                    role: role.name.clone(),
                    policy: name.clone(),
                    document: document.clone(),
                }),
                (Field::InlinePolicy(name), None) => Op::Iam(IamOp::DeleteRolePolicy {
                    role: role.name.clone(),
                    policy: name.clone(),
                }),
                _ => continue,
            };
            let removes = op.is_delete();
            let id = graph.push(op, after_create.clone(), why);
            if !removes {
                ready.push(id);
            }
        }
        role_ready.insert(role.name.clone(), ready);
    }

    // The REST API itself comes early: a function's environment may hold its URL.
    let api_start = api::start(&mut graph, desired, live, &changes);

    // Rules 2 and 3: functions. A function waits for its role, and for whatever its
    // environment references; its own steps chain. Functions are taken in an order
    // where a referenced function comes first (the manifest has no reference cycles).
    // `moves_off` records, per live role ARN, the steps that stop a function using it.
    let mut moves_off: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut created_functions: BTreeMap<String, usize> = BTreeMap::new();
    for change in in_reference_order(desired, &changes) {
        let Some(function) = change.key.as_ref().and_then(|k| desired.functions.get(k)) else {
            continue;
        };
        let environment = diff::env::planned(desired, live, function, &salt);
        let referenced: Vec<usize> = function
            .environment
            .values()
            .flat_map(|value| diff::env::resolve(desired, live, value))
            .filter_map(|part| match part {
                Ref::After(Output::FunctionArn(name)) => created_functions.get(&name).copied(),
                Ref::After(Output::RoleArn(name)) => role_ready
                    .get(&name)
                    .and_then(|steps| steps.first().copied()),
                Ref::After(Output::ApiUrl) => api_start.created,
                _ => None,
            })
            .collect();
        let role = wanted_role_arn(desired, live, function);
        let role_steps = match &function.role {
            RoleRef::Key(key) => desired
                .roles
                .get(key)
                .and_then(|r| role_ready.get(&r.name))
                .cloned()
                .unwrap_or_default(),
            RoleRef::Arn(_) => Vec::new(),
        };
        let role_why = "a function must not start before its role and the role's policies exist, nor before what its environment references";
        let settings = FunctionSettings {
            handler: function.handler.clone(),
            runtime: function.runtime.clone(),
            role,
            memory: function.memory,
            timeout: function.timeout,
            environment,
            description: function.description.clone(),
        };
        let code = || {
            let artifact = artifacts.get(&function.key);
            CodeRef {
                key: function.key.clone(),
                sha256: artifact.map(|a| a.sha256.clone()).unwrap_or_default(),
                size: artifact.map(|a| a.size()).unwrap_or_default(),
            }
        };
        if matches!(change.action, Action::Create | Action::Replace) {
            let id = graph.push(
                Op::Lambda(LambdaOp::CreateFunction {
                    name: function.name.clone(),
                    settings,
                    architecture: function.architecture,
                    code: code(),
                    tags: function_tags(scope, function),
                }),
                role_steps.into_iter().chain(referenced).collect(),
                role_why,
            );
            created_functions.insert(function.name.clone(), id);
            continue;
        }
        let Some(existing) = live.functions.get(&function.name) else {
            continue;
        };
        let has = |f: &Field| change.fields.iter().any(|c| &c.field == f);
        let mut last: Option<usize> = None;
        let chain_why = "Lambda accepts one update at a time per function";
        if change.fields.iter().any(|c| c.field.is_function_config()) {
            let (mut deps, mut why) = if has(&Field::Role) {
                (role_steps, role_why)
            } else {
                (Vec::new(), "")
            };
            if !referenced.is_empty() {
                deps.extend(referenced);
                why = "a function's environment holds values of resources created first";
            }
            let id = graph.push(
                Op::Lambda(LambdaOp::UpdateFunctionConfiguration {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    settings,
                }),
                deps,
                why,
            );
            if has(&Field::Role) {
                moves_off
                    .entry(existing.role_arn.clone())
                    .or_default()
                    .push(id);
            }
            last = Some(id);
        }
        if has(&Field::Code) || has(&Field::Architecture) {
            let id = graph.push(
                Op::Lambda(LambdaOp::UpdateFunctionCode {
                    name: function.name.clone(),
                    code: code(),
                    architecture: function.architecture,
                }),
                last.into_iter().collect(),
                chain_why,
            );
            last = Some(id);
        }
        if has(&Field::Record) {
            last = Some(graph.push(
                Op::Lambda(LambdaOp::TagFunction {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    tags: current_record(function, existing),
                }),
                last.into_iter().collect(),
                chain_why,
            ));
        }
        if has(&Field::Tags) {
            let wanted = function_tags(scope, function);
            let stale: Vec<String> = existing
                .tags
                .keys()
                .filter(|k| !k.starts_with("aws:") && !is_record_tag(k) && !wanted.contains_key(*k))
                .cloned()
                .collect();
            let changed: BTreeMap<String, String> = wanted
                .into_iter()
                .filter(|(k, v)| existing.tags.get(k) != Some(v))
                .collect();
            if !changed.is_empty() {
                last = Some(graph.push(
                    Op::Lambda(LambdaOp::TagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        tags: changed,
                    }),
                    last.into_iter().collect(),
                    chain_why,
                ));
            }
            if !stale.is_empty() {
                graph.push(
                    Op::Lambda(LambdaOp::UntagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        keys: stale,
                    }),
                    last.into_iter().collect(),
                    chain_why,
                );
            }
        }
    }

    // Rules 5 to 7: the REST API, its routes, permissions and deployment.
    let deployment = api::build(
        &mut graph,
        desired,
        live,
        &changes,
        &api_start,
        &created_functions,
    );

    // Rule 4: deletes, in reverse. Functions first (once no deployed route points at
    // them), then each role after its policies are gone and no function uses it.
    // A replaced function is deleted after its successor exists (create before destroy).
    let deletions = changes.iter().filter_map(|c| match (c.kind, c.action) {
        (ResourceKind::Function, Action::Delete) => Some((c.name.clone(), None)),
        (ResourceKind::Function, Action::Replace) => {
            let successor = created_functions.get(&c.name).copied();
            c.replaces.clone().map(|old| (old, successor))
        }
        _ => None,
    });
    for (name, successor) in deletions.collect::<Vec<_>>() {
        let id = graph.push(
            Op::Lambda(LambdaOp::DeleteFunction { name: name.clone() }),
            deployment.into_iter().chain(successor).collect(),
            "a function is deleted once its successor exists and the new deployment no longer routes to it",
        );
        if let Some(existing) = live.functions.get(&name) {
            moves_off
                .entry(existing.role_arn.clone())
                .or_default()
                .push(id);
        }
    }
    for change in changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Role && c.action == Action::Delete)
    {
        let Some(role) = live.roles.get(&change.name) else {
            continue;
        };
        let mut deps = Vec::new();
        for arn in &role.managed_policies {
            deps.push(graph.push(
                Op::Iam(IamOp::DetachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                }),
                vec![],
                "",
            ));
        }
        for policy in role.inline_policies.keys() {
            deps.push(graph.push(
                Op::Iam(IamOp::DeleteRolePolicy {
                    role: role.name.clone(),
                    policy: policy.clone(),
                }),
                vec![],
                "",
            ));
        }
        deps.extend(moves_off.get(&role.arn).into_iter().flatten().copied());
        graph.push(
            Op::Iam(IamOp::DeleteRole { role: role.name.clone() }),
            deps,
            "IAM refuses to delete a role that still has policies, and a function must not lose its role while it exists",
        );
    }

    let steps = graph.finish()?;
    Ok(Plan {
        format_version: FORMAT_VERSION,
        scope: scope.clone(),
        region: desired.region.clone(),
        salt,
        fingerprints: fingerprint::of(live),
        artifacts: artifacts
            .iter()
            .map(|(key, a)| (key.clone(), a.sha256.clone()))
            .collect(),
        changes,
        steps,
    })
}

/// The function changes, each after the functions whose ARN its environment holds.
fn in_reference_order<'a>(desired: &Desired, changes: &'a [Change]) -> Vec<&'a Change> {
    let functions: Vec<&Change> = changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Function && c.action != Action::Delete)
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
        if ordered.iter().any(|c| c.name == change.name) || !visiting.insert(change.name.clone()) {
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
                CrossRef::FunctionArn(key) => desired.functions.get(key),
                _ => None,
            });
        for target in referenced {
            if let Some(next) = functions.iter().find(|c| c.name == target.name) {
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

#[derive(Default)]
struct Graph {
    steps: Vec<Step>,
}

impl Graph {
    /// Adds a step after `depends_on` (duplicates dropped); `why` explains the wait,
    /// and is dropped when there is nothing to wait for.
    fn push(&mut self, op: Op, depends_on: Vec<usize>, why: &str) -> usize {
        let id = self.steps.len();
        let depends_on: Vec<usize> = depends_on
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let why = if depends_on.is_empty() {
            String::new()
        } else {
            why.to_string()
        };
        self.steps.push(Step {
            id,
            op,
            depends_on,
            why,
        });
        id
    }

    /// Checks that the graph is acyclic (every edge points to an earlier step, so the
    /// order of `steps` is a topological order) and returns the steps.
    fn finish(self) -> Result<Vec<Step>, PlanError> {
        for step in &self.steps {
            if step.depends_on.iter().any(|&d| d >= step.id) {
                return Err(PlanError::Cycle(vec![step.op.describe()]));
            }
        }
        Ok(self.steps)
    }
}
