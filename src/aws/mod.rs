//! The AWS adapter: the only code in lade that touches the AWS SDK.
//!
//! [`AwsCloud`] implements [`Cloud`](crate::cloud::Cloud) over IAM, Lambda, API Gateway
//! (REST, and v2 for HTTP APIs: `http_api.rs`), EventBridge and the Resource Groups Tagging API: each service's trait
//! directly, in the file named after the service (`iam.rs`, `lambda.rs` with the
//! tagging API, `apigateway.rs`, `event_sources.rs`, `events.rs`, and `account.rs` for
//! STS). It owns:
//!
//! - building clients from `aws-config` (credential chain, profiles, `AWS_REGION`,
//!   `AWS_ENDPOINT_URL`), with the SDK's standard retry (backoff and jitter) for
//!   throttling and transient faults;
//! - turning every SDK error into a [`CloudError`] that names the operation, AWS's
//!   error code and message, and what to do next (`error.rs`);
//! - AWS's eventual consistency: one bounded retry loop (`retry.rs`) for a new role
//!   that Lambda cannot assume yet (for [`Patience::role_propagation`], 5 minutes by
//!   default, as Terraform waits) and for updates still in progress; a steady poll of
//!   `GetFunction` for `State=Active` and `LastUpdateStatus=Successful`, tolerating a
//!   function that is briefly not found right after its creation (`lambda.rs`); and
//!   IAM policy writes waited for until they read back (`iam.rs`);
//! - AWS's control-plane quotas, which are rates: every request is paced at its
//!   service's and operation's published rate (`pace.rs`), and a request still
//!   throttled after the SDK's retries is sent again until
//!   [`Patience::throttle_deadline`] (`AwsCloud::call`, `error.rs`);
//! - a timeout on every attempt ([`Timeouts`]): tens of seconds for control-plane
//!   calls, minutes for code uploads, so a stalled connection ends in a retry or a
//!   clear error, never a hang;
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
mod events;
mod function_urls;
mod http_api;
mod iam;
mod lambda;
mod once;
mod pace;
mod retry;
mod s3;
mod sns;
mod stats;

pub use stats::{Report as StatsReport, Row as StatsRow, Stats};

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::cloud::{PerService, Rates};

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

/// How long the adapter waits for AWS's eventual consistency and quotas before giving
/// up with [`CloudError::Timeout`](crate::cloud::CloudError::Timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// Total time one retried call may take while AWS finishes something else, e.g. an
    /// update of the function still in progress.
    pub retry_deadline: Duration,
    /// How long `CreateFunction` and `UpdateFunctionConfiguration` are retried while
    /// Lambda answers that the role "cannot be assumed" or "does not have
    /// permissions": a new role or policy propagating through IAM, usually seconds,
    /// occasionally minutes. Terraform waits 5 minutes; so does lade by default
    /// (`--role-propagation-timeout`).
    pub role_propagation: Duration,
    /// How long a throttled request is sent again after the SDK's own retries ran
    /// out: several pipelines sharing an account share its quotas
    /// (`--throttle-timeout`).
    pub throttle_deadline: Duration,
    /// The pause after the first failed attempt; it doubles after each one.
    pub first_delay: Duration,
    /// The longest pause between two attempts.
    pub max_delay: Duration,
    /// The longest wait for a function to become `Active` or to finish an update.
    pub wait_limit: Duration,
    /// The pause between two polls of a function's state: steady, well within
    /// `GetFunction`'s quota of 100 per second.
    pub poll_interval: Duration,
    /// How long a function just created may still be "not found" (Lambda's
    /// `ResourceNotFoundException`) by the wait for it and by `AddPermission`.
    pub not_found_grace: Duration,
    /// How long an IAM policy write is waited for to read back; past it, lade goes on
    /// (the write succeeded) and says so under `-v`.
    pub read_back: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            retry_deadline: Duration::from_secs(120),
            role_propagation: DEFAULT_ROLE_PROPAGATION,
            throttle_deadline: Duration::from_secs(300),
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            wait_limit: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            not_found_grace: Duration::from_secs(30),
            read_back: Duration::from_secs(30),
        }
    }
}

/// The default of [`Patience::role_propagation`]: 5 minutes, as Terraform's.
pub const DEFAULT_ROLE_PROPAGATION: Duration = Duration::from_secs(300);

/// Timeouts on every request. An attempt that has not answered by its timeout is
/// abandoned and retried by the SDK like a lost connection (or, for the creates that
/// cannot be retried blindly, read back first: `once.rs`), so a stalled connection
/// ends in a retry or a clear error, never a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One attempt of a control-plane call (`--request-timeout`).
    pub attempt: Duration,
    /// One attempt of a call that uploads a zip (`CreateFunction`,
    /// `UpdateFunctionCode`): up to 50 MB, base64-encoded, over a slow uplink.
    pub upload: Duration,
    /// Setting up a connection (TCP and TLS).
    pub connect: Duration,
}

/// The default of [`Timeouts::attempt`]: AWS answers control-plane calls in well
/// under a second, and even slow ones (a `CreateRestApi`) in a few.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            upload: Duration::from_secs(600),
            connect: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    /// For control-plane calls: the attempt and connect timeouts. No read timeout:
    /// the attempt timeout already bounds a silent peer, and a read timeout would
    /// also fire while a large upload is still being written.
    fn control_plane(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .build()
    }

    /// For uploads: the upload timeout, or the attempt timeout if that is longer.
    fn uploads(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.upload.max(self.attempt))
            .build()
    }
}

/// How the adapter is set up, beyond the SDK's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    pub patience: Patience,
    pub timeouts: Timeouts,
    /// The request rates to pace at, per service (`cloud::Limits::rates`).
    pub rates: Option<PerService<Rates>>,
}

/// The real [`Cloud`](crate::cloud::Cloud): IAM, Lambda, API Gateway and the tagging API through the AWS SDK.
#[derive(Debug, Clone)]
pub struct AwsCloud {
    apigateway: aws_sdk_apigateway::Client,
    apigatewayv2: aws_sdk_apigatewayv2::Client,
    events: aws_sdk_eventbridge::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    s3: aws_sdk_s3::Client,
    sns: aws_sdk_sns::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    region: Option<String>,
    /// The SDK's attempt budget per request, reported when throttling outlasts it.
    max_attempts: u32,
    patience: Patience,
    timeouts: Timeouts,
    /// The buckets every request is paced through (`pace.rs`), shared by clones.
    pacer: Arc<pace::Pacer>,
    /// Every request the clients send, counted by an interceptor (`stats.rs`).
    stats: Arc<Stats>,
}

impl AwsCloud {
    /// Clients built from `config` exactly as given (region, credentials, endpoint,
    /// retry settings, timeouts), without pacing.
    pub fn new(config: &SdkConfig) -> Self {
        Self::counting(config, Arc::default())
    }

    /// Clients built from `config` that count every request into `stats`, without
    /// pacing.
    pub fn counting(config: &SdkConfig, stats: Arc<Stats>) -> Self {
        let counter = stats::Counter(stats.clone());
        AwsCloud {
            apigateway: aws_sdk_apigateway::Client::from_conf(
                aws_sdk_apigateway::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            apigatewayv2: aws_sdk_apigatewayv2::Client::from_conf(
                aws_sdk_apigatewayv2::config::Builder::from(config)
                    .interceptor(counter.clone())
                    .build(),
            ),
            events: aws_sdk_eventbridge::Client::from_conf(
                aws_sdk_eventbridge::config::Builder::from(config)
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
            // Path-style addresses when an endpoint is configured (an S3-compatible
            // store, an emulator, a proxy): such endpoints do not resolve bucket
            // subdomains. AWS's own endpoints get virtual-hosted addresses.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some())
                    .interceptor(counter.clone())
                    .build(),
            ),
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(config)
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
            timeouts: Timeouts::default(),
            pacer: Arc::new(pace::Pacer::unpaced()),
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
        Self::from_env_with(region, stats, &Settings::default()).await
    }

    /// [`AwsCloud::from_env_counting`] with `settings`: deadlines, timeouts, and the
    /// rates to pace at (AWS's quotas when `settings.rates` is `None`).
    pub async fn from_env_with(
        region: Option<&str>,
        stats: Arc<Stats>,
        settings: &Settings,
    ) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(settings.timeouts.control_plane());
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_owned()));
        }
        let rates = settings
            .rates
            .unwrap_or_else(|| crate::cloud::Limits::default().rates);
        Self::counting(&loader.load().await, stats)
            .with_patience(settings.patience)
            .with_timeouts(settings.timeouts)
            .paced(rates)
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

    /// The same clients with other timeouts for uploads. (The control-plane timeouts
    /// are the `SdkConfig`'s.)
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The same clients, pacing every request at `rates` (a new set of buckets).
    pub fn paced(mut self, rates: PerService<Rates>) -> Self {
        self.pacer = Arc::new(pace::Pacer::new(rates));
        self
    }

    /// The patience for a call that waits for IAM to propagate: its retry deadline is
    /// [`Patience::role_propagation`].
    fn propagation_patience(&self) -> Patience {
        Patience {
            retry_deadline: self.patience.role_propagation,
            ..self.patience
        }
    }

    /// A per-operation override for the Lambda calls that upload a zip: the upload
    /// timeout instead of the control-plane one.
    fn upload_config(&self) -> aws_sdk_lambda::config::Builder {
        aws_sdk_lambda::config::Builder::default().timeout_config(self.timeouts.uploads())
    }

    /// The region requests go to, if the configuration names one.
    pub fn region(&self) -> Option<String> {
        self.region.clone()
    }
}

#[cfg(test)]
mod tests;
