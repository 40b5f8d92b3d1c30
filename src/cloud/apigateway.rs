//! API Gateway (REST): the API, its resources, methods and integrations, its stage and
//! deployments. See the parent module for the idempotency contract.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudError;
use crate::model::{ApiSettings, Authorization, LiveApi, LiveDeployment, LiveResource, LiveStage};

/// A REST API as lade creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApi {
    pub settings: ApiSettings,
    pub tags: BTreeMap<String, String>,
}

/// What `CreateRestApi` returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedApi {
    pub id: String,
    /// The ID of the root resource `/`, which API Gateway creates with the API.
    pub root_resource_id: String,
}

/// A method as lade puts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSettings {
    pub http_method: String,
    pub authorization: Authorization,
    pub api_key_required: bool,
}

/// The API Gateway (REST) reads and writes lade needs.
#[async_trait]
pub trait RestApiApi: Send + Sync {
    // ---- reads: never mutate, "not found" is `Ok(None)` ----

    /// REST APIs tagged with every one of `tags`, with their settings and tags only
    /// (`resources`, `stage` and `deployments` left empty).
    async fn find_rest_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveApi>, CloudError>;
    /// Every resource of the API with its methods and integrations (`embed=methods`,
    /// paginated).
    async fn get_api_resources(&self, api_id: &str) -> Result<Vec<LiveResource>, CloudError>;
    async fn get_stage(&self, api_id: &str, stage: &str) -> Result<Option<LiveStage>, CloudError>;
    /// Every stage of the API, with the deployment each (and its canary) points at
    /// (`GetStages`, one request); none when the API does not exist.
    async fn get_stages(&self, api_id: &str) -> Result<Vec<LiveStage>, CloudError>;
    /// Every deployment, newest first.
    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError>;

    // ---- writes ----

    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError>;
    /// Changes the API's settings from `from` to `to` (name, description, endpoint
    /// type, binary media types) with patch operations.
    async fn update_rest_api(
        &self,
        api_id: &str,
        from: &ApiSettings,
        to: &ApiSettings,
    ) -> Result<(), CloudError>;
    async fn delete_rest_api(&self, api_id: &str) -> Result<(), CloudError>;
    /// Creates the child `path_part` under `parent_id` and returns its ID. An existing
    /// child with that path part counts as success and returns its ID.
    async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<String, CloudError>;
    async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), CloudError>;
    /// Puts the method; an existing method is brought to these settings.
    async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        method: &MethodSettings,
    ) -> Result<(), CloudError>;
    async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), CloudError>;
    /// Puts a Lambda proxy integration (`AWS_PROXY`, integration method `POST`).
    async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        uri: &str,
    ) -> Result<(), CloudError>;
    /// Deploys the API's current routes and points `stage` at the new deployment,
    /// creating the stage if needed. Returns the deployment's ID. With
    /// `new_stage_tags` (the plan found no such stage), the stage is created with
    /// those tags (`CreateStage`); an existing stage is pointed at the deployment.
    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        description: &str,
        new_stage_tags: Option<&BTreeMap<String, String>>,
    ) -> Result<String, CloudError>;
    /// Deletes the stage; a missing stage counts as success.
    async fn delete_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError>;
    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError>;
}
