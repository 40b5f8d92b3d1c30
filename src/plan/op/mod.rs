//! The operations a plan's steps perform, one sub-enum per AWS service: [`IamOp`],
//! [`LambdaOp`], [`RestApiOp`], [`EventBridgeOp`], [`HttpApiOp`]. Each is named after the API call it makes and owns its
//! description for people; a new service is a new file here and one variant of [`Op`].
//!
//! These are the plan's own records, serialized into saved plans: they never hold the
//! adapter's argument types (`cloud::NewRole` and the like), which `apply` builds from
//! them. In JSON an operation is one object tagged by `op` (`{"op": "create_role",
//! …}`), the service implied by the operation's name, as in every plan since format 1.

mod apigateway;
mod events;
mod http_api;
mod iam;
mod lambda;
mod s3;
mod sns;

pub use apigateway::{PlannedApi, PlannedMethod, RestApiOp};
pub use events::EventBridgeOp;
pub use http_api::{HttpApiOp, PlannedAuthorizer, PlannedRoute, PlannedRouteAuth};
pub use iam::{IamOp, PlannedRole};
pub use lambda::{CodeRef, FunctionSettings, LambdaOp, PermissionSource};
pub use s3::{PlannedNotification, S3Op};
pub use sns::SnsOp;

use serde::{Deserialize, Serialize};

use crate::cloud::Service;

/// One operation: one AWS call, of one service.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Iam(IamOp),
    Lambda(LambdaOp),
    ApiGateway(RestApiOp),
    EventBridge(EventBridgeOp),
    HttpApi(HttpApiOp),
    S3(S3Op),
    Sns(SnsOp),
}

impl Op {
    /// The service the step calls.
    pub fn service(&self) -> Service {
        match self {
            Op::Iam(_) => Service::Iam,
            Op::Lambda(_) => Service::Lambda,
            Op::ApiGateway(_) => Service::ApiGateway,
            Op::EventBridge(_) => Service::EventBridge,
            Op::HttpApi(_) => Service::ApiGatewayV2,
            Op::S3(_) => Service::S3,
            Op::Sns(_) => Service::Sns,
        }
    }

    /// The AWS API operation, e.g. `CreateFunction`.
    pub fn api_call(&self) -> &'static str {
        match self {
            Op::Iam(op) => op.api_call(),
            Op::Lambda(op) => op.api_call(),
            Op::ApiGateway(op) => op.api_call(),
            Op::EventBridge(op) => op.api_call(),
            Op::HttpApi(op) => op.api_call(),
            Op::S3(op) => op.api_call(),
            Op::Sns(op) => op.api_call(),
        }
    }

    /// A one-line description for people, e.g. `put inline policy read on role shop-dev-api`.
    pub fn describe(&self) -> String {
        match self {
            Op::Iam(op) => op.describe(),
            Op::Lambda(op) => op.describe(),
            Op::ApiGateway(op) => op.describe(),
            Op::EventBridge(op) => op.describe(),
            Op::HttpApi(op) => op.describe(),
            Op::S3(op) => op.describe(),
            Op::Sns(op) => op.describe(),
        }
    }

    /// Whether the step removes something (a resource, a policy, a statement).
    pub fn is_delete(&self) -> bool {
        match self {
            Op::Iam(op) => op.is_delete(),
            Op::Lambda(op) => op.is_delete(),
            Op::ApiGateway(op) => op.is_delete(),
            Op::EventBridge(op) => op.is_delete(),
            Op::HttpApi(op) => op.is_delete(),
            Op::S3(op) => op.is_delete(),
            Op::Sns(op) => op.is_delete(),
        }
    }

    /// Whether the step is clean-up that nothing in the manifest depends on, so that
    /// when it fails, apply keeps what it would have removed instead of failing (see
    /// `apply`'s module docs). Only pruning an old REST API deployment is.
    pub fn is_best_effort(&self) -> bool {
        match self {
            Op::Iam(_)
            | Op::Lambda(_)
            | Op::EventBridge(_)
            | Op::HttpApi(_)
            | Op::S3(_)
            | Op::Sns(_) => false,
            Op::ApiGateway(op) => op.is_best_effort(),
        }
    }
}

impl From<IamOp> for Op {
    fn from(op: IamOp) -> Op {
        Op::Iam(op)
    }
}

impl From<LambdaOp> for Op {
    fn from(op: LambdaOp) -> Op {
        Op::Lambda(op)
    }
}

impl From<RestApiOp> for Op {
    fn from(op: RestApiOp) -> Op {
        Op::ApiGateway(op)
    }
}

impl From<EventBridgeOp> for Op {
    fn from(op: EventBridgeOp) -> Op {
        Op::EventBridge(op)
    }
}

impl From<HttpApiOp> for Op {
    fn from(op: HttpApiOp) -> Op {
        Op::HttpApi(op)
    }
}

impl From<S3Op> for Op {
    fn from(op: S3Op) -> Op {
        Op::S3(op)
    }
}

impl From<SnsOp> for Op {
    fn from(op: SnsOp) -> Op {
        Op::Sns(op)
    }
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Op::Iam(op) => op.serialize(serializer),
            Op::Lambda(op) => op.serialize(serializer),
            Op::ApiGateway(op) => op.serialize(serializer),
            Op::EventBridge(op) => op.serialize(serializer),
            Op::HttpApi(op) => op.serialize(serializer),
            Op::S3(op) => op.serialize(serializer),
            Op::Sns(op) => op.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Op {
    /// The service whose operation the `op` tag names. When no service knows it, the
    /// error names the tag; when one does but the fields are wrong, the error is that
    /// service's (which names the field).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Op, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        let attempts = [
            IamOp::deserialize(&value).map(Op::Iam),
            LambdaOp::deserialize(&value).map(Op::Lambda),
            RestApiOp::deserialize(&value).map(Op::ApiGateway),
            EventBridgeOp::deserialize(&value).map(Op::EventBridge),
            HttpApiOp::deserialize(&value).map(Op::HttpApi),
            S3Op::deserialize(&value).map(Op::S3),
            SnsOp::deserialize(&value).map(Op::Sns),
        ];
        let mut errors = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(op) => return Ok(op),
                Err(error) => errors.push(error),
            }
        }
        let unknown = |e: &serde_json::Error| e.to_string().starts_with("unknown variant");
        match errors.iter().find(|e| !unknown(e)) {
            Some(error) => Err(D::Error::custom(error)),
            None => Err(D::Error::custom(match value.get("op") {
                Some(serde_json::Value::String(op)) => format!("unknown operation `{op}`"),
                Some(_) => "`op` must be a string".to_string(),
                None => "missing field `op`".to_string(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_reads_back_from_its_json_tagged_by_op() {
        let op: Op = IamOp::DeleteRole {
            role: "shop-dev-api".into(),
        }
        .into();
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"op": "delete_role", "role": "shop-dev-api"})
        );
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), op);
        let deployment =
            serde_json::json!({"op": "delete_deployment", "api_id": "a", "deployment_id": "d"});
        assert_eq!(
            serde_json::from_value::<Op>(deployment).unwrap().service(),
            Service::ApiGateway
        );
    }

    #[test]
    fn a_bad_operation_is_named() {
        let error = |json| serde_json::from_value::<Op>(json).unwrap_err().to_string();
        assert_eq!(
            error(serde_json::json!({"op": "launch_rocket"})),
            "unknown operation `launch_rocket`"
        );
        assert_eq!(
            error(serde_json::json!({"op": "delete_role"})),
            "missing field `role`"
        );
        assert_eq!(
            error(serde_json::json!({"role": "r"})),
            "missing field `op`"
        );
    }
}
