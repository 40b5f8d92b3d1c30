//! The AWS services lade calls, and what lade knows about each: its name on the
//! command line and in saved plans, how many requests or steps may use it at once
//! by default (with the quota that number comes from), and the request rates AWS
//! allows on its control plane ([`Rates`]), at which the adapter paces requests.
//!
//! [`Service::info`] is the one table. Adding a service is a variant, its place in
//! [`Service::ALL`] and its row in the table: the compiler asks for the row, and a unit
//! test for the place. [`PerService`] holds a value for every service, so code that
//! bounds or counts by service needs no arm for each.

use std::ops::{Index, IndexMut};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An AWS service a step or a read calls, as far as lade bounds its concurrency.
/// (STS's one `GetCallerIdentity` is not bounded per service.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Iam,
    Lambda,
    ApiGateway,
    EventBridge,
    /// API Gateway v2: HTTP APIs.
    ApiGatewayV2,
    S3,
    Sns,
}

/// What lade knows about one service: one row of [`Service::info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Its name on the command line (`--parallelism lambda=10`) and in saved plans.
    pub name: &'static str,
    /// Other spellings the command line accepts.
    pub aliases: &'static [&'static str],
    /// How many requests (reads in `live`) or steps (in `apply`) may call it at once
    /// by default.
    pub default_limit: usize,
    /// The AWS quota [`default_limit`](Info::default_limit) comes from, scaled to
    /// requests in flight on the assumption that a control-plane call takes roughly
    /// 100–300 ms.
    pub quota: &'static str,
    /// The request rates AWS documents for the service's control plane, account-wide.
    pub rates: Rates,
}

/// A request rate as AWS states its quotas: `requests` every `per`, with bursts of up
/// to `burst` requests when the account has been quiet (a token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub per: Duration,
    pub burst: u32,
}

impl Rate {
    /// `requests` per second, bursts of as many.
    pub const fn per_second(requests: u32) -> Rate {
        Rate {
            requests,
            per: Duration::from_secs(1),
            burst: requests,
        }
    }

    /// One request every `seconds`, no burst.
    pub const fn one_every(seconds: u64) -> Rate {
        Rate {
            requests: 1,
            per: Duration::from_secs(seconds),
            burst: 1,
        }
    }

    /// The same rate with bursts of up to `burst` requests.
    pub const fn burst(self, burst: u32) -> Rate {
        Rate { burst, ..self }
    }

    /// The time one request's share of the rate takes: `per / requests`.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.max(1)
    }

    /// As people read it: `10/s (burst 40)`, `1 per 5s`.
    pub fn describe(&self) -> String {
        let rate = if self.per == Duration::from_secs(1) {
            format!("{}/s", self.requests)
        } else {
            format!("{} per {}s", self.requests, self.per.as_secs_f64())
        };
        if self.burst > self.requests {
            format!("{rate} (burst {})", self.burst)
        } else {
            rate
        }
    }
}

/// How fast one service's control plane may be called, account-wide and per Region,
/// from AWS's published quotas. A request passes every bucket that applies to it: the
/// service's shared one, if any, and its operation's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// One bucket that every operation of the service shares (API Gateway's "total
    /// operations"); `None` when AWS sets none.
    pub shared: Option<Rate>,
    /// A bucket of its own for every operation not listed in `operations` (Lambda's
    /// "per API" quota); `None` when AWS sets none.
    pub each_operation: Option<Rate>,
    /// Operations with a quota of their own, by their API name. A name may carry a
    /// variant after a colon (`CreateRestApi:EDGE`) when AWS's quota depends on it.
    pub operations: &'static [(&'static str, Rate)],
}

impl Rates {
    /// No published rate: only the bound on requests in flight applies.
    pub const NONE: Rates = Rates {
        shared: None,
        each_operation: None,
        operations: &[],
    };

    /// The rate of `operation`'s own bucket, if it has one.
    pub fn operation(&self, operation: &str) -> Option<Rate> {
        self.operations
            .iter()
            .find(|(name, _)| *name == operation)
            .map(|(_, rate)| *rate)
            .or(self.each_operation)
    }
}

/// Lambda's operations with a rate other than 15 per second.
const LAMBDA_OPERATIONS: &[(&str, Rate)] = &[
    ("GetFunction", Rate::per_second(100)),
    ("GetPolicy", Rate::per_second(15)),
];

/// API Gateway's operations with a fixed quota of their own.
const API_GATEWAY_OPERATIONS: &[(&str, Rate)] = &[
    ("CreateDeployment", Rate::one_every(5)),
    ("CreateResource", Rate::per_second(5)),
    ("CreateRestApi", Rate::one_every(3)),
    ("CreateRestApi:EDGE", Rate::one_every(30)),
    ("DeleteResource", Rate::per_second(5)),
    ("DeleteRestApi", Rate::one_every(30)),
    (
        "GetResources",
        Rate {
            requests: 5,
            per: Duration::from_secs(2),
            burst: 5,
        },
    ),
];

/// S3's per-prefix request rates, for the two calls lade makes.
const S3_OPERATIONS: &[(&str, Rate)] = &[
    ("GetBucketNotificationConfiguration", Rate::per_second(5500)),
    ("PutBucketNotificationConfiguration", Rate::per_second(3500)),
];

/// SNS's API throttling quotas for the calls lade makes.
const SNS_OPERATIONS: &[(&str, Rate)] = &[
    ("GetSubscriptionAttributes", Rate::per_second(100)),
    ("ListSubscriptionsByTopic", Rate::per_second(30)),
    ("SetSubscriptionAttributes", Rate::per_second(100)),
    ("Subscribe", Rate::per_second(100)),
    ("Unsubscribe", Rate::per_second(100)),
];

impl Service {
    /// Every service, in the order lade names them (`--parallelism`, its messages).
    pub const ALL: [Service; 7] = [
        Service::Lambda,
        Service::Iam,
        Service::ApiGateway,
        Service::ApiGatewayV2,
        Service::EventBridge,
        Service::S3,
        Service::Sns,
    ];

    /// The table: everything lade knows about each service.
    pub const fn info(self) -> Info {
        match self {
            Service::Lambda => Info {
                name: "lambda",
                aliases: &[],
                default_limit: 10,
                quota: "Lambda's control-plane API allows 15 requests per second per \
                        account and Region (excluding `GetFunction`, which allows 100, and \
                        `GetPolicy`, 15); ten in flight stays near that rate. Source: \
                        Lambda quotas, \"API requests\".",
                // "Control plane API requests (excludes invocation, GetFunction and
                // GetPolicy requests): 15 per second per API"; GetFunction 100 per
                // second; GetPolicy 15 per second. No burst is published: one second's
                // worth.
                rates: Rates {
                    shared: None,
                    each_operation: Some(Rate::per_second(15)),
                    operations: LAMBDA_OPERATIONS,
                },
            },
            Service::Iam => Info {
                name: "iam",
                aliases: &[],
                default_limit: 4,
                quota: "IAM publishes no per-operation rate, but its control plane is one \
                        global endpoint per partition and throttles mutating calls \
                        (`CreateRole`, `PutRolePolicy`, …) at a few per second per account; \
                        writes also take seconds to propagate. Four in flight.",
                // IAM publishes no request rate; only the bound in flight applies, and
                // throttling is retried with a long deadline.
                rates: Rates::NONE,
            },
            Service::ApiGateway => Info {
                name: "apigateway",
                aliases: &["api-gateway"],
                default_limit: 2,
                quota: "API Gateway's management calls share 10 requests per second (burst \
                        40) per account, with much lower fixed quotas on some writes: \
                        `CreateResource` and `DeleteResource` 5 per second, `GetResources` 5 \
                        per 2 seconds, `CreateDeployment` 1 per 5 seconds, `CreateRestApi` 1 \
                        per 3 seconds, `DeleteRestApi` 1 per 30 seconds. Source: \"Amazon API \
                        Gateway quotas\", the table for creating, deploying and managing an \
                        API. Two in flight.",
                // "API Gateway quotas for creating, deploying and managing an API"
                // (fixed, per account): total operations 10 per second, burst 40, and
                // the operations below on top.
                rates: Rates {
                    shared: Some(Rate::per_second(10).burst(40)),
                    each_operation: None,
                    operations: API_GATEWAY_OPERATIONS,
                },
            },
            Service::ApiGatewayV2 => Info {
                name: "apigatewayv2",
                aliases: &["http-api"],
                default_limit: 2,
                quota: "API Gateway's management calls, HTTP APIs' (API Gateway v2) included, \
                        share 10 requests per second (burst 40) per account; no v2 operation \
                        lade calls has a fixed quota of its own (the table's v2 entries are \
                        VPC links). Source: \"Amazon API Gateway quotas\", the table for \
                        creating, deploying and managing an API. Two in flight.",
                // "Total operations: 10 requests per second, burst 40" covers every
                // management call. lade paces v1 and v2 in buckets of their own, so a
                // plan that changes both (a switch between `rest` and `http`) can reach
                // twice that for a moment; throttling is retried with a long deadline.
                rates: Rates {
                    shared: Some(Rate::per_second(10).burst(40)),
                    each_operation: None,
                    operations: &[],
                },
            },
            Service::EventBridge => Info {
                name: "eventbridge",
                aliases: &["events"],
                default_limit: 4,
                quota: "EventBridge's control-plane calls (all but `PutEvents`) are throttled \
                        at 50 requests per second per account and Region. Source: \
                        \"Amazon EventBridge quotas\", the throttle quotas for API \
                        requests. Four in flight: lade puts a few rules, and \
                        leaves the rest of the quota to the account's other clients.",
                // "Throttle limit for API requests (other than PutEvents): 50 per second".
                // AWS does not say whether the operations share it: one shared bucket is
                // the safe reading. No burst is published: one second's worth.
                rates: Rates {
                    shared: Some(Rate::per_second(50)),
                    each_operation: None,
                    operations: &[],
                },
            },
            Service::S3 => Info {
                name: "s3",
                aliases: &[],
                default_limit: 2,
                quota: "S3 allows 3,500 PUT and 5,500 GET requests per second per prefix, \
                        and publishes no separate rate for bucket configuration; lade \
                        reads and writes one notification configuration per bucket, one \
                        write at a time per bucket. Source: \"Best practices design \
                        patterns: optimizing Amazon S3 performance\". Two in flight.",
                // Per partitioned prefix: 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD
                // requests per second; a bucket's subresources share its prefix.
                rates: Rates {
                    shared: None,
                    each_operation: None,
                    operations: S3_OPERATIONS,
                },
            },
            Service::Sns => Info {
                name: "sns",
                aliases: &[],
                default_limit: 2,
                quota: "SNS throttles `Subscribe`, `Unsubscribe`, `GetSubscriptionAttributes` \
                        and `SetSubscriptionAttributes` at 100 requests per second and \
                        `ListSubscriptionsByTopic` at 30 per account and Region (the \
                        lowest Regions' quotas). Source: \"Amazon SNS endpoints and \
                        quotas\", API throttling. Two in flight.",
                // The API throttling table (per account and Region; us-east-1 allows
                // more for some): the lowest published values.
                rates: Rates {
                    shared: None,
                    each_operation: None,
                    operations: SNS_OPERATIONS,
                },
            },
        }
    }

    /// Its name on the command line and in saved plans, e.g. `apigateway`.
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The service a command-line name (or alias) means, in any case.
    pub fn named(name: &str) -> Option<Service> {
        let name = name.to_ascii_lowercase();
        Service::ALL.into_iter().find(|service| {
            let info = service.info();
            info.name == name || info.aliases.contains(&name.as_str())
        })
    }

    /// Where its value sits in a [`PerService`]: its place in the declaration.
    const fn slot(self) -> usize {
        self as usize
    }
}

// `ALL` holds no variant twice, and each slot fits a `PerService`. (That it misses
// none, Rust cannot check at compile time: see the test `all_lists_every_variant`.)
const _: () = {
    let all = Service::ALL;
    let mut i = 0;
    while i < all.len() {
        assert!(all[i].slot() < all.len(), "Service::ALL misses a variant");
        let mut j = i + 1;
        while j < all.len() {
            assert!(
                all[i].slot() != all[j].slot(),
                "Service::ALL repeats a variant"
            );
            j += 1;
        }
        i += 1;
    }
};

/// One value for every [`Service`]: a total map, so a lookup never misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PerService<T>([T; Service::ALL.len()]);

impl<T> PerService<T> {
    /// The value of each service from `value`.
    pub fn from_fn(mut value: impl FnMut(Service) -> T) -> Self {
        // Slot i holds the service whose slot is i, whatever the order of `ALL`.
        let mut by_slot = Service::ALL;
        by_slot.sort_by_key(|service| service.slot());
        PerService(by_slot.map(&mut value))
    }

    /// Every service with its value, in the order of [`Service::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (Service, &T)> {
        Service::ALL
            .into_iter()
            .map(move |service| (service, &self[service]))
    }
}

impl<T> Index<Service> for PerService<T> {
    type Output = T;

    fn index(&self, service: Service) -> &T {
        &self.0[service.slot()]
    }
}

impl<T> IndexMut<Service> for PerService<T> {
    fn index_mut(&mut self, service: Service) -> &mut T {
        &mut self.0[service.slot()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_variant() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, U32Deserializer};
        // Serde numbers the variants in declaration order; the first number past the
        // last variant is an error.
        let declared: Vec<Service> = (0u32..)
            .map_while(|index| {
                let index: U32Deserializer<Error> = index.into_deserializer();
                Service::deserialize(index).ok()
            })
            .collect();
        let mut listed = Service::ALL.to_vec();
        listed.sort();
        assert_eq!(listed, declared, "add the new service to Service::ALL");
    }

    #[test]
    fn a_service_has_the_same_name_on_the_command_line_and_in_saved_plans() {
        for service in Service::ALL {
            assert_eq!(
                serde_json::to_value(service).unwrap(),
                serde_json::Value::from(service.name()),
            );
            assert_eq!(Service::named(service.name()), Some(service));
        }
        assert_eq!(Service::named("API-Gateway"), Some(Service::ApiGateway));
        assert_eq!(Service::named("sqs"), None);
    }

    #[test]
    fn rates_come_from_the_table() {
        let lambda = Service::Lambda.info().rates;
        assert_eq!(lambda.operation("GetFunction"), Some(Rate::per_second(100)));
        assert_eq!(
            lambda.operation("CreateFunction"),
            Some(Rate::per_second(15))
        );
        assert_eq!(lambda.shared, None);
        let apigateway = Service::ApiGateway.info().rates;
        assert_eq!(apigateway.shared.unwrap().describe(), "10/s (burst 40)");
        assert_eq!(
            apigateway.operation("CreateDeployment").unwrap().interval(),
            Duration::from_secs(5)
        );
        assert_eq!(
            apigateway.operation("GetResources").unwrap().interval(),
            Duration::from_millis(400)
        );
        assert_eq!(apigateway.operation("PutMethod"), None);
        assert_eq!(Service::Iam.info().rates, Rates::NONE);
        let events = Service::EventBridge.info().rates;
        assert_eq!(events.shared, Some(Rate::per_second(50)));
        assert_eq!(events.operation("PutRule"), None);
        assert_eq!(Service::named("events"), Some(Service::EventBridge));
    }

    #[test]
    fn a_per_service_value_is_found_under_its_own_service() {
        let mut names = PerService::from_fn(Service::name);
        for service in Service::ALL {
            assert_eq!(names[service], service.name());
        }
        names[Service::Iam] = "changed";
        assert_eq!(names[Service::Iam], "changed");
        assert_eq!(names[Service::Lambda], "lambda");
        let order: Vec<_> = names.iter().map(|(service, _)| service).collect();
        assert_eq!(order, Service::ALL);
    }
}
