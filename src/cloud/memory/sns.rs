//! The in-memory double's SNS topics, in [`Account::topics`](super::Account::topics),
//! with their subscriptions. Like SNS, `Subscribe` gives the same subscription for the
//! same topic and endpoint.

use async_trait::async_trait;
use serde_json::Value;

use super::{MemoryCloud, Operation};
use crate::cloud::{CloudError, SnsApi, TopicSubscription};

/// A subscription in the double.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemorySubscription {
    pub arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub filter: Option<Value>,
}

/// The SNS operations the double records.
#[derive(Debug, Clone, Copy)]
enum SnsCall {
    ListSubscriptionsByTopic,
    GetSubscriptionAttributes,
    Subscribe,
    SetSubscriptionAttributes,
    Unsubscribe,
}

impl Operation for SnsCall {
    fn is_read(self) -> bool {
        match self {
            SnsCall::ListSubscriptionsByTopic | SnsCall::GetSubscriptionAttributes => true,
            SnsCall::Subscribe | SnsCall::SetSubscriptionAttributes | SnsCall::Unsubscribe => false,
        }
    }
}

#[async_trait]
impl SnsApi for MemoryCloud {
    async fn topic_subscriptions(
        &self,
        topic: &str,
    ) -> Result<Option<Vec<TopicSubscription>>, CloudError> {
        self.record(SnsCall::ListSubscriptionsByTopic);
        let account = self.account.lock().unwrap();
        Ok(account.topics.get(topic).map(|subscriptions| {
            subscriptions
                .iter()
                .map(|s| TopicSubscription {
                    arn: s.arn.clone(),
                    protocol: s.protocol.clone(),
                    endpoint: s.endpoint.clone(),
                })
                .collect()
        }))
    }

    async fn subscription_filter(&self, subscription: &str) -> Result<Option<Value>, CloudError> {
        self.record(SnsCall::GetSubscriptionAttributes);
        let account = self.account.lock().unwrap();
        Ok(account
            .topics
            .values()
            .flatten()
            .find(|s| s.arn == subscription)
            .and_then(|s| s.filter.clone()))
    }

    async fn subscribe(
        &self,
        topic: &str,
        function_arn: &str,
        filter: Option<&Value>,
    ) -> Result<String, CloudError> {
        self.record(SnsCall::Subscribe);
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("sub-");
        let Some(subscriptions) = account.topics.get_mut(topic) else {
            return Err(CloudError::Service {
                operation: "Subscribe".into(),
                message: format!("NotFound: Topic does not exist: {topic}"),
            });
        };
        if let Some(found) = subscriptions
            .iter_mut()
            .find(|s| s.protocol == "lambda" && s.endpoint == function_arn)
        {
            found.filter = filter.cloned();
            return Ok(found.arn.clone());
        }
        let arn = format!("{topic}:{id}");
        subscriptions.push(MemorySubscription {
            arn: arn.clone(),
            protocol: "lambda".into(),
            endpoint: function_arn.to_string(),
            filter: filter.cloned(),
        });
        Ok(arn)
    }

    async fn set_subscription_filter(
        &self,
        subscription: &str,
        filter: Option<&Value>,
    ) -> Result<(), CloudError> {
        self.record(SnsCall::SetSubscriptionAttributes);
        let mut account = self.account.lock().unwrap();
        match account
            .topics
            .values_mut()
            .flatten()
            .find(|s| s.arn == subscription)
        {
            Some(found) => {
                found.filter = filter.cloned();
                Ok(())
            }
            None => Err(CloudError::Service {
                operation: "SetSubscriptionAttributes".into(),
                message: format!("NotFound: Subscription does not exist: {subscription}"),
            }),
        }
    }

    async fn unsubscribe(&self, subscription: &str) -> Result<(), CloudError> {
        self.record(SnsCall::Unsubscribe);
        let mut account = self.account.lock().unwrap();
        for subscriptions in account.topics.values_mut() {
            subscriptions.retain(|s| s.arn != subscription);
        }
        Ok(())
    }
}
