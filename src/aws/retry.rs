//! The one retry loop for AWS's eventual consistency.
//!
//! Throttling and transient faults are the SDK's business (retries with backoff, set
//! up in `AwsCloud::from_env`), except a lost answer to a create that a retry cannot
//! recognise (`once.rs`), which comes back here after a read. This loop is for conditions only lade can recognise: a new
//! role that Lambda cannot assume yet, or a function whose previous update is still in
//! progress. Each attempt says whether it is done or should be tried again, and why;
//! the loop backs off exponentially (capped) and gives up at a deadline with a
//! [`CloudError::Timeout`] that says what it was waiting for.
//!
//! Under `-v` each attempt runs in a `retry` span (so the calls it makes show their
//! attempt number), and each retry is logged with its reason and pause.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument as _;

use super::Patience;
use crate::cloud::CloudError;

/// What one attempt concluded, when it did not fail for good.
pub(super) enum Attempt<T> {
    /// The call succeeded (or found the work already done).
    Done(T),
    /// A transient condition; the text says which, for the final error message.
    Again(String),
}

/// Runs `attempt` until it is done, fails for good, or `patience.retry_deadline`
/// passes. `waiting_for` completes the sentence "gave up … waiting for …".
///
/// `attempt` is a closure returning a future rather than an async closure because the
/// futures of async closures cannot yet be proven `Send`, which `Cloud` requires.
pub(super) async fn until_done<T, F, Fut>(
    patience: &Patience,
    waiting_for: &str,
    mut attempt: F,
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, CloudError>>,
{
    let started = Instant::now();
    let mut delay = patience.first_delay;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let span = tracing::debug_span!("retry", attempt = attempts);
        let reason = match super::stats::attempt(attempts, attempt())
            .instrument(span)
            .await?
        {
            Attempt::Done(value) => {
                if attempts > 1 {
                    tracing::debug!(%waiting_for, attempts, "done after retrying");
                }
                return Ok(value);
            }
            Attempt::Again(reason) => reason,
        };
        let elapsed = started.elapsed();
        let Some(left) = patience
            .retry_deadline
            .checked_sub(elapsed)
            .filter(|left| !left.is_zero())
        else {
            tracing::debug!(%waiting_for, attempts, %reason, "giving up at the deadline");
            return Err(CloudError::Timeout {
                attempts,
                seconds: elapsed.as_secs(),
                message: format!("waiting for {waiting_for}; the last answer was: {reason}"),
            });
        };
        // The last pause is cut short so that one final attempt lands on the deadline.
        let pause = delay.min(left);
        tracing::debug!(
            %waiting_for,
            attempt = attempts,
            %reason,
            delay_ms = pause.as_millis(),
            "retrying"
        );
        tokio::time::sleep(pause).await;
        delay = (delay * 2).min(patience.max_delay);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn quick() -> Patience {
        Patience {
            retry_deadline: Duration::from_millis(200),
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            wait_limit: Duration::from_secs(1),
            ..Patience::default()
        }
    }

    /// A hard failure: another project's role.
    fn taken() -> CloudError {
        CloudError::NotOwned {
            kind: crate::model::ResourceKind::Role,
            name: "taken".to_owned(),
            reason: crate::cloud::NotOurs::Path {
                found: "/".to_owned(),
                ours: "/lade/shop/dev/".to_owned(),
            },
        }
    }

    #[tokio::test]
    async fn retries_until_done() {
        let mut calls = 0;
        let result = until_done(&quick(), "the thing", || {
            calls += 1;
            let calls = calls;
            async move {
                Ok(if calls < 3 {
                    Attempt::Again("not yet".to_owned())
                } else {
                    Attempt::Done(calls)
                })
            }
        })
        .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test]
    async fn a_hard_failure_stops_at_once() {
        let mut calls = 0;
        let result: Result<(), _> = until_done(&quick(), "the thing", || {
            calls += 1;
            async { Err(taken()) }
        })
        .await;
        assert_eq!(result, Err(taken()));
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn gives_up_at_the_deadline_and_says_what_it_waited_for() {
        let result: Result<(), _> = until_done(&quick(), "role r to propagate", || async {
            Ok(Attempt::Again("cannot be assumed".to_owned()))
        })
        .await;
        let Err(CloudError::Timeout {
            attempts, message, ..
        }) = result
        else {
            panic!("expected a timeout, got {result:?}");
        };
        // 10 + 20 + 40 + 40 + … ms of pauses fit about six attempts into 200 ms.
        assert!((3..=12).contains(&attempts), "{attempts} attempts");
        assert_eq!(
            message,
            "waiting for role r to propagate; the last answer was: cannot be assumed"
        );
    }
}
