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

pub mod address;
pub mod fingerprint;
pub mod graph;
pub mod op;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diff::env::Secrets;
use crate::diff::{self, Action, Change};
use crate::kinds::{KINDS, PlanCx};
use crate::model::{Artifact, Desired, Foreign, Live, Scope};

pub use crate::cloud::Service;
pub use op::{
    CodeRef, EventBridgeOp, FunctionSettings, HttpApiOp, IamOp, LambdaOp, Op, PermissionSource,
    PlannedApi, PlannedAuthorizer, PlannedMethod, PlannedNotification, PlannedRole, PlannedRoute,
    PlannedRouteAuth, RestApiOp, S3Op, SnsOp,
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
    /// What a person should know before applying, e.g. a runtime Lambda is about to
    /// stop accepting. Nothing here stops the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// For each function key whose code the plan uploads: which files that changes,
    /// as far as lade knows (see `package::listing`). For people; apply ignores it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub code_files: BTreeMap<String, crate::package::listing::CodeFiles>,
    /// Where the manifest the plan was made from is, and its hash: recorded by
    /// `lade plan --out`, so that `lade apply PLAN` finds it from any directory and
    /// refuses a manifest that changed. `None` in plans that were not saved, and in
    /// plans saved before lade recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
}

/// Where a saved plan's manifest is, recorded when the plan is saved.
///
/// Both forms, because a CI pipeline often plans in one job and applies in another
/// whose checkout is at a different absolute path, with the plan file downloaded to
/// the same place in it: apply tries `relative` first, against the plan file's
/// directory, then `absolute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The manifest's path relative to the directory the plan file is in, with `/`
    /// between components (e.g. `lade.yaml`, `../app/lade.yaml`).
    pub relative: String,
    /// The manifest's absolute path when the plan was saved.
    pub absolute: String,
    /// The base64 SHA-256 of the manifest's bytes: apply refuses the plan as stale if
    /// the manifest it finds differs.
    pub sha256: String,
}

/// What apply takes from the manifest again rather than from the plan: the packages,
/// and the sensitive values, which a plan never holds.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Packages by function key; each must match the hash the plan recorded.
    pub artifacts: BTreeMap<String, Artifact>,
    /// Sensitive environment values; each must match the salted hash the plan recorded.
    pub secrets: Secrets,
}

impl From<BTreeMap<String, Artifact>> for Inputs {
    fn from(artifacts: BTreeMap<String, Artifact>) -> Self {
        Inputs {
            artifacts,
            secrets: Secrets::new(),
        }
    }
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

    /// The existing functions the plan's steps change or delete: those whose
    /// ownership `live::confirm_owned` confirms before the plan is shown or applied.
    pub fn touched_functions(&self) -> std::collections::BTreeSet<String> {
        self.steps
            .iter()
            .flat_map(|step| match &step.op {
                Op::Lambda(op) => op
                    .changes_function()
                    .map(str::to_owned)
                    .into_iter()
                    .collect::<Vec<_>>(),
                Op::EventBridge(op) => vec![op.changes_function().to_owned()],
                Op::Sns(op) => vec![op.changes_function().to_owned()],
                Op::S3(op) => op
                    .changes_functions()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                Op::Iam(_) | Op::ApiGateway(_) | Op::HttpApi(_) => Vec::new(),
            })
            .collect()
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                // Counted like Terraform: one to add and one to destroy.
                Action::Replace { .. } => {
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

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Names the manifest wants are held by resources lade does not own.
    #[error("{}", not_owned_message(.0))]
    NotOwned(Vec<Foreign>),
    /// ARNs the manifest names that do not exist in the account, each with the
    /// manifest key that names it.
    #[error("{}", missing_message(.0))]
    Missing(Vec<String>),
    /// The dependency graph has a cycle through these steps; this is a bug in lade.
    #[error(
        "the plan's steps form a cycle ({}); this is a bug in lade, please report it",
        .0.join(", ")
    )]
    Cycle(Vec<String>),
    /// Functions the plan would create with a runtime Lambda no longer creates
    /// functions with (it still updates existing ones until a later date).
    #[error("{}", .0.join("\n"))]
    RuntimeBlocked(Vec<String>),
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

fn missing_message(missing: &[String]) -> String {
    let mut message = String::from("the manifest names AWS resources that do not exist:");
    for line in missing {
        message.push_str(&format!("\n  - {line}"));
    }
    message.push_str("\nCorrect the ARN in the manifest, or create the resource first.");
    message
}

/// Each ARN of `desired` that `live` found missing, with the manifest key naming it.
fn missing(desired: &Desired, live: &Live) -> Vec<String> {
    let mut lines = Vec::new();
    for function in desired.functions.values() {
        if let crate::model::RoleRef::Arn(arn) = &function.role
            && live.missing.contains(arn)
        {
            lines.push(format!(
                "functions.{}.role: role {arn} does not exist in this account",
                function.key
            ));
        }
        let buckets: std::collections::BTreeSet<&str> = function
            .notifications
            .iter()
            .map(|n| n.bucket.as_str())
            .collect();
        for bucket in buckets {
            if live.missing.contains(&format!("bucket {bucket}")) {
                lines.push(format!(
                    "functions.{}.events: bucket {bucket} does not exist (lade never creates one: create it first, in the region lade deploys to)",
                    function.key
                ));
            }
        }
        for topic in function.subscriptions.iter().map(|s| &s.topic) {
            if live.missing.contains(topic) {
                lines.push(format!(
                    "functions.{}.events: topic {topic} does not exist (lade never creates one: create it first)",
                    function.key
                ));
            }
        }
    }
    for role in desired.roles.values() {
        for arn in role
            .managed_policies
            .iter()
            .filter(|a| live.missing.contains(*a))
        {
            lines.push(format!(
                "roles.{}.managed_policies: managed policy {arn} does not exist",
                role.key
            ));
        }
    }
    lines
}

/// Plans the steps that make `live` match `desired`: each kind's changes, its steps
/// for them, then one graph that orders them all (see [`graph`]).
pub fn build(
    desired: &Desired,
    live: &Live,
    artifacts: &BTreeMap<String, Artifact>,
) -> Result<Plan, PlanError> {
    let salt = diff::env::new_salt();
    if !live.foreign.is_empty() {
        return Err(PlanError::NotOwned(live.foreign.clone()));
    }
    let missing = missing(desired, live);
    if !missing.is_empty() {
        return Err(PlanError::Missing(missing));
    }
    let changes = diff::diff(desired, live, artifacts);
    let (mut warnings, blocked) = runtime_notes(desired, &changes);
    warnings.extend(crate::kinds::trigger::notes(desired, &changes));
    if !blocked.is_empty() {
        return Err(PlanError::RuntimeBlocked(blocked));
    }
    let cx = PlanCx {
        desired,
        live,
        changes: &changes,
        artifacts,
        salt: &salt,
    };
    let specs = KINDS
        .iter()
        .flat_map(|kind| kind.steps(&cx).into_iter().chain(kind.deletes(&cx)))
        .collect();
    let steps = graph::build(specs)?;
    Ok(Plan {
        format_version: FORMAT_VERSION,
        scope: desired.scope.clone(),
        // The region the account was read in when the manifest names none (it came
        // from the environment or the profile): what the plan was really made for.
        region: desired.region.clone().or_else(|| live.region.clone()),
        salt,
        fingerprints: fingerprint::of(live),
        artifacts: artifacts
            .iter()
            .map(|(key, a)| (key.clone(), a.sha256.clone()))
            .collect(),
        changes,
        steps,
        warnings,
        code_files: BTreeMap::new(),
        manifest: None,
    })
}

/// The plan's warnings about runtimes Lambda deprecates, and the functions it would
/// create with a runtime `CreateFunction` refuses on `desired.today`
/// ([`crate::runtimes`]). The manifest has already refused runtimes that Lambda
/// neither creates nor updates.
fn runtime_notes(desired: &Desired, changes: &[Change]) -> (Vec<String>, Vec<String>) {
    use crate::runtimes::{self, Status};
    let (mut warnings, mut blocked) = (Vec::new(), Vec::new());
    for function in desired.functions.values() {
        let Some(runtime) = runtimes::find(&function.runtime) else {
            continue;
        };
        let address = crate::plan::address::Address::Function(function.name.clone());
        let created = changes
            .iter()
            .any(|c| c.address == address && c.action.is_new());
        match runtimes::status(runtime, desired.today) {
            Status::CreateBlocked { since, .. } if created => blocked.push(format!(
                "function `{}` would be created with runtime `{}`, but Lambda no longer creates functions with it (since {since}); use a current runtime such as `{}`",
                function.key, runtime.id, runtime.successor
            )),
            _ => warnings.extend(runtimes::warning(&function.key, runtime, desired.today)),
        }
    }
    (warnings, blocked)
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
        today: crate::runtimes::today(),
    };
    // Foreign resources only matter for names the manifest wants; destroy wants none.
    let live = Live {
        foreign: Vec::new(),
        ..live.clone()
    };
    build(&nothing, &live, &BTreeMap::new())
}
