//! The in-memory double's IAM: roles and their policies, in
//! [`Account::roles`](super::Account::roles).

use async_trait::async_trait;
use serde_json::Value;

use super::{ACCOUNT, MemoryCloud, Operation, no_such};
use crate::cloud::{CloudError, IamApi, NewRole, NotOurs, RoleSummary};
use crate::model::{LiveRole, ResourceKind};

/// The IAM operations the double records.
#[derive(Debug, Clone, Copy)]
enum IamCall {
    ListRoles,
    GetRole,
    GetPolicy,
    CreateRole,
    UpdateAssumeRolePolicy,
    PutRolePolicy,
    DeleteRolePolicy,
    AttachRolePolicy,
    DetachRolePolicy,
    DeleteRole,
}

impl Operation for IamCall {
    fn is_read(self) -> bool {
        match self {
            IamCall::ListRoles | IamCall::GetRole | IamCall::GetPolicy => true,
            IamCall::CreateRole
            | IamCall::UpdateAssumeRolePolicy
            | IamCall::PutRolePolicy
            | IamCall::DeleteRolePolicy
            | IamCall::AttachRolePolicy
            | IamCall::DetachRolePolicy
            | IamCall::DeleteRole => false,
        }
    }
}

#[async_trait]
impl IamApi for MemoryCloud {
    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError> {
        self.record(IamCall::ListRoles);
        let account = self.account.lock().unwrap();
        Ok(account
            .roles
            .values()
            .filter(|r| r.path.starts_with(path_prefix))
            .cloned()
            .collect())
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError> {
        self.record(IamCall::GetRole);
        let account = self.account.lock().unwrap();
        Ok(account.roles.get(name).map(|r| RoleSummary {
            name: r.name.clone(),
            arn: r.arn.clone(),
            path: r.path.clone(),
        }))
    }

    async fn role_exists(&self, arn: &str) -> Result<bool, CloudError> {
        self.record(IamCall::GetRole);
        let account = self.account.lock().unwrap();
        // A role of another account is not the double's to know; like its
        // `CreateFunction`, it takes such a role as given.
        Ok(!arn.contains(ACCOUNT) || account.roles.values().any(|r| r.arn == arn))
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool, CloudError> {
        self.record(IamCall::GetPolicy);
        let account = self.account.lock().unwrap();
        Ok(super::is_aws_managed(arn) || account.policies.contains(arn))
    }

    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError> {
        self.record(IamCall::GetRole);
        Ok(self.account.lock().unwrap().roles.get(name).cloned())
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, CloudError> {
        self.record(IamCall::CreateRole);
        let mut account = self.account.lock().unwrap();
        if let Some(existing) = account.roles.get(&role.name) {
            return if existing.path == role.path {
                Ok(existing.arn.clone())
            } else {
                Err(CloudError::NotOwned {
                    kind: ResourceKind::Role,
                    name: role.name.clone(),
                    reason: NotOurs::Path {
                        found: existing.path.clone(),
                        ours: role.path.clone(),
                    },
                })
            };
        }
        let arn = format!("arn:aws:iam::{ACCOUNT}:role{}{}", role.path, role.name);
        account.roles.insert(
            role.name.clone(),
            LiveRole {
                name: role.name.clone(),
                arn: arn.clone(),
                path: role.path.clone(),
                trust_policy: role.trust_policy.clone(),
                managed_policies: Default::default(),
                inline_policies: Default::default(),
            },
        );
        Ok(arn)
    }

    async fn update_trust_policy(&self, role: &str, document: &Value) -> Result<(), CloudError> {
        self.record(IamCall::UpdateAssumeRolePolicy);
        self.with_role(role, |r| r.trust_policy = document.clone())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> Result<(), CloudError> {
        self.record(IamCall::PutRolePolicy);
        self.with_role(role, |r| {
            r.inline_policies
                .insert(policy.to_string(), document.clone());
        })
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), CloudError> {
        self.record(IamCall::DeleteRolePolicy);
        let _ = self.with_role(role, |r| r.inline_policies.remove(policy));
        Ok(())
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.record(IamCall::AttachRolePolicy);
        self.with_role(role, |r| {
            r.managed_policies.insert(policy_arn.to_string());
        })
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.record(IamCall::DetachRolePolicy);
        let _ = self.with_role(role, |r| r.managed_policies.remove(policy_arn));
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), CloudError> {
        self.record(IamCall::DeleteRole);
        let mut account = self.account.lock().unwrap();
        if let Some(existing) = account.roles.get(role)
            && (!existing.inline_policies.is_empty() || !existing.managed_policies.is_empty())
        {
            return Err(CloudError::Service {
                operation: "DeleteRole".into(),
                message: format!("DeleteConflict: role `{role}` still has policies"),
            });
        }
        account.roles.remove(role);
        Ok(())
    }
}

impl MemoryCloud {
    fn with_role<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut LiveRole) -> T,
    ) -> Result<T, CloudError> {
        let mut account = self.account.lock().unwrap();
        let role = account
            .roles
            .get_mut(name)
            .ok_or_else(|| no_such("role", name))?;
        Ok(f(role))
    }
}
