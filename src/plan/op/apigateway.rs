//! API Gateway (REST) operations: the API, its resources, methods, integrations and
//! deployments.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diff::Ref;
use crate::model::{ApiSettings, Authorization};

/// A REST API as the plan creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedApi {
    pub settings: ApiSettings,
    pub tags: BTreeMap<String, String>,
}

/// A method as the plan puts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMethod {
    pub http_method: String,
    pub authorization: Authorization,
    pub api_key_required: bool,
}

/// One API Gateway call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RestApiOp {
    CreateRestApi {
        api: PlannedApi,
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
        method: PlannedMethod,
        /// Whether the method existed when the plan was made. AWS refuses `PutMethod`
        /// on an existing method (409 "Method already exists"), and the adapter then
        /// changes it in place with `UpdateMethod`; `--explain` prints that command.
        /// (moto instead replaces the method and drops its integration, which is why
        /// the plan puts the integration again after a changed method.)
        #[serde(default)]
        exists: bool,
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
    CreateDeployment {
        api: Ref,
        stage: String,
        /// The stage does not exist yet: it is created with these tags (the ownership
        /// tags), by which a later apply knows it as lade's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_stage_tags: Option<std::collections::BTreeMap<String, String>>,
    },
    /// A stage lade made before `api.stage` named another one.
    DeleteStage {
        api_id: String,
        stage: String,
    },
    DeleteDeployment {
        api_id: String,
        deployment_id: String,
    },
}

impl RestApiOp {
    /// The AWS API operation, e.g. `CreateRestApi`.
    pub fn api_call(&self) -> &'static str {
        match self {
            RestApiOp::CreateRestApi { .. } => "CreateRestApi",
            RestApiOp::UpdateRestApi { .. } => "UpdateRestApi",
            RestApiOp::DeleteRestApi { .. } => "DeleteRestApi",
            RestApiOp::CreateResource { .. } => "CreateResource",
            RestApiOp::DeleteResource { .. } => "DeleteResource",
            RestApiOp::PutMethod { .. } => "PutMethod",
            RestApiOp::DeleteMethod { .. } => "DeleteMethod",
            RestApiOp::PutIntegration { .. } => "PutIntegration",
            RestApiOp::CreateDeployment { .. } => "CreateDeployment",
            RestApiOp::DeleteStage { .. } => "DeleteStage",
            RestApiOp::DeleteDeployment { .. } => "DeleteDeployment",
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            RestApiOp::CreateRestApi { api } => format!("create REST API {}", api.settings.name),
            RestApiOp::UpdateRestApi { to, .. } => format!("update REST API {}", to.name),
            RestApiOp::DeleteRestApi { name, api_id } => {
                format!("delete REST API {name} ({api_id})")
            }
            RestApiOp::CreateResource { path, .. } => format!("create resource {path}"),
            RestApiOp::DeleteResource { path, .. } => format!("delete resource {path}"),
            RestApiOp::PutMethod {
                path,
                method,
                exists,
                ..
            } => {
                let verb = if *exists { "update" } else { "put" };
                format!("{verb} method {} {path}", method.http_method)
            }
            RestApiOp::DeleteMethod {
                path, http_method, ..
            } => format!("delete method {http_method} {path}"),
            RestApiOp::PutIntegration {
                path,
                http_method,
                function,
                ..
            } => format!("integrate {http_method} {path} with function {function}"),
            RestApiOp::CreateDeployment { stage, .. } => {
                format!("deploy the API and point stage {stage} at it")
            }
            RestApiOp::DeleteDeployment { deployment_id, .. } => {
                format!("delete old deployment {deployment_id}")
            }
            RestApiOp::DeleteStage { stage, .. } => format!("delete old stage {stage}"),
        }
    }

    /// Whether the step removes something.
    pub fn is_delete(&self) -> bool {
        match self {
            RestApiOp::DeleteRestApi { .. }
            | RestApiOp::DeleteResource { .. }
            | RestApiOp::DeleteMethod { .. }
            | RestApiOp::DeleteDeployment { .. }
            | RestApiOp::DeleteStage { .. } => true,
            RestApiOp::CreateRestApi { .. }
            | RestApiOp::UpdateRestApi { .. }
            | RestApiOp::CreateResource { .. }
            | RestApiOp::PutMethod { .. }
            | RestApiOp::PutIntegration { .. }
            | RestApiOp::CreateDeployment { .. } => false,
        }
    }

    /// Whether a failure of the step keeps what it would have removed instead of
    /// failing the apply. Pruning an old deployment is: API Gateway refuses to delete
    /// a deployment a stage or a stage's canary points at (moto refuses any deployment
    /// of a live stage), the plan already leaves the stage's own deployment out
    /// (`kinds::rest_api::deployment::deployments_to_prune`), and whatever else stops
    /// a prune, the old deployment costs nothing and the routes are already live.
    pub fn is_best_effort(&self) -> bool {
        matches!(self, RestApiOp::DeleteDeployment { .. })
    }
}
