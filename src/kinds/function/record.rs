//! lade's record of what it applied to a function: the `lade:config` tag (a
//! fingerprint of the configuration) and the `lade:sensitive` tag (the names of its
//! sensitive variables). `live` compares it with the listed configuration to confirm
//! drift, the diff reports a function changed outside lade, and apply writes it after
//! every configuration it sets.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cloud::FunctionConfig;
use crate::model::{Function, LiveFunction};

/// Tag key that holds a fingerprint of the configuration lade last applied to a
/// function: a live configuration that no longer matches it was changed outside lade.
pub const TAG_CONFIG: &str = "lade:config";

/// The fingerprint of a function configuration, as stored in its `lade:config` tag.
/// Sensitive environment values enter only by name: a tag is readable by anyone who
/// can list tags, so it must not let anyone test guesses of a secret.
pub fn config_fingerprint(config: &FunctionConfig, sensitive: &BTreeSet<String>) -> String {
    fingerprint_of(&fingerprint_input(config, sensitive))
}

/// The base64 SHA-256 of a fingerprint's input.
pub fn fingerprint_of(input: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(input.as_bytes()))
}

/// The text whose base64 SHA-256 is the `lade:config` fingerprint: the fields, in
/// order, as one line of JSON. `--explain` prints it for a reader to hash.
pub fn fingerprint_input(config: &FunctionConfig, sensitive: &BTreeSet<String>) -> String {
    let environment: BTreeMap<&String, &str> = config
        .environment
        .iter()
        .map(|(k, v)| {
            (
                k,
                if sensitive.contains(k) {
                    "(sensitive)"
                } else {
                    v.as_str()
                },
            )
        })
        .collect();
    let fields = json!([
        config.handler,
        config.runtime,
        config.role_arn,
        config.memory,
        config.timeout,
        config.description,
        environment,
    ]);
    fields.to_string()
}

/// Tag key that lists the environment variables that were sensitive when lade last
/// applied the configuration (names only), so their old values stay masked even after
/// the manifest drops them or stops marking them sensitive.
pub const TAG_SENSITIVE: &str = "lade:sensitive";

/// The `lade:sensitive` value that means every variable is sensitive: within Lambda's
/// tag character set, and no variable's name (those start with a letter). Older
/// versions of lade wrote `*`, which `TagResource` refuses; it is still read.
const ALL_SENSITIVE: &str = ":all";

/// What lade records on a function when it applies a configuration: its fingerprint
/// and the names of its sensitive variables.
pub fn applied_record(
    config: &FunctionConfig,
    sensitive: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            TAG_CONFIG.to_string(),
            config_fingerprint(config, sensitive),
        ),
        (TAG_SENSITIVE.to_string(), sensitive_tag(sensitive)),
    ])
}

/// The `lade:sensitive` value for these variables.
pub fn sensitive_tag(sensitive: &BTreeSet<String>) -> String {
    let names = sensitive
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    // A tag value holds at most 256 characters of letters, digits, spaces and
    // `_ . : / = + - @` (names are letters, digits and `_`, so they always fit the set);
    // past 256, ALL_SENSITIVE means "treat all as sensitive".
    if names.len() > 256 {
        ALL_SENSITIVE.to_string()
    } else {
        names
    }
}

/// The variables lade last applied as sensitive; `None` when unknown, or all.
pub fn recorded_sensitive(live: &LiveFunction) -> Option<BTreeSet<String>> {
    match live.tags.get(TAG_SENSITIVE).map(String::as_str) {
        None | Some("*" | ALL_SENSITIVE) => None,
        Some(names) => Some(names.split_whitespace().map(str::to_string).collect()),
    }
}

/// A live function's configuration, as `UpdateFunctionConfiguration` sets it.
pub fn live_config(live: &LiveFunction) -> FunctionConfig {
    FunctionConfig {
        handler: live.handler.clone(),
        runtime: live.runtime.clone(),
        role_arn: live.role_arn.clone(),
        memory: live.memory,
        timeout: live.timeout,
        environment: live.environment.clone(),
        description: live.description.clone(),
    }
}

/// The record (`lade:config`, `lade:sensitive`) of a live function's configuration as
/// apply would write it for `function`: for a configuration that is already what the
/// manifest asks for, but whose record is out of date.
pub fn current_record(function: &Function, live: &LiveFunction) -> BTreeMap<String, String> {
    applied_record(&live_config(live), &function.sensitive_keys())
}

/// Whether a live function's configuration differs from what lade last applied.
pub fn drifted(function: &Function, live: &LiveFunction) -> bool {
    let Some(applied) = live.tags.get(TAG_CONFIG) else {
        return false;
    };
    let config = live_config(live);
    // The fingerprint was taken with the sensitive set of that time.
    let sensitive = recorded_sensitive(live).unwrap_or_else(|| function.sensitive_keys());
    &config_fingerprint(&config, &sensitive) != applied
}

/// Whether a tag is lade's own record rather than something the manifest asks for.
pub fn is_record_tag(key: &str) -> bool {
    key == TAG_CONFIG || key == TAG_SENSITIVE || key == crate::kinds::function_url::TAG_URL
}

/// The `lade:config` fingerprint of a live function's configuration, with the
/// sensitive variables `sensitive`.
pub fn live_fingerprint(function: &LiveFunction, sensitive: &BTreeSet<String>) -> String {
    config_fingerprint(&live_config(function), sensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FunctionConfig {
        FunctionConfig {
            handler: "app.handler".into(),
            runtime: "python3.12".into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            memory: 128,
            timeout: 3,
            environment: BTreeMap::new(),
            description: String::new(),
        }
    }

    /// Both record tags are valid Lambda tag values, however many variables are
    /// sensitive: at most 256 characters, in Lambda's tag character set.
    #[test]
    fn the_record_fits_lambdas_tag_rules() {
        for count in [0, 1, 10, 30, 200] {
            let sensitive: BTreeSet<String> =
                (0..count).map(|i| format!("SECRET_VALUE_{i}")).collect();
            let record = applied_record(&config(), &sensitive);
            for value in record.values() {
                assert!(value.chars().count() <= 256, "{value}");
                assert!(value.chars().all(crate::limits::is_tag_char), "{value}");
            }
            let live = LiveFunction {
                tags: record,
                ..serde_json::from_value(serde_json::json!({
                    "name": "f", "arn": "a", "handler": "h", "runtime": "r", "role_arn": "r",
                    "memory": 128, "timeout": 3, "environment": {}, "description": "",
                    "architecture": "x86_64", "code_sha256": "", "code_size": 0,
                    "revision_id": "", "tags": {}
                }))
                .unwrap()
            };
            let read = recorded_sensitive(&live);
            if count >= 30 {
                assert_eq!(read, None, "past 256 characters, all are sensitive");
            } else {
                assert_eq!(read, Some(sensitive));
            }
        }
    }
}
