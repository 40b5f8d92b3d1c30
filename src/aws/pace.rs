//! Client-side pacing at AWS's published request rates.
//!
//! AWS's control-plane quotas are rates, account-wide: API Gateway allows 10 management
//! requests per second in all and one `CreateDeployment` every 5 s, Lambda 15 requests
//! per second per API (see each service's [`Rates`], `cloud::service`). A bound on
//! requests in flight does not keep to a rate: two requests in flight at 50 ms each are
//! 40 a second. So before every request [`Pacer::ready`] waits until each bucket that
//! applies has room: the service's shared bucket, if it has one, and the operation's
//! own. The buckets are GCRA limiters (the `governor` crate), one set per `AwsCloud`
//! and its clones, so `live`'s reads and `apply`'s writes share them.
//!
//! Every rate is paced a little below AWS's (by [`MARGIN`]): a request's arrival at
//! AWS lags its departure by a varying latency, so two requests sent exactly one
//! interval apart can arrive closer than that. Other clients in the same account share
//! AWS's buckets, which no client-side pacing can see; what throttling remains is
//! retried with a long deadline (`AwsCloud::call`).
//!
//! Pacing is per request that lade sends through `AwsCloud::call`: a paginator's later
//! pages and the SDK's own retries of a throttled attempt are not paced again (the
//! first are rare at lade's sizes, the second already wait out a backoff).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::cloud::{PerService, Rate, Rates, Service};

/// How much slower than AWS's own rate lade paces: 5%.
pub const MARGIN: f64 = 1.05;

type Bucket = Arc<DefaultDirectRateLimiter>;

/// The buckets of every service, made as operations are first called.
#[derive(Debug)]
pub(super) struct Pacer {
    rates: PerService<Rates>,
    shared: PerService<Option<Bucket>>,
    operations: Mutex<HashMap<(Service, &'static str), Option<Bucket>>>,
}

impl Pacer {
    pub(super) fn new(rates: PerService<Rates>) -> Pacer {
        Pacer {
            shared: PerService::from_fn(|service| rates[service].shared.map(bucket)),
            rates,
            operations: Mutex::new(HashMap::new()),
        }
    }

    /// A pacer that never waits.
    pub(super) fn unpaced() -> Pacer {
        Pacer::new(PerService::from_fn(|_| Rates::NONE))
    }

    /// Waits until `operation` of `service` may be sent, and takes its place in each
    /// bucket. Returns how long it waited.
    pub(super) async fn ready(&self, service: Service, operation: &'static str) -> Duration {
        let started = Instant::now();
        let own = self.operation_bucket(service, operation);
        if let Some(own) = own {
            own.until_ready().await;
        }
        if let Some(shared) = &self.shared[service] {
            shared.until_ready().await;
        }
        started.elapsed()
    }

    fn operation_bucket(&self, service: Service, operation: &'static str) -> Option<Bucket> {
        let mut operations = self
            .operations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        operations
            .entry((service, operation))
            .or_insert_with(|| self.rates[service].operation(operation).map(bucket))
            .clone()
    }
}

/// A GCRA limiter for `rate`, a little slower than it (see [`MARGIN`]).
fn bucket(rate: Rate) -> Bucket {
    let interval = rate.interval().mul_f64(MARGIN).max(Duration::from_nanos(1));
    let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(interval)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst);
    Arc::new(RateLimiter::direct(quota))
}

tokio::task_local! {
    /// The name a request is paced under, when not its operation's.
    static PACE_AS: &'static str;
}

/// Runs `future` (one `AwsCloud::call`) paced under `name`: `CreateRestApi:EDGE`,
/// whose quota is not `CreateRestApi`'s.
pub(super) fn paced_as<F: std::future::Future>(
    name: &'static str,
    future: F,
) -> impl std::future::Future<Output = F::Output> {
    PACE_AS.scope(name, future)
}

/// The name `operation` is paced under here.
pub(super) fn pace_name(operation: &'static str) -> &'static str {
    PACE_AS.try_with(|name| *name).unwrap_or(operation)
}

/// The service whose rates pace an SDK crate's requests: `lambda`, `iam` and
/// `apigateway` are; the tagging API and STS are not (lade sends them a request or two).
pub(super) fn service_named(short: &str) -> Option<Service> {
    Service::ALL
        .into_iter()
        .find(|service| service.name() == short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_gateway(shared: Option<Rate>, operations: &'static [(&'static str, Rate)]) -> Pacer {
        let mut all = PerService::from_fn(|_| Rates::NONE);
        all[Service::ApiGateway] = Rates {
            shared,
            each_operation: None,
            operations,
        };
        Pacer::new(all)
    }

    /// Whether a request could go now, without waiting (and taking its place).
    fn free(pacer: &Pacer, service: Service, operation: &'static str) -> bool {
        let own = pacer
            .operation_bucket(service, operation)
            .is_none_or(|bucket| bucket.check().is_ok());
        let shared = pacer.shared[service]
            .as_ref()
            .is_none_or(|bucket| bucket.check().is_ok());
        own && shared
    }

    #[test]
    fn a_burst_goes_at_once_then_the_bucket_is_empty() {
        let pacer = api_gateway(Some(Rate::per_second(10).burst(3)), &[]);
        for _ in 0..3 {
            assert!(free(&pacer, Service::ApiGateway, "PutMethod"));
        }
        assert!(!free(&pacer, Service::ApiGateway, "PutMethod"));
        // A service without rates is never held.
        for _ in 0..1000 {
            assert!(free(&pacer, Service::Iam, "PutRolePolicy"));
        }
    }

    #[test]
    fn an_operation_has_its_own_bucket_within_the_shared_one() {
        const SLOW: &[(&str, Rate)] = &[("CreateDeployment", Rate::one_every(5))];
        let pacer = api_gateway(Some(Rate::per_second(1000)), SLOW);
        assert!(free(&pacer, Service::ApiGateway, "CreateDeployment"));
        assert!(!free(&pacer, Service::ApiGateway, "CreateDeployment"));
        assert!(free(&pacer, Service::ApiGateway, "PutMethod"));
    }

    #[tokio::test]
    async fn an_edge_api_is_paced_under_its_own_quota() {
        assert_eq!(pace_name("CreateRestApi"), "CreateRestApi");
        let inside = paced_as("CreateRestApi:EDGE", async { pace_name("CreateRestApi") }).await;
        assert_eq!(inside, "CreateRestApi:EDGE");
        let rates = Service::ApiGateway.info().rates;
        assert_eq!(
            rates.operation("CreateRestApi:EDGE").unwrap().interval(),
            Duration::from_secs(30)
        );
    }

    #[tokio::test]
    async fn a_request_past_the_burst_waits_its_interval() {
        const SLOW: &[(&str, Rate)] = &[(
            "CreateDeployment",
            Rate {
                requests: 1,
                per: Duration::from_millis(200),
                burst: 1,
            },
        )];
        let pacer = api_gateway(None, SLOW);
        pacer.ready(Service::ApiGateway, "CreateDeployment").await;
        let started = Instant::now();
        let waited = pacer.ready(Service::ApiGateway, "CreateDeployment").await;
        // At least the interval (a lower bound: a slow machine only waits longer).
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
        assert!(started.elapsed() >= Duration::from_millis(150));
    }
}
