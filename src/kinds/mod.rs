//! Resource kinds, one home each: what lade knows about roles, functions and the REST
//! API lives in that kind's module, behind the [`Kind`] trait.
//!
//! A kind's module holds its diff (desired against live, field by field), the steps
//! each change needs (each saying what it creates, sets, deletes and needs, so that
//! `plan::graph` can order them), its ownership proof, and the live objects it
//! fingerprints for stale-plan checks. The stage modules (`diff`, `plan`,
//! `plan::fingerprint`) loop over [`KINDS`] and know no kind by name.
//!
//! The trait has no default methods: a kind that forgets its deletes or its
//! fingerprints does not compile. `tests` below also checks that every registered kind
//! plans the removal of what it owns and fingerprints it.
//!
//! Adding a kind: see "Adding a resource kind" in docs/architecture.md.

use std::collections::BTreeMap;

use crate::diff::Change;
use crate::model::{Artifact, Desired, Live};
use crate::plan::address::{Address, Object};
use crate::plan::graph::StepSpec;

pub mod function;
pub mod function_url;
pub mod http_api;
pub mod notification;
pub mod rest_api;
pub mod role;
pub mod rule;
pub mod subscription;
pub mod trigger;

/// What a kind's diff reads.
pub struct DiffCx<'a> {
    pub desired: &'a Desired,
    pub live: &'a Live,
    /// Each function's built package, by function key.
    pub artifacts: &'a BTreeMap<String, Artifact>,
}

/// What a kind's planning reads.
pub struct PlanCx<'a> {
    pub desired: &'a Desired,
    pub live: &'a Live,
    /// Every change of the plan, of every kind, in the order [`crate::diff::diff`] lists them.
    pub changes: &'a [Change],
    pub artifacts: &'a BTreeMap<String, Artifact>,
    /// Salt for the hashes of sensitive values.
    pub salt: &'a str,
}

impl PlanCx<'_> {
    /// The changes of one kind of resource.
    pub fn changes_of(
        &self,
        kind: crate::model::ResourceKind,
    ) -> impl Iterator<Item = &Change> + '_ {
        self.changes.iter().filter(move |c| c.kind() == kind)
    }
}

/// A fingerprint of one live object: the base64 SHA-256 of its JSON form.
pub type Fingerprint = String;

/// Everything lade knows about one kind of resource.
pub trait Kind: Sync {
    /// The kind's name for people, e.g. `role`.
    fn name(&self) -> &'static str;
    /// How the desired resources of this kind differ from the live ones: creates,
    /// updates, replacements and deletes.
    fn diff(&self, cx: &DiffCx) -> Vec<Change>;
    /// The steps that create and update this kind's resources, for its changes.
    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec>;
    /// The steps that delete this kind's resources, for its changes.
    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec>;
    /// The fingerprint of every live object of this kind that the plan depends on.
    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)>;
}

/// Every kind, in the order plans list their creates and updates.
pub const KINDS: &[&dyn Kind] = &[
    &role::Role,
    &function::Function,
    &rest_api::RestApi,
    &http_api::HttpApi,
    &trigger::Trigger,
    &function_url::FunctionUrl,
    &rule::Rule,
    &notification::Notification,
    &subscription::Subscription,
];

/// The fingerprint of a live object.
pub fn fingerprint(value: &impl serde::Serialize) -> Fingerprint {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let bytes = serde_json::to_vec(value).expect("live objects serialize");
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// A change with no fields, of a resource the manifest no longer names.
pub fn deleted(address: Address, name: &str) -> Change {
    Change::new(address, name, crate::diff::Action::Delete)
}

#[cfg(test)]
mod tests;
