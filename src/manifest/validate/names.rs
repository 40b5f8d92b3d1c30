//! Keys and physical names, as every kind of resource has them.
//!
//! A key (`functions: <key>:`) becomes part of a physical name, and a physical name is
//! the `name:` the manifest sets or `<project>-<stage>-<key>`; each service limits what
//! a name may hold ([`NameRules`]). The kinds call these; nothing here knows a kind
//! beyond the words in its messages.

use crate::manifest::raw::Sp;
use crate::manifest::rules;
use crate::model::Scope;

use super::Validator;

/// What a service accepts as a physical name.
#[derive(Clone, Copy)]
pub(super) struct NameRules {
    pub kind: &'static str,
    pub service: &'static str,
    pub allowed: fn(char) -> bool,
    pub charset: &'static str,
}

impl Validator<'_, '_> {
    pub(super) fn lower_name(&mut self, name: &Sp<String>, what: &str) {
        if !rules::is_lower_name(&name.value) {
            let hint = name.value.to_lowercase().replace(['_', ' ', '.'], "-");
            let mut h = self
                .r
                .error(
                    name.loc,
                    format!("`{}` is not a valid {what} name", name.value),
                )
                .help(format!(
                    "a {what} name is lowercase letters, digits and hyphens, starting with a letter; it becomes part of every resource name"
                ));
            if rules::is_lower_name(&hint) {
                h = h.help(format!("try `{hint}`"));
            }
            let _ = h;
        }
    }

    pub(super) fn resource_key(&mut self, key: &Sp<String>, kind: &str) -> bool {
        if rules::is_resource_key(&key.value) {
            return true;
        }
        self.r
            .error(
                key.loc,
                format!("`{}` is not a valid {kind} key", key.value),
            )
            .help(format!(
                "a {kind} key is letters, digits and hyphens; it becomes part of the physical name"
            ))
            .help_if(
                rules::is_resource_key(&key.value.replace(['_', '.', ' '], "-"))
                    .then(|| format!("try `{}`", key.value.replace(['_', '.', ' '], "-"))),
            );
        false
    }

    /// The physical name: explicit `name:`, or `<project>-<stage>-<key>`, checked against
    /// the service's charset and 64-character limit.
    pub(super) fn physical_name(
        &mut self,
        scope: &Scope,
        key: &Sp<String>,
        explicit: Option<&Sp<String>>,
        rules: &NameRules,
    ) -> String {
        let NameRules {
            kind,
            service,
            allowed,
            charset,
        } = *rules;
        let name = scope.name_or_default(&key.value, explicit.map(|n| n.value.as_str()));
        let loc = explicit.map_or(key.loc, |n| n.loc);
        let len = name.chars().count();
        let origin = if explicit.is_some() {
            String::new()
        } else {
            " (`<project>-<stage>-<key>`)".to_owned()
        };
        if name.is_empty() {
            self.r
                .error(loc, format!("the {kind} name is empty"))
                .help(format!(
                    "remove `name:` to use `{}`",
                    scope.physical_name(&key.value)
                ));
        } else if len > 64 {
            self.r
                .error(
                    loc,
                    format!(
                        "the {kind} name `{name}`{origin} is {len} characters; {service} allows at most 64"
                    ),
                )
                .help(if explicit.is_some() {
                    "choose a shorter `name:`".to_owned()
                } else {
                    format!("shorten the key, or set a shorter `name:` for this {kind}")
                });
        } else if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
            self.r
                .error(
                    loc,
                    format!("the {kind} name `{name}`{origin} contains `{bad}`, which {service} does not allow"),
                )
                .help(format!("{service} names may only contain {charset}"));
        }
        name
    }
}
