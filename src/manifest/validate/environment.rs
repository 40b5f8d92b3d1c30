//! A function's `environment` and `secrets` (and those of `defaults:`).
//!
//! Owns the names of environment variables (reserved, charset) and which are secret.
//! The values arrive already resolved: [`vars`](crate::manifest::vars) has turned
//! `${...}` into text, references and sensitivity
//! ([`Resolved::env`](crate::manifest::vars::Resolved::env)); this file only picks
//! them up.

use std::collections::BTreeMap;

use crate::manifest::node::Loc;
use crate::manifest::raw::{Entries, Sp};
use crate::manifest::rules::{self, suggest};
use crate::model::{CrossRef, EnvValue};

use super::Validator;

/// An environment variable's value, and where each reference in it was written.
#[derive(Clone)]
pub(super) struct Env {
    pub value: EnvValue,
    pub refs: Vec<(CrossRef, Loc)>,
}

impl Validator<'_, '_> {
    /// Checks the names; values come resolved from
    /// [`Resolved::env`](crate::manifest::vars::Resolved::env) or as plain text.
    pub(super) fn environment(
        &mut self,
        owner: &str,
        environment: &Entries<Sp<String>>,
    ) -> BTreeMap<String, Env> {
        let mut out = BTreeMap::new();
        for (name, value) in environment.iter() {
            if rules::is_reserved_env(&name.value) {
                self.r
                    .error(
                        name.loc,
                        format!(
                            "`{}` is reserved by Lambda and cannot be set in {owner}",
                            name.value
                        ),
                    )
                    .help("Lambda sets it at run time; use a different name");
            } else if !rules::is_env_key(&name.value) {
                let fixed: String = name
                    .value
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                self.r
                    .error(
                        name.loc,
                        format!(
                            "`{}` is not a valid environment variable name in {owner}",
                            name.value
                        ),
                    )
                    .help("names are letters, digits and `_`, starting with a letter")
                    .help_if(rules::is_env_key(&fixed).then(|| format!("try `{fixed}`")));
            } else {
                let env = match self.resolved.env.get(&value.loc) {
                    Some(resolved) => Env {
                        value: resolved.value.clone(),
                        refs: resolved.refs.clone(),
                    },
                    None => Env {
                        value: EnvValue::text(value.value.clone()),
                        refs: Vec::new(),
                    },
                };
                out.insert(name.value.clone(), env);
            }
        }
        out
    }

    /// Marks the variables `secrets:` names as sensitive; each must be in the
    /// environment (after `defaults:` are merged).
    pub(super) fn secrets(
        &mut self,
        key: &Sp<String>,
        secrets: &[Sp<String>],
        environment: &mut BTreeMap<String, Env>,
    ) {
        for secret in secrets {
            if let Some(env) = environment.get_mut(&secret.value) {
                env.value.sensitive = true;
                continue;
            }
            let names: Vec<&str> = environment.keys().map(String::as_str).collect();
            let mut h = self.r.error(
                secret.loc,
                format!(
                    "`secrets:` names `{}`, which is not in the environment of function `{}`",
                    secret.value, key.value
                ),
            );
            if let Some(s) = suggest(&secret.value, names.iter().copied()) {
                h = h.help(format!("did you mean `{s}`?"));
            }
            h = if names.is_empty() {
                h.help(format!(
                    "the function has no environment; add `{}` under `environment:`",
                    secret.value
                ))
            } else {
                h.help(format!(
                    "its environment variables: {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            };
            let _ = h;
        }
    }
}
