//! `-v`: log lines on stderr, through `tracing`.
//!
//! `-v` shows lade's own events: one line per AWS call (service, operation, duration,
//! outcome) from `aws::error`, and each retry of the eventual-consistency loop with its
//! reason and pause from `aws::retry`. `-vv` adds the AWS SDK's retry decisions
//! (throttling and transient faults, which the SDK retries itself). No level logs a
//! request or response body: those can hold secrets (environment values, policies).
//! The SDK's trace-level output, which would, is never enabled.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Starts logging to stderr when `verbosity` is 1 or more; does nothing at 0.
pub fn init(verbosity: u8) {
    if verbosity == 0 {
        return;
    }
    let mut targets = Targets::new().with_target("lade", LevelFilter::DEBUG);
    if verbosity >= 2 {
        targets = targets.with_target(
            "aws_smithy_runtime::client::retries::strategy",
            LevelFilter::DEBUG,
        );
    }
    let format = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (never expected) would fail; logging is not worth a crash.
    let _ = tracing_subscriber::registry()
        .with(format)
        .with(targets)
        .try_init();
}
