//! The narrow interface between lade's engine and AWS.
//!
//! `live` reads and `apply` writes only through [`Cloud`]. The real implementation,
//! `aws::AwsCloud`, is the only code that touches the SDK: it owns clients, error
//! classification, retries and waiters. Tests of the engine use an in-memory double.
//!
//! Every mutating method is idempotent from the caller's point of view: creating what
//! already exists in the wanted place, or deleting what is already gone, succeeds.
//! Each method that changes a Lambda function returns only once the function is ready
//! for the next call (`State=Active`, `LastUpdateStatus=Successful`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    ApiSettings, Architecture, Authorization, LiveApi, LiveDeployment, LiveFunction, LiveResource,
    LiveRole, LiveStage, Permission,
};

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
    #[error("{0}")]
    NotOwned(String),
    /// Any other error, with the service's code and message.
    #[error("{operation}: {message}")]
    Service { operation: String, message: String },
}

/// A role as lade creates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    pub name: String,
    pub path: String,
    pub trust_policy: Value,
    pub tags: BTreeMap<String, String>,
}

/// The configuration fields of a function that `UpdateFunctionConfiguration` sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionConfig {
    pub handler: String,
    pub runtime: String,
    pub role_arn: String,
    pub memory: i32,
    pub timeout: i32,
    pub environment: BTreeMap<String, String>,
    pub description: String,
}

/// A function as lade creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFunction {
    pub name: String,
    pub config: FunctionConfig,
    pub architecture: Architecture,
    pub zip: Arc<Vec<u8>>,
    pub tags: BTreeMap<String, String>,
}

/// A role found by name, whoever owns it. Used to tell "free" from "taken by someone else".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSummary {
    pub name: String,
    pub arn: String,
    pub path: String,
}

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

/// Reads and writes lade needs. See the module docs for the idempotency contract.
#[async_trait]
pub trait Cloud: Send + Sync {
    /// The region calls go to, if the configuration names one.
    fn region(&self) -> Option<String>;
    /// The account the credentials belong to (STS `GetCallerIdentity`).
    async fn account_id(&self) -> Result<String, CloudError>;

    // ---- reads: never mutate, "not found" is `Ok(None)` ----

    /// Every role under `path_prefix`, with its trust policy, inline policies (decoded
    /// and parsed) and attached managed policies.
    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError>;
    /// One role by name, whoever owns it.
    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError>;
    /// One role by name, read whole as [`list_roles`](Cloud::list_roles) reads each:
    /// for a role under lade's path that the listing did not show (it was created
    /// since, by another run, or the eventually consistent listing lags).
    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError>;
    /// The functions tagged with every one of `tags`, by name, each with all its tags
    /// (one tagging-API `GetResources`, paginated). The tagging index is eventually
    /// consistent: a function tagged moments ago may be missing, and one deleted
    /// moments ago may still be listed.
    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError>;
    /// The account's functions with their configuration and code hash but **without
    /// tags** (`tags` left empty), read with `ListFunctions` 50 to a page. Paging stops
    /// after the page on which the last of `wanted` was seen, so the answer may hold
    /// other functions too, and holds every function of `wanted` that exists. An empty
    /// `wanted` makes no request.
    async fn list_functions(
        &self,
        wanted: &BTreeSet<String>,
    ) -> Result<Vec<LiveFunction>, CloudError>;
    /// One function by name with its configuration, code hash and tags, whoever owns it.
    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError>;

    // ---- IAM writes ----

    /// Creates the role and returns its ARN. An existing role with the same name and
    /// path counts as success.
    async fn create_role(&self, role: &NewRole) -> Result<String, CloudError>;
    async fn update_trust_policy(&self, role: &str, document: &Value) -> Result<(), CloudError>;
    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> Result<(), CloudError>;
    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), CloudError>;
    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError>;
    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError>;
    /// Deletes the role. The caller has already removed its policies.
    async fn delete_role(&self, role: &str) -> Result<(), CloudError>;

    // ---- Lambda writes ----

    /// Creates the function, retrying while a new role propagates, and waits for
    /// `State=Active`. Returns its ARN. An existing function with the same name and
    /// ownership tags counts as success.
    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError>;
    /// Sets the configuration, then waits for `LastUpdateStatus=Successful`.
    async fn update_function_configuration(
        &self,
        name: &str,
        config: &FunctionConfig,
    ) -> Result<(), CloudError>;
    /// Uploads new code, then waits for `LastUpdateStatus=Successful`.
    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError>;
    async fn tag_function(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError>;
    async fn untag_function(&self, arn: &str, keys: &[String]) -> Result<(), CloudError>;
    async fn delete_function(&self, name: &str) -> Result<(), CloudError>;

    // ---- API Gateway (REST) reads ----

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
    /// Every deployment, newest first.
    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError>;
    /// The statements of a function's resource policy; none when it has no policy.
    async fn get_function_permissions(&self, function: &str)
    -> Result<Vec<Permission>, CloudError>;

    // ---- API Gateway (REST) writes ----

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
    /// Lets API Gateway invoke `function` from `source_arn`, as statement
    /// `statement_id`. A statement with that id already there counts as success.
    async fn add_permission(
        &self,
        function: &str,
        statement_id: &str,
        source_arn: &str,
    ) -> Result<(), CloudError>;
    async fn remove_permission(&self, function: &str, statement_id: &str)
    -> Result<(), CloudError>;
    /// Deploys the API's current routes and points `stage` at the new deployment,
    /// creating the stage if needed. Returns the deployment's ID.
    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        description: &str,
    ) -> Result<String, CloudError>;
    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError>;
}

pub mod limits;
pub mod memory;

pub use limits::Limits;
