//! Turns changes into a [`Plan`]: a DAG of [`Step`]s with explicit dependency edges.
//!
//! The plan is plain data. It serializes to JSON, and `apply` does exactly its steps.
//! Each step is one AWS call (plus the waits that call needs), so every step can be
//! shown to a person, explained, and retried on its own.
//!
//! # Why steps come in the order they do
//!
//! Edges are added by these rules, in this order (see [`build`]):
//!
//! 1. A role's policy steps (trust policy, inline policies, managed policy attachments)
//!    run after the role is created: IAM cannot attach a policy to a role that is not
//!    there yet.
//! 2. A function that is created, or moved to a role, waits for every step that sets up
//!    that role. Lambda checks at `CreateFunction` that it can assume the role, and the
//!    function must not run, even once, without the permissions the manifest gives it.
//! 3. Steps on one function form a chain: configuration, then code, then tags. Lambda
//!    accepts one update at a time per function (`ResourceConflictException`).
//! 4. Deletes run in reverse: a role is deleted only after every function that used it
//!    has been deleted or moved to another role, and only after its inline policies
//!    are deleted and its managed policies detached (`DeleteRole` fails otherwise with
//!    `DeleteConflict`). For example, removing function `f` and its role `r` gives
//!    `DeleteFunction f` and `DetachRolePolicy r` (in parallel), then `DeleteRole r`.
//!
//! 5. The REST API comes before its resources, a parent resource before its children,
//!    a resource before its methods, a method before its integration. An integration
//!    and an invoke permission wait for the function they point at (they need its ARN).
//!    The deployment waits for every route and permission step, so the stage only ever
//!    serves a complete route table whose functions may be invoked; old deployments
//!    are pruned after the stage has moved. Deleting a function waits for the new
//!    deployment, so no deployed route points at a function that is gone.
//! 6. Route deletes run children first: a method before its resource, a resource
//!    before its parent.
//!
//! Steps with no path between them may run concurrently.

mod api;
pub mod fingerprint;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cloud::{MethodSettings, NewApi, NewRole};
use crate::diff::env::PlannedValue;
use crate::diff::{self, Action, Change, Field, Output, Ref};
use crate::model::{
    ApiSettings, Architecture, Artifact, CrossRef, Desired, Foreign, Live, ResourceKind, RoleRef,
    Scope,
};

/// The version of the plan's JSON form. Bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// What lade will do, and in which order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub scope: Scope,
    pub region: Option<String>,
    /// Salt for the hashes of sensitive values; random per plan.
    pub salt: String,
    /// A fingerprint of every live object the plan was made from (see [`fingerprint`]).
    pub fingerprints: fingerprint::Fingerprints,
    /// The base64 SHA-256 of every function's package, by function key.
    pub artifacts: BTreeMap<String, String>,
    /// What differs, resource by resource.
    pub changes: Vec<Change>,
    /// The calls that make the account match, in a valid order.
    pub steps: Vec<Step>,
}

/// How many resources a plan adds, changes and destroys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    /// A plan with no steps: the account already matches the manifest.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                // Counted like Terraform: one to add and one to destroy.
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Update => summary.change += 1,
                Action::Delete => summary.destroy += 1,
            }
        }
        summary
    }
}

/// One AWS call, with the steps that must finish before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Index in [`Plan::steps`].
    pub id: usize,
    pub op: Op,
    /// Steps that must succeed first; always lower ids.
    pub depends_on: Vec<usize>,
    /// Why it waits for them, in words; empty when it waits for nothing.
    pub why: String,
}

/// A function's configuration as planned. The role may be one this plan creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSettings {
    pub handler: String,
    pub runtime: String,
    pub role: Ref,
    pub memory: i32,
    pub timeout: i32,
    pub environment: BTreeMap<String, PlannedValue>,
    pub description: String,
}

/// The package a step uploads: apply rebuilds it and checks the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRef {
    /// The function key whose `source` builds it.
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// One operation, named after the AWS API call it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    CreateRole {
        role: NewRole,
    },
    UpdateTrustPolicy {
        role: String,
        document: Value,
    },
    PutRolePolicy {
        role: String,
        policy: String,
        document: Value,
    },
    DeleteRolePolicy {
        role: String,
        policy: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DeleteRole {
        role: String,
    },
    CreateFunction {
        name: String,
        settings: FunctionSettings,
        architecture: Architecture,
        code: CodeRef,
        tags: BTreeMap<String, String>,
    },
    UpdateFunctionConfiguration {
        name: String,
        /// The function's ARN, to record what was applied in its `lade:config` tag.
        arn: String,
        settings: FunctionSettings,
    },
    UpdateFunctionCode {
        name: String,
        code: CodeRef,
        architecture: Architecture,
    },
    TagFunction {
        name: String,
        arn: String,
        tags: BTreeMap<String, String>,
    },
    UntagFunction {
        name: String,
        arn: String,
        keys: Vec<String>,
    },
    DeleteFunction {
        name: String,
    },
    CreateRestApi {
        api: NewApi,
    },
    UpdateRestApi {
        api_id: String,
        from: ApiSettings,
        to: ApiSettings,
    },
    DeleteRestApi {
        api_id: String,
        name: String,
    },
    CreateResource {
        api: Ref,
        parent: Ref,
        path: String,
    },
    DeleteResource {
        api_id: String,
        resource_id: String,
        path: String,
    },
    PutMethod {
        api: Ref,
        resource: Ref,
        path: String,
        method: MethodSettings,
    },
    DeleteMethod {
        api_id: String,
        resource_id: String,
        path: String,
        http_method: String,
    },
    PutIntegration {
        api: Ref,
        resource: Ref,
        path: String,
        http_method: String,
        function: String,
        function_arn: Ref,
    },
    AddPermission {
        function: String,
        statement_id: String,
        function_arn: Ref,
        api: Ref,
    },
    RemovePermission {
        function: String,
        statement_id: String,
    },
    CreateDeployment {
        api: Ref,
        stage: String,
    },
    DeleteDeployment {
        api_id: String,
        deployment_id: String,
    },
}

/// The AWS service a step calls; it belongs to the cloud.
pub use crate::cloud::Service;

impl Op {
    /// The service the step calls.
    pub fn service(&self) -> Service {
        match self {
            Op::CreateRole { .. }
            | Op::UpdateTrustPolicy { .. }
            | Op::PutRolePolicy { .. }
            | Op::DeleteRolePolicy { .. }
            | Op::AttachRolePolicy { .. }
            | Op::DetachRolePolicy { .. }
            | Op::DeleteRole { .. } => Service::Iam,
            Op::CreateFunction { .. }
            | Op::UpdateFunctionConfiguration { .. }
            | Op::UpdateFunctionCode { .. }
            | Op::TagFunction { .. }
            | Op::UntagFunction { .. }
            | Op::DeleteFunction { .. }
            | Op::AddPermission { .. }
            | Op::RemovePermission { .. } => Service::Lambda,
            Op::CreateRestApi { .. }
            | Op::UpdateRestApi { .. }
            | Op::DeleteRestApi { .. }
            | Op::CreateResource { .. }
            | Op::DeleteResource { .. }
            | Op::PutMethod { .. }
            | Op::DeleteMethod { .. }
            | Op::PutIntegration { .. }
            | Op::CreateDeployment { .. }
            | Op::DeleteDeployment { .. } => Service::ApiGateway,
        }
    }

    /// The AWS API operation, e.g. `CreateFunction`.
    pub fn api_call(&self) -> &'static str {
        match self {
            Op::CreateRole { .. } => "CreateRole",
            Op::UpdateTrustPolicy { .. } => "UpdateAssumeRolePolicy",
            Op::PutRolePolicy { .. } => "PutRolePolicy",
            Op::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            Op::AttachRolePolicy { .. } => "AttachRolePolicy",
            Op::DetachRolePolicy { .. } => "DetachRolePolicy",
            Op::DeleteRole { .. } => "DeleteRole",
            Op::CreateFunction { .. } => "CreateFunction",
            Op::UpdateFunctionConfiguration { .. } => "UpdateFunctionConfiguration",
            Op::UpdateFunctionCode { .. } => "UpdateFunctionCode",
            Op::TagFunction { .. } => "TagResource",
            Op::UntagFunction { .. } => "UntagResource",
            Op::DeleteFunction { .. } => "DeleteFunction",
            Op::CreateRestApi { .. } => "CreateRestApi",
            Op::UpdateRestApi { .. } => "UpdateRestApi",
            Op::DeleteRestApi { .. } => "DeleteRestApi",
            Op::CreateResource { .. } => "CreateResource",
            Op::DeleteResource { .. } => "DeleteResource",
            Op::PutMethod { .. } => "PutMethod",
            Op::DeleteMethod { .. } => "DeleteMethod",
            Op::PutIntegration { .. } => "PutIntegration",
            Op::AddPermission { .. } => "AddPermission",
            Op::RemovePermission { .. } => "RemovePermission",
            Op::CreateDeployment { .. } => "CreateDeployment",
            Op::DeleteDeployment { .. } => "DeleteDeployment",
        }
    }

    /// A one-line description for people, e.g. `put inline policy read on role shop-dev-api`.
    pub fn describe(&self) -> String {
        match self {
            Op::CreateRole { role } => format!("create role {}", role.name),
            Op::UpdateTrustPolicy { role, .. } => format!("update trust policy of role {role}"),
            Op::PutRolePolicy { role, policy, .. } => {
                format!("put inline policy {policy} on role {role}")
            }
            Op::DeleteRolePolicy { role, policy } => {
                format!("delete inline policy {policy} from role {role}")
            }
            Op::AttachRolePolicy { role, policy_arn } => {
                format!("attach {policy_arn} to role {role}")
            }
            Op::DetachRolePolicy { role, policy_arn } => {
                format!("detach {policy_arn} from role {role}")
            }
            Op::DeleteRole { role } => format!("delete role {role}"),
            Op::CreateFunction { name, .. } => format!("create function {name}"),
            Op::UpdateFunctionConfiguration { name, .. } => {
                format!("update configuration of function {name}")
            }
            Op::UpdateFunctionCode { name, .. } => format!("update code of function {name}"),
            Op::TagFunction { name, .. } => format!("tag function {name}"),
            Op::UntagFunction { name, .. } => format!("untag function {name}"),
            Op::DeleteFunction { name } => format!("delete function {name}"),
            Op::CreateRestApi { api } => format!("create REST API {}", api.settings.name),
            Op::UpdateRestApi { to, .. } => format!("update REST API {}", to.name),
            Op::DeleteRestApi { name, api_id } => format!("delete REST API {name} ({api_id})"),
            Op::CreateResource { path, .. } => format!("create resource {path}"),
            Op::DeleteResource { path, .. } => format!("delete resource {path}"),
            Op::PutMethod { path, method, .. } => {
                format!("put method {} {path}", method.http_method)
            }
            Op::DeleteMethod {
                path, http_method, ..
            } => format!("delete method {http_method} {path}"),
            Op::PutIntegration {
                path,
                http_method,
                function,
                ..
            } => format!("integrate {http_method} {path} with function {function}"),
            Op::AddPermission { function, .. } => {
                format!("allow the API to invoke function {function}")
            }
            Op::RemovePermission { function, .. } => {
                format!("remove the API's permission to invoke function {function}")
            }
            Op::CreateDeployment { stage, .. } => {
                format!("deploy the API and point stage {stage} at it")
            }
            Op::DeleteDeployment { deployment_id, .. } => {
                format!("delete old deployment {deployment_id}")
            }
        }
    }

    /// Whether the step changes nothing outside lade's own resources but deletes.
    pub fn is_delete(&self) -> bool {
        matches!(
            self,
            Op::DeleteRole { .. }
                | Op::DeleteRolePolicy { .. }
                | Op::DetachRolePolicy { .. }
                | Op::DeleteFunction { .. }
                | Op::DeleteRestApi { .. }
                | Op::DeleteResource { .. }
                | Op::DeleteMethod { .. }
                | Op::RemovePermission { .. }
                | Op::DeleteDeployment { .. }
        )
    }
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Names the manifest wants are held by resources lade does not own.
    #[error("{}", not_owned_message(.0))]
    NotOwned(Vec<Foreign>),
    /// The dependency graph has a cycle; this is a bug in lade.
    #[error(
        "the plan's steps form a cycle through step {0}; this is a bug in lade, please report it"
    )]
    Cycle(usize),
}

fn not_owned_message(foreign: &[Foreign]) -> String {
    let mut message = String::from(
        "these resources have names the manifest wants, but lade does not own them, so it will not change or delete them:",
    );
    for f in foreign {
        message.push_str(&format!("\n  - {} `{}`: {}", f.kind, f.name, f.reason));
    }
    message.push_str(
        "\nRename the resource in the manifest (`name:`), or delete or rename the existing resource yourself.",
    );
    message
}

/// Plans the steps that make `live` match `desired`.
pub fn build(
    desired: &Desired,
    live: &Live,
    artifacts: &BTreeMap<String, Artifact>,
) -> Result<Plan, PlanError> {
    if !live.foreign.is_empty() {
        return Err(PlanError::NotOwned(live.foreign.clone()));
    }
    let changes = diff::diff(desired, live, artifacts);
    let salt = diff::env::new_salt();
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
                Op::CreateRole {
                    role: NewRole {
                        name: role.name.clone(),
                        path: role.path.clone(),
                        trust_policy: role.trust_policy(),
                        tags: scope.ownership_tags(),
                    },
                },
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
                (Field::TrustPolicy, Some(document)) => Op::UpdateTrustPolicy {
                    role: role.name.clone(),
                    document: document.clone(),
                },
                (Field::ManagedPolicy(arn), Some(_)) => Op::AttachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                },
                (Field::ManagedPolicy(arn), None) => Op::DetachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                },
                (Field::InlinePolicy(name), Some(document)) => Op::PutRolePolicy {
                    role: role.name.clone(),
                    policy: name.clone(),
                    document: document.clone(),
                },
                (Field::InlinePolicy(name), None) => Op::DeleteRolePolicy {
                    role: role.name.clone(),
                    policy: name.clone(),
                },
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
        let role = diff::wanted_role_arn(desired, live, function);
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
                Op::CreateFunction {
                    name: function.name.clone(),
                    settings,
                    architecture: function.architecture,
                    code: code(),
                    tags: diff::function_tags(scope, function),
                },
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
                Op::UpdateFunctionConfiguration {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    settings,
                },
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
                Op::UpdateFunctionCode {
                    name: function.name.clone(),
                    code: code(),
                    architecture: function.architecture,
                },
                last.into_iter().collect(),
                chain_why,
            );
            last = Some(id);
        }
        if has(&Field::Record) {
            last = Some(graph.push(
                Op::TagFunction {
                    name: function.name.clone(),
                    arn: existing.arn.clone(),
                    tags: diff::current_record(function, existing),
                },
                last.into_iter().collect(),
                chain_why,
            ));
        }
        if has(&Field::Tags) {
            let wanted = diff::function_tags(scope, function);
            let stale: Vec<String> = existing
                .tags
                .keys()
                .filter(|k| {
                    !k.starts_with("aws:") && !diff::is_record_tag(k) && !wanted.contains_key(*k)
                })
                .cloned()
                .collect();
            let changed: BTreeMap<String, String> = wanted
                .into_iter()
                .filter(|(k, v)| existing.tags.get(k) != Some(v))
                .collect();
            if !changed.is_empty() {
                last = Some(graph.push(
                    Op::TagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        tags: changed,
                    },
                    last.into_iter().collect(),
                    chain_why,
                ));
            }
            if !stale.is_empty() {
                graph.push(
                    Op::UntagFunction {
                        name: function.name.clone(),
                        arn: existing.arn.clone(),
                        keys: stale,
                    },
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
            Op::DeleteFunction { name: name.clone() },
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
                Op::DetachRolePolicy {
                    role: role.name.clone(),
                    policy_arn: arn.clone(),
                },
                vec![],
                "",
            ));
        }
        for policy in role.inline_policies.keys() {
            deps.push(graph.push(
                Op::DeleteRolePolicy {
                    role: role.name.clone(),
                    policy: policy.clone(),
                },
                vec![],
                "",
            ));
        }
        deps.extend(moves_off.get(&role.arn).into_iter().flatten().copied());
        graph.push(
            Op::DeleteRole { role: role.name.clone() },
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

/// Plans the deletion of everything `live` holds.
pub fn destroy(scope: &Scope, region: Option<String>, live: &Live) -> Result<Plan, PlanError> {
    let nothing = Desired {
        scope: scope.clone(),
        region,
        roles: BTreeMap::new(),
        functions: BTreeMap::new(),
        api: None,
        uses_account: false,
    };
    // Foreign resources only matter for names the manifest wants; destroy wants none.
    let live = Live {
        foreign: Vec::new(),
        ..live.clone()
    };
    build(&nothing, &live, &BTreeMap::new())
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
                return Err(PlanError::Cycle(step.id));
            }
        }
        Ok(self.steps)
    }
}
