//! API Gateway v2 operations: the HTTP API, its integrations (one per function), routes,
//! authorizers and stage. No deployment: the stage deploys every change by itself
//! (auto-deploy).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diff::Ref;
use crate::model::HttpApiSettings;

/// How a route is authorized, as the plan puts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRouteAuth {
    /// `NONE`, `AWS_IAM`, `JWT` or `CUSTOM`.
    pub kind: String,
    /// The key of the authorizer (in `authorizers:`) and its ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<(String, Ref)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// An authorizer as the plan makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlannedAuthorizer {
    Jwt {
        issuer: String,
        audience: Vec<String>,
        identity_source: Vec<String>,
    },
    /// A Lambda authorizer: payload 2.0, simple responses.
    Lambda {
        /// The physical name of its function.
        function: String,
        function_arn: Ref,
        identity_source: Vec<String>,
        ttl: i32,
    },
}

/// A route as the plan puts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRoute {
    /// `GET /items/{id}` or `$default`.
    pub key: String,
    /// The physical name of the function it invokes.
    pub function: String,
    /// The ID of that function's integration.
    pub integration: Ref,
    pub auth: PlannedRouteAuth,
}

/// One API Gateway v2 call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum HttpApiOp {
    CreateHttpApi {
        settings: HttpApiSettings,
        tags: BTreeMap<String, String>,
    },
    UpdateHttpApi {
        api_id: String,
        settings: HttpApiSettings,
    },
    DeleteHttpApi {
        api_id: String,
        name: String,
    },
    CreateHttpIntegration {
        api: Ref,
        function: String,
        function_arn: Ref,
    },
    DeleteHttpIntegration {
        api_id: String,
        integration_id: String,
        function: String,
    },
    CreateHttpRoute {
        api: Ref,
        route: PlannedRoute,
    },
    UpdateHttpRoute {
        api_id: String,
        route_id: String,
        route: PlannedRoute,
    },
    DeleteHttpRoute {
        api_id: String,
        route_id: String,
        key: String,
    },
    CreateHttpAuthorizer {
        api: Ref,
        name: String,
        authorizer: PlannedAuthorizer,
    },
    UpdateHttpAuthorizer {
        api_id: String,
        authorizer_id: String,
        name: String,
        authorizer: PlannedAuthorizer,
    },
    DeleteHttpAuthorizer {
        api_id: String,
        authorizer_id: String,
        name: String,
    },
    CreateHttpStage {
        api: Ref,
        stage: String,
    },
    /// Turns auto-deploy on for a stage that has it off.
    UpdateHttpStage {
        api_id: String,
        stage: String,
    },
    DeleteHttpStage {
        api_id: String,
        stage: String,
    },
}

impl HttpApiOp {
    /// The AWS API operation.
    pub fn api_call(&self) -> &'static str {
        match self {
            HttpApiOp::CreateHttpApi { .. } => "CreateApi",
            HttpApiOp::UpdateHttpApi { .. } => "UpdateApi",
            HttpApiOp::DeleteHttpApi { .. } => "DeleteApi",
            HttpApiOp::CreateHttpIntegration { .. } => "CreateIntegration",
            HttpApiOp::DeleteHttpIntegration { .. } => "DeleteIntegration",
            HttpApiOp::CreateHttpRoute { .. } => "CreateRoute",
            HttpApiOp::UpdateHttpRoute { .. } => "UpdateRoute",
            HttpApiOp::DeleteHttpRoute { .. } => "DeleteRoute",
            HttpApiOp::CreateHttpAuthorizer { .. } => "CreateAuthorizer",
            HttpApiOp::UpdateHttpAuthorizer { .. } => "UpdateAuthorizer",
            HttpApiOp::DeleteHttpAuthorizer { .. } => "DeleteAuthorizer",
            HttpApiOp::CreateHttpStage { .. } => "CreateStage",
            HttpApiOp::UpdateHttpStage { .. } => "UpdateStage",
            HttpApiOp::DeleteHttpStage { .. } => "DeleteStage",
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            HttpApiOp::CreateHttpApi { settings, .. } => {
                format!("create HTTP API {}", settings.name)
            }
            HttpApiOp::UpdateHttpApi { settings, .. } => {
                format!("update HTTP API {}", settings.name)
            }
            HttpApiOp::DeleteHttpApi { name, .. } => format!("delete HTTP API {name}"),
            HttpApiOp::CreateHttpIntegration { function, .. } => {
                format!("create HTTP API integration with function {function}")
            }
            HttpApiOp::DeleteHttpIntegration { function, .. } => {
                format!("delete HTTP API integration with function {function}")
            }
            HttpApiOp::CreateHttpRoute { route, .. } => {
                format!("create HTTP route {} → {}", route.key, route.function)
            }
            HttpApiOp::UpdateHttpRoute { route, .. } => {
                format!("update HTTP route {} → {}", route.key, route.function)
            }
            HttpApiOp::DeleteHttpRoute { key, .. } => format!("delete HTTP route {key}"),
            HttpApiOp::CreateHttpAuthorizer { name, .. } => {
                format!("create HTTP API authorizer {name}")
            }
            HttpApiOp::UpdateHttpAuthorizer { name, .. } => {
                format!("update HTTP API authorizer {name}")
            }
            HttpApiOp::DeleteHttpAuthorizer { name, .. } => {
                format!("delete HTTP API authorizer {name}")
            }
            HttpApiOp::CreateHttpStage { stage, .. } => {
                format!("create HTTP API stage {stage} (auto-deploy)")
            }
            HttpApiOp::UpdateHttpStage { stage, .. } => {
                format!("turn on auto-deploy of HTTP API stage {stage}")
            }
            HttpApiOp::DeleteHttpStage { stage, .. } => format!("delete HTTP API stage {stage}"),
        }
    }

    pub fn is_delete(&self) -> bool {
        match self {
            HttpApiOp::DeleteHttpApi { .. }
            | HttpApiOp::DeleteHttpIntegration { .. }
            | HttpApiOp::DeleteHttpRoute { .. }
            | HttpApiOp::DeleteHttpAuthorizer { .. }
            | HttpApiOp::DeleteHttpStage { .. } => true,
            HttpApiOp::CreateHttpApi { .. }
            | HttpApiOp::UpdateHttpApi { .. }
            | HttpApiOp::CreateHttpIntegration { .. }
            | HttpApiOp::CreateHttpRoute { .. }
            | HttpApiOp::UpdateHttpRoute { .. }
            | HttpApiOp::CreateHttpAuthorizer { .. }
            | HttpApiOp::UpdateHttpAuthorizer { .. }
            | HttpApiOp::CreateHttpStage { .. }
            | HttpApiOp::UpdateHttpStage { .. } => false,
        }
    }
}
