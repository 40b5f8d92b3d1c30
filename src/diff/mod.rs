//! `(Desired, Live) → Changes`: what differs, field by field. Pure, no I/O.
//!
//! A change names one resource and the fields that differ, each with its old and new
//! value, so renderers can show `old → new` and the planner can pick the calls that
//! set exactly those fields. Comparison is semantic where AWS's spelling varies:
//! policy documents go through [`policy::equivalent`], an empty environment equals no
//! environment, and tags AWS adds itself (`aws:*`) are ignored.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cloud::FunctionConfig;

use crate::model::{
    Artifact, Desired, Function, Live, LiveFunction, LiveRole, ResourceKind, Role, RoleRef, Scope,
    TAG_KEY,
};
use crate::policy;

pub mod api;
pub mod env;

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create anew, e.g. when a function's physical name changes.
    Replace,
}

impl Action {
    /// The symbol plans show: `+`, `~`, `-`, `-/+`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Replace => "-/+",
        }
    }
}

/// A field of a resource that can differ.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    TrustPolicy,
    ManagedPolicy(String),
    InlinePolicy(String),
    Handler,
    Runtime,
    Role,
    Memory,
    Timeout,
    Environment,
    Description,
    Architecture,
    Code,
    Tags,
    /// lade's record of the configuration it applied (`lade:config`), when it is out
    /// of date although the configuration is as the manifest asks.
    Record,
    // REST API settings
    Name,
    Endpoint,
    BinaryMediaTypes,
    // routes
    Target,
    Authorization,
    ApiKeyRequired,
    // permissions and deployments
    SourceArn,
    Stage,
}

impl Field {
    /// Whether `UpdateFunctionConfiguration` sets this field.
    pub fn is_function_config(&self) -> bool {
        matches!(
            self,
            Field::Handler
                | Field::Runtime
                | Field::Role
                | Field::Memory
                | Field::Timeout
                | Field::Environment
                | Field::Description
        )
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::TrustPolicy => f.write_str("trust policy"),
            Field::ManagedPolicy(arn) => write!(f, "managed policy {arn}"),
            Field::InlinePolicy(name) => write!(f, "inline policy {name}"),
            Field::Handler => f.write_str("handler"),
            Field::Runtime => f.write_str("runtime"),
            Field::Role => f.write_str("role"),
            Field::Memory => f.write_str("memory"),
            Field::Timeout => f.write_str("timeout"),
            Field::Environment => f.write_str("environment"),
            Field::Description => f.write_str("description"),
            Field::Architecture => f.write_str("architecture"),
            Field::Code => f.write_str("code"),
            Field::Tags => f.write_str("tags"),
            Field::Record => f.write_str("record of the applied configuration"),
            Field::Name => f.write_str("name"),
            Field::Endpoint => f.write_str("endpoint"),
            Field::BinaryMediaTypes => f.write_str("binary media types"),
            Field::Target => f.write_str("function"),
            Field::Authorization => f.write_str("authorization"),
            Field::ApiKeyRequired => f.write_str("api key required"),
            Field::SourceArn => f.write_str("source ARN"),
            Field::Stage => f.write_str("stage"),
        }
    }
}

/// One field's old and new value. `None` means absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ResourceKind,
    /// Physical name.
    pub name: String,
    /// The manifest key, when the manifest names the resource.
    pub key: Option<String>,
    pub action: Action,
    pub fields: Vec<FieldChange>,
    /// With [`Action::Replace`]: the physical name of the resource this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The live resource was changed outside lade since lade last set it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drift: bool,
}

/// Shown where a value is only known once apply has run.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// Compares the manifest with the account. `artifacts` holds each function's built
/// package, by function key.
pub fn diff(desired: &Desired, live: &Live, artifacts: &BTreeMap<String, Artifact>) -> Vec<Change> {
    let mut changes = Vec::new();

    for role in desired.roles.values() {
        match live.roles.get(&role.name) {
            None => changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Role,
                name: role.name.clone(),
                key: Some(role.key.clone()),
                action: Action::Create,
                fields: role_fields(role, None),
            }),
            Some(existing) => {
                let fields = role_fields(role, Some(existing));
                if !fields.is_empty() {
                    changes.push(Change {
                        replaces: None,
                        drift: false,
                        kind: ResourceKind::Role,
                        name: role.name.clone(),
                        key: Some(role.key.clone()),
                        action: Action::Update,
                        fields,
                    });
                }
            }
        }
    }

    for function in desired.functions.values() {
        let role_arn = wanted_role_arn(desired, live, function);
        let artifact = artifacts.get(&function.key);
        match live.functions.get(&function.name) {
            None => changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Function,
                name: function.name.clone(),
                key: Some(function.key.clone()),
                action: Action::Create,
                fields: function_fields(desired, live, function, &role_arn, artifact, None),
            }),
            Some(existing) => {
                let mut fields =
                    function_fields(desired, live, function, &role_arn, artifact, Some(existing));
                let drifted = drifted(function, existing);
                let reconfigured = fields.iter().any(|c| c.field.is_function_config());
                if drifted && !reconfigured {
                    // The configuration is what the manifest asks for, but the record
                    // of it is not: an apply was stopped between
                    // `UpdateFunctionConfiguration` and the `TagResource` that records
                    // it. Record it again, or the next change would pass for drift.
                    fields.push(FieldChange {
                        field: Field::Record,
                        old: existing.tags.get(TAG_CONFIG).map(|old| json!(old)),
                        new: current_record(function, existing)
                            .get(TAG_CONFIG)
                            .map(|new| json!(new)),
                    });
                }
                if !fields.is_empty() {
                    changes.push(Change {
                        replaces: None,
                        drift: drifted && reconfigured,
                        kind: ResourceKind::Function,
                        name: function.name.clone(),
                        key: Some(function.key.clone()),
                        action: Action::Update,
                        fields,
                    });
                }
            }
        }
    }

    changes.extend(api::changes(desired, live));
    let mut replaced = BTreeSet::new();
    for change in changes.iter_mut() {
        if change.kind != ResourceKind::Function || change.action != Action::Create {
            continue;
        }
        // A function that lade holds under another name with the same manifest key:
        // its physical name changed, so it is replaced.
        let previous = live.functions.values().find(|f| {
            f.tags.get(TAG_KEY) == change.key.as_ref()
                && !desired.functions.values().any(|d| d.name == f.name)
        });
        if let Some(previous) = previous {
            change.action = Action::Replace;
            change.replaces = Some(previous.name.clone());
            replaced.insert(previous.name.clone());
        }
    }

    let wanted_functions: BTreeSet<&str> = desired
        .functions
        .values()
        .map(|f| f.name.as_str())
        .collect();
    for name in live
        .functions
        .keys()
        .filter(|n| !wanted_functions.contains(n.as_str()) && !replaced.contains(*n))
    {
        changes.push(deleted(ResourceKind::Function, name));
    }
    let wanted_roles: BTreeSet<&str> = desired.roles.values().map(|r| r.name.as_str()).collect();
    for name in live
        .roles
        .keys()
        .filter(|n| !wanted_roles.contains(n.as_str()))
    {
        changes.push(deleted(ResourceKind::Role, name));
    }
    changes
}

fn deleted(kind: ResourceKind, name: &str) -> Change {
    Change {
        replaces: None,
        drift: false,
        kind,
        name: name.to_string(),
        key: None,
        action: Action::Delete,
        fields: Vec::new(),
    }
}

/// What a function's role ARN should be: the given ARN, the live role's ARN, or the
/// ARN of the role this plan creates, which apply learns from `CreateRole`.
pub fn wanted_role_arn(desired: &Desired, live: &Live, function: &Function) -> Ref {
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

/// A value the plan knows, or one apply learns from the step that creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ref {
    Known(String),
    /// Shown as "(known after apply)".
    After(Output),
}

/// A value that a step of the plan produces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// The ARN of the role with this name.
    RoleArn(String),
    /// The ARN of the function with this name.
    FunctionArn(String),
    /// The ID of the REST API this plan creates.
    ApiId,
    /// The ID of the API resource with this path.
    ResourceId(String),
    /// The invoke URL of the API's stage.
    ApiUrl,
}

impl Ref {
    /// The value for people: itself, or "(known after apply)".
    pub fn display(&self) -> Value {
        match self {
            Ref::Known(value) => json!(value),
            Ref::After(_) => json!(KNOWN_AFTER_APPLY),
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

fn role_fields(role: &Role, live: Option<&LiveRole>) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    let trust = role.trust_policy();
    if live.is_none_or(|l| !policy::equivalent(&l.trust_policy, &trust)) {
        fields.push(FieldChange {
            field: Field::TrustPolicy,
            old: live.map(|l| l.trust_policy.clone()),
            new: Some(trust),
        });
    }
    let live_managed = live.map(|l| l.managed_policies.clone()).unwrap_or_default();
    for arn in role.managed_policies.difference(&live_managed) {
        fields.push(FieldChange {
            field: Field::ManagedPolicy(arn.clone()),
            old: None,
            new: Some(json!("attached")),
        });
    }
    for arn in live_managed.difference(&role.managed_policies) {
        fields.push(FieldChange {
            field: Field::ManagedPolicy(arn.clone()),
            old: Some(json!("attached")),
            new: None,
        });
    }
    let no_inline = BTreeMap::new();
    let live_inline = live.map_or(&no_inline, |l| &l.inline_policies);
    for (name, document) in &role.inline_policies {
        let old = live_inline.get(name);
        if old.is_none_or(|old| !policy::equivalent(old, document)) {
            fields.push(FieldChange {
                field: Field::InlinePolicy(name.clone()),
                old: old.cloned(),
                new: Some(document.clone()),
            });
        }
    }
    for (name, document) in live_inline {
        if !role.inline_policies.contains_key(name) {
            fields.push(FieldChange {
                field: Field::InlinePolicy(name.clone()),
                old: Some(document.clone()),
                new: None,
            });
        }
    }
    fields
}

/// The tags a function should carry: the user's, the ownership tags, and its
/// manifest key (so a renamed function is recognised and replaced).
pub fn function_tags(scope: &Scope, function: &Function) -> BTreeMap<String, String> {
    let mut tags = function.tags.clone();
    tags.extend(scope.ownership_tags());
    tags.insert(TAG_KEY.to_string(), function.key.clone());
    tags
}

/// Tag key that holds a fingerprint of the configuration lade last applied to a
/// function: a live configuration that no longer matches it was changed outside lade.
pub const TAG_CONFIG: &str = "lade:config";

/// The fingerprint of a function configuration, as stored in its `lade:config` tag.
/// Sensitive environment values enter only by name: a tag is readable by anyone who
/// can list tags, so it must not let anyone test guesses of a secret.
pub fn config_fingerprint(config: &FunctionConfig, sensitive: &BTreeSet<String>) -> String {
    let environment: BTreeMap<&String, &str> = config
        .environment
        .iter()
        .map(|(k, v)| {
            (
                k,
                if sensitive.contains(k) {
                    "(sensitive)"
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    let fields = json!([
        config.handler,
        config.runtime,
        config.role_arn,
        config.memory,
        config.timeout,
        config.description,
        environment,
    ]);
    let digest = Sha256::digest(fields.to_string().as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// Tag key that lists the environment variables that were sensitive when lade last
/// applied the configuration (names only), so their old values stay masked even after
/// the manifest drops them or stops marking them sensitive.
pub const TAG_SENSITIVE: &str = "lade:sensitive";

/// What lade records on a function when it applies a configuration: its fingerprint
/// and the names of its sensitive variables.
pub fn applied_record(
    config: &FunctionConfig,
    sensitive: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let names = sensitive
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    // A tag value holds at most 256 characters; "*" then means "treat all as sensitive".
    let names = if names.len() > 256 {
        "*".to_string()
    } else {
        names
    };
    BTreeMap::from([
        (
            TAG_CONFIG.to_string(),
            config_fingerprint(config, sensitive),
        ),
        (TAG_SENSITIVE.to_string(), names),
    ])
}

/// The variables lade last applied as sensitive; `None` when unknown, or all.
pub fn recorded_sensitive(live: &LiveFunction) -> Option<BTreeSet<String>> {
    match live.tags.get(TAG_SENSITIVE).map(String::as_str) {
        None | Some("*") => None,
        Some(names) => Some(names.split_whitespace().map(str::to_string).collect()),
    }
}

/// A live function's configuration, as `UpdateFunctionConfiguration` sets it.
fn live_config(live: &LiveFunction) -> FunctionConfig {
    FunctionConfig {
        handler: live.handler.clone(),
        runtime: live.runtime.clone(),
        role_arn: live.role_arn.clone(),
        memory: live.memory,
        timeout: live.timeout,
        environment: live.environment.clone(),
        description: live.description.clone(),
    }
}

/// The record (`lade:config`, `lade:sensitive`) of a live function's configuration as
/// apply would write it for `function`: for a configuration that is already what the
/// manifest asks for, but whose record is out of date.
pub fn current_record(function: &Function, live: &LiveFunction) -> BTreeMap<String, String> {
    let sensitive = function
        .environment
        .iter()
        .filter(|(_, value)| value.sensitive)
        .map(|(key, _)| key.clone())
        .collect();
    applied_record(&live_config(live), &sensitive)
}

/// Whether a live function's configuration differs from what lade last applied.
fn drifted(function: &Function, live: &LiveFunction) -> bool {
    let Some(applied) = live.tags.get(TAG_CONFIG) else {
        return false;
    };
    let config = live_config(live);
    // The fingerprint was taken with the sensitive set of that time.
    let sensitive = recorded_sensitive(live).unwrap_or_else(|| {
        function
            .environment
            .iter()
            .filter(|(_, value)| value.sensitive)
            .map(|(key, _)| key.clone())
            .collect()
    });
    &config_fingerprint(&config, &sensitive) != applied
}

/// Whether a tag is lade's own record rather than something the manifest asks for.
pub fn is_record_tag(key: &str) -> bool {
    key == TAG_CONFIG || key == TAG_SENSITIVE
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
    function: &Function,
    role_arn: &Ref,
    artifact: Option<&Artifact>,
    live: Option<&LiveFunction>,
) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    // (field, live value, wanted value) for every plain configuration field.
    let plain = [
        (
            Field::Handler,
            live.map(|l| json!(l.handler)),
            json!(function.handler),
        ),
        (
            Field::Runtime,
            live.map(|l| json!(l.runtime)),
            json!(function.runtime),
        ),
        (
            Field::Memory,
            live.map(|l| json!(l.memory)),
            json!(function.memory),
        ),
        (
            Field::Timeout,
            live.map(|l| json!(l.timeout)),
            json!(function.timeout),
        ),
        (
            Field::Description,
            live.map(|l| json!(l.description)),
            json!(function.description),
        ),
        (
            Field::Architecture,
            live.map(|l| json!(l.architecture)),
            json!(function.architecture),
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
        let new = json!({"sha256": artifact.sha256, "size": artifact.size()});
        let old = live.map(|l| json!({"sha256": l.code_sha256, "size": l.code_size}));
        if live.is_none_or(|l| l.code_sha256 != artifact.sha256) {
            fields.push(FieldChange {
                field: Field::Code,
                old,
                new: Some(new),
            });
        }
    }
    let scope = &desired.scope;
    fields.extend(env::field(desired, live_state, function, live));
    let tags = json!(function_tags(scope, function));
    let live_tags = live.map(|l| json!(comparable_tags(&l.tags)));
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
            old: live.map(|l| json!(l.role_arn)),
            new: Some(role_arn.display()),
        });
    }
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    fields
}
