//! The `aws` CLI commands of API Gateway (REST) steps.

use super::*;
use crate::plan::RestApiOp;

/// The references an operation holds, outside environments.
pub(super) fn refs(op: &RestApiOp) -> Vec<&Ref> {
    match op {
        RestApiOp::CreateResource { api, parent, .. } => vec![api, parent],
        RestApiOp::PutMethod { api, resource, .. } => vec![api, resource],
        RestApiOp::PutIntegration {
            api,
            resource,
            function_arn,
            ..
        } => vec![api, resource, function_arn],
        RestApiOp::CreateDeployment { api, .. } => vec![api],
        RestApiOp::CreateRestApi { .. }
        | RestApiOp::UpdateRestApi { .. }
        | RestApiOp::DeleteRestApi { .. }
        | RestApiOp::DeleteResource { .. }
        | RestApiOp::DeleteMethod { .. }
        | RestApiOp::DeleteDeployment { .. }
        | RestApiOp::DeleteStage { .. } => Vec::new(),
    }
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &RestApiOp) -> Vec<Command> {
    match op {
        RestApiOp::CreateRestApi { api } => {
            let settings = &api.settings;
            let mut create = Command::new("apigateway", "create-rest-api")
                .arg("name", &settings.name)
                .arg_if("description", &settings.description)
                .arg(
                    "endpoint-configuration",
                    format!("types={}", settings.endpoint.as_str()),
                );
            if !settings.binary_media_types.is_empty() {
                create = create.args(
                    "binary-media-types",
                    settings.binary_media_types.iter().cloned(),
                );
            }
            vec![create.arg("tags", tag_map(&api.tags))]
        }
        RestApiOp::UpdateRestApi { api_id, from, to } => vec![
            Command::new("apigateway", "update-rest-api")
                .arg("rest-api-id", api_id)
                .arg(
                    "patch-operations",
                    compact(&Value::Array(api_patch(from, to))),
                ),
        ],
        RestApiOp::DeleteRestApi { api_id, .. } => {
            vec![Command::new("apigateway", "delete-rest-api").arg("rest-api-id", api_id)]
        }
        RestApiOp::CreateResource { api, parent, path } => vec![
            Command::new("apigateway", "create-resource")
                .arg("rest-api-id", value(api))
                .arg("parent-id", value(parent))
                .arg("path-part", path.rsplit('/').next().unwrap_or(path)),
        ],
        RestApiOp::DeleteResource {
            api_id,
            resource_id,
            path,
        } => vec![
            Command::new("apigateway", "delete-resource")
                .arg("rest-api-id", api_id)
                .arg("resource-id", resource_id)
                .note(format!("resource {resource_id} is {path}")),
        ],
        RestApiOp::PutMethod {
            api,
            resource,
            method,
            exists: true,
            ..
        } => {
            let patch = json!([
                {"op": "replace", "path": "/authorizationType", "value": method.authorization.as_str()},
                {"op": "replace", "path": "/apiKeyRequired", "value": method.api_key_required.to_string()},
            ]);
            vec![
                Command::new("apigateway", "update-method")
                    .arg("rest-api-id", value(api))
                    .arg("resource-id", value(resource))
                    .arg("http-method", &method.http_method)
                    .arg("patch-operations", compact(&patch))
                    .note(
                        "the method exists, and API Gateway refuses put-method on it (409 \
                         \"Method already exists\"): lade changes it in place, as here",
                    ),
            ]
        }
        RestApiOp::PutMethod {
            api,
            resource,
            method,
            exists: false,
            ..
        } => {
            let mut put = Command::new("apigateway", "put-method")
                .arg("rest-api-id", value(api))
                .arg("resource-id", value(resource))
                .arg("http-method", &method.http_method)
                .arg("authorization-type", method.authorization.as_str());
            if method.api_key_required {
                put = put.flag("api-key-required");
            }
            vec![put]
        }
        RestApiOp::DeleteMethod {
            api_id,
            resource_id,
            path,
            http_method,
        } => vec![
            Command::new("apigateway", "delete-method")
                .arg("rest-api-id", api_id)
                .arg("resource-id", resource_id)
                .arg("http-method", http_method)
                .note(format!("resource {resource_id} is {path}")),
        ],
        RestApiOp::PutIntegration {
            api,
            resource,
            http_method,
            function_arn,
            ..
        } => vec![
            Command::new("apigateway", "put-integration")
                .arg("rest-api-id", value(api))
                .arg("resource-id", value(resource))
                .arg("http-method", http_method)
                .arg("type", "AWS_PROXY")
                .arg("integration-http-method", "POST")
                .arg("uri", integration_uri(function_arn))
                .note("Lambda is always invoked with POST, whatever the route's method"),
        ],
        RestApiOp::CreateDeployment {
            api,
            stage,
            new_stage_tags: None,
        } => vec![
            Command::new("apigateway", "create-deployment")
                .arg("rest-api-id", value(api))
                .arg("stage-name", stage)
                .arg("description", "deployed by lade"),
        ],
        RestApiOp::CreateDeployment {
            api,
            stage,
            new_stage_tags: Some(tags),
        } => vec![
            Command::new("apigateway", "create-deployment")
                .arg("rest-api-id", value(api))
                .arg("description", "deployed by lade")
                .note("the new stage is created by create-stage, with lade's tags"),
            Command::new("apigateway", "create-stage")
                .arg("rest-api-id", value(api))
                .arg("stage-name", stage)
                .arg("deployment-id", "<deployment-id>")
                .arg(
                    "tags",
                    tags.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                )
                .note("<deployment-id> is the `id` create-deployment printed"),
        ],
        RestApiOp::DeleteStage { api_id, stage } => vec![
            Command::new("apigateway", "delete-stage")
                .arg("rest-api-id", api_id)
                .arg("stage-name", stage),
        ],
        RestApiOp::DeleteDeployment {
            api_id,
            deployment_id,
        } => vec![
            Command::new("apigateway", "delete-deployment")
                .arg("rest-api-id", api_id)
                .arg("deployment-id", deployment_id),
        ],
    }
}
