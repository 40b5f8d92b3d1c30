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

use crate::kinds::{DiffCx, KINDS};
use crate::model::{Artifact, Desired, Live, ResourceKind};
use crate::plan::address::Address;

pub mod env;
mod value;
mod wire;

/// What happens to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Delete and create anew, e.g. when a function's physical name changes: `of` is
    /// the physical name of the resource this one replaces.
    Replace {
        of: String,
    },
}

impl Action {
    /// The symbol plans show: `+`, `~`, `-`, `-/+`.
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Replace { .. } => "-/+",
        }
    }

    /// Whether the resource is made anew: created, or created to replace another.
    pub fn is_new(&self) -> bool {
        matches!(self, Action::Create | Action::Replace { .. })
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
    // triggers (event-source mappings)
    BatchSize,
    BatchingWindow,
    MaxConcurrency,
    ReportBatchItemFailures,
    Filter,
    Enabled,
    StartingPosition,
    OnFailure,
    BisectOnError,
    MaxRetries,
    // function URLs
    UrlAuth,
    InvokeMode,
    AllowOrigins,
    AllowMethods,
    AllowHeaders,
    ExposeHeaders,
    AllowCredentials,
    MaxAge,
    /// The public statements of a URL without auth, by statement id.
    PublicStatements,
    // EventBridge rules (also Description, Enabled, Target and SourceArn)
    Schedule,
    Pattern,
    Input,
    Bus,
    // HTTP APIs: routes' authorizers, authorizers, stages (also Name, Target,
    // Authorization, SourceArn and the CORS fields)
    Authorizer,
    Scopes,
    Issuer,
    Audience,
    IdentitySource,
    ResultTtl,
    AutoDeploy,
    // S3 notifications
    Events,
    Prefix,
    Suffix,
    // SNS subscriptions
    FilterPolicy,
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
            Field::Stage => f.write_str("stage's deployment"),
            Field::BatchSize => f.write_str("batch size"),
            Field::BatchingWindow => f.write_str("batching window (s)"),
            Field::MaxConcurrency => f.write_str("max concurrency"),
            Field::ReportBatchItemFailures => f.write_str("report batch item failures"),
            Field::Filter => f.write_str("filter"),
            Field::Enabled => f.write_str("enabled"),
            Field::StartingPosition => f.write_str("starting position"),
            Field::OnFailure => f.write_str("on failure"),
            Field::BisectOnError => f.write_str("bisect on error"),
            Field::MaxRetries => f.write_str("max retries"),
            Field::UrlAuth => f.write_str("auth"),
            Field::InvokeMode => f.write_str("invoke mode"),
            Field::AllowOrigins => f.write_str("CORS allow origins"),
            Field::AllowMethods => f.write_str("CORS allow methods"),
            Field::AllowHeaders => f.write_str("CORS allow headers"),
            Field::ExposeHeaders => f.write_str("CORS expose headers"),
            Field::AllowCredentials => f.write_str("CORS allow credentials"),
            Field::MaxAge => f.write_str("CORS max age (s)"),
            Field::PublicStatements => f.write_str("public statements"),
            Field::Schedule => f.write_str("schedule"),
            Field::Pattern => f.write_str("event pattern"),
            Field::Input => f.write_str("input"),
            Field::Bus => f.write_str("event bus"),
            Field::Authorizer => f.write_str("authorizer"),
            Field::Scopes => f.write_str("authorization scopes"),
            Field::Issuer => f.write_str("issuer"),
            Field::Audience => f.write_str("audience"),
            Field::IdentitySource => f.write_str("identity source"),
            Field::ResultTtl => f.write_str("result TTL (s)"),
            Field::AutoDeploy => f.write_str("auto-deploy"),
            Field::Events => f.write_str("events"),
            Field::Prefix => f.write_str("key prefix"),
            Field::Suffix => f.write_str("key suffix"),
            Field::FilterPolicy => f.write_str("filter policy"),
        }
    }
}

/// One field's old and new value. `None` means absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<FieldValue>,
    pub new: Option<FieldValue>,
}

/// A field's value, as plans show it and save it (see [`value`] for its JSON form).
pub use value::FieldValue;

/// One resource that differs.
///
/// In the plan's JSON a change is `kind`, `name`, `address`, `key`, `action`, `fields`,
/// and with a replace `replaces`, as docs/plan-json.md describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "wire::Change", try_from = "wire::Change")]
pub struct Change {
    /// What changes.
    pub address: Address,
    /// Its name as people read it: a physical name (`shop-dev-list`), a route
    /// (`GET /items`), an API's name, a stage.
    pub name: String,
    /// The manifest key, when the manifest names the resource.
    pub key: Option<String>,
    pub action: Action,
    pub fields: Vec<FieldChange>,
    /// The live resource was changed outside lade since lade last set it.
    pub drift: bool,
}

impl Change {
    /// The kind of resource that changes.
    pub fn kind(&self) -> ResourceKind {
        self.address.kind()
    }

    /// A change with no fields yet, of `address` under `name`.
    pub fn new(address: Address, name: impl Into<String>, action: Action) -> Change {
        Change {
            address,
            name: name.into(),
            key: None,
            action,
            fields: Vec::new(),
            drift: false,
        }
    }
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
    changes.sort_by_key(|c| match (c.kind(), &c.action) {
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
    /// The function URL of the function with this name.
    FunctionUrl(String),
    /// The ID of the HTTP API this plan creates.
    HttpApiId,
    /// The ID of the HTTP API's integration with the function of this name.
    HttpIntegrationId(String),
    /// The ID of the HTTP API's authorizer with this key.
    HttpAuthorizerId(String),
    /// The invoke URL of the HTTP API's stage of this name.
    HttpApiUrl(String),
}

impl Ref {
    /// The value for people: itself, or "(known after apply)".
    pub fn display(&self) -> FieldValue {
        match self {
            Ref::Known(value) => FieldValue::Text(value.clone()),
            Ref::After(_) => FieldValue::KnownAfterApply,
        }
    }
}
