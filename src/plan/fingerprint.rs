//! Fingerprints of the live objects a plan was made from, and the check that a saved
//! plan still applies.
//!
//! A plan records one fingerprint (a SHA-256 of its JSON form) per live object it
//! read: each role with its policies, each function with its configuration, code hash
//! and tags, the REST API with its resources, stage and deployments, each function's
//! resource policy, and each resource lade found under a wanted name. Before applying a
//! saved plan, lade reads the account again: an object that changed, appeared or
//! vanished makes the plan stale, and so does a changed package or sensitive value.
//! Nothing is changed then.

use std::collections::BTreeMap;

use super::address::Object;
use super::{Inputs, LambdaOp, Op, Plan};
use crate::diff::env::{PlannedValue, sensitive_hash};
use crate::kinds::{KINDS, fingerprint};
use crate::model::Live;

/// Fingerprints by object, e.g. `function shop-dev-list` → hash.
pub type Fingerprints = BTreeMap<Object, String>;

/// The fingerprints of everything `live` holds: each kind's objects, and each resource
/// found under a wanted name that lade does not own.
pub fn of(live: &Live) -> Fingerprints {
    let mut prints: Fingerprints = KINDS
        .iter()
        .flat_map(|kind| kind.fingerprints(live))
        .collect();
    for foreign in &live.foreign {
        prints.insert(
            Object::NotOwned {
                kind: foreign.kind,
                name: foreign.name.clone(),
            },
            fingerprint(foreign),
        );
    }
    prints
}

/// Why `plan` no longer applies to `live` with `inputs`; empty when it still does.
pub fn stale(plan: &Plan, live: &Live, inputs: &Inputs) -> Vec<String> {
    let mut reasons = Vec::new();
    let now = of(live);
    for (object, print) in &plan.fingerprints {
        match now.get(object) {
            None => reasons.push(format!("{object} no longer exists")),
            Some(current) if current != print => reasons.push(format!("{object} changed")),
            Some(_) => {}
        }
    }
    for object in now.keys().filter(|o| !plan.fingerprints.contains_key(*o)) {
        reasons.push(format!("{object} appeared"));
    }
    for (key, sha256) in &plan.artifacts {
        if inputs
            .artifacts
            .get(key)
            .is_none_or(|a| &a.sha256 != sha256)
        {
            reasons.push(format!("the source of function `{key}` changed"));
        }
    }
    for step in &plan.steps {
        if let Op::Lambda(LambdaOp::CreateFunction { name, settings, .. })
        | Op::Lambda(LambdaOp::UpdateFunctionConfiguration { name, settings, .. }) = &step.op
        {
            reasons.extend(secrets_changed(plan, name, &settings.environment, inputs));
        }
    }
    reasons
}

fn secrets_changed(
    plan: &Plan,
    function: &str,
    environment: &BTreeMap<String, PlannedValue>,
    inputs: &Inputs,
) -> Vec<String> {
    environment
        .iter()
        .filter_map(|(key, value)| {
            let PlannedValue::Sensitive { hash } = value else {
                return None;
            };
            let current = inputs.secrets.get(function).and_then(|vars| vars.get(key));
            match current {
                Some(parts) if sensitive_hash(&plan.salt, parts) == *hash => None,
                _ => Some(format!(
                    "the sensitive value of {key} for function {function} changed"
                )),
            }
        })
        .collect()
}
