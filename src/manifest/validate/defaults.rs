//! `defaults:`: the values every function inherits, checked once.
//!
//! Owns reading `defaults:` into [`Defaults`]; the checks themselves are the
//! function's ([`function`](super::function), [`environment`](super::environment)), so
//! a default and a function's own value get the same messages. Merging the defaults
//! into each function is [`function`](super::function)'s.

use std::collections::BTreeMap;

use crate::manifest::raw::{RawDefaults, Sp};
use crate::model::Architecture;

use super::Validator;
use super::environment::Env;
use super::function::architecture;

/// `defaults:`, checked once, as every function inherits it.
#[derive(Default)]
pub(super) struct Defaults {
    /// The runtime, and whether it is a current one.
    pub runtime: Option<(Sp<String>, bool)>,
    pub memory: Option<i32>,
    pub timeout: Option<i32>,
    pub architecture: Option<Architecture>,
    pub environment: BTreeMap<String, Env>,
    pub tags: BTreeMap<String, String>,
    /// The permissions boundary of every role that sets none.
    pub boundary: Option<String>,
}

impl Validator<'_, '_> {
    pub(super) fn defaults(&mut self, raw: Option<&RawDefaults>) -> Defaults {
        let Some(raw) = raw else {
            return Defaults::default();
        };
        let owner = "`defaults:`";
        Defaults {
            runtime: raw
                .runtime
                .as_ref()
                .map(|runtime| (runtime.clone(), self.runtime(runtime))),
            memory: raw
                .memory
                .as_ref()
                .map(|m| self.range(owner, m, 128, "memory", 128, 10240, "MB")),
            timeout: raw
                .timeout
                .as_ref()
                .map(|t| self.range(owner, t, 3, "timeout", 1, 900, "seconds")),
            architecture: raw.architecture.as_ref().map(|a| architecture(a.value)),
            environment: self.environment(owner, &raw.environment),
            tags: self.tags(&raw.tags),
            boundary: raw
                .boundary
                .as_ref()
                .and_then(|arn| self.policy_arn(&arn.0, "permissions boundary")),
        }
    }
}
