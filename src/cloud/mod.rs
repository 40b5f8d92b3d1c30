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

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Architecture, LiveFunction, LiveRole};

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

/// Reads and writes lade needs. See the module docs for the idempotency contract.
#[async_trait]
pub trait Cloud: Send + Sync {
    // ---- reads: never mutate, "not found" is `Ok(None)` ----

    /// Every role under `path_prefix`, with its trust policy, inline policies (decoded
    /// and parsed) and attached managed policies.
    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError>;
    /// One role by name, whoever owns it.
    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError>;
    /// Names of the functions tagged with every one of `tags`.
    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError>;
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
}

pub mod memory;
