//! Performs API Gateway v2 (HTTP API) steps.

use super::context::Context;
use super::error::ApplyError;
use crate::arn;
use crate::cloud::HttpRouteSpec;
use crate::diff::Output;
use crate::model::{HTTP_PAYLOAD_FORMAT, HttpAuthorizerSettings, HttpRouteAuth};
use crate::plan::{HttpApiOp, PlannedAuthorizer, PlannedRoute};

impl Context<'_> {
    pub(super) async fn http_api(&self, op: &HttpApiOp) -> Result<(), ApplyError> {
        let cloud = self.cloud;
        match op {
            HttpApiOp::CreateHttpApi { settings, tags } => {
                let created = cloud.create_http_api(settings, tags).await?;
                self.learn(Output::HttpApiId, created.id);
            }
            HttpApiOp::UpdateHttpApi { api_id, settings } => {
                cloud.update_http_api(api_id, settings).await?
            }
            HttpApiOp::DeleteHttpApi { api_id, .. } => cloud.delete_http_api(api_id).await?,
            HttpApiOp::CreateHttpIntegration {
                api,
                function,
                function_arn,
            } => {
                let (api, arn) = (self.resolve(api).await?, self.resolve(function_arn).await?);
                let id = cloud.create_http_integration(&api, &arn).await?;
                self.learn(Output::HttpIntegrationId(function.clone()), id);
            }
            HttpApiOp::DeleteHttpIntegration {
                api_id,
                integration_id,
                ..
            } => {
                cloud
                    .delete_http_integration(api_id, integration_id)
                    .await?
            }
            HttpApiOp::CreateHttpRoute { api, route } => {
                let api = self.resolve(api).await?;
                let spec = self.route_spec(route).await?;
                cloud.create_http_route(&api, &spec).await?;
            }
            HttpApiOp::UpdateHttpRoute {
                api_id,
                route_id,
                route,
            } => {
                let spec = self.route_spec(route).await?;
                cloud.update_http_route(api_id, route_id, &spec).await?
            }
            HttpApiOp::DeleteHttpRoute {
                api_id, route_id, ..
            } => cloud.delete_http_route(api_id, route_id).await?,
            HttpApiOp::CreateHttpAuthorizer {
                api,
                name,
                authorizer,
            } => {
                let api = self.resolve(api).await?;
                let settings = self.authorizer_settings(authorizer).await?;
                let id = cloud.create_http_authorizer(&api, name, &settings).await?;
                self.learn(Output::HttpAuthorizerId(name.clone()), id);
            }
            HttpApiOp::UpdateHttpAuthorizer {
                api_id,
                authorizer_id,
                name,
                authorizer,
            } => {
                let settings = self.authorizer_settings(authorizer).await?;
                cloud
                    .update_http_authorizer(api_id, authorizer_id, name, &settings)
                    .await?
            }
            HttpApiOp::DeleteHttpAuthorizer {
                api_id,
                authorizer_id,
                ..
            } => cloud.delete_http_authorizer(api_id, authorizer_id).await?,
            HttpApiOp::CreateHttpStage { api, stage } => {
                let api = self.resolve(api).await?;
                cloud.create_http_stage(&api, stage).await?
            }
            HttpApiOp::UpdateHttpStage { api_id, stage } => {
                cloud.update_http_stage(api_id, stage).await?
            }
            HttpApiOp::DeleteHttpStage { api_id, stage } => {
                cloud.delete_http_stage(api_id, stage).await?
            }
        }
        Ok(())
    }

    async fn route_spec(&self, route: &PlannedRoute) -> Result<HttpRouteSpec, ApplyError> {
        let authorizer_id = match &route.auth.authorizer {
            Some((_, id)) => Some(self.resolve(id).await?),
            None => None,
        };
        Ok(HttpRouteSpec {
            key: route.key.clone(),
            integration_id: self.resolve(&route.integration).await?,
            auth: HttpRouteAuth {
                kind: route.auth.kind.clone(),
                authorizer_id,
                scopes: route.auth.scopes.clone(),
            },
        })
    }

    async fn authorizer_settings(
        &self,
        authorizer: &PlannedAuthorizer,
    ) -> Result<HttpAuthorizerSettings, ApplyError> {
        Ok(match authorizer {
            PlannedAuthorizer::Jwt {
                issuer,
                audience,
                identity_source,
            } => HttpAuthorizerSettings::Jwt {
                identity_source: identity_source.clone(),
                issuer: issuer.clone(),
                audience: audience.clone(),
            },
            PlannedAuthorizer::Lambda {
                function_arn,
                identity_source,
                ttl,
                ..
            } => {
                let arn = self.resolve(function_arn).await?;
                HttpAuthorizerSettings::Lambda {
                    identity_source: identity_source.clone(),
                    uri: arn::integration_uri(&arn)
                        .ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?,
                    ttl: *ttl,
                    payload_format: HTTP_PAYLOAD_FORMAT.into(),
                    simple_responses: true,
                }
            }
        })
    }
}
