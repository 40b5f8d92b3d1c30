//! How hard lade may hit AWS: how many requests (reads in `live`) or steps (in
//! `apply`) may be in flight at once, overall and per service.
//!
//! The per-service defaults come from AWS's documented quotas, scaled to requests in
//! flight on the assumption that a control-plane call takes roughly 100–300 ms:
//!
//! - **Lambda**: the control-plane API allows 15 requests per second per account and
//!   Region (excluding `GetFunction`, which allows 100, and `GetPolicy`, 15). Ten in
//!   flight stays near that rate. Source: Lambda quotas, "API requests".
//! - **IAM**: IAM publishes no per-operation rate, but its control plane is one global
//!   endpoint per partition and throttles mutating calls (`CreateRole`,
//!   `PutRolePolicy`, …) at a few per second per account; writes also take seconds to
//!   propagate. Four in flight.
//! - **API Gateway**: management calls share 10 requests per second (burst 40) per
//!   account, with much lower fixed quotas on some writes: `CreateResource` and
//!   `DeleteResource` 5 per second, `GetResources` 5 per 2 seconds, `CreateDeployment`
//!   1 per 5 seconds, `CreateRestApi` 1 per 3 seconds, `DeleteRestApi` 1 per 30
//!   seconds. Source: "Amazon API Gateway quotas", the table for creating, deploying
//!   and managing an API. Two in flight.
//!
//! The overall default is the sum of the three, so that by default only the
//! per-service bounds bind. What throttling remains is absorbed by the SDK's retries
//! with backoff (`aws::MAX_ATTEMPTS`).
//!
//! On the command line one flag sets both: `--parallelism 16` is the overall bound and
//! `--parallelism lambda=10,apigateway=3` sets services; they combine and repeat
//! (`--parallelism 16,iam=2`). See [`Setting`].

use std::fmt;
use std::str::FromStr;

use crate::plan::Service;

/// The default overall bound: the sum of the per-service defaults.
pub const DEFAULT_OVERALL: usize = DEFAULT_LAMBDA + DEFAULT_IAM + DEFAULT_API_GATEWAY;
/// Lambda's control plane: 15 requests per second per account and Region.
pub const DEFAULT_LAMBDA: usize = 10;
/// IAM: a global control plane that throttles writes at a few per second.
pub const DEFAULT_IAM: usize = 4;
/// API Gateway: 10 requests per second in all, 1 per 5 s for `CreateDeployment`.
pub const DEFAULT_API_GATEWAY: usize = 2;
/// The largest bound the command line accepts, overall or for one service.
pub const MAX: usize = 64;

/// Bounds on work in flight, overall and per AWS service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Across every service.
    pub overall: usize,
    pub lambda: usize,
    pub iam: usize,
    pub api_gateway: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            overall: DEFAULT_OVERALL,
            lambda: DEFAULT_LAMBDA,
            iam: DEFAULT_IAM,
            api_gateway: DEFAULT_API_GATEWAY,
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

    /// The defaults with `settings` applied in order (a later one wins).
    pub fn from_settings(settings: &[Setting]) -> Self {
        let mut limits = Limits::default();
        for setting in settings {
            match setting.service {
                None => limits.overall = setting.limit,
                Some(Service::Lambda) => limits.lambda = setting.limit,
                Some(Service::Iam) => limits.iam = setting.limit,
                Some(Service::ApiGateway) => limits.api_gateway = setting.limit,
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
        let own = match service {
            Service::Lambda => self.lambda,
            Service::Iam => self.iam,
            Service::ApiGateway => self.api_gateway,
        };
        own.min(self.overall).max(1)
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},lambda={},iam={},apigateway={}",
            self.overall, self.lambda, self.iam, self.api_gateway
        )
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
                let service = match name.trim().to_ascii_lowercase().as_str() {
                    "lambda" => Service::Lambda,
                    "iam" => Service::Iam,
                    "apigateway" | "api-gateway" => Service::ApiGateway,
                    other => {
                        return Err(format!(
                            "unknown service `{other}`: expected lambda, iam or apigateway"
                        ));
                    }
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
        assert_eq!(limits.total(), 16);
        let small = Limits::overall(3);
        assert_eq!(small.service(Service::Lambda), 3);
        assert_eq!(small.service(Service::ApiGateway), 2);
    }

    #[test]
    fn settings_combine_and_a_later_one_wins() {
        let limits = Limits::from_settings(&settings(&["16", "apigateway=3", "lambda=5", "8"]));
        assert_eq!(
            limits,
            Limits {
                overall: 8,
                lambda: 5,
                iam: 4,
                api_gateway: 3
            }
        );
        assert_eq!(limits.to_string(), "8,lambda=5,iam=4,apigateway=3");
    }

    #[test]
    fn bad_settings_say_what_is_expected() {
        assert_eq!(
            "s3=2".parse::<Setting>().unwrap_err(),
            "unknown service `s3`: expected lambda, iam or apigateway"
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
