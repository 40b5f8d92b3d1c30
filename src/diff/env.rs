//! Environment variables: resolving cross-references as far as live state allows,
//! comparing with what Lambda holds, and masking sensitive values.
//!
//! A sensitive value is compared in memory like any other, but it leaves this module
//! only as `(sensitive)`, `(sensitive value changed)`, or a salted hash: never as text.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Field, FieldChange, FieldValue, KNOWN_AFTER_APPLY, Output, Ref};
use crate::arn::invoke_url;
use crate::model::{CrossRef, Desired, EnvValue, Function, Live, LiveFunction, Part};

/// Shown in place of a sensitive value.
pub const SENSITIVE: &str = "(sensitive)";
/// Shown in place of a sensitive value that changes.
pub const SENSITIVE_CHANGED: &str = "(sensitive value changed)";

/// An environment value as a plan holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedValue {
    /// Known text.
    Text(String),
    /// Text with values that apply learns from earlier steps (`Known` parts are text).
    Template(Vec<Ref>),
    /// A sensitive value: apply takes it from the manifest again and checks it against
    /// this salted hash. The plan never holds the value itself.
    Sensitive { hash: String },
}

/// The parts of `value`, with every reference whose target is live filled in.
pub fn resolve(desired: &Desired, live: &Live, value: &EnvValue) -> Vec<Ref> {
    let mut parts: Vec<Ref> = Vec::new();
    for part in &value.parts {
        let next = match part {
            Part::Text(text) => Ref::Known(text.clone()),
            Part::Ref(CrossRef::FunctionArn(key)) => {
                let name = desired
                    .functions
                    .get(key)
                    .map_or(key.as_str(), |f| f.name.as_str());
                match live.functions.get(name) {
                    Some(function) => Ref::Known(function.arn.clone()),
                    None => Ref::After(Output::FunctionArn(name.to_string())),
                }
            }
            Part::Ref(CrossRef::RoleArn(key)) => {
                let name = desired
                    .roles
                    .get(key)
                    .map_or(key.as_str(), |r| r.name.as_str());
                match live.roles.get(name) {
                    Some(role) => Ref::Known(role.arn.clone()),
                    None => Ref::After(Output::RoleArn(name.to_string())),
                }
            }
            Part::Ref(CrossRef::ApiUrl) if crate::kinds::http_api::wanted(desired).is_some() => {
                let stage = crate::kinds::http_api::wanted(desired)
                    .map_or("$default".to_string(), |a| a.stage.clone());
                match (&live.http_api, &live.region) {
                    (Some(api), Some(region)) => {
                        Ref::Known(crate::arn::http_invoke_url(&api.id, region, &stage))
                    }
                    _ => Ref::After(Output::HttpApiUrl(stage)),
                }
            }
            Part::Ref(CrossRef::ApiUrl) => match (&live.api, &live.region) {
                (Some(api), Some(region)) => {
                    Ref::Known(invoke_url(&api.id, region, desired.api_stage()))
                }
                _ => Ref::After(Output::ApiUrl),
            },
            Part::Ref(CrossRef::FunctionUrl(key)) => {
                let name = desired
                    .functions
                    .get(key)
                    .map_or(key.as_str(), |f| f.name.as_str());
                match live.function_urls.get(name) {
                    Some(url) => Ref::Known(url.url.clone()),
                    None => Ref::After(Output::FunctionUrl(name.to_string())),
                }
            }
        };
        // Merge adjacent text, so a fully known value is one part.
        match (parts.last_mut(), next) {
            (Some(Ref::Known(previous)), Ref::Known(text)) => previous.push_str(&text),
            (_, next) => parts.push(next),
        }
    }
    parts
}

/// The text of `parts`, when every part is known.
pub fn known_text(parts: &[Ref]) -> Option<String> {
    parts
        .iter()
        .try_fold(String::new(), |mut text, part| match part {
            Ref::Known(known) => {
                text.push_str(known);
                Some(text)
            }
            Ref::After(_) => None,
        })
}

/// The salted hash a plan stores for a sensitive value.
pub fn sensitive_hash(salt: &str, parts: &[Ref]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(serde_json::to_vec(parts).expect("parts serialize"));
    base64::engine::general_purpose::STANDARD.encode(hasher.finalize())
}

/// A fresh random salt for a plan's hashes.
pub fn new_salt() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The planned environment of `function`.
pub fn planned(
    desired: &Desired,
    live: &Live,
    function: &Function,
    salt: &str,
) -> BTreeMap<String, PlannedValue> {
    function
        .environment
        .iter()
        .map(|(key, value)| {
            let parts = resolve(desired, live, value);
            let planned = if value.sensitive {
                PlannedValue::Sensitive {
                    hash: sensitive_hash(salt, &parts),
                }
            } else {
                match known_text(&parts) {
                    Some(text) => PlannedValue::Text(text),
                    None => PlannedValue::Template(parts),
                }
            };
            (key.clone(), planned)
        })
        .collect()
}

/// The sensitive values of every function, resolved as far as live state allows:
/// function name → variable → parts. Apply takes them from here, never from a plan.
pub fn secrets(desired: &Desired, live: &Live) -> Secrets {
    desired
        .functions
        .values()
        .map(|function| {
            let values = function
                .environment
                .iter()
                .filter(|(_, value)| value.sensitive)
                .map(|(key, value)| (key.clone(), resolve(desired, live, value)))
                .collect();
            (function.name.clone(), values)
        })
        .collect()
}

/// Sensitive values by function name and variable.
pub type Secrets = BTreeMap<String, BTreeMap<String, Vec<Ref>>>;

/// How the environment differs, with sensitive values masked; `None` when it matches.
pub fn field(
    desired: &Desired,
    live: &Live,
    function: &Function,
    existing: Option<&LiveFunction>,
) -> Option<FieldChange> {
    let live_env = existing.map(|f| &f.environment);
    let mut changed = existing.is_none();
    let mut new = BTreeMap::new();
    for (key, value) in &function.environment {
        let known = known_text(&resolve(desired, live, value));
        let current = live_env.and_then(|env| env.get(key));
        let same = known.is_some() && current == known.as_ref();
        changed |= !same;
        let shown = match (value.sensitive, known) {
            // Unchanged, or new: nothing to compare, so nothing "changed".
            (true, _) if same || current.is_none() => SENSITIVE.to_string(),
            (true, _) => SENSITIVE_CHANGED.to_string(),
            (false, Some(text)) => text,
            (false, None) => KNOWN_AFTER_APPLY.to_string(),
        };
        new.insert(key.clone(), shown);
    }
    if let Some(env) = live_env {
        changed |= env
            .keys()
            .any(|key| !function.environment.contains_key(key));
    }
    if !changed {
        return None;
    }
    // An old value stays masked if it is sensitive now, or was when lade last applied
    // it; when that record is missing, a variable the manifest dropped is masked too.
    let recorded = existing.and_then(crate::kinds::function::record::recorded_sensitive);
    let old = live_env.map(|env| {
        let masked: BTreeMap<String, String> = env
            .iter()
            .map(|(key, value)| {
                let now = function.environment.get(key);
                let sensitive = now.is_some_and(|v| v.sensitive)
                    || match &recorded {
                        Some(names) => names.contains(key),
                        None => now.is_none(),
                    };
                let shown = if sensitive { SENSITIVE } else { value.as_str() };
                (key.clone(), shown.to_string())
            })
            .collect();
        FieldValue::Map(masked)
    });
    Some(FieldChange {
        field: Field::Environment,
        old,
        new: Some(FieldValue::Map(new)),
    })
}
