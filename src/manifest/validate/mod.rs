//! [`RawManifest`] → [`Desired`]: the checks the types cannot express, and resolution.
//!
//! Like ripgrep's `hiargs`, this turns what was written into what is meant: defaults
//! applied, physical names computed (`<project>-<stage>-<key>`), `source` paths
//! resolved against the manifest's directory, policy documents turned into JSON. Every
//! check reports through the [`Reporter`] and carries on, so one run finds every
//! problem. The only I/O is looking at `source` paths; there is no network call.
//!
//! This file owns the entry point, [`Validator::desired`], and the manifest's own
//! top-level fields (`project`, `stage`, `region`, the names under `stages:`). Each
//! section of the manifest has its own file, an `impl Validator` block that checks that
//! section and builds its part of [`Desired`]:
//!
//! | file             | section                                                        |
//! |------------------|----------------------------------------------------------------|
//! | [`role`]         | `roles:`, with trust, managed and inline policies              |
//! | [`defaults`]     | `defaults:`, checked once for every function                   |
//! | [`function`]     | `functions:`: runtime, handler, role, ranges, tags             |
//! | [`source`]       | a function's `source` and `exclude`, the only file-system look |
//! | [`environment`]  | a function's `environment` and `secrets`                       |
//! | [`cycles`]       | functions whose environments need each other's ARNs            |
//! | [`events`]       | a function's `events:` (queues and streams), and the role      |
//! |                  | permissions they need                                          |
//! | [`url`]          | a function's `url:` (its function URL, with CORS)              |
//! | [`cors`]         | `cors:` of a function URL or an API                            |
//! | [`schedules`]    | a function's `events:` schedules and EventBridge patterns      |
//! | [`notifications`]| a function's `events:` S3 buckets and SNS topics               |
//! | [`api`]          | `api:` and its routes                                          |
//! | [`names`]        | keys and physical names, shared by every kind                  |
//! | [`limits`]       | AWS's request limits, on the whole model (sizes, counts)       |
//!
//! A new kind of resource is a new file here, a `mod` line and a call in
//! [`Validator::desired`]. No file here reads YAML or resolves a variable: each gets
//! the raw types, and the values [`vars`](super::vars) resolved ([`Resolved`]).

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::{Desired, Scope};

use super::DEFAULT_STAGE;
use super::declared::Declared;
use super::diagnostic::Reporter;
use super::node::Loc;
use super::raw::RawManifest;
use super::rules;
use super::vars::Resolved;

mod api;
mod cors;
mod cycles;
mod defaults;
mod environment;
mod events;
mod function;
mod limits;
mod names;
mod notifications;
mod role;
mod schedules;
mod source;
mod url;

pub(crate) struct Validator<'r, 'a> {
    pub r: &'r mut Reporter<'a>,
    pub base_dir: &'r Path,
    pub declared: Declared,
    pub resolved: &'r Resolved,
    /// The day runtimes' end-of-life dates are checked against.
    pub today: crate::runtimes::Date,
    /// The region from the environment, for the checks that depend on the region when
    /// the manifest names none.
    pub env_region: Option<&'r str>,
}

impl Validator<'_, '_> {
    pub fn desired(&mut self, raw: RawManifest, stage_override: Option<&str>) -> Desired {
        self.lower_name(&raw.project, "project");
        let stage = match stage_override {
            Some(stage) => {
                if !rules::is_lower_name(stage) {
                    self.r
                        .error(
                            Loc::default(),
                            format!("the stage `{stage}` given on the command line is not a valid stage name"),
                        )
                        .help("a stage is lowercase letters, digits and hyphens, starting with a letter, e.g. `prod` or `pr-42`");
                }
                stage.to_owned()
            }
            None => match &raw.stage {
                Some(stage) => {
                    self.lower_name(stage, "stage");
                    stage.value.clone()
                }
                None => DEFAULT_STAGE.to_owned(),
            },
        };
        if let Some(region) = &raw.region
            && !rules::is_region(&region.value)
        {
            self.r
                .error(
                    region.loc,
                    format!("`{}` is not an AWS region", region.value),
                )
                .help("a region looks like `us-east-1` or `eu-central-1`");
        }
        let scope = Scope {
            project: raw.project.value.clone(),
            stage,
        };

        for (name, _) in raw.stages.iter() {
            if name.value != "default" {
                self.lower_name(name, "stage");
            }
        }

        let defaults = self.defaults(raw.defaults.as_ref());
        let mut roles = raw
            .roles
            .iter()
            .filter_map(|(key, role)| self.role(&scope, key, role, defaults.boundary.as_deref()))
            .map(|role| (role.key.clone(), role))
            .collect();
        for (key, role) in raw.roles.iter() {
            for (policy, _) in role.policies.iter() {
                if policy.value == events::TRIGGER_POLICY {
                    self.r
                        .error(
                            policy.loc,
                            format!("the inline policy name `{}` of role `{}` is lade's", policy.value, key.value),
                        )
                        .help("lade writes the permissions of a role's triggers under this name: choose another");
                }
            }
        }
        let mut arn_refs = BTreeMap::new();
        let mut url_refs = Vec::new();
        let functions: BTreeMap<String, crate::model::Function> = raw
            .functions
            .iter()
            .filter_map(|(key, function)| {
                self.function(
                    &scope,
                    key,
                    function,
                    &defaults,
                    &mut arn_refs,
                    &mut url_refs,
                )
            })
            .map(|f| (f.key.clone(), f))
            .collect();
        self.reference_cycles(&arn_refs);
        self.url_refs(&functions, &url_refs);
        events::grant(&mut roles, &functions);
        let api = raw.api.as_ref().map(|api| self.api(&scope, api));

        let desired = Desired {
            scope,
            region: raw.region.as_ref().map(|r| r.value.clone()),
            roles,
            functions,
            api,
            uses_account: self.resolved.uses_account,
            today: self.today,
        };
        self.limits(&desired, &raw);
        desired
    }
}
