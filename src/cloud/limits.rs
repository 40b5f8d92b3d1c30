//! How hard lade may hit AWS: how many requests (reads in `live`) or steps (in
//! `apply`) may be in flight at once, overall and per service, and at what rate each
//! service's control plane may be called ([`Limits::rates`]).
//!
//! The rates are AWS's published quotas (requests per second, account-wide), each
//! service's row in [`Service::info`]. The adapter (`aws::pace`) paces every request,
//! read or write, through one set of buckets per process, so `live` and `apply` share
//! them. A bound in flight alone is not enough: 2 requests in flight at 50 ms each are
//! 40 per second, four times API Gateway's quota.
//!
//! The per-service defaults come from AWS's documented quotas, scaled to requests in
//! flight on the assumption that a control-plane call takes roughly 100–300 ms. Each
//! service's default and the quota it comes from are its row in the table of services
//! ([`Service::info`]): ten for Lambda (15 requests per second), four for IAM (a global
//! control plane that throttles writes at a few per second) and two for API Gateway
//! (10 requests per second in all, `CreateDeployment` 1 per 5 seconds), four for
//! EventBridge (50 requests per second, but lade puts only a few rules), two for S3
//! (one notification configuration per bucket) and two for SNS (30 to 100 requests
//! per second per operation).
//!
//! The overall default is the sum of the services' own, so that by default only the
//! per-service bounds bind. What throttling remains is absorbed by the SDK's retries
//! with backoff (`aws::MAX_ATTEMPTS`).
//!
//! On the command line one flag sets both: `--parallelism 16` is the overall bound and
//! `--parallelism lambda=10,apigateway=3` sets services; they combine and repeat
//! (`--parallelism 16,iam=2`). See [`Setting`].

use std::fmt;
use std::str::FromStr;

use super::service::{PerService, Rates, Service};

/// The default overall bound: the sum of the per-service defaults.
pub const DEFAULT_OVERALL: usize = {
    let mut sum = 0;
    let mut i = 0;
    while i < Service::ALL.len() {
        sum += Service::ALL[i].info().default_limit;
        i += 1;
    }
    sum
};
/// The largest bound the command line accepts, overall or for one service.
pub const MAX: usize = 64;

/// Bounds on work in flight, overall and per AWS service, and each service's rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Across every service.
    pub overall: usize,
    /// Each service's own bound.
    pub services: PerService<usize>,
    /// Each service's request rates (AWS's quotas, from [`Service::info`]).
    pub rates: PerService<Rates>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            overall: DEFAULT_OVERALL,
            services: PerService::from_fn(|service| service.info().default_limit),
            rates: PerService::from_fn(|service| service.info().rates),
        }
    }
}

impl Limits {
    /// The defaults with only the overall bound changed.
    pub fn overall(overall: usize) -> Self {
        Limits {
            overall,
            ..Limits::default()
        }
    }

    /// These limits with `service`'s own bound set to `limit`.
    pub fn with(mut self, service: Service, limit: usize) -> Self {
        self.services[service] = limit;
        self
    }

    /// The defaults with `settings` applied in order (a later one wins).
    pub fn from_settings(settings: &[Setting]) -> Self {
        let mut limits = Limits::default();
        for setting in settings {
            match setting.service {
                None => limits.overall = setting.limit,
                Some(service) => limits.services[service] = setting.limit,
            }
        }
        limits
    }

    /// How many may be in flight overall; at least one.
    pub fn total(&self) -> usize {
        self.overall.max(1)
    }

    /// How many may call `service` at once: its own bound, within the overall one;
    /// at least one.
    pub fn service(&self, service: Service) -> usize {
        self.services[service].min(self.overall).max(1)
    }
}

/// As `--parallelism` takes it: `24,lambda=10,iam=4,apigateway=2,eventbridge=4,s3=2,sns=2`.
impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.overall)?;
        for (service, limit) in self.services.iter() {
            write!(f, ",{}={limit}", service.name())?;
        }
        Ok(())
    }
}

/// One entry of `--parallelism`: `N` (overall) or `SERVICE=N`, where SERVICE is
/// `lambda`, `iam` or `apigateway`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// `None` for the overall bound.
    pub service: Option<Service>,
    pub limit: usize,
}

impl FromStr for Setting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (service, number) = match text.split_once('=') {
            None => (None, text),
            Some((name, number)) => {
                let name = name.trim();
                let Some(service) = Service::named(name) else {
                    return Err(format!(
                        "unknown service `{}`: expected {}",
                        name.to_ascii_lowercase(),
                        expected_services()
                    ));
                };
                (Some(service), number)
            }
        };
        let limit: usize = number
            .trim()
            .parse()
            .map_err(|_| format!("expected N or SERVICE=N with N a number, got `{text}`"))?;
        if !(1..=MAX).contains(&limit) {
            return Err(format!("{limit} is not in 1..={MAX}"));
        }
        Ok(Setting { service, limit })
    }
}

/// The services' names as a list for people: `lambda, iam or apigateway`.
fn expected_services() -> String {
    let names: Vec<&str> = Service::ALL.iter().map(|service| service.name()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, others)) => format!("{} or {last}", others.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(texts: &[&str]) -> Vec<Setting> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn defaults_bind_per_service_and_the_overall_bound_caps_them() {
        let limits = Limits::default();
        assert_eq!(limits.service(Service::Lambda), 10);
        assert_eq!(limits.service(Service::Iam), 4);
        assert_eq!(limits.service(Service::ApiGateway), 2);
        assert_eq!(limits.service(Service::EventBridge), 4);
        assert_eq!(limits.service(Service::ApiGatewayV2), 2);
        assert_eq!(limits.service(Service::S3), 2);
        assert_eq!(limits.service(Service::Sns), 2);
        assert_eq!(limits.total(), 26);
        let small = Limits::overall(3);
        assert_eq!(small.service(Service::Lambda), 3);
        assert_eq!(small.service(Service::ApiGateway), 2);
    }

    #[test]
    fn settings_combine_and_a_later_one_wins() {
        let limits = Limits::from_settings(&settings(&["16", "apigateway=3", "lambda=5", "8"]));
        assert_eq!(
            limits,
            Limits::overall(8)
                .with(Service::Lambda, 5)
                .with(Service::Iam, 4)
                .with(Service::ApiGateway, 3)
        );
        assert_eq!(
            limits.to_string(),
            "8,lambda=5,iam=4,apigateway=3,apigatewayv2=2,eventbridge=4,s3=2,sns=2"
        );
    }

    #[test]
    fn bad_settings_say_what_is_expected() {
        assert_eq!(
            "sqs=2".parse::<Setting>().unwrap_err(),
            "unknown service `sqs`: expected lambda, iam, apigateway, apigatewayv2, eventbridge, s3 or sns"
        );
        assert!(
            "lambda=x"
                .parse::<Setting>()
                .unwrap_err()
                .contains("SERVICE=N")
        );
        assert_eq!("0".parse::<Setting>().unwrap_err(), "0 is not in 1..=64");
        assert_eq!(
            "iam=65".parse::<Setting>().unwrap_err(),
            "65 is not in 1..=64"
        );
    }
}
