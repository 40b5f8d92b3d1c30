//! Counts every request lade sends to AWS, for `--stats`.
//!
//! Counting happens in an SDK interceptor ([`Counter`]) registered on every client, not
//! in `AwsCloud::call`: only the interceptor sees each request a paginator sends, each
//! poll of an SDK waiter and each of the SDK's own retries of throttling and transient
//! faults, which all happen inside one `call`. Per service and operation it counts:
//!
//! - **requests**: operations sent (each page, each waiter poll, each of lade's
//!   retries is one);
//! - **attempts**: HTTP attempts, the SDK's retries included;
//! - **retries**: attempts that repeated an earlier one: the SDK's retries
//!   (`attempts - requests`) plus requests sent again by lade's own retry loop
//!   (`retry.rs`: a role still propagating, an update in progress);
//! - **waits**: requests that were polls of a waiter (`State=Active`,
//!   `LastUpdateStatus=Successful`);
//! - **errors**: requests that ended in an error, expected ones (`NotFound` on a
//!   read) included;
//! - **time**: the time those requests took, summed.
//!
//! The total also gives the wall-clock time during which at least one request was in
//! flight: the time spent waiting on AWS, however many requests overlapped.
//!
//! Whether a request is a waiter poll or a retry is known from task-locals that
//! `lambda.rs` ([`waiting`]) and `retry.rs` ([`attempt`]) set around their futures:
//! the SDK runs interceptors inside the future that sends the request.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde::Serialize;

tokio::task_local! {
    /// Set while an SDK waiter polls.
    static WAITING: ();
    /// The attempt number of lade's retry loop around the current request.
    static ATTEMPT: u32;
}

/// Runs `future` as a waiter: the requests it sends count as waits.
pub(super) fn waiting<F: Future>(future: F) -> impl Future<Output = F::Output> {
    WAITING.scope((), future)
}

/// Runs `future` as attempt `number` of lade's retry loop: from the second attempt
/// on, the requests it sends count as retries.
pub(super) fn attempt<F: Future>(number: u32, future: F) -> impl Future<Output = F::Output> {
    ATTEMPT.scope(number, future)
}

/// What happened to one service's operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counters {
    requests: u64,
    attempts: u64,
    /// Requests sent again by lade's retry loop.
    repeated: u64,
    waits: u64,
    errors: u64,
    time: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    calls: BTreeMap<(String, String), Counters>,
    in_flight: usize,
    /// When `in_flight` last went from 0 to 1.
    busy_since: Option<Instant>,
    /// Closed stretches of time with a request in flight.
    busy: Duration,
}

/// Counters shared by every client of one [`super::AwsCloud`].
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn started(&self) {
        let mut inner = self.lock();
        if inner.in_flight == 0 {
            inner.busy_since = Some(Instant::now());
        }
        inner.in_flight += 1;
    }

    fn attempted(&self, key: (String, String)) {
        self.lock().calls.entry(key).or_default().attempts += 1;
    }

    fn finished(&self, key: (String, String), kind: Kind, failed: bool, took: Duration) {
        let mut inner = self.lock();
        let counters = inner.calls.entry(key).or_default();
        counters.requests += 1;
        counters.time += took;
        counters.errors += u64::from(failed);
        match kind {
            Kind::Wait => counters.waits += 1,
            Kind::Retry => counters.repeated += 1,
            Kind::First => {}
        }
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if inner.in_flight == 0
            && let Some(since) = inner.busy_since.take()
        {
            inner.busy += since.elapsed();
        }
    }

    /// What has been counted so far.
    pub fn report(&self) -> Report {
        let inner = self.lock();
        let calls: Vec<Row> = inner
            .calls
            .iter()
            .map(|((service, operation), c)| Row {
                service: service.clone(),
                operation: operation.clone(),
                requests: c.requests,
                attempts: c.attempts,
                retries: c.attempts.saturating_sub(c.requests) + c.repeated,
                waits: c.waits,
                errors: c.errors,
                ms: c.time.as_millis() as u64,
            })
            .collect();
        let sum = |field: fn(&Row) -> u64| calls.iter().map(field).sum();
        // A request still in flight (its future was dropped) counts up to now.
        let busy = inner.busy + inner.busy_since.map_or(Duration::ZERO, |s| s.elapsed());
        let total = Totals {
            requests: sum(|r| r.requests),
            attempts: sum(|r| r.attempts),
            retries: sum(|r| r.retries),
            waits: sum(|r| r.waits),
            errors: sum(|r| r.errors),
            ms: sum(|r| r.ms),
            waiting_ms: busy.as_millis() as u64,
        };
        Report { calls, total }
    }
}

/// The counts of one service's operation. See the module docs for what each means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `lambda`, `iam`, `apigateway`, `tagging` or `sts`.
    pub service: String,
    /// The AWS API operation, e.g. `GetPolicy`.
    pub operation: String,
    pub requests: u64,
    pub attempts: u64,
    pub retries: u64,
    pub waits: u64,
    pub errors: u64,
    /// Time the requests took, summed, in milliseconds.
    pub ms: u64,
}

/// The sums over every row, and the wall-clock time spent waiting on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub attempts: u64,
    pub retries: u64,
    pub waits: u64,
    pub errors: u64,
    /// Time the requests took, summed, in milliseconds; overlapping requests count
    /// each.
    pub ms: u64,
    /// Wall-clock milliseconds with at least one request in flight.
    pub waiting_ms: u64,
}

/// Every AWS request a command made, by service and operation (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub calls: Vec<Row>,
    pub total: Totals,
}

impl Report {
    /// The row for `service` and `operation`, if any request was made.
    pub fn get(&self, service: &str, operation: &str) -> Option<&Row> {
        self.calls
            .iter()
            .find(|r| r.service == service && r.operation == operation)
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    First,
    Retry,
    Wait,
}

/// When the current request started, kept in its config bag.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The interceptor that feeds a [`Stats`].
#[derive(Debug, Clone)]
pub(super) struct Counter(pub Arc<Stats>);

/// `(service, operation)` of the request, the service in lade's short form.
fn key(cfg: &ConfigBag) -> (String, String) {
    let Some(metadata) = cfg.load::<Metadata>() else {
        return ("unknown".to_owned(), "unknown".to_owned());
    };
    (
        short_service(metadata.service()),
        metadata.name().to_owned(),
    )
}

/// The SDK's service name (`Lambda`, `IAM`, `API Gateway`, `Resource Groups Tagging
/// API`, `STS`) as `lambda`, `iam`, `apigateway`, `tagging`, `sts`.
fn short_service(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if compact.contains("tagging") {
        "tagging".to_owned()
    } else {
        compact
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "LadeStats"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        self.0.started();
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.attempted(key(cfg));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let took = cfg
            .load::<Started>()
            .map_or(Duration::ZERO, |started| started.0.elapsed());
        let failed = matches!(context.output_or_error(), Some(Err(_)) | None);
        let kind = if WAITING.try_with(|_| ()).is_ok() {
            Kind::Wait
        } else if ATTEMPT.try_with(|n| *n > 1).unwrap_or(false) {
            Kind::Retry
        } else {
            Kind::First
        };
        self.0.finished(key(cfg), kind, failed, took);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(service: &str, operation: &str) -> (String, String) {
        (service.to_owned(), operation.to_owned())
    }

    #[test]
    fn service_names_are_short() {
        assert_eq!(short_service("Lambda"), "lambda");
        assert_eq!(short_service("IAM"), "iam");
        assert_eq!(short_service("API Gateway"), "apigateway");
        assert_eq!(short_service("Resource Groups Tagging API"), "tagging");
    }

    #[test]
    fn retries_are_the_sdks_extra_attempts_plus_lades_repeats() {
        let stats = Stats::default();
        let op = || key("lambda", "UpdateFunctionCode");
        // First request: throttled once by the SDK, then fine.
        stats.started();
        stats.attempted(op());
        stats.attempted(op());
        stats.finished(op(), Kind::First, false, Duration::from_millis(30));
        // lade's retry loop sends it again.
        stats.started();
        stats.attempted(op());
        stats.finished(op(), Kind::Retry, false, Duration::from_millis(10));
        stats.started();
        stats.attempted(key("lambda", "GetFunction"));
        stats.finished(
            key("lambda", "GetFunction"),
            Kind::Wait,
            true,
            Duration::from_millis(5),
        );
        let report = stats.report();
        let row = report.get("lambda", "UpdateFunctionCode").unwrap();
        assert_eq!(
            (row.requests, row.attempts, row.retries, row.waits, row.ms),
            (2, 3, 2, 0, 40)
        );
        let poll = report.get("lambda", "GetFunction").unwrap();
        assert_eq!((poll.waits, poll.errors), (1, 1));
        assert_eq!(
            (report.total.requests, report.total.retries, report.total.ms),
            (3, 2, 45)
        );
    }
}
