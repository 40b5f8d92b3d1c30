//! `(Desired, Live) → Changes`: what differs, field by field. Pure, no I/O.
//!
//! A change names one resource and the fields that differ, each with its old and new
//! value, so renderers can show `old → new` and the planner can pick the calls that
//! set exactly those fields. Comparison is semantic where AWS's spelling varies:
//! policy documents go through [`crate::policy::equivalent`], an empty environment
//! equals no environment, and tags AWS adds itself (`aws:*`) are ignored.
//!
//! This module holds the vocabulary of a diff ([`Change`], [`Field`], [`Ref`]) and
//! the loop over the kinds; what differs for each kind is decided in its module under
//! `kinds/`. Environment values, shared by every kind that has them, are in [`env`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::kinds::{DiffCx, KINDS};
use crate::model::{Artifact, Desired, Live, ResourceKind};

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
    /// A role's permissions boundary (a managed policy's ARN).
    PermissionsBoundary,
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
            Field::PermissionsBoundary => f.write_str("permissions boundary"),
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

/// Compares the manifest with the account, kind by kind ([`crate::kinds::KINDS`]).
/// `artifacts` holds each function's built package, by function key.
///
/// Changes are listed in registry order, except that removed functions and roles come
/// last, functions first: the reverse of the order in which they are made. (The REST
/// API lists the removal of its own parts in place, since its routes read as one table.)
pub fn diff(desired: &Desired, live: &Live, artifacts: &BTreeMap<String, Artifact>) -> Vec<Change> {
    let cx = DiffCx {
        desired,
        live,
        artifacts,
    };
    let mut changes: Vec<Change> = KINDS.iter().flat_map(|kind| kind.diff(&cx)).collect();
    changes.sort_by_key(|c| match (c.kind, c.action) {
        (ResourceKind::Function, Action::Delete) => 1,
        (ResourceKind::Role, Action::Delete) => 2,
        _ => 0,
    });
    changes
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
