//! The `aws` CLI commands of API Gateway v2 (HTTP API) steps.

use super::*;
use crate::model::{Cors, HTTP_PAYLOAD_FORMAT};
use crate::plan::{HttpApiOp, PlannedAuthorizer, PlannedRoute};

/// The references an operation holds, outside environments.
pub(super) fn refs(op: &HttpApiOp) -> Vec<&Ref> {
    match op {
        HttpApiOp::CreateHttpIntegration {
            api, function_arn, ..
        } => vec![api, function_arn],
        HttpApiOp::CreateHttpRoute { api, route } => {
            let mut refs = vec![api];
            refs.extend(route_refs(route));
            refs
        }
        HttpApiOp::UpdateHttpRoute { route, .. } => route_refs(route),
        HttpApiOp::CreateHttpAuthorizer {
            api, authorizer, ..
        } => {
            let mut refs = vec![api];
            refs.extend(authorizer_refs(authorizer));
            refs
        }
        HttpApiOp::UpdateHttpAuthorizer { authorizer, .. } => authorizer_refs(authorizer),
        HttpApiOp::CreateHttpStage { api, .. } => vec![api],
        HttpApiOp::CreateHttpApi { .. }
        | HttpApiOp::UpdateHttpApi { .. }
        | HttpApiOp::DeleteHttpApi { .. }
        | HttpApiOp::DeleteHttpIntegration { .. }
        | HttpApiOp::DeleteHttpRoute { .. }
        | HttpApiOp::DeleteHttpAuthorizer { .. }
        | HttpApiOp::UpdateHttpStage { .. }
        | HttpApiOp::DeleteHttpStage { .. } => Vec::new(),
    }
}

fn route_refs(route: &PlannedRoute) -> Vec<&Ref> {
    let mut refs = vec![&route.integration];
    refs.extend(route.auth.authorizer.as_ref().map(|(_, id)| id));
    refs
}

fn authorizer_refs(authorizer: &PlannedAuthorizer) -> Vec<&Ref> {
    match authorizer {
        PlannedAuthorizer::Jwt { .. } => Vec::new(),
        PlannedAuthorizer::Lambda { function_arn, .. } => vec![function_arn],
    }
}

/// The API's `--cors-configuration` in the CLI's JSON form.
fn cors(cors: &Cors) -> String {
    compact(&json!({
        "AllowOrigins": cors.allow_origins,
        "AllowMethods": cors.allow_methods,
        "AllowHeaders": cors.allow_headers,
        "ExposeHeaders": cors.expose_headers,
        "AllowCredentials": cors.allow_credentials,
        "MaxAge": cors.max_age,
    }))
}

/// The route's target and authorization options.
fn route_options(command: Command, route: &PlannedRoute) -> Command {
    let mut command = command
        .arg(
            "target",
            format!("integrations/{}", value(&route.integration)),
        )
        .arg("authorization-type", &route.auth.kind);
    if let Some((_, id)) = &route.auth.authorizer {
        command = command.arg("authorizer-id", value(id));
    }
    if !route.auth.scopes.is_empty() {
        command = command.args("authorization-scopes", route.auth.scopes.iter().cloned());
    }
    command
}

/// The authorizer's options, for create and update alike.
fn authorizer_options(command: Command, authorizer: &PlannedAuthorizer) -> Command {
    match authorizer {
        PlannedAuthorizer::Jwt {
            issuer,
            audience,
            identity_source,
        } => command
            .arg("authorizer-type", "JWT")
            .args("identity-source", identity_source.iter().cloned())
            .arg(
                "jwt-configuration",
                compact(&json!({"Issuer": issuer, "Audience": audience})),
            ),
        PlannedAuthorizer::Lambda {
            function_arn,
            identity_source,
            ttl,
            ..
        } => command
            .arg("authorizer-type", "REQUEST")
            .arg("authorizer-uri", integration_uri(function_arn))
            .arg("authorizer-payload-format-version", HTTP_PAYLOAD_FORMAT)
            .flag("enable-simple-responses")
            .args("identity-source", identity_source.iter().cloned())
            .arg("authorizer-result-ttl-in-seconds", ttl.to_string()),
    }
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &HttpApiOp) -> Vec<Command> {
    match op {
        HttpApiOp::CreateHttpApi { settings, tags } => {
            let mut create = Command::new("apigatewayv2", "create-api")
                .arg("name", &settings.name)
                .arg("protocol-type", "HTTP")
                .arg_if("description", &settings.description);
            if let Some(c) = &settings.cors {
                create = create.arg("cors-configuration", cors(c));
            }
            vec![create.arg("tags", tag_map(tags))]
        }
        HttpApiOp::UpdateHttpApi { api_id, settings } => {
            let update = Command::new("apigatewayv2", "update-api")
                .arg("api-id", api_id)
                .arg("name", &settings.name)
                .arg("description", &settings.description);
            match &settings.cors {
                Some(c) => vec![update.arg("cors-configuration", cors(c))],
                None => vec![
                    update,
                    Command::new("apigatewayv2", "delete-cors-configuration")
                        .arg("api-id", api_id)
                        .note("update-api leaves a CORS configuration it is not given as it is"),
                ],
            }
        }
        HttpApiOp::DeleteHttpApi { api_id, .. } => vec![
            Command::new("apigatewayv2", "delete-api")
                .arg("api-id", api_id)
                .note("its routes, integrations, authorizers and stages go with it"),
        ],
        HttpApiOp::CreateHttpIntegration {
            api, function_arn, ..
        } => vec![
            Command::new("apigatewayv2", "create-integration")
                .arg("api-id", value(api))
                .arg("integration-type", "AWS_PROXY")
                .arg("integration-method", "POST")
                .arg("integration-uri", value(function_arn))
                .arg("payload-format-version", HTTP_PAYLOAD_FORMAT),
        ],
        HttpApiOp::DeleteHttpIntegration {
            api_id,
            integration_id,
            ..
        } => vec![
            Command::new("apigatewayv2", "delete-integration")
                .arg("api-id", api_id)
                .arg("integration-id", integration_id),
        ],
        HttpApiOp::CreateHttpRoute { api, route } => vec![route_options(
            Command::new("apigatewayv2", "create-route")
                .arg("api-id", value(api))
                .arg("route-key", &route.key),
            route,
        )],
        HttpApiOp::UpdateHttpRoute {
            api_id,
            route_id,
            route,
        } => vec![route_options(
            Command::new("apigatewayv2", "update-route")
                .arg("api-id", api_id)
                .arg("route-id", route_id),
            route,
        )],
        HttpApiOp::DeleteHttpRoute {
            api_id, route_id, ..
        } => vec![
            Command::new("apigatewayv2", "delete-route")
                .arg("api-id", api_id)
                .arg("route-id", route_id),
        ],
        HttpApiOp::CreateHttpAuthorizer {
            api,
            name,
            authorizer,
        } => vec![authorizer_options(
            Command::new("apigatewayv2", "create-authorizer")
                .arg("api-id", value(api))
                .arg("name", name),
            authorizer,
        )],
        HttpApiOp::UpdateHttpAuthorizer {
            api_id,
            authorizer_id,
            name,
            authorizer,
        } => vec![authorizer_options(
            Command::new("apigatewayv2", "update-authorizer")
                .arg("api-id", api_id)
                .arg("authorizer-id", authorizer_id)
                .arg("name", name),
            authorizer,
        )],
        HttpApiOp::DeleteHttpAuthorizer {
            api_id,
            authorizer_id,
            ..
        } => vec![
            Command::new("apigatewayv2", "delete-authorizer")
                .arg("api-id", api_id)
                .arg("authorizer-id", authorizer_id),
        ],
        HttpApiOp::CreateHttpStage { api, stage } => vec![
            Command::new("apigatewayv2", "create-stage")
                .arg("api-id", value(api))
                .arg("stage-name", stage)
                .flag("auto-deploy")
                .note("auto-deploy publishes every change to the routes: no deployment to create"),
        ],
        HttpApiOp::UpdateHttpStage { api_id, stage } => vec![
            Command::new("apigatewayv2", "update-stage")
                .arg("api-id", api_id)
                .arg("stage-name", stage)
                .flag("auto-deploy"),
        ],
        HttpApiOp::DeleteHttpStage { api_id, stage } => vec![
            Command::new("apigatewayv2", "delete-stage")
                .arg("api-id", api_id)
                .arg("stage-name", stage),
        ],
    }
}
