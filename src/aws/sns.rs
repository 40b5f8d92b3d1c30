//! SNS subscriptions of functions to topics (protocol `lambda`).
//!
//! `Subscribe` is idempotent: the same topic, protocol and endpoint give back the
//! existing subscription. With other attributes than the existing one's, SNS refuses
//! it ("Subscription already exists with different attributes"); the adapter then
//! finds the subscription and sets its filter policy. A Lambda endpoint needs no
//! confirmation, so `ReturnSubscriptionArn` gives the subscription's ARN at once.
//! A filter policy is removed by setting it to the empty string, as Terraform does.

use async_trait::async_trait;
use serde_json::Value;

use super::AwsCloud;
use crate::cloud::{CloudError, SnsApi, TopicSubscription};

const NOT_FOUND: &str = "NotFound";
const INVALID_PARAMETER: &str = "InvalidParameter";
const FILTER_POLICY: &str = "FilterPolicy";

#[async_trait]
impl SnsApi for AwsCloud {
    async fn topic_subscriptions(
        &self,
        topic: &str,
    ) -> Result<Option<Vec<TopicSubscription>>, CloudError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .call("ListSubscriptionsByTopic", || {
                    self.sns
                        .list_subscriptions_by_topic()
                        .topic_arn(topic)
                        .set_next_token(token.clone())
                        .send()
                })
                .await;
            let page = match page {
                Ok(page) => page,
                Err(error) if error.is(NOT_FOUND) => return Ok(None),
                Err(error) => return Err(error.into()),
            };
            found.extend(page.subscriptions().iter().map(|s| TopicSubscription {
                arn: s.subscription_arn().unwrap_or_default().to_owned(),
                protocol: s.protocol().unwrap_or_default().to_owned(),
                endpoint: s.endpoint().unwrap_or_default().to_owned(),
            }));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(Some(found))
    }

    async fn subscription_filter(&self, subscription: &str) -> Result<Option<Value>, CloudError> {
        let read = self
            .call("GetSubscriptionAttributes", || {
                self.sns
                    .get_subscription_attributes()
                    .subscription_arn(subscription)
                    .send()
            })
            .await;
        let output = match read {
            Ok(output) => output,
            Err(error) if error.is(NOT_FOUND) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        Ok(output
            .attributes()
            .and_then(|a| a.get(FILTER_POLICY))
            .filter(|p| !p.is_empty())
            .and_then(|p| serde_json::from_str(p).ok()))
    }

    async fn subscribe(
        &self,
        topic: &str,
        function_arn: &str,
        filter: Option<&Value>,
    ) -> Result<String, CloudError> {
        let policy = filter.map(Value::to_string);
        let subscribed = self
            .call("Subscribe", || {
                let request = self
                    .sns
                    .subscribe()
                    .topic_arn(topic)
                    .protocol("lambda")
                    .endpoint(function_arn)
                    .return_subscription_arn(true);
                match &policy {
                    Some(policy) => request.attributes(FILTER_POLICY, policy),
                    None => request,
                }
                .send()
            })
            .await;
        match subscribed {
            Ok(output) => Ok(output.subscription_arn().unwrap_or_default().to_owned()),
            Err(error)
                if error.is(INVALID_PARAMETER) && error.message.contains("already exists") =>
            {
                let existing = self
                    .topic_subscriptions(topic)
                    .await?
                    .unwrap_or_default()
                    .into_iter()
                    .find(|s| s.protocol == "lambda" && s.endpoint == function_arn)
                    .ok_or(CloudError::from(error))?;
                self.set_subscription_filter(&existing.arn, filter).await?;
                Ok(existing.arn)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn set_subscription_filter(
        &self,
        subscription: &str,
        filter: Option<&Value>,
    ) -> Result<(), CloudError> {
        let policy = filter.map(Value::to_string).unwrap_or_default();
        self.call("SetSubscriptionAttributes", || {
            self.sns
                .set_subscription_attributes()
                .subscription_arn(subscription)
                .attribute_name(FILTER_POLICY)
                .attribute_value(&policy)
                .send()
        })
        .await?;
        Ok(())
    }

    async fn unsubscribe(&self, subscription: &str) -> Result<(), CloudError> {
        let done = self
            .call("Unsubscribe", || {
                self.sns.unsubscribe().subscription_arn(subscription).send()
            })
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}
