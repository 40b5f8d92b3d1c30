//! IAM operations: roles and their policies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A role as the plan creates it (the plan's own record, apart from the adapter's
/// argument types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRole {
    pub name: String,
    pub path: String,
    pub trust_policy: Value,
    pub tags: BTreeMap<String, String>,
    /// The permissions boundary's policy ARN, if the role has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
}

/// One IAM call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IamOp {
    CreateRole {
        role: PlannedRole,
    },
    UpdateTrustPolicy {
        role: String,
        document: Value,
    },
    PutRolePolicy {
        role: String,
        policy: String,
        document: Value,
    },
    DeleteRolePolicy {
        role: String,
        policy: String,
    },
    AttachRolePolicy {
        role: String,
        policy_arn: String,
    },
    DetachRolePolicy {
        role: String,
        policy_arn: String,
    },
    PutRolePermissionsBoundary {
        role: String,
        policy_arn: String,
    },
    DeleteRolePermissionsBoundary {
        role: String,
    },
    DeleteRole {
        role: String,
    },
}

impl IamOp {
    /// The AWS API operation, e.g. `CreateRole`.
    pub fn api_call(&self) -> &'static str {
        match self {
            IamOp::CreateRole { .. } => "CreateRole",
            IamOp::UpdateTrustPolicy { .. } => "UpdateAssumeRolePolicy",
            IamOp::PutRolePolicy { .. } => "PutRolePolicy",
            IamOp::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            IamOp::AttachRolePolicy { .. } => "AttachRolePolicy",
            IamOp::DetachRolePolicy { .. } => "DetachRolePolicy",
            IamOp::PutRolePermissionsBoundary { .. } => "PutRolePermissionsBoundary",
            IamOp::DeleteRolePermissionsBoundary { .. } => "DeleteRolePermissionsBoundary",
            IamOp::DeleteRole { .. } => "DeleteRole",
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            IamOp::CreateRole { role } => format!("create role {}", role.name),
            IamOp::UpdateTrustPolicy { role, .. } => format!("update trust policy of role {role}"),
            IamOp::PutRolePolicy { role, policy, .. } => {
                format!("put inline policy {policy} on role {role}")
            }
            IamOp::DeleteRolePolicy { role, policy } => {
                format!("delete inline policy {policy} from role {role}")
            }
            IamOp::AttachRolePolicy { role, policy_arn } => {
                format!("attach {policy_arn} to role {role}")
            }
            IamOp::DetachRolePolicy { role, policy_arn } => {
                format!("detach {policy_arn} from role {role}")
            }
            IamOp::PutRolePermissionsBoundary { role, policy_arn } => {
                format!("set permissions boundary {policy_arn} on role {role}")
            }
            IamOp::DeleteRolePermissionsBoundary { role } => {
                format!("remove the permissions boundary of role {role}")
            }
            IamOp::DeleteRole { role } => format!("delete role {role}"),
        }
    }

    /// Whether the step removes something.
    pub fn is_delete(&self) -> bool {
        match self {
            IamOp::DeleteRolePolicy { .. }
            | IamOp::DetachRolePolicy { .. }
            | IamOp::DeleteRole { .. } => true,
            // Removing a boundary widens what the role may do; it removes no part a
            // function waits for, so it orders like a write.
            IamOp::DeleteRolePermissionsBoundary { .. }
            | IamOp::PutRolePermissionsBoundary { .. } => false,
            IamOp::CreateRole { .. }
            | IamOp::UpdateTrustPolicy { .. }
            | IamOp::PutRolePolicy { .. }
            | IamOp::AttachRolePolicy { .. } => false,
        }
    }
}
