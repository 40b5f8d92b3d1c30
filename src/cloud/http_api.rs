//! API Gateway v2 (HTTP APIs): the API with its CORS configuration, its routes,
//! Lambda integrations, authorizers and auto-deploying stage. See the parent module
//! for the idempotency contract.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::CloudError;
use crate::model::{
    HttpApiSettings, HttpAuthorizerSettings, HttpRouteAuth, LiveHttpApi, LiveHttpAuthorizer,
    LiveHttpIntegration, LiveHttpRoute, LiveHttpStage,
};

/// What `CreateApi` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedHttpApi {
    pub id: String,
    /// `https://ID.execute-api.REGION.amazonaws.com`.
    pub endpoint: String,
}

/// A route as lade puts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRouteSpec {
    /// `GET /items/{id}` or `$default`.
    pub key: String,
    /// The integration it sends to.
    pub integration_id: String,
    pub auth: HttpRouteAuth,
}

/// The API Gateway v2 reads and writes lade needs.
#[async_trait]
pub trait HttpApiApi: Send + Sync {
    // ---- reads: never mutate, "not found" is `Ok(None)` or empty ----

    /// HTTP APIs tagged with every one of `tags` (`GetApis`, paginated), with their
    /// settings and tags only (routes, integrations, authorizers and stages empty).
    async fn find_http_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveHttpApi>, CloudError>;
    /// Every route (`GetRoutes`, paginated).
    async fn get_http_routes(&self, api_id: &str) -> Result<Vec<LiveHttpRoute>, CloudError>;
    /// Every integration (`GetIntegrations`, paginated).
    async fn get_http_integrations(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpIntegration>, CloudError>;
    /// Every authorizer (`GetAuthorizers`, paginated).
    async fn get_http_authorizers(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpAuthorizer>, CloudError>;
    /// Every stage (`GetStages`, paginated).
    async fn get_http_stages(&self, api_id: &str) -> Result<Vec<LiveHttpStage>, CloudError>;

    // ---- writes ----

    /// Creates an HTTP API (`CreateApi`, protocol `HTTP`) with its CORS configuration
    /// and tags.
    async fn create_http_api(
        &self,
        settings: &HttpApiSettings,
        tags: &BTreeMap<String, String>,
    ) -> Result<CreatedHttpApi, CloudError>;
    /// Sets the API's name, description and CORS configuration (`UpdateApi`; a CORS
    /// configuration removed is `DeleteCorsConfiguration`).
    async fn update_http_api(
        &self,
        api_id: &str,
        settings: &HttpApiSettings,
    ) -> Result<(), CloudError>;
    /// Deletes the API with its routes, integrations, authorizers and stages. An API
    /// already gone counts as success.
    async fn delete_http_api(&self, api_id: &str) -> Result<(), CloudError>;
    /// Creates a Lambda proxy integration (`AWS_PROXY`, payload format 2.0) of the
    /// function `function_arn` and returns its ID.
    async fn create_http_integration(
        &self,
        api_id: &str,
        function_arn: &str,
    ) -> Result<String, CloudError>;
    /// Deletes an integration. One already gone counts as success.
    async fn delete_http_integration(
        &self,
        api_id: &str,
        integration_id: &str,
    ) -> Result<(), CloudError>;
    /// Creates a route and returns its ID.
    async fn create_http_route(
        &self,
        api_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<String, CloudError>;
    /// Sets a route's target and authorization (`UpdateRoute`).
    async fn update_http_route(
        &self,
        api_id: &str,
        route_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<(), CloudError>;
    /// Deletes a route. One already gone counts as success.
    async fn delete_http_route(&self, api_id: &str, route_id: &str) -> Result<(), CloudError>;
    /// Creates an authorizer named `name` and returns its ID.
    async fn create_http_authorizer(
        &self,
        api_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<String, CloudError>;
    /// Sets every setting of an authorizer (`UpdateAuthorizer`).
    async fn update_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<(), CloudError>;
    /// Deletes an authorizer. One already gone counts as success.
    async fn delete_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
    ) -> Result<(), CloudError>;
    /// Creates a stage with auto-deploy on. A stage of that name already there counts
    /// as success.
    async fn create_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError>;
    /// Turns auto-deploy on for an existing stage (`UpdateStage`).
    async fn update_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError>;
    /// Deletes a stage. One already gone counts as success.
    async fn delete_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError>;
}
