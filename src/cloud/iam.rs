//! IAM: execution roles, their trust policy, inline policies and attached managed
//! policies. See the parent module for the idempotency contract.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CloudError;
use crate::model::LiveRole;

/// A role as lade creates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRole {
    pub name: String,
    pub path: String,
    pub trust_policy: Value,
    pub tags: BTreeMap<String, String>,
}

/// A role found by name, whoever owns it. Used to tell "free" from "taken by someone else".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSummary {
    pub name: String,
    pub arn: String,
    pub path: String,
}

/// The IAM reads and writes lade needs.
#[async_trait]
pub trait IamApi: Send + Sync {
    // ---- reads: never mutate, "not found" is `Ok(None)` ----

    /// Every role under `path_prefix`, with its trust policy, inline policies (decoded
    /// and parsed) and attached managed policies.
    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError>;
    /// One role by name, whoever owns it.
    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError>;
    /// One role by name, read whole as [`list_roles`](IamApi::list_roles) reads each:
    /// for a role under lade's path that the listing did not show (it was created
    /// since, by another run, or the eventually consistent listing lags).
    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError>;
    /// Whether a role with exactly this ARN exists in the account (`GetRole` by the
    /// ARN's name, then the ARN it returns compared): for a function whose manifest
    /// gives its role by ARN.
    async fn role_exists(&self, arn: &str) -> Result<bool, CloudError>;
    /// Whether the managed policy exists (`GetPolicy`): an AWS managed policy or one
    /// of the account's own.
    async fn policy_exists(&self, arn: &str) -> Result<bool, CloudError>;

    // ---- writes ----

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
}
