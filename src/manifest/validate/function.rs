//! `functions:` → [`Function`]s: runtime, handler, role, memory, timeout, description,
//! architecture and tags, with `defaults:` merged in.
//!
//! Owns one function's fields. Its `source` is checked in [`source`](super::source),
//! its `environment` and `secrets` in [`environment`](super::environment), and the
//! references between functions in [`cycles`](super::cycles); this file calls them.

use std::collections::BTreeMap;

use crate::manifest::node::Loc;
use crate::manifest::raw::{Entries, RawArchitecture, RawFunction, Sp};
use crate::manifest::rules::{self, HandlerStyle, suggest};
use crate::model::{Architecture, CrossRef, Function, RoleRef, Scope};

use super::Validator;
use super::defaults::Defaults;
use super::names::NameRules;

const FUNCTION_NAMES: NameRules = NameRules {
    kind: "function",
    service: "Lambda",
    allowed: rules::is_function_name_char,
    charset: "letters, digits, `-` and `_`",
};

impl Validator<'_, '_> {
    pub(super) fn function(
        &mut self,
        scope: &Scope,
        key: &Sp<String>,
        raw: &RawFunction,
        defaults: &Defaults,
        arn_refs: &mut BTreeMap<String, Vec<(String, Loc)>>,
        url_refs: &mut Vec<(String, CrossRef, Loc)>,
    ) -> Option<Function> {
        let key_ok = self.resource_key(key, "function");
        let name = self.physical_name(scope, key, raw.name.as_ref(), &FUNCTION_NAMES);
        let source = self.source(raw);
        let runtime = match (&raw.runtime, &defaults.runtime) {
            (Some(runtime), _) => Some((runtime.value.clone(), self.runtime(runtime))),
            (None, Some((runtime, ok))) => Some((runtime.value.clone(), *ok)),
            (None, None) => {
                // A `runtime:` that failed to read has been reported already.
                if !self.declared.with_runtime.contains(&key.value) {
                    self.r
                        .error(key.loc, format!("function `{}` is missing `runtime`", key.value))
                        .help("add `runtime:` to the function, e.g. `runtime: python3.12`, or to `defaults:` for every function");
                }
                None
            }
        };
        if let Some((runtime, true)) = &runtime {
            self.handler(&raw.handler, runtime);
        }
        let role = self.role_ref(&raw.role);
        let owner = format!("function `{}`", key.value);
        let memory = match &raw.memory {
            Some(m) => self.range(&owner, m, 128, "memory", 128, 10240, "MB"),
            None => defaults.memory.unwrap_or(128),
        };
        let timeout = match &raw.timeout {
            Some(t) => self.range(&owner, t, 3, "timeout", 1, 900, "seconds"),
            None => defaults.timeout.unwrap_or(3),
        };
        let mut environment = defaults.environment.clone();
        environment.extend(self.environment(&owner, &raw.environment));
        self.secrets(
            key,
            raw.secrets.as_deref().unwrap_or_default(),
            &mut environment,
        );
        let refs: Vec<(String, Loc)> = environment
            .values()
            .flat_map(|env| &env.refs)
            .filter_map(|(reference, loc)| match reference {
                // A function's URL exists only once the function does, like its ARN.
                CrossRef::FunctionArn(to) | CrossRef::FunctionUrl(to) => Some((to.clone(), *loc)),
                _ => None,
            })
            .collect();
        url_refs.extend(
            environment
                .values()
                .flat_map(|env| &env.refs)
                .filter(|(reference, _)| matches!(reference, CrossRef::FunctionUrl(_)))
                .map(|(reference, loc)| (key.value.clone(), reference.clone(), *loc)),
        );
        arn_refs.insert(key.value.clone(), refs);
        let mut tags = defaults.tags.clone();
        tags.extend(self.tags(&raw.tags));
        if let Some(d) = &raw.description
            && d.value.chars().count() > 256
        {
            self.r
                .error(
                    d.loc,
                    format!(
                        "the description is {} characters; Lambda allows at most 256",
                        d.value.chars().count()
                    ),
                )
                .help("shorten it");
        }
        let architecture = match &raw.architecture {
            Some(a) => architecture(a.value),
            None => defaults.architecture.unwrap_or_default(),
        };
        let event_sources = self.event_sources(&owner, raw.events.as_deref().unwrap_or_default());
        let url = self.url(&owner, raw.url.as_ref());
        let rules = self.rules(
            scope,
            &key.value,
            &owner,
            raw.events.as_deref().unwrap_or_default(),
        );
        let (notifications, subscriptions) = self.notifications(
            scope,
            &name,
            &owner,
            raw.events.as_deref().unwrap_or_default(),
        );
        // The mark that tells `live` to read this function's statements, through which
        // it finds the buckets and topics that invoke it (see `live::read_invokers`).
        let invokers: Vec<&str> = [
            (!notifications.is_empty()).then_some("s3"),
            (!subscriptions.is_empty()).then_some("sns"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !invokers.is_empty() {
            tags.insert(crate::model::TAG_INVOKERS.to_string(), invokers.join(" "));
        }
        Some(Function {
            key: key_ok.then(|| key.value.clone())?,
            name,
            source: source?,
            handler: raw.handler.value.clone(),
            runtime: runtime?.0,
            role: role?,
            memory,
            timeout,
            environment: environment
                .into_iter()
                .map(|(k, env)| (k, env.value))
                .collect(),
            description: raw
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
            architecture,
            tags,
            rules,
            event_sources,
            url,
            notifications,
            subscriptions,
        })
    }

    /// Whether Lambda takes `runtime` today. One it refuses both to create and to
    /// update functions with is an error here; one it only refuses for new functions
    /// is the plan's to refuse (it knows which functions exist), and the plan warns
    /// about the rest ahead of their dates ([`crate::runtimes`]).
    pub(super) fn runtime(&mut self, runtime: &Sp<String>) -> bool {
        use crate::runtimes::{self, Status};
        let value = runtime.value.as_str();
        let today = self.today;
        match runtimes::find(value) {
            Some(known) => match runtimes::status(known, today) {
                Status::Blocked { since } => {
                    self.r
                        .error(
                            runtime.loc,
                            format!("runtime `{value}` is deprecated; Lambda no longer lets you deploy it (it refuses to create or update functions with it since {since})"),
                        )
                        .help(format!("use a current runtime such as `{}`", known.successor));
                    false
                }
                _ => true,
            },
            None => {
                let creatable = runtimes::creatable(today);
                let mut h = self
                    .r
                    .error(runtime.loc, format!("`{value}` is not a Lambda runtime"));
                h = match suggest(value, creatable.iter().copied()) {
                    Some(s) => h.help(format!("did you mean `{s}`?")),
                    None => h.help(format!("current runtimes: {}", creatable.join(", "))),
                };
                let _ = h;
                false
            }
        }
    }

    pub(super) fn handler(&mut self, handler: &Sp<String>, runtime: &str) {
        let value = handler.value.as_str();
        let Some(style) = HandlerStyle::of(runtime) else {
            return;
        };
        if value.is_empty() {
            self.r
                .error(handler.loc, "`handler` is empty")
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        } else if value.contains(char::is_whitespace) {
            self.r
                .error(
                    handler.loc,
                    format!("handler `{value}` contains whitespace"),
                )
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        } else if value.chars().count() > 128 {
            self.r
                .error(
                    handler.loc,
                    format!(
                        "handler is {} characters; Lambda allows at most 128",
                        value.chars().count()
                    ),
                )
                .help("shorten the module path or function name");
        } else if !style.accepts(value) {
            self.r
                .error(
                    handler.loc,
                    format!("handler `{value}` does not fit runtime `{runtime}`"),
                )
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        }
    }

    pub(super) fn role_ref(&mut self, role: &Sp<String>) -> Option<RoleRef> {
        let value = role.value.as_str();
        if value.starts_with("arn:") {
            if rules::is_role_arn(value) {
                return Some(RoleRef::Arn(value.to_owned()));
            }
            self.r
                .error(role.loc, format!("`{value}` is not a role ARN"))
                .help("a role ARN is `arn:<partition>:iam::<12-digit account id>:role/<path><name>`, e.g. `arn:aws:iam::123456789012:role/my-role`");
            return None;
        }
        if self.declared.roles.iter().any(|r| r == value) {
            return Some(RoleRef::Key(value.to_owned()));
        }
        let declared = &self.declared.roles;
        let mut h = self.r.error(
            role.loc,
            format!("role `{value}` is not defined in `roles:`"),
        );
        if let Some(s) = suggest(value, declared.iter().map(String::as_str)) {
            h = h.help(format!("did you mean `{s}`?"));
        }
        h = if declared.is_empty() {
            h.help("define it under `roles:`, or give an existing role's ARN")
        } else {
            h.help(format!(
                "defined roles: {}; or give an existing role's ARN",
                declared
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        let _ = h;
        None
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call per field reads best as a table"
    )]
    pub(super) fn range(
        &mut self,
        owner: &str,
        value: &Sp<i64>,
        default: i32,
        what: &str,
        min: i64,
        max: i64,
        unit: &str,
    ) -> i32 {
        if (min..=max).contains(&value.value) {
            return i32::try_from(value.value).unwrap_or(default);
        }
        self.r
            .error(
                value.loc,
                format!(
                    "`{what}` in {owner} must be between {min} and {max} {unit}, not {}",
                    value.value
                ),
            )
            .help(format!("Lambda's {what} is {min} to {max} {unit}"));
        default
    }

    pub(super) fn tags(&mut self, tags: &Entries<Sp<String>>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (key, value) in tags.iter() {
            let lower = key.value.to_ascii_lowercase();
            if lower.starts_with("lade:") || lower.starts_with("aws:") {
                let prefix = &key.value[..key.value.find(':').unwrap_or(0) + 1];
                self.r
                    .error(
                        key.loc,
                        format!("tag key `{}` uses the reserved prefix `{prefix}`", key.value),
                    )
                    .help("`lade:` tags prove ownership and are set by lade; `aws:` tags belong to AWS; choose another key");
            } else if key.value.is_empty() || key.value.chars().count() > 128 {
                self.r
                    .error(key.loc, "a tag key must be 1 to 128 characters")
                    .help("shorten the key");
            } else if value.value.chars().count() > 256 {
                self.r
                    .error(value.loc, "a tag value must be at most 256 characters")
                    .help("shorten the value");
            } else if let Some((at, bad)) = [(key, &key.value), (value, &value.value)]
                .into_iter()
                .find_map(|(at, text)| {
                    text.chars()
                        .find(|c| !crate::limits::is_tag_char(*c))
                        .map(|c| (at, c))
                })
            {
                let what = if at.loc == key.loc { "key" } else { "value" };
                self.r
                    .error(
                        at.loc,
                        format!("tag {what} `{}` contains `{bad}`, which Lambda does not allow in tags", at.value),
                    )
                    .help("tag keys and values may hold letters, digits, spaces and `_ . : / = + - @`");
            } else {
                out.insert(key.value.clone(), value.value.clone());
            }
        }
        out
    }
}

pub(super) fn architecture(raw: RawArchitecture) -> Architecture {
    match raw {
        RawArchitecture::X86_64 => Architecture::X86_64,
        RawArchitecture::Arm64 => Architecture::Arm64,
    }
}
