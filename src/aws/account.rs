//! The account and region: STS's `GetCallerIdentity`, for `${account}` and ARNs.

use async_trait::async_trait;

use super::AwsCloud;
use crate::cloud::{AccountApi, CloudError};

#[async_trait]
impl AccountApi for AwsCloud {
    fn region(&self) -> Option<String> {
        self.region.clone()
    }

    async fn account_id(&self) -> Result<String, CloudError> {
        let identity = self
            .call("GetCallerIdentity", || {
                self.sts.get_caller_identity().send()
            })
            .await?;
        identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| CloudError::Service {
                operation: "GetCallerIdentity".into(),
                message: "STS answered without an account ID".into(),
            })
    }
}
