//! S3 bucket notifications. The bucket is not lade's, and
//! `PutBucketNotificationConfiguration` replaces its whole configuration: every write
//! reads the configuration right before it, keeps each entry lade does not own as the
//! SDK read it (queue, topic and EventBridge entries, and Lambda entries whose id does
//! not start with this project's and stage's prefix), and writes it back with lade's
//! entries replaced.
//!
//! **Concurrent writers.** S3 offers no precondition on this configuration (no ETag,
//! no version): a client that writes between lade's read and lade's write loses its
//! change, as it would with any other tool (the AWS CLI, Terraform's
//! `aws_s3_bucket_notification`). lade narrows the window to one round trip (it reads
//! right before it writes, not at plan time) and writes each bucket in one step, never
//! two at once. Tools that share a bucket should not write its configuration at the
//! same moment; docs/reliability.md says so.
//!
//! **Destinations.** S3 checks each destination as the configuration is written: a
//! function whose permission for `s3.amazonaws.com` is missing fails the write with
//! `InvalidArgument` ("Unable to validate the following destination
//! configurations"). The plan adds the permission first; the adapter retries that
//! answer for a short while (`Patience::not_found_grace`), since a permission added a
//! moment ago can take that long to be seen.

use async_trait::async_trait;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
    NotificationConfigurationFilter, S3KeyFilter,
};
use serde_json::{Map, Value, json};

use super::AwsCloud;
use super::retry::{Attempt, until_done};
use crate::cloud::{BucketNotifications, CloudError, LambdaNotification, S3Api};
use crate::model::NotificationSettings;

const NO_SUCH_BUCKET: &str = "NoSuchBucket";
/// S3's code for a destination it could not validate (and other bad arguments).
const INVALID_ARGUMENT: &str = "InvalidArgument";

fn invalid(message: String) -> CloudError {
    CloudError::Service {
        operation: "PutBucketNotificationConfiguration".to_string(),
        message,
    }
}

/// `prefix` and `suffix` from a filter (S3 answers `Prefix`/`Suffix`; names are
/// case-insensitive).
fn key_filter(
    filter: Option<&NotificationConfigurationFilter>,
) -> (Option<String>, Option<String>) {
    let mut prefix = None;
    let mut suffix = None;
    for rule in filter
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default()
    {
        let value = rule.value().map(str::to_owned);
        match rule
            .name()
            .map(|n| n.as_str().to_ascii_lowercase())
            .as_deref()
        {
            Some("prefix") => prefix = value,
            Some("suffix") => suffix = value,
            _ => {}
        }
    }
    (prefix, suffix)
}

/// A filter as the AWS CLI writes it, or `None` for none.
fn filter_json(filter: Option<&NotificationConfigurationFilter>) -> Option<Value> {
    let rules: Vec<Value> = filter?
        .key()?
        .filter_rules()
        .iter()
        .map(|r| {
            json!({"Name": r.name().map(|n| n.as_str()).unwrap_or_default(), "Value": r.value().unwrap_or_default()})
        })
        .collect();
    Some(json!({"Key": {"FilterRules": rules}}))
}

fn entry_json(
    id: Option<&str>,
    key: &str,
    arn: &str,
    events: &[Event],
    filter: Option<&NotificationConfigurationFilter>,
) -> Value {
    let mut entry = Map::new();
    if let Some(id) = id {
        entry.insert("Id".into(), json!(id));
    }
    entry.insert(key.into(), json!(arn));
    entry.insert(
        "Events".into(),
        json!(events.iter().map(Event::as_str).collect::<Vec<_>>()),
    );
    if let Some(filter) = filter_json(filter) {
        entry.insert("Filter".into(), filter);
    }
    Value::Object(entry)
}

/// The SDK entry lade writes.
fn lambda_entry(entry: &LambdaNotification) -> Result<LambdaFunctionConfiguration, CloudError> {
    let NotificationSettings {
        events,
        prefix,
        suffix,
    } = &entry.settings;
    let rules: Vec<FilterRule> = [
        (FilterRuleName::Prefix, prefix),
        (FilterRuleName::Suffix, suffix),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value
            .as_ref()
            .map(|v| FilterRule::builder().name(name).value(v).build())
    })
    .collect();
    let filter = (!rules.is_empty()).then(|| {
        NotificationConfigurationFilter::builder()
            .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
            .build()
    });
    LambdaFunctionConfiguration::builder()
        .id(&entry.id)
        .lambda_function_arn(&entry.function_arn)
        .set_events(Some(
            events.iter().map(|e| Event::from(e.as_str())).collect(),
        ))
        .set_filter(filter)
        .build()
        .map_err(|e| invalid(e.to_string()))
}

#[async_trait]
impl S3Api for AwsCloud {
    async fn bucket_notifications(
        &self,
        bucket: &str,
    ) -> Result<Option<BucketNotifications>, CloudError> {
        let read = self
            .call("GetBucketNotificationConfiguration", || {
                self.s3
                    .get_bucket_notification_configuration()
                    .bucket(bucket)
                    .send()
            })
            .await;
        let output = match read {
            Ok(output) => output,
            Err(error) if error.is(NO_SUCH_BUCKET) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let lambda = output
            .lambda_function_configurations()
            .iter()
            .map(|c| {
                let (prefix, suffix) = key_filter(c.filter());
                LambdaNotification {
                    id: c.id().unwrap_or_default().to_owned(),
                    function_arn: c.lambda_function_arn().to_owned(),
                    settings: NotificationSettings {
                        events: c.events().iter().map(|e| e.as_str().to_owned()).collect(),
                        prefix,
                        suffix,
                    },
                }
            })
            .collect();
        let mut others = Map::new();
        let queues: Vec<Value> = output
            .queue_configurations()
            .iter()
            .map(|q| entry_json(q.id(), "QueueArn", q.queue_arn(), q.events(), q.filter()))
            .collect();
        let topics: Vec<Value> = output
            .topic_configurations()
            .iter()
            .map(|t| entry_json(t.id(), "TopicArn", t.topic_arn(), t.events(), t.filter()))
            .collect();
        if !queues.is_empty() {
            others.insert("QueueConfigurations".into(), Value::Array(queues));
        }
        if !topics.is_empty() {
            others.insert("TopicConfigurations".into(), Value::Array(topics));
        }
        if output.event_bridge_configuration().is_some() {
            others.insert("EventBridgeConfiguration".into(), json!({}));
        }
        Ok(Some(BucketNotifications {
            lambda,
            others: Value::Object(others),
        }))
    }

    async fn put_lambda_notifications(
        &self,
        bucket: &str,
        owned: &str,
        entries: &[LambdaNotification],
    ) -> Result<(), CloudError> {
        let ours: Vec<LambdaFunctionConfiguration> =
            entries.iter().map(lambda_entry).collect::<Result<_, _>>()?;
        let waiting_for = format!("bucket {bucket} to accept lade's notifications");
        let started = std::time::Instant::now();
        let grace = self.patience.not_found_grace;
        until_done(&self.patience, &waiting_for, || {
            let ours = ours.clone();
            async move {
                // Read right before the write: what others wrote since the plan stays.
                let current = self
                    .call("GetBucketNotificationConfiguration", || {
                        self.s3
                            .get_bucket_notification_configuration()
                            .bucket(bucket)
                            .send()
                    })
                    .await?;
                let mut lambda: Vec<LambdaFunctionConfiguration> = current
                    .lambda_function_configurations()
                    .iter()
                    .filter(|c| !c.id().is_some_and(|id| id.starts_with(owned)))
                    .cloned()
                    .collect();
                lambda.extend(ours);
                let configuration = NotificationConfiguration::builder()
                    .set_lambda_function_configurations(Some(lambda))
                    .set_queue_configurations(Some(current.queue_configurations().to_vec()))
                    .set_topic_configurations(Some(current.topic_configurations().to_vec()))
                    .set_event_bridge_configuration(current.event_bridge_configuration().cloned())
                    .build();
                let put = self
                    .call("PutBucketNotificationConfiguration", || {
                        self.s3
                            .put_bucket_notification_configuration()
                            .bucket(bucket)
                            .notification_configuration(configuration.clone())
                            .send()
                    })
                    .await;
                match put {
                    Ok(_) => Ok(Attempt::Done(())),
                    // A permission added a moment ago, not yet seen by S3.
                    Err(error)
                        if error.is(INVALID_ARGUMENT)
                            && error.message.contains("Unable to validate")
                            && started.elapsed() < grace =>
                    {
                        Ok(Attempt::Again(error.to_string()))
                    }
                    Err(error) => Err(error.into()),
                }
            }
        })
        .await
    }
}
