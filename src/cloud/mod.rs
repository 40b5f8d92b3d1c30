//! The narrow interface between lade's engine and AWS.
//!
//! `live` reads and `apply` writes only through [`Cloud`], which is one trait per AWS
//! service, each in its own file with the argument and result types it uses:
//!
//! - [`AccountApi`] (`account.rs`): the region, and the account ID from STS;
//! - [`IamApi`] (`iam.rs`): roles and their policies;
//! - [`LambdaApi`] (`lambda.rs`): functions, their tags and their resource policy;
//! - [`RestApiApi`] (`apigateway.rs`): REST APIs, their routes, stage and deployments;
//! - [`EventSourceApi`] (`event_sources.rs`): Lambda's event-source mappings, the
//!   queues and streams that invoke functions;
//! - [`FunctionUrlApi`] (`function_urls.rs`): function URLs and their public
//!   statements.
//! - [`HttpApiApi`] (`http_api.rs`): HTTP APIs (API Gateway v2), their routes,
//!   integrations, authorizers and stage;
//! - [`EventBridgeApi`] (`events.rs`): EventBridge rules, the schedules and event
//!   patterns that invoke functions.
//! - [`S3Api`] (`s3.rs`): the notification configurations of buckets, whose Lambda
//!   entries invoke functions.
//! - [`SnsApi`] (`sns.rs`): subscriptions of functions to SNS topics.
//!
//! The real implementation, `aws::AwsCloud`, is the only code that touches the SDK: it
//! owns clients, error classification, retries and waiters. Tests of the engine use an
//! in-memory double ([`memory::MemoryCloud`]). Both implement each service's trait
//! directly; `Cloud` is every one of them, for any type that implements them all.
//! [`Service`] names the services whose concurrency lade bounds ([`Limits`]).
//!
//! Every mutating method is idempotent from the caller's point of view: creating what
//! already exists in the wanted place, or deleting what is already gone, succeeds.
//! Each method that changes a Lambda function returns only once the function is ready
//! for the next call (`State=Active`, `LastUpdateStatus=Successful`).

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{ResourceKind, Scope, TAG_PROJECT, TAG_STAGE};

pub mod account;
pub mod apigateway;
pub mod event_sources;
pub mod events;
pub mod function_urls;
pub mod http_api;
pub mod iam;
pub mod lambda;
pub mod limits;
pub mod memory;
pub mod s3;
pub mod service;
pub mod sns;

pub use account::AccountApi;
pub use apigateway::{CreatedApi, MethodSettings, NewApi, RestApiApi};
pub use event_sources::{EventSourceApi, NewEventSource};
pub use events::{EventBridgeApi, NewRule};
pub use function_urls::FunctionUrlApi;
pub use http_api::{CreatedHttpApi, HttpApiApi, HttpRouteSpec};
pub use iam::{IamApi, NewRole, RoleSummary};
pub use lambda::{FunctionConfig, Invocation, LIST_PAGES, LambdaApi, Listing, NewFunction};
pub use limits::Limits;
pub use s3::{BucketNotifications, LambdaNotification, S3Api};
pub use service::{PerService, Rate, Rates, Service};
pub use sns::{SnsApi, TopicSubscription};

/// Everything lade reads and writes in AWS: each service's trait. See the module docs
/// for the idempotency contract.
pub trait Cloud:
    AccountApi
    + IamApi
    + LambdaApi
    + RestApiApi
    + EventSourceApi
    + FunctionUrlApi
    + EventBridgeApi
    + HttpApiApi
    + S3Api
    + SnsApi
{
}

impl<T> Cloud for T where
    T: AccountApi
        + IamApi
        + LambdaApi
        + RestApiApi
        + EventSourceApi
        + FunctionUrlApi
        + EventBridgeApi
        + HttpApiApi
        + S3Api
        + SnsApi
        + ?Sized
{
}

/// What went wrong talking to AWS, already classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    /// AWS denied the call; the message names the missing permission when AWS does.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A retried condition (throttling, propagation, update in progress) outlasted its
    /// deadline.
    #[error("gave up after {attempts} attempts over {seconds}s: {message}")]
    Timeout {
        attempts: u32,
        seconds: u64,
        message: String,
    },
    /// A resource exists with the wanted name but lade does not own it.
    #[error("{}", not_owned(*.kind, .name, .reason))]
    NotOwned {
        kind: ResourceKind,
        /// The resource's physical name.
        name: String,
        reason: NotOurs,
    },
    /// Any other error, with the service's code and message.
    #[error("{operation}: {message}")]
    Service { operation: String, message: String },
    /// AWS refused the request as given (a 4xx such as `ValidationException` or
    /// `InvalidParameterValueException`): no retry can fix it, only other input can.
    #[error("{operation}: {message}")]
    Refused { operation: String, message: String },
}

/// Why a resource that has the name lade wants is not lade's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotOurs {
    /// A role on another IAM path than lade's for this project and stage.
    Path {
        /// The path the existing role has.
        found: String,
        /// lade's path, `/lade/<project>/<stage>/`.
        ours: String,
    },
    /// A resource tagged for another project or stage, or without lade's tags.
    Tags {
        /// The project and stage its tags name; `None` without both tags.
        found: Option<Scope>,
        /// The project and stage lade would have tagged it with.
        ours: Option<Scope>,
    },
}

impl NotOurs {
    /// The ownership that `found` tags prove, against the `ours` tags lade would set.
    pub fn tags(found: &BTreeMap<String, String>, ours: &BTreeMap<String, String>) -> Self {
        let owner =
            |tags: &BTreeMap<String, String>| match (tags.get(TAG_PROJECT), tags.get(TAG_STAGE)) {
                (Some(project), Some(stage)) => Some(Scope {
                    project: project.clone(),
                    stage: stage.clone(),
                }),
                _ => None,
            };
        NotOurs::Tags {
            found: owner(found),
            ours: owner(ours),
        }
    }
}

/// The text of [`CloudError::NotOwned`]: what exists, whose it is, and what to do.
fn not_owned(kind: ResourceKind, name: &str, reason: &NotOurs) -> String {
    match reason {
        NotOurs::Path { found, ours } => format!(
            "{kind} {name} already exists under path {found}, not under lade's path {ours}, \
             so lade does not own it; give the {kind} another name in the manifest (`name:`) \
             or remove the existing {kind}"
        ),
        NotOurs::Tags { found, ours } => format!(
            "{kind} {name} already exists and belongs to {}, not to {}; lade never changes \
             it: give the {kind} another name in the manifest (`name:`) or remove the \
             existing one",
            Owner(found.as_ref()),
            Owner(ours.as_ref())
        ),
    }
}

/// An owner as [`CloudError::NotOwned`] names it.
struct Owner<'a>(Option<&'a Scope>);

impl fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(scope) => write!(f, "project {}, stage {}", scope.project, scope.stage),
            None => f.write_str("no lade project (it has no lade:project/lade:stage tags)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(project: &str, stage: &str) -> BTreeMap<String, String> {
        Scope {
            project: project.to_owned(),
            stage: stage.to_owned(),
        }
        .ownership_tags()
    }

    // The text the adapter wrote before `NotOwned` carried data, byte for byte.
    #[test]
    fn not_owned_says_whose_the_resource_is_and_what_to_do() {
        let role = CloudError::NotOwned {
            kind: ResourceKind::Role,
            name: "shop-dev-api".into(),
            reason: NotOurs::Path {
                found: "/someone-else/".into(),
                ours: "/lade/shop/dev/".into(),
            },
        };
        assert_eq!(
            role.to_string(),
            "role shop-dev-api already exists under path /someone-else/, not under lade's \
             path /lade/shop/dev/, so lade does not own it; give the role another name in the \
             manifest (`name:`) or remove the existing role"
        );
        let function = CloudError::NotOwned {
            kind: ResourceKind::Function,
            name: "shop-dev-list".into(),
            reason: NotOurs::tags(&tags("shop", "prod"), &tags("shop", "dev")),
        };
        assert_eq!(
            function.to_string(),
            "function shop-dev-list already exists and belongs to project shop, stage prod, \
             not to project shop, stage dev; lade never changes it: give the function another \
             name in the manifest (`name:`) or remove the existing one"
        );
        let untagged = CloudError::NotOwned {
            kind: ResourceKind::Function,
            name: "f".into(),
            reason: NotOurs::tags(&BTreeMap::new(), &tags("shop", "dev")),
        };
        assert_eq!(
            untagged.to_string(),
            "function f already exists and belongs to no lade project (it has no \
             lade:project/lade:stage tags), not to project shop, stage dev; lade never \
             changes it: give the function another name in the manifest (`name:`) or remove \
             the existing one"
        );
    }
}
