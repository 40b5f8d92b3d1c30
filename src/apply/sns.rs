//! Performs SNS steps: subscriptions of functions to topics.

use super::context::Context;
use super::error::ApplyError;
use crate::plan::SnsOp;

impl Context<'_> {
    pub(super) async fn sns(&self, op: &SnsOp) -> Result<(), ApplyError> {
        match op {
            SnsOp::Subscribe {
                topic,
                function_arn,
                filter,
                ..
            } => {
                let arn = self.resolve(function_arn).await?;
                self.cloud.subscribe(topic, &arn, filter.as_ref()).await?;
            }
            SnsOp::SetSubscriptionFilter {
                subscription,
                filter,
                ..
            } => {
                self.cloud
                    .set_subscription_filter(subscription, filter.as_ref())
                    .await?
            }
            SnsOp::Unsubscribe { subscription, .. } => self.cloud.unsubscribe(subscription).await?,
        }
        Ok(())
    }
}
