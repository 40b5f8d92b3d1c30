//! IAM execution roles: their diff (trust policy, managed and inline policies), the
//! steps that create, update and delete them, how lade proves it owns one, and the
//! fingerprint of each live role.
//!
//! Ownership is the IAM path `/lade/<project>/<stage>/`: a role under it is lade's, a
//! role with a wanted name elsewhere is someone else's and is never touched. Policy
//! documents compare semantically (`policy::equivalent`).

use std::collections::BTreeMap;

use super::{DiffCx, Fingerprint, Kind, PlanCx, deleted, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue};
use crate::model::{Live, LiveRole, ResourceKind, Role as DesiredRole, Scope};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{IamOp, Op, PlannedRole};
use crate::policy;

/// The role kind.
pub struct Role;

/// Whether a role at `path` is this project and stage's; the reason when it is not.
pub fn proof(scope: &Scope, path: &str) -> Result<(), String> {
    let ours = scope.iam_path();
    if path == ours {
        Ok(())
    } else {
        Err(format!(
            "its IAM path is `{path}`, not `{ours}`, so lade does not own it"
        ))
    }
}

impl Kind for Role {
    fn name(&self) -> &'static str {
        "role"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        for role in desired.roles.values() {
            let existing = live.roles.get(&role.name);
            let fields = role_fields(role, existing);
            if existing.is_some() && fields.is_empty() {
                continue;
            }
            let action = if existing.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            changes.push(Change {
                key: Some(role.key.clone()),
                fields,
                ..Change::new(Address::Role(role.name.clone()), &role.name, action)
            });
        }
        for name in live.roles.keys() {
            if !desired.roles.values().any(|r| &r.name == name) {
                changes.push(deleted(Address::Role(name.clone()), name));
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Role)
            .filter(|c| c.action != Action::Delete)
        {
            let Some(role) = change.key.as_ref().and_then(|k| cx.desired.roles.get(k)) else {
                continue;
            };
            let address = Address::Role(role.name.clone());
            let created = change.action == Action::Create;
            if created {
                specs.push(
                    StepSpec::new(
                        Phase::Roles,
                        Op::Iam(IamOp::CreateRole {
                            role: PlannedRole {
                                name: role.name.clone(),
                                path: role.path.clone(),
                                trust_policy: role.trust_policy(),
                                tags: cx.desired.scope.ownership_tags(),
                                boundary: role.boundary.clone(),
                            },
                        }),
                    )
                    .creates(address.clone()),
                );
            }
            for field in &change.fields {
                let name = role.name.clone();
                let (op, part) = match (&field.field, &field.new) {
                    (Field::TrustPolicy | Field::PermissionsBoundary, _) if created => continue,
                    (Field::PermissionsBoundary, _) => (
                        match &role.boundary {
                            Some(arn) => Op::Iam(IamOp::PutRolePermissionsBoundary {
                                role: name,
                                policy_arn: arn.clone(),
                            }),
                            None => Op::Iam(IamOp::DeleteRolePermissionsBoundary { role: name }),
                        },
                        None,
                    ),
                    (Field::TrustPolicy, Some(_)) => (
                        Op::Iam(IamOp::UpdateTrustPolicy {
                            role: name,
                            document: role.trust_policy(),
                        }),
                        None,
                    ),
                    (Field::ManagedPolicy(arn), new) => {
                        let part = Address::RoleAttachment {
                            role: name.clone(),
                            policy_arn: arn.clone(),
                        };
                        let op = if new.is_some() {
                            Op::Iam(IamOp::AttachRolePolicy {
                                role: name,
                                policy_arn: arn.clone(),
                            })
                        } else {
                            Op::Iam(IamOp::DetachRolePolicy {
                                role: name,
                                policy_arn: arn.clone(),
                            })
                        };
                        (op, Some(part))
                    }
                    (Field::InlinePolicy(policy), _) => {
                        let part = Address::RolePolicy {
                            role: name.clone(),
                            policy: policy.clone(),
                        };
                        let op = match role.inline_policies.get(policy) {
                            Some(document) => Op::Iam(IamOp::PutRolePolicy {
                                role: name,
                                policy: policy.clone(),
                                document: document.clone(),
                            }),
                            None => Op::Iam(IamOp::DeleteRolePolicy {
                                role: name,
                                policy: policy.clone(),
                            }),
                        };
                        (op, Some(part))
                    }
                    _ => continue,
                };
                let mut spec = StepSpec::new(Phase::Roles, op)
                    .needs([Need::Exists(address.clone())])
                    .why("a policy can only be set on a role that exists");
                // What is removed from a role is no part of what a function waits for.
                if spec.op.is_delete() {
                    spec = spec.deletes(part.expect("only policies are removed"));
                } else {
                    spec = spec.sets(address.clone());
                    if let Some(part) = part {
                        spec = spec.creates(part);
                    }
                }
                specs.push(spec);
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::Role)
            .filter(|c| c.action == Action::Delete)
        {
            let Some(role) = cx.live.roles.get(&change.name) else {
                continue;
            };
            let name = &role.name;
            for arn in &role.managed_policies {
                specs.push(
                    StepSpec::new(
                        Phase::RoleCleanup,
                        Op::Iam(IamOp::DetachRolePolicy {
                            role: name.clone(),
                            policy_arn: arn.clone(),
                        }),
                    )
                    .deletes(Address::RoleAttachment {
                        role: name.clone(),
                        policy_arn: arn.clone(),
                    }),
                );
            }
            for policy in role.inline_policies.keys() {
                specs.push(
                    StepSpec::new(
                        Phase::RoleCleanup,
                        Op::Iam(IamOp::DeleteRolePolicy {
                            role: name.clone(),
                            policy: policy.clone(),
                        }),
                    )
                    .deletes(Address::RolePolicy {
                        role: name.clone(),
                        policy: policy.clone(),
                    }),
                );
            }
            specs.push(
                StepSpec::new(Phase::RoleCleanup, Op::Iam(IamOp::DeleteRole { role: name.clone() }))
                    .deletes(Address::Role(name.clone()))
                    .why("IAM refuses to delete a role that still has policies, and a function must not lose its role while it exists"),
            );
        }
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.roles
            .iter()
            .map(|(name, role)| (Object::Role(name.clone()), fingerprint(role)))
            .collect()
    }
}

/// The address of the owned role whose ARN is `arn`, if lade owns one.
pub fn owned_by_arn(live: &Live, arn: &str) -> Option<Address> {
    live.roles
        .values()
        .find(|role| role.arn == arn)
        .map(|role| Address::Role(role.name.clone()))
}

/// How a role differs, field by field (every field, for a role that does not exist).
fn role_fields(role: &DesiredRole, live: Option<&LiveRole>) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    let trust = role.trust_policy();
    if live.is_none_or(|l| !policy::equivalent(&l.trust_policy, &trust)) {
        fields.push(FieldChange {
            field: Field::TrustPolicy,
            old: live.map(|l| FieldValue::Document(l.trust_policy.clone())),
            new: Some(FieldValue::Document(trust)),
        });
    }
    let live_boundary = live.and_then(|l| l.boundary.as_ref());
    let boundary_differs = match live {
        None => role.boundary.is_some(),
        Some(_) => live_boundary != role.boundary.as_ref(),
    };
    if boundary_differs {
        fields.push(FieldChange {
            field: Field::PermissionsBoundary,
            old: live_boundary.map(FieldValue::text),
            new: role.boundary.as_ref().map(FieldValue::text),
        });
    }
    let live_managed = live.map(|l| l.managed_policies.clone()).unwrap_or_default();
    for arn in role.managed_policies.difference(&live_managed) {
        fields.push(FieldChange {
            field: Field::ManagedPolicy(arn.clone()),
            old: None,
            new: Some(FieldValue::Attached),
        });
    }
    for arn in live_managed.difference(&role.managed_policies) {
        fields.push(FieldChange {
            field: Field::ManagedPolicy(arn.clone()),
            old: Some(FieldValue::Attached),
            new: None,
        });
    }
    let no_inline = BTreeMap::new();
    let live_inline = live.map_or(&no_inline, |l| &l.inline_policies);
    for (name, document) in &role.inline_policies {
        let old = live_inline.get(name);
        if old.is_none_or(|old| !policy::equivalent(old, document)) {
            fields.push(FieldChange {
                field: Field::InlinePolicy(name.clone()),
                old: old.cloned().map(FieldValue::Document),
                new: Some(FieldValue::Document(document.clone())),
            });
        }
    }
    for (name, document) in live_inline {
        if !role.inline_policies.contains_key(name) {
            fields.push(FieldChange {
                field: Field::InlinePolicy(name.clone()),
                old: Some(FieldValue::Document(document.clone())),
                new: None,
            });
        }
    }
    fields
}
