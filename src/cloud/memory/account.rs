//! The in-memory double's region and account.

use async_trait::async_trait;

use super::{ACCOUNT, MemoryCloud, Operation};
use crate::cloud::{AccountApi, CloudError};

/// The account operations the double records.
#[derive(Debug, Clone, Copy)]
enum AccountCall {
    GetCallerIdentity,
}

impl Operation for AccountCall {
    fn is_read(self) -> bool {
        match self {
            AccountCall::GetCallerIdentity => true,
        }
    }
}

#[async_trait]
impl AccountApi for MemoryCloud {
    fn region(&self) -> Option<String> {
        Some("us-east-1".into())
    }

    async fn account_id(&self) -> Result<String, CloudError> {
        self.record(AccountCall::GetCallerIdentity);
        Ok(ACCOUNT.to_string())
    }
}
