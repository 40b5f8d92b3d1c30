//! The AWS services lade calls, and what lade knows about each: its name on the
//! command line and in saved plans, and how many requests or steps may use it at once
//! by default (with the quota that number comes from).
//!
//! [`Service::info`] is the one table. Adding a service is a variant, its place in
//! [`Service::ALL`] and its row in the table: the compiler asks for the row, and a unit
//! test for the place. [`PerService`] holds a value for every service, so code that
//! bounds or counts by service needs no arm for each.

use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};

/// An AWS service a step or a read calls, as far as lade bounds its concurrency.
/// (STS's one `GetCallerIdentity` is not bounded per service.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Iam,
    Lambda,
    ApiGateway,
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
}

impl Service {
    /// Every service, in the order lade names them (`--parallelism`, its messages).
    pub const ALL: [Service; 3] = [Service::Lambda, Service::Iam, Service::ApiGateway];

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
            },
            Service::Iam => Info {
                name: "iam",
                aliases: &[],
                default_limit: 4,
                quota: "IAM publishes no per-operation rate, but its control plane is one \
                        global endpoint per partition and throttles mutating calls \
                        (`CreateRole`, `PutRolePolicy`, …) at a few per second per account; \
                        writes also take seconds to propagate. Four in flight.",
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
        assert_eq!(Service::named("s3"), None);
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
