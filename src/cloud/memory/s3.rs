//! The in-memory double's buckets, in [`Account::buckets`](super::Account::buckets):
//! each with its Lambda notification entries and the rest of its configuration. Like
//! S3, a write replaces the configuration, and checks each Lambda destination first:
//! the function must exist and let this bucket invoke it ("Unable to validate the
//! following destination configurations").

use async_trait::async_trait;
use serde_json::Value;

use super::{MemoryCloud, Operation};
use crate::cloud::{BucketNotifications, CloudError, LambdaNotification, S3Api};

/// A bucket in the double.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryBucket {
    pub lambda: Vec<LambdaNotification>,
    /// Queue, topic and EventBridge entries, as the AWS CLI writes them.
    pub others: Value,
}

/// The S3 operations the double records.
#[derive(Debug, Clone, Copy)]
enum S3Call {
    GetBucketNotificationConfiguration,
    PutBucketNotificationConfiguration,
}

impl Operation for S3Call {
    fn is_read(self) -> bool {
        match self {
            S3Call::GetBucketNotificationConfiguration => true,
            S3Call::PutBucketNotificationConfiguration => false,
        }
    }
}

#[async_trait]
impl S3Api for MemoryCloud {
    async fn bucket_notifications(
        &self,
        bucket: &str,
    ) -> Result<Option<BucketNotifications>, CloudError> {
        self.record(S3Call::GetBucketNotificationConfiguration);
        let account = self.account.lock().unwrap();
        Ok(account.buckets.get(bucket).map(|b| BucketNotifications {
            lambda: b.lambda.clone(),
            others: b.others.clone(),
        }))
    }

    async fn put_lambda_notifications(
        &self,
        bucket: &str,
        owned: &str,
        entries: &[LambdaNotification],
    ) -> Result<(), CloudError> {
        // The adapter reads right before it writes.
        self.record(S3Call::GetBucketNotificationConfiguration);
        self.record(S3Call::PutBucketNotificationConfiguration);
        let mut account = self.account.lock().unwrap();
        let bucket_arn = format!("arn:aws:s3:::{bucket}");
        for entry in entries {
            let function = crate::arn::function_of(&entry.function_arn).unwrap_or_default();
            let allowed = account.functions.contains_key(function)
                && account.permissions.get(function).is_some_and(|statements| {
                    statements.iter().any(|p| {
                        p.principal == crate::arn::S3_PRINCIPAL
                            && p.source_arn.as_deref() == Some(bucket_arn.as_str())
                    })
                });
            if !allowed {
                return Err(CloudError::Refused {
                    operation: "PutBucketNotificationConfiguration".into(),
                    message: format!(
                        "Unable to validate the following destination configurations ({})",
                        entry.function_arn
                    ),
                });
            }
        }
        let Some(found) = account.buckets.get_mut(bucket) else {
            return Err(CloudError::Service {
                operation: "PutBucketNotificationConfiguration".into(),
                message: format!("NoSuchBucket: {bucket}"),
            });
        };
        found.lambda.retain(|e| !e.id.starts_with(owned));
        found.lambda.extend(entries.iter().cloned());
        Ok(())
    }
}
