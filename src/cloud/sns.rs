//! SNS subscriptions of functions to topics. Subscriptions carry no tags: one is
//! lade's when its endpoint is a function lade owns. See the parent module for the
//! idempotency contract.

use async_trait::async_trait;
use serde_json::Value;

use super::CloudError;

/// One subscription of a topic, as `ListSubscriptionsByTopic` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSubscription {
    /// Its ARN (or `PendingConfirmation`, for an endpoint that has not confirmed).
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
}

/// The SNS reads and writes lade needs.
#[async_trait]
pub trait SnsApi: Send + Sync {
    /// Every subscription of the topic (`ListSubscriptionsByTopic`, paginated), or
    /// `None` when there is no such topic.
    async fn topic_subscriptions(
        &self,
        topic: &str,
    ) -> Result<Option<Vec<TopicSubscription>>, CloudError>;

    /// The subscription's `FilterPolicy` (`GetSubscriptionAttributes`); `None` for
    /// none. A subscription gone meanwhile has none.
    async fn subscription_filter(&self, subscription: &str) -> Result<Option<Value>, CloudError>;

    /// Subscribes the function (protocol `lambda`) with the filter policy, and returns
    /// the subscription's ARN. `Subscribe` is idempotent: the same topic and endpoint
    /// give the same subscription, whose filter policy is then set as asked.
    async fn subscribe(
        &self,
        topic: &str,
        function_arn: &str,
        filter: Option<&Value>,
    ) -> Result<String, CloudError>;

    /// Sets the subscription's `FilterPolicy`, or removes it (`None`).
    async fn set_subscription_filter(
        &self,
        subscription: &str,
        filter: Option<&Value>,
    ) -> Result<(), CloudError>;

    /// Deletes the subscription; one already gone counts as success.
    async fn unsubscribe(&self, subscription: &str) -> Result<(), CloudError>;
}
