//! S3 operations: lade's entries in a bucket's notification configuration.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::Ref;
use crate::model::NotificationSettings;

/// One entry lade writes in a bucket's `LambdaFunctionConfigurations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedNotification {
    pub id: String,
    /// The physical name of the function it invokes.
    pub function: String,
    pub function_arn: Ref,
    pub settings: NotificationSettings,
}

/// One S3 step. `PutBucketNotificationConfiguration` replaces a bucket's whole
/// configuration, so one step per bucket writes all of lade's entries on it (for this
/// project and stage) at once: two steps on one bucket would each read, change and
/// write, and the second could undo the first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum S3Op {
    /// Reads the bucket's configuration, replaces the entries whose id starts with
    /// `owned` by `entries`, and writes it back with everything else as it was read.
    PutBucketNotifications {
        bucket: String,
        /// The id prefix of this project's and stage's entries.
        owned: String,
        /// Every entry of lade's the bucket should have; none removes them all.
        entries: Vec<PlannedNotification>,
        /// The configuration's other entries as the plan read them (AWS CLI JSON),
        /// for `--explain`. Apply does not write these: it reads the configuration
        /// again right before the write and keeps what it finds then.
        kept: Value,
    },
}

impl S3Op {
    /// The functions whose invokers the step changes.
    pub fn changes_functions(&self) -> Vec<&str> {
        match self {
            S3Op::PutBucketNotifications { entries, .. } => {
                entries.iter().map(|e| e.function.as_str()).collect()
            }
        }
    }

    /// The AWS API operation the step ends with.
    pub fn api_call(&self) -> &'static str {
        match self {
            S3Op::PutBucketNotifications { .. } => "PutBucketNotificationConfiguration",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            S3Op::PutBucketNotifications {
                bucket, entries, ..
            } => match entries.len() {
                0 => {
                    format!("remove lade's notifications from bucket {bucket}, keeping the others")
                }
                1 => format!(
                    "write lade's notification on bucket {bucket} (to function {}), keeping the others",
                    entries[0].function
                ),
                n => {
                    format!("write lade's {n} notifications on bucket {bucket}, keeping the others")
                }
            },
        }
    }

    pub fn is_delete(&self) -> bool {
        match self {
            S3Op::PutBucketNotifications { entries, .. } => entries.is_empty(),
        }
    }
}
