//! Performs S3 steps: lade's entries in a bucket's notification configuration.

use super::context::Context;
use super::error::ApplyError;
use crate::cloud::LambdaNotification;
use crate::plan::S3Op;

impl Context<'_> {
    pub(super) async fn s3(&self, op: &S3Op) -> Result<(), ApplyError> {
        match op {
            S3Op::PutBucketNotifications {
                bucket,
                owned,
                entries,
                ..
            } => {
                let mut resolved = Vec::with_capacity(entries.len());
                for entry in entries {
                    resolved.push(LambdaNotification {
                        id: entry.id.clone(),
                        function_arn: self.resolve(&entry.function_arn).await?,
                        settings: entry.settings.clone(),
                    });
                }
                self.cloud
                    .put_lambda_notifications(bucket, owned, &resolved)
                    .await?;
            }
        }
        Ok(())
    }
}
