//! The `aws` CLI commands of IAM steps.

use super::*;
use crate::plan::{IamOp, PlannedRole};

/// The references an operation holds, outside environments.
pub(super) fn refs(op: &IamOp) -> Vec<&Ref> {
    match op {
        IamOp::CreateRole { .. }
        | IamOp::UpdateTrustPolicy { .. }
        | IamOp::PutRolePolicy { .. }
        | IamOp::DeleteRolePolicy { .. }
        | IamOp::AttachRolePolicy { .. }
        | IamOp::DetachRolePolicy { .. }
        | IamOp::PutRolePermissionsBoundary { .. }
        | IamOp::DeleteRolePermissionsBoundary { .. }
        | IamOp::DeleteRole { .. } => Vec::new(),
    }
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &IamOp) -> Vec<Command> {
    match op {
        IamOp::CreateRole { role } => vec![create_role(role)],
        IamOp::UpdateTrustPolicy { role, document } => vec![
            Command::new("iam", "update-assume-role-policy")
                .arg("role-name", role)
                .arg("policy-document", compact(document)),
        ],
        IamOp::PutRolePolicy {
            role,
            policy,
            document,
        } => vec![
            Command::new("iam", "put-role-policy")
                .arg("role-name", role)
                .arg("policy-name", policy)
                .arg("policy-document", compact(document)),
        ],
        IamOp::DeleteRolePolicy { role, policy } => vec![
            Command::new("iam", "delete-role-policy")
                .arg("role-name", role)
                .arg("policy-name", policy),
        ],
        IamOp::AttachRolePolicy { role, policy_arn } => vec![
            Command::new("iam", "attach-role-policy")
                .arg("role-name", role)
                .arg("policy-arn", policy_arn),
        ],
        IamOp::DetachRolePolicy { role, policy_arn } => vec![
            Command::new("iam", "detach-role-policy")
                .arg("role-name", role)
                .arg("policy-arn", policy_arn),
        ],
        IamOp::PutRolePermissionsBoundary { role, policy_arn } => vec![
            Command::new("iam", "put-role-permissions-boundary")
                .arg("role-name", role)
                .arg("permissions-boundary", policy_arn),
        ],
        IamOp::DeleteRolePermissionsBoundary { role } => {
            vec![Command::new("iam", "delete-role-permissions-boundary").arg("role-name", role)]
        }
        IamOp::DeleteRole { role } => {
            vec![Command::new("iam", "delete-role").arg("role-name", role)]
        }
    }
}

fn create_role(role: &PlannedRole) -> Command {
    let mut create = Command::new("iam", "create-role")
        .arg("role-name", &role.name)
        .arg("path", &role.path)
        .arg("assume-role-policy-document", compact(&role.trust_policy));
    if let Some(boundary) = &role.boundary {
        create = create.arg("permissions-boundary", boundary);
    }
    if !role.tags.is_empty() {
        create = create.args("tags", iam_tags(&role.tags));
    }
    create
}
