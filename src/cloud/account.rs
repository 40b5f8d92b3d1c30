//! What every call needs to know about where it goes: the region, and the account the
//! credentials belong to (STS). No service's resources are read or written here.

use async_trait::async_trait;

use super::CloudError;

/// The account and region lade works in.
#[async_trait]
pub trait AccountApi: Send + Sync {
    /// The region calls go to, if the configuration names one.
    fn region(&self) -> Option<String>;
    /// The account the credentials belong to (STS `GetCallerIdentity`).
    async fn account_id(&self) -> Result<String, CloudError>;
}
