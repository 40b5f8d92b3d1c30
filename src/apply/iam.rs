//! Performs IAM steps.

use super::context::Context;
use super::error::ApplyError;
use crate::cloud::NewRole;
use crate::diff::Output;
use crate::plan::IamOp;

impl Context<'_> {
    pub(super) async fn iam(&self, op: &IamOp) -> Result<(), ApplyError> {
        let cloud = self.cloud;
        match op {
            IamOp::CreateRole { role } => {
                let new = NewRole {
                    name: role.name.clone(),
                    path: role.path.clone(),
                    trust_policy: role.trust_policy.clone(),
                    tags: role.tags.clone(),
                    boundary: role.boundary.clone(),
                };
                let arn = cloud.create_role(&new).await?;
                self.learn(Output::RoleArn(role.name.clone()), arn);
            }
            IamOp::UpdateTrustPolicy { role, document } => {
                cloud.update_trust_policy(role, document).await?
            }
            IamOp::PutRolePolicy {
                role,
                policy,
                document,
            } => cloud.put_role_policy(role, policy, document).await?,
            IamOp::DeleteRolePolicy { role, policy } => {
                cloud.delete_role_policy(role, policy).await?
            }
            IamOp::AttachRolePolicy { role, policy_arn } => {
                cloud.attach_role_policy(role, policy_arn).await?
            }
            IamOp::DetachRolePolicy { role, policy_arn } => {
                cloud.detach_role_policy(role, policy_arn).await?
            }
            IamOp::PutRolePermissionsBoundary { role, policy_arn } => {
                cloud
                    .put_role_permissions_boundary(role, policy_arn)
                    .await?
            }
            IamOp::DeleteRolePermissionsBoundary { role } => {
                cloud.delete_role_permissions_boundary(role).await?
            }
            IamOp::DeleteRole { role } => cloud.delete_role(role).await?,
        }
        Ok(())
    }
}
