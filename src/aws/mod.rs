//! The AWS adapter: the only code in lade that touches the AWS SDK.
//!
//! [`AwsCloud`] implements [`Cloud`] over IAM, Lambda, API Gateway (REST) and the
//! Resource Groups Tagging API. It owns:
//!
//! - building clients from `aws-config` (credential chain, profiles, `AWS_REGION`,
//!   `AWS_ENDPOINT_URL`), with the SDK's standard retry (backoff and jitter) for
//!   throttling and transient faults;
//! - turning every SDK error into a [`CloudError`] that names the operation, AWS's
//!   error code and message, and what to do next (`error.rs`);
//! - AWS's eventual consistency: one bounded retry loop (`retry.rs`) for a new role
//!   that Lambda cannot assume yet and for updates still in progress, and the SDK
//!   waiters for `State=Active` and `LastUpdateStatus=Successful` (`lambda.rs`);
//! - API Gateway's small control-plane quotas: a throttled `DeleteRestApi` is retried
//!   with a long deadline (`apigateway.rs`);
//! - the idempotency of every write: "already exists here" and "already gone" are
//!   success, "exists but someone else's" is [`CloudError::NotOwned`]; the creates
//!   that a retry cannot deduplicate (`CreateRestApi`, `CreateResource`,
//!   `AddPermission`) are not retried blindly by the SDK after a lost answer: lade
//!   reads what AWS did first (`once.rs`);
//! - decoding IAM's URL-encoded policy documents (`document.rs`);
//! - counting every request per service and operation for `--stats`, with an SDK
//!   interceptor on every client (`stats.rs`).
//!
//! It does not decide what to change (that is `diff` and `plan`), order steps, read
//! manifests or print anything. It has no code path for the emulator: tests reach moto
//! through `AWS_ENDPOINT_URL` exactly as lade reaches AWS.

mod apigateway;
mod document;
mod error;
mod iam;
mod lambda;
mod once;
mod retry;
mod stats;

pub use stats::{Report as StatsReport, Row as StatsRow, Stats};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde_json::Value;

use crate::cloud::{
    Cloud, CloudError, CreatedApi, FunctionConfig, MethodSettings, NewApi, NewFunction, NewRole,
    RoleSummary,
};
use crate::model::{
    ApiSettings, Architecture, LiveApi, LiveDeployment, LiveFunction, LiveResource, LiveRole,
    LiveStage, Permission,
};

/// How many times the SDK tries one request when AWS throttles or has a transient
/// fault, with exponential backoff and jitter between tries (the SDK's standard retry
/// mode).
///
/// Not the adaptive mode: its client-side rate limiter is shared by every operation of
/// a service in the process, and it starts from the rate measured so far, which for a
/// CLI that has just started is close to nothing. So one throttled call (say
/// `CreateDeployment`, whose quota is one every few seconds) could slow every later
/// API Gateway call to one every two seconds. AWS's SDK guides call adaptive mode
/// experimental and meant for a client working against a single resource; lade bounds
/// its concurrency per service instead (`cloud::Limits`). Through the fault proxy
/// (tests/faults.rs, seeds 1–5 at 10–20%), the time spent waiting on AWS fell from
/// 4–37 s to 2–10 s per `apply` of examples/crud.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long the adapter waits for AWS's eventual consistency before giving up with
/// [`CloudError::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// Total time one retried call may take, e.g. `CreateFunction` while a new role
    /// propagates through IAM (usually seconds, occasionally much longer).
    pub retry_deadline: Duration,
    /// The pause after the first failed attempt; it doubles after each one.
    pub first_delay: Duration,
    /// The longest pause between two attempts.
    pub max_delay: Duration,
    /// The longest wait for a function to become `Active` or to finish an update.
    pub wait_limit: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            retry_deadline: Duration::from_secs(120),
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            wait_limit: Duration::from_secs(300),
        }
    }
}

/// The real [`Cloud`]: IAM, Lambda, API Gateway and the tagging API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    apigateway: aws_sdk_apigateway::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    region: Option<String>,
    /// The SDK's attempt budget per request, reported when throttling outlasts it.
    max_attempts: u32,
    patience: Patience,
    /// Every request the clients send, counted by an interceptor (`stats.rs`).
    stats: Arc<Stats>,
}

impl AwsCloud {
    /// Clients built from `config` exactly as given (region, credentials, endpoint,
    /// retry settings).
    pub fn new(config: &SdkConfig) -> Self {
        Self::counting(config, Arc::default())
    }

    /// Clients built from `config` that count every request into `stats`.
    pub fn counting(config: &SdkConfig, stats: Arc<Stats>) -> Self {
        let counter = stats::Counter(stats.clone());
        AwsCloud {
            apigateway: aws_sdk_apigateway::Client::from_conf(
                aws_sdk_apigateway::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            lambda: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            tagging: aws_sdk_resourcegroupstagging::Client::from_conf(
                aws_sdk_resourcegroupstagging::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .interceptor(counter)
                    .build(),
            ),
            stats,
            region: config.region().map(|r| r.to_string()),
            max_attempts: config
                .retry_config()
                .map_or(1, |retry| retry.max_attempts()),
            patience: Patience::default(),
        }
    }

    /// Clients configured the standard way: the credential chain, profiles,
    /// `AWS_REGION`, `AWS_ENDPOINT_URL` and friends. `region`, when given (from the
    /// manifest), overrides the region those sources would choose. Throttled requests
    /// and transient faults are retried with backoff, up to [`MAX_ATTEMPTS`] tries.
    pub async fn from_env(region: Option<&str>) -> Self {
        Self::from_env_counting(region, Arc::default()).await
    }

    /// [`AwsCloud::from_env`], counting every request into `stats`.
    pub async fn from_env_counting(region: Option<&str>, stats: Arc<Stats>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_owned()));
        }
        Self::counting(&loader.load().await, stats)
    }

    /// The requests sent so far, by service and operation.
    pub fn stats(&self) -> StatsReport {
        self.stats.report()
    }

    /// The same clients with other deadlines for eventual consistency.
    pub fn with_patience(mut self, patience: Patience) -> Self {
        self.patience = patience;
        self
    }

    /// The region requests go to, if the configuration names one.
    pub fn region(&self) -> Option<String> {
        self.region.clone()
    }
}

#[async_trait]
impl Cloud for AwsCloud {
    fn region(&self) -> Option<String> {
        self.region.clone()
    }

    async fn account_id(&self) -> Result<String, CloudError> {
        let identity = self
            .call("GetCallerIdentity", self.sts.get_caller_identity().send())
            .await?;
        identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| CloudError::Service {
                operation: "GetCallerIdentity".into(),
                message: "STS answered without an account ID".into(),
            })
    }

    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError> {
        iam::list_roles(self, path_prefix).await
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError> {
        iam::get_role(self, name).await
    }

    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError> {
        iam::read_role_named(self, name).await
    }

    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
        lambda::find_functions(self, tags).await
    }

    async fn list_functions(
        &self,
        wanted: &BTreeSet<String>,
    ) -> Result<Vec<LiveFunction>, CloudError> {
        lambda::list_functions(self, wanted).await
    }

    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError> {
        lambda::get_function(self, name).await
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, CloudError> {
        iam::create_role(self, role).await
    }

    async fn update_trust_policy(&self, role: &str, document: &Value) -> Result<(), CloudError> {
        iam::update_trust_policy(self, role, document).await
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> Result<(), CloudError> {
        iam::put_role_policy(self, role, policy, document).await
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), CloudError> {
        iam::delete_role_policy(self, role, policy).await
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        iam::attach_role_policy(self, role, policy_arn).await
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        iam::detach_role_policy(self, role, policy_arn).await
    }

    async fn delete_role(&self, role: &str) -> Result<(), CloudError> {
        iam::delete_role(self, role).await
    }

    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError> {
        lambda::create_function(self, function).await
    }

    async fn update_function_configuration(
        &self,
        name: &str,
        config: &FunctionConfig,
    ) -> Result<(), CloudError> {
        lambda::update_function_configuration(self, name, config).await
    }

    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError> {
        lambda::update_function_code(self, name, zip, architecture).await
    }

    async fn tag_function(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        lambda::tag_function(self, arn, tags).await
    }

    async fn untag_function(&self, arn: &str, keys: &[String]) -> Result<(), CloudError> {
        lambda::untag_function(self, arn, keys).await
    }

    async fn delete_function(&self, name: &str) -> Result<(), CloudError> {
        lambda::delete_function(self, name).await
    }

    async fn find_rest_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveApi>, CloudError> {
        apigateway::find_rest_apis(self, tags).await
    }

    async fn get_api_resources(&self, api_id: &str) -> Result<Vec<LiveResource>, CloudError> {
        apigateway::get_api_resources(self, api_id).await
    }

    async fn get_stage(&self, api_id: &str, stage: &str) -> Result<Option<LiveStage>, CloudError> {
        apigateway::get_stage(self, api_id, stage).await
    }

    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError> {
        apigateway::get_deployments(self, api_id).await
    }

    async fn get_function_permissions(
        &self,
        function: &str,
    ) -> Result<Vec<Permission>, CloudError> {
        lambda::get_function_permissions(self, function).await
    }

    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError> {
        apigateway::create_rest_api(self, api).await
    }

    async fn update_rest_api(
        &self,
        api_id: &str,
        from: &ApiSettings,
        to: &ApiSettings,
    ) -> Result<(), CloudError> {
        apigateway::update_rest_api(self, api_id, from, to).await
    }

    async fn delete_rest_api(&self, api_id: &str) -> Result<(), CloudError> {
        apigateway::delete_rest_api(self, api_id).await
    }

    async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<String, CloudError> {
        apigateway::create_resource(self, api_id, parent_id, path_part).await
    }

    async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), CloudError> {
        apigateway::delete_resource(self, api_id, resource_id).await
    }

    async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        method: &MethodSettings,
    ) -> Result<(), CloudError> {
        apigateway::put_method(self, api_id, resource_id, method).await
    }

    async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), CloudError> {
        apigateway::delete_method(self, api_id, resource_id, http_method).await
    }

    async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        uri: &str,
    ) -> Result<(), CloudError> {
        apigateway::put_integration(self, api_id, resource_id, http_method, uri).await
    }

    async fn add_permission(
        &self,
        function: &str,
        statement_id: &str,
        source_arn: &str,
    ) -> Result<(), CloudError> {
        lambda::add_permission(self, function, statement_id, source_arn).await
    }

    async fn remove_permission(
        &self,
        function: &str,
        statement_id: &str,
    ) -> Result<(), CloudError> {
        lambda::remove_permission(self, function, statement_id).await
    }

    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        description: &str,
    ) -> Result<String, CloudError> {
        apigateway::create_deployment(self, api_id, stage, description).await
    }

    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError> {
        apigateway::delete_deployment(self, api_id, deployment_id).await
    }
}

#[cfg(test)]
mod tests;
