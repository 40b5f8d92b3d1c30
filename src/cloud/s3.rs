//! S3 bucket notifications: the entries of a bucket's notification configuration that
//! invoke functions. The bucket is not lade's, and `PutBucketNotificationConfiguration`
//! replaces the whole configuration, so a write keeps every entry it does not own as
//! it finds it right before writing. See the parent module for the idempotency
//! contract.

use async_trait::async_trait;
use serde_json::Value;

use super::CloudError;
use crate::model::NotificationSettings;

/// One entry of a bucket's `LambdaFunctionConfigurations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaNotification {
    pub id: String,
    pub function_arn: String,
    pub settings: NotificationSettings,
}

/// A bucket's notification configuration as lade reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketNotifications {
    /// Every Lambda entry, whoever wrote it.
    pub lambda: Vec<LambdaNotification>,
    /// The rest of the configuration (queue, topic and EventBridge entries), in the
    /// AWS CLI's JSON form, for people.
    pub others: Value,
}

/// The S3 reads and writes lade needs.
#[async_trait]
pub trait S3Api: Send + Sync {
    /// The bucket's notification configuration (`GetBucketNotificationConfiguration`),
    /// or `None` when there is no such bucket.
    async fn bucket_notifications(
        &self,
        bucket: &str,
    ) -> Result<Option<BucketNotifications>, CloudError>;

    /// Reads the configuration again, replaces the Lambda entries whose id starts with
    /// `owned` by `entries`, and writes it back with every other entry (queues,
    /// topics, EventBridge, other Lambda entries) as it was read. S3 checks each
    /// destination as it writes: the functions' permissions must exist first.
    async fn put_lambda_notifications(
        &self,
        bucket: &str,
        owned: &str,
        entries: &[LambdaNotification],
    ) -> Result<(), CloudError>;
}
