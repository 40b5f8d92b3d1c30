//! Typed identities: [`Address`] names everything lade manages, [`Object`] names every
//! live object a plan's fingerprints cover.
//!
//! Identity is never a string to split again. A route is `Address::Method { method,
//! path }`, not `"GET /items"`; a fingerprint key is `Object::Function(name)`, not
//! `format!("function {name}")`. Both print as people read them, and [`Object`] is
//! stored in saved plans in exactly that printed form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::ResourceKind;

/// Something lade manages, as the steps of a plan create, change, delete and need it.
///
/// Names are physical names (`shop-dev-list`), paths are REST API resource paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Address {
    /// An IAM role.
    Role(String),
    /// An inline policy of a role.
    RolePolicy { role: String, policy: String },
    /// A managed policy attached to a role.
    RoleAttachment { role: String, policy_arn: String },
    /// A Lambda function.
    Function(String),
    /// The project's REST API for this stage.
    RestApi,
    /// A further REST API with lade's tags, left by an interrupted or concurrent apply.
    DuplicateApi(String),
    /// A resource (one path) of the REST API. The root `/` comes with the API.
    Resource(String),
    /// A method of a resource: the route `method path`.
    Method { method: String, path: String },
    /// The integration of a method with the function it invokes.
    Integration { method: String, path: String },
    /// lade's invoke statement in a function's resource policy.
    Permission(String),
    /// The deployment this plan creates, with the stage pointed at it.
    Deployment,
    /// An older deployment, by ID.
    OldDeployment(String),
    /// A stage lade made, by name, that is no longer the manifest's `api.stage`.
    OldStage(String),
    /// The event-source mapping from a queue or stream (by ARN) to a function.
    EventSource { function: String, source: String },
    /// A mapping on a function that the manifest does not ask for, by its id.
    StaleEventSource { function: String, uuid: String },
    /// A function's URL (its function URL config), by the function's name.
    FunctionUrl(String),
    /// The public statements a function URL without auth needs in its function's
    /// resource policy, by the function's name.
    PublicUrl(String),
    /// An EventBridge rule (by its physical name) with its target, the function.
    Rule { function: String, rule: String },
    /// The statement in a function's resource policy that lets one rule invoke it.
    RulePermission { function: String, rule: String },
    /// The project's HTTP API (API Gateway v2) for this stage.
    HttpApi,
    /// A further HTTP API with lade's tags, left by an interrupted apply, by ID.
    DuplicateHttpApi(String),
    /// The HTTP API's integration with a function (one per function), by its name.
    HttpIntegration(String),
    /// A route of the HTTP API, by its key (`GET /items/{id}`, `$default`).
    HttpRoute(String),
    /// An authorizer of the HTTP API, by its key in `authorizers:`.
    HttpAuthorizer(String),
    /// A stage of the HTTP API, by name.
    HttpStage(String),
    /// The HTTP API's invoke statement in a function's resource policy.
    HttpPermission(String),
    /// The statement that lets the HTTP API call a function as an authorizer.
    AuthorizerPermission {
        function: String,
        authorizer: String,
    },
    /// An entry (by its id) of a bucket's notification configuration that invokes a
    /// function.
    Notification {
        function: String,
        bucket: String,
        id: String,
    },
    /// The statement that lets one bucket's notifications invoke a function.
    NotificationPermission { function: String, bucket: String },
    /// A function's subscription to an SNS topic (by the topic's ARN).
    Subscription { function: String, topic: String },
    /// The statement that lets one topic invoke a function.
    SubscriptionPermission { function: String, topic: String },
}

impl Address {
    /// The kind of resource the address is, or is part of.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Address::Role(_) | Address::RolePolicy { .. } | Address::RoleAttachment { .. } => {
                ResourceKind::Role
            }
            Address::Function(_) => ResourceKind::Function,
            Address::RestApi | Address::DuplicateApi(_) => ResourceKind::Api,
            Address::Resource(_) | Address::Method { .. } | Address::Integration { .. } => {
                ResourceKind::Route
            }
            Address::Permission(_) => ResourceKind::Permission,
            Address::Deployment | Address::OldDeployment(_) | Address::OldStage(_) => {
                ResourceKind::Deployment
            }
            Address::EventSource { .. } | Address::StaleEventSource { .. } => ResourceKind::Trigger,
            Address::FunctionUrl(_) | Address::PublicUrl(_) => ResourceKind::FunctionUrl,
            Address::Rule { .. } | Address::RulePermission { .. } => ResourceKind::Rule,
            Address::HttpApi
            | Address::DuplicateHttpApi(_)
            | Address::HttpIntegration(_)
            | Address::HttpRoute(_)
            | Address::HttpAuthorizer(_)
            | Address::HttpStage(_)
            | Address::HttpPermission(_)
            | Address::AuthorizerPermission { .. } => ResourceKind::HttpApi,
            Address::Notification { .. } | Address::NotificationPermission { .. } => {
                ResourceKind::Notification
            }
            Address::Subscription { .. } | Address::SubscriptionPermission { .. } => {
                ResourceKind::Subscription
            }
        }
    }

    /// The address of a change as plans saved before changes carried one name it: by
    /// kind and name. (A duplicate API reads as the API.)
    pub fn of_named(kind: ResourceKind, name: &str) -> Option<Address> {
        Some(match kind {
            ResourceKind::Role => Address::Role(name.to_string()),
            ResourceKind::Function => Address::Function(name.to_string()),
            ResourceKind::Api => Address::RestApi,
            ResourceKind::Route => {
                let (method, path) = name.split_once(' ')?;
                Address::Method {
                    method: method.to_string(),
                    path: path.to_string(),
                }
            }
            ResourceKind::Permission => Address::Permission(name.to_string()),
            ResourceKind::Deployment => Address::Deployment,
            ResourceKind::Trigger => {
                let (function, source) = name.split_once(" ← ")?;
                Address::EventSource {
                    function: function.to_string(),
                    source: source.to_string(),
                }
            }
            ResourceKind::FunctionUrl => match name.strip_suffix(PUBLIC) {
                Some(function) => Address::PublicUrl(function.to_string()),
                None => Address::FunctionUrl(name.to_string()),
            },
            // Rules, notifications, subscriptions and HTTP APIs came after changes
            // carried their address.
            ResourceKind::Rule
            | ResourceKind::Notification
            | ResourceKind::Subscription
            | ResourceKind::HttpApi => return None,
        })
    }

    /// The address this one is part of: deleting the whole waits for deleting its parts.
    pub fn parent(&self) -> Option<Address> {
        match self {
            Address::RolePolicy { role, .. } | Address::RoleAttachment { role, .. } => {
                Some(Address::Role(role.clone()))
            }
            Address::Method { path, .. } => Some(Address::Resource(path.clone())),
            Address::Integration { method, path } => Some(Address::Method {
                method: method.clone(),
                path: path.clone(),
            }),
            Address::Resource(path) if path == "/" => Some(Address::RestApi),
            Address::Resource(path) => Some(Address::Resource(parent_path(path).to_string())),
            // A function is deleted after its mappings.
            Address::EventSource { function, .. } | Address::StaleEventSource { function, .. } => {
                Some(Address::Function(function.clone()))
            }
            // A function is deleted after its URL, and a URL after its public
            // statements (so that nothing is public for a moment without lade's say).
            Address::FunctionUrl(function) => Some(Address::Function(function.clone())),
            Address::PublicUrl(function) => Some(Address::FunctionUrl(function.clone())),
            // A function is deleted after the rules that invoke it.
            Address::Rule { function, .. } | Address::RulePermission { function, .. } => {
                Some(Address::Function(function.clone()))
            }
            // The parts of an HTTP API go with it.
            Address::HttpIntegration(_)
            | Address::HttpRoute(_)
            | Address::HttpAuthorizer(_)
            | Address::HttpStage(_) => Some(Address::HttpApi),
            // And after the notifications and subscriptions that invoke it.
            Address::Notification { function, .. }
            | Address::NotificationPermission { function, .. }
            | Address::Subscription { function, .. }
            | Address::SubscriptionPermission { function, .. } => {
                Some(Address::Function(function.clone()))
            }
            Address::Role(_)
            | Address::Function(_)
            | Address::RestApi
            | Address::DuplicateApi(_)
            | Address::Permission(_)
            | Address::Deployment
            | Address::OldDeployment(_)
            | Address::HttpApi
            | Address::DuplicateHttpApi(_)
            | Address::HttpPermission(_)
            | Address::AuthorizerPermission { .. } => None,
            Address::OldStage(_) => None,
        }
    }

    /// Whether the address is part of what a REST API deployment publishes: the API's
    /// settings, its resources, methods and integrations, and the invoke permissions
    /// that let its routes call their functions.
    pub fn is_deployed(&self) -> bool {
        match self {
            Address::RestApi
            | Address::Resource(_)
            | Address::Method { .. }
            | Address::Integration { .. }
            | Address::Permission(_) => true,
            Address::Role(_)
            | Address::RolePolicy { .. }
            | Address::RoleAttachment { .. }
            | Address::Function(_)
            | Address::DuplicateApi(_)
            | Address::Deployment
            | Address::OldDeployment(_)
            | Address::OldStage(_)
            | Address::EventSource { .. }
            | Address::StaleEventSource { .. }
            | Address::FunctionUrl(_)
            | Address::PublicUrl(_) => false,
            Address::Rule { .. } | Address::RulePermission { .. } => false,
            // An HTTP API's stage deploys itself (auto-deploy): nothing waits for a
            // deployment.
            Address::HttpApi
            | Address::DuplicateHttpApi(_)
            | Address::HttpIntegration(_)
            | Address::HttpRoute(_)
            | Address::HttpAuthorizer(_)
            | Address::HttpStage(_)
            | Address::HttpPermission(_)
            | Address::AuthorizerPermission { .. } => false,
            Address::Notification { .. }
            | Address::NotificationPermission { .. }
            | Address::Subscription { .. }
            | Address::SubscriptionPermission { .. } => false,
        }
    }
}

/// How the name of a function URL's public access ends: `shop-dev-web (public)`.
pub const PUBLIC: &str = " (public)";

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Role(name) => write!(f, "role {name}"),
            Address::RolePolicy { role, policy } => {
                write!(f, "inline policy {policy} of role {role}")
            }
            Address::RoleAttachment { role, policy_arn } => {
                write!(f, "{policy_arn} attached to role {role}")
            }
            Address::Function(name) => write!(f, "function {name}"),
            Address::RestApi => f.write_str("the REST API"),
            Address::DuplicateApi(id) => write!(f, "duplicate REST API {id}"),
            Address::Resource(path) => write!(f, "resource {path}"),
            Address::Method { method, path } => write!(f, "route {method} {path}"),
            Address::Integration { method, path } => write!(f, "integration of {method} {path}"),
            Address::Permission(function) => {
                write!(f, "the API's permission on function {function}")
            }
            Address::Deployment => f.write_str("the new deployment"),
            Address::OldDeployment(id) => write!(f, "deployment {id}"),
            Address::OldStage(name) => write!(f, "stage {name}"),
            Address::EventSource { function, source } => {
                write!(f, "the trigger of function {function} by {source}")
            }
            Address::StaleEventSource { function, uuid } => {
                write!(f, "event-source mapping {uuid} of function {function}")
            }
            Address::FunctionUrl(function) => write!(f, "the URL of function {function}"),
            Address::PublicUrl(function) => {
                write!(f, "the public access to the URL of function {function}")
            }
            Address::Rule { function, rule } => {
                write!(f, "EventBridge rule {rule} of function {function}")
            }
            Address::RulePermission { function, rule } => {
                write!(f, "rule {rule}'s permission on function {function}")
            }
            Address::HttpApi => f.write_str("the HTTP API"),
            Address::DuplicateHttpApi(id) => write!(f, "duplicate HTTP API {id}"),
            Address::HttpIntegration(function) => {
                write!(f, "the HTTP API's integration with function {function}")
            }
            Address::HttpRoute(key) => write!(f, "HTTP route {key}"),
            Address::HttpAuthorizer(key) => write!(f, "HTTP API authorizer {key}"),
            Address::HttpStage(stage) => write!(f, "HTTP API stage {stage}"),
            Address::HttpPermission(function) => {
                write!(f, "the HTTP API's permission on function {function}")
            }
            Address::AuthorizerPermission {
                function,
                authorizer,
            } => write!(
                f,
                "authorizer {authorizer}'s permission on function {function}"
            ),
            Address::Notification {
                function,
                bucket,
                id,
            } => write!(
                f,
                "notification {id} of bucket {bucket} to function {function}"
            ),
            Address::NotificationPermission { function, bucket } => {
                write!(f, "bucket {bucket}'s permission on function {function}")
            }
            Address::Subscription { function, topic } => {
                write!(f, "the subscription of function {function} to {topic}")
            }
            Address::SubscriptionPermission { function, topic } => {
                write!(f, "topic {topic}'s permission on function {function}")
            }
        }
    }
}

/// The parent of a resource path: `/items/{id}` → `/items`, `/items` → `/`.
pub fn parent_path(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// A live object a plan was made from, as its fingerprint is keyed. Saved plans store
/// it as its printed form, e.g. `function shop-dev-list`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    /// A role with its trust policy and policies.
    Role(String),
    /// A function with its configuration, code hash and tags.
    Function(String),
    /// A REST API with its resources, stage and deployments, by ID.
    RestApi(String),
    /// The resource policy of a function.
    ResourcePolicy(String),
    /// The event-source mappings that invoke a function.
    Triggers(String),
    /// A function's URL config.
    FunctionUrl(String),
    /// The EventBridge rules that invoke a function, with their targets.
    Rules(String),
    /// An HTTP API with its routes, integrations, authorizers and stages, by ID.
    HttpApi(String),
    /// lade's entries in a bucket's notification configuration, by bucket name.
    Notifications(String),
    /// The SNS subscriptions of a function.
    Subscriptions(String),
    /// A resource under a name the manifest wants that lade does not own.
    NotOwned { kind: ResourceKind, name: String },
}

const NOT_OWNED: &str = " (not lade's)";

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Role(name) => write!(f, "role {name}"),
            Object::Function(name) => write!(f, "function {name}"),
            Object::RestApi(id) => write!(f, "REST API {id}"),
            Object::ResourcePolicy(function) => write!(f, "resource policy of function {function}"),
            Object::Triggers(function) => write!(f, "triggers of function {function}"),
            Object::FunctionUrl(function) => write!(f, "URL of function {function}"),
            Object::Rules(function) => write!(f, "rules of function {function}"),
            Object::HttpApi(id) => write!(f, "HTTP API {id}"),
            Object::Notifications(bucket) => write!(f, "notifications of bucket {bucket}"),
            Object::Subscriptions(function) => write!(f, "subscriptions of function {function}"),
            Object::NotOwned { kind, name } => write!(f, "{kind} {name}{NOT_OWNED}"),
        }
    }
}

impl FromStr for Object {
    type Err = String;

    fn from_str(text: &str) -> Result<Object, String> {
        if let Some(owned) = text.strip_suffix(NOT_OWNED) {
            let (kind, name) = owned
                .split_once(' ')
                .ok_or_else(|| format!("`{text}` names no resource"))?;
            // Read as serde reads a kind, so that every kind, a new one too, parses.
            let kind = ResourceKind::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(kind))
            .map_err(|_| format!("`{kind}` is not a kind of resource"))?;
            return Ok(Object::NotOwned {
                kind,
                name: name.to_string(),
            });
        }
        type Make = fn(String) -> Object;
        let prefixes: [(&str, Make); 10] = [
            ("HTTP API ", Object::HttpApi),
            ("notifications of bucket ", Object::Notifications),
            ("subscriptions of function ", Object::Subscriptions),
            ("resource policy of function ", Object::ResourcePolicy),
            ("URL of function ", Object::FunctionUrl),
            ("triggers of function ", Object::Triggers),
            ("rules of function ", Object::Rules),
            ("REST API ", Object::RestApi),
            ("function ", Object::Function),
            ("role ", Object::Role),
        ];
        prefixes
            .into_iter()
            .find_map(|(prefix, make)| text.strip_prefix(prefix).map(|rest| make(rest.into())))
            .ok_or_else(|| format!("`{text}` is not a live object lade fingerprints"))
    }
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Object, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_read_back_from_their_printed_form() {
        let objects = [
            Object::Role("shop-dev-api".into()),
            Object::Function("shop-dev-list".into()),
            Object::RestApi("a1b2c3".into()),
            Object::ResourcePolicy("shop-dev-list".into()),
            Object::Triggers("shop-dev-worker".into()),
            Object::FunctionUrl("shop-dev-web".into()),
            Object::Rules("shop-dev-worker".into()),
            Object::HttpApi("h1j2k3".into()),
            Object::Notifications("uploads-bucket".into()),
            Object::Subscriptions("shop-dev-worker".into()),
            Object::NotOwned {
                kind: ResourceKind::Function,
                name: "shop-dev-get".into(),
            },
        ];
        for object in objects {
            let text = object.to_string();
            assert_eq!(text.parse::<Object>(), Ok(object), "{text}");
        }
        assert_eq!(
            Object::ResourcePolicy("f".into()).to_string(),
            "resource policy of function f"
        );
        assert!("bucket b".parse::<Object>().is_err());
        // Every kind's printed name reads back, as `Display` prints it.
        for kind in [
            ResourceKind::Role,
            ResourceKind::Function,
            ResourceKind::Api,
            ResourceKind::Route,
            ResourceKind::Permission,
            ResourceKind::Deployment,
            ResourceKind::Trigger,
            ResourceKind::FunctionUrl,
            ResourceKind::Rule,
            ResourceKind::HttpApi,
            ResourceKind::Notification,
            ResourceKind::Subscription,
        ] {
            let object = Object::NotOwned {
                kind,
                name: "x".into(),
            };
            assert_eq!(object.to_string().parse::<Object>(), Ok(object));
        }
    }

    #[test]
    fn parts_name_their_whole() {
        let method = Address::Method {
            method: "GET".into(),
            path: "/items/{id}".into(),
        };
        assert_eq!(
            method.parent(),
            Some(Address::Resource("/items/{id}".into()))
        );
        assert_eq!(
            Address::Resource("/items/{id}".into()).parent(),
            Some(Address::Resource("/items".into()))
        );
        assert_eq!(
            Address::Resource("/items".into()).parent(),
            Some(Address::Resource("/".into()))
        );
        assert_eq!(
            Address::Resource("/".into()).parent(),
            Some(Address::RestApi)
        );
        assert_eq!(Address::Function("f".into()).parent(), None);
    }
}
