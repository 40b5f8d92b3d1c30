//! The AWS adapter: the only code in lade that touches the AWS SDK.
//!
//! [`AwsCloud`] implements [`Cloud`](crate::cloud::Cloud) over IAM, Lambda, API Gateway
//! (REST) and the Resource Groups Tagging API: each service's trait directly, in the
//! file named after the service (`iam.rs`, `lambda.rs` with the tagging API,
//! `apigateway.rs`, and `account.rs` for STS). It owns:
//!
//! - building clients from `aws-config` (credential chain, profiles, `AWS_REGION`,
//!   `AWS_ENDPOINT_URL`), with the SDK's standard retry (backoff and jitter) for
//!   throttling and transient faults;
//! - turning every SDK error into a [`CloudError`] that names the operation, AWS's
//!   error code and message, and what to do next (`error.rs`);
//! - AWS's eventual consistency: one bounded retry loop (`retry.rs`) for a new role
//!   that Lambda cannot assume yet and for updates still in progress, and the SDK
//!   waiters for `State=Active` and `LastUpdateStatus=Successful` (`lambda.rs`);
//! - API Gateway's small control-plane quotas: a throttled `DeleteRestApi` is retried
//!   with a long deadline (`apigateway.rs`);
//! - the idempotency of every write: "already exists here" and "already gone" are
//!   success, "exists but someone else's" is [`CloudError::NotOwned`]; the creates
//!   that a retry cannot deduplicate (`CreateRestApi`, `CreateResource`,
//!   `AddPermission`) are not retried blindly by the SDK after a lost answer: lade
//!   reads what AWS did first (`once.rs`);
//! - decoding IAM's URL-encoded policy documents (`document.rs`);
//! - counting every request per service and operation for `--stats`, with an SDK
//!   interceptor on every client (`stats.rs`).
//!
//! It does not decide what to change (that is `diff` and `plan`), order steps, read
//! manifests or print anything. It has no code path for the emulator: tests reach moto
//! through `AWS_ENDPOINT_URL` exactly as lade reaches AWS.

mod account;
mod apigateway;
mod document;
mod error;
mod event_sources;
mod function_urls;
mod iam;
mod lambda;
mod once;
mod retry;
mod stats;

pub use stats::{Report as StatsReport, Row as StatsRow, Stats};

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How many times the SDK tries one request when AWS throttles or has a transient
/// fault, with exponential backoff and jitter between tries (the SDK's standard retry
/// mode).
///
/// Not the adaptive mode: its client-side rate limiter is shared by every operation of
/// a service in the process, and it starts from the rate measured so far, which for a
/// CLI that has just started is close to nothing. So one throttled call (say
/// `CreateDeployment`, whose quota is one every few seconds) could slow every later
/// API Gateway call to one every two seconds. AWS's SDK guides call adaptive mode
/// experimental and meant for a client working against a single resource; lade bounds
/// its concurrency per service instead (`cloud::Limits`). Through the fault proxy
/// (tests/faults.rs, seeds 1–5 at 10–20%), the time spent waiting on AWS fell from
/// 4–37 s to 2–10 s per `apply` of examples/crud.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long the adapter waits for AWS's eventual consistency before giving up with
/// [`CloudError::Timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// Total time one retried call may take, e.g. `CreateFunction` while a new role
    /// propagates through IAM (usually seconds, occasionally much longer).
    pub retry_deadline: Duration,
    /// The pause after the first failed attempt; it doubles after each one.
    pub first_delay: Duration,
    /// The longest pause between two attempts.
    pub max_delay: Duration,
    /// The longest wait for a function to become `Active` or to finish an update.
    pub wait_limit: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            retry_deadline: Duration::from_secs(120),
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            wait_limit: Duration::from_secs(300),
        }
    }
}

/// The real [`Cloud`](crate::cloud::Cloud): IAM, Lambda, API Gateway and the tagging API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    apigateway: aws_sdk_apigateway::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    region: Option<String>,
    /// The SDK's attempt budget per request, reported when throttling outlasts it.
    max_attempts: u32,
    patience: Patience,
    /// Every request the clients send, counted by an interceptor (`stats.rs`).
    stats: Arc<Stats>,
}

impl AwsCloud {
    /// Clients built from `config` exactly as given (region, credentials, endpoint,
    /// retry settings).
    pub fn new(config: &SdkConfig) -> Self {
        Self::counting(config, Arc::default())
    }

    /// Clients built from `config` that count every request into `stats`.
    pub fn counting(config: &SdkConfig, stats: Arc<Stats>) -> Self {
        let counter = stats::Counter(stats.clone());
        AwsCloud {
            apigateway: aws_sdk_apigateway::Client::from_conf(
                aws_sdk_apigateway::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            lambda: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            tagging: aws_sdk_resourcegroupstagging::Client::from_conf(
                aws_sdk_resourcegroupstagging::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .interceptor(counter)
                    .build(),
            ),
            stats,
            region: config.region().map(|r| r.to_string()),
            max_attempts: config
                .retry_config()
                .map_or(1, |retry| retry.max_attempts()),
            patience: Patience::default(),
        }
    }

    /// Clients configured the standard way: the credential chain, profiles,
    /// `AWS_REGION`, `AWS_ENDPOINT_URL` and friends. `region`, when given (from the
    /// manifest), overrides the region those sources would choose. Throttled requests
    /// and transient faults are retried with backoff, up to [`MAX_ATTEMPTS`] tries.
    pub async fn from_env(region: Option<&str>) -> Self {
        Self::from_env_counting(region, Arc::default()).await
    }

    /// [`AwsCloud::from_env`], counting every request into `stats`.
    pub async fn from_env_counting(region: Option<&str>, stats: Arc<Stats>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_owned()));
        }
        Self::counting(&loader.load().await, stats)
    }

    /// The requests sent so far, by service and operation.
    pub fn stats(&self) -> StatsReport {
        self.stats.report()
    }

    /// The same clients with other deadlines for eventual consistency.
    pub fn with_patience(mut self, patience: Patience) -> Self {
        self.patience = patience;
        self
    }

    /// The region requests go to, if the configuration names one.
    pub fn region(&self) -> Option<String> {
        self.region.clone()
    }
}

#[cfg(test)]
mod tests;
