//! IAM: execution roles, their trust policy, inline policies and attached managed
//! policies. Ownership of a role is proven by its path (`/lade/<project>/<stage>/`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_iam::types::{Role, Tag};
use serde_json::Value;

use super::retry::{Attempt, until_done};
use super::{AwsCloud, document};
use crate::cloud::{CloudError, IamApi, NewRole, NotOurs, RoleSummary};
use crate::model::{LiveRole, ResourceKind};

const NO_SUCH_ENTITY: &str = "NoSuchEntity";

#[async_trait]
impl IamApi for AwsCloud {
    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError> {
        let roles = self
            .call(
                "ListRoles",
                self.iam
                    .list_roles()
                    .path_prefix(path_prefix)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect(),
            )
            .await?;
        let mut live = Vec::with_capacity(roles.len());
        // One role at a time: IAM's control plane is rate-limited per account, and a
        // project has a handful of roles.
        for role in roles {
            live.push(with_policies(self, role).await?);
        }
        Ok(live)
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError> {
        match self
            .call("GetRole", self.iam.get_role().role_name(name).send())
            .await
        {
            Ok(output) => Ok(output.role().map(|role| RoleSummary {
                name: role.role_name().to_owned(),
                arn: role.arn().to_owned(),
                path: role.path().to_owned(),
            })),
            Err(error) if error.is(NO_SUCH_ENTITY) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn role_exists(&self, arn: &str) -> Result<bool, CloudError> {
        // `arn:aws:iam::123456789012:role/some/path/name`: the name is the last part.
        let Some(name) = arn.rsplit('/').next().filter(|name| !name.is_empty()) else {
            return Ok(false);
        };
        Ok(self
            .get_role(name)
            .await?
            .is_some_and(|role| role.arn == arn))
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool, CloudError> {
        match self
            .call("GetPolicy", self.iam.get_policy().policy_arn(arn).send())
            .await
        {
            Ok(_) => Ok(true),
            // An ARN that is not a policy's at all is refused as invalid input.
            Err(error) if error.is(NO_SUCH_ENTITY) || error.is("InvalidInput") => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// One role by name with its policies: `GetRole`, then the reads of `with_policies`.
    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError> {
        match self
            .call("GetRole", self.iam.get_role().role_name(name).send())
            .await
        {
            Ok(output) => match output.role {
                Some(role) => Ok(Some(with_policies(self, role).await?)),
                None => Ok(None),
            },
            Err(error) if error.is(NO_SUCH_ENTITY) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, CloudError> {
        let tags = role
            .tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| CloudError::Service {
                operation: "CreateRole".to_owned(),
                message: format!("invalid tag: {error}"),
            })?;
        let trust_policy = document::render(&role.trust_policy);
        let (tags, trust_policy) = (&tags, &trust_policy);
        let waiting_for = format!("role {} to be created", role.name);
        until_done(&self.patience, &waiting_for, move || async move {
            let created = self
                .call(
                    "CreateRole",
                    self.iam
                        .create_role()
                        .role_name(&role.name)
                        .path(&role.path)
                        .assume_role_policy_document(trust_policy)
                        .set_tags(Some(tags.clone()))
                        .send(),
                )
                .await;
            match created {
                Ok(output) => Ok(Attempt::Done(
                    output
                        .role()
                        .map(|r| r.arn().to_owned())
                        .unwrap_or_default(),
                )),
                // Created by an earlier, interrupted run: ours if it sits on our path.
                Err(error) if error.is("EntityAlreadyExists") => match self
                    .get_role(&role.name)
                    .await?
                {
                    Some(existing) if existing.path == role.path => Ok(Attempt::Done(existing.arn)),
                    Some(existing) => Err(CloudError::NotOwned {
                        kind: ResourceKind::Role,
                        name: role.name.clone(),
                        reason: NotOurs::Path {
                            found: existing.path,
                            ours: role.path.clone(),
                        },
                    }),
                    // Deleted between the two calls: create it again.
                    None => Ok(Attempt::Again(error.to_string())),
                },
                Err(error) => Err(error.into()),
            }
        })
        .await
    }

    async fn update_trust_policy(&self, role: &str, document: &Value) -> Result<(), CloudError> {
        self.call(
            "UpdateAssumeRolePolicy",
            self.iam
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(document::render(document))
                .send(),
        )
        .await?;
        Ok(())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> Result<(), CloudError> {
        self.call(
            "PutRolePolicy",
            self.iam
                .put_role_policy()
                .role_name(role)
                .policy_name(policy)
                .policy_document(document::render(document))
                .send(),
        )
        .await?;
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), CloudError> {
        let deleted = self
            .call(
                "DeleteRolePolicy",
                self.iam
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(policy)
                    .send(),
            )
            .await;
        gone_is_fine(deleted)
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        // Attaching an attached policy is a no-op in IAM, so this is idempotent as it is.
        self.call(
            "AttachRolePolicy",
            self.iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy_arn)
                .send(),
        )
        .await?;
        Ok(())
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        let detached = self
            .call(
                "DetachRolePolicy",
                self.iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(policy_arn)
                    .send(),
            )
            .await;
        gone_is_fine(detached)
    }

    async fn delete_role(&self, role: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteRole", self.iam.delete_role().role_name(role).send())
            .await;
        gone_is_fine(deleted)
    }
}

/// Fills in what `ListRoles` leaves out: inline and attached policies.
async fn with_policies(aws: &AwsCloud, role: Role) -> Result<LiveRole, CloudError> {
    let name = role.role_name();
    let trust_policy = match role.assume_role_policy_document() {
        Some(raw) => document::parse(raw).map_err(|error| CloudError::Service {
            operation: "ListRoles".to_owned(),
            message: format!("the trust policy of role {name} cannot be read: {error}"),
        })?,
        None => Value::Null,
    };

    let policy_names = aws
        .call(
            "ListRolePolicies",
            aws.iam
                .list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await?;
    let mut inline_policies = BTreeMap::new();
    for policy in policy_names {
        let output = aws
            .call(
                "GetRolePolicy",
                aws.iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(&policy)
                    .send(),
            )
            .await?;
        let document =
            document::parse(output.policy_document()).map_err(|error| CloudError::Service {
                operation: "GetRolePolicy".to_owned(),
                message: format!("inline policy {policy} of role {name} cannot be read: {error}"),
            })?;
        inline_policies.insert(policy, document);
    }

    let attached = aws
        .call(
            "ListAttachedRolePolicies",
            aws.iam
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await?;
    let managed_policies: BTreeSet<String> = attached
        .iter()
        .filter_map(|policy| policy.policy_arn().map(str::to_owned))
        .collect();

    Ok(LiveRole {
        name: name.to_owned(),
        arn: role.arn().to_owned(),
        path: role.path().to_owned(),
        trust_policy,
        managed_policies,
        inline_policies,
    })
}

/// For removals: `NoSuchEntity` means the work is already done.
fn gone_is_fine<T>(result: Result<T, super::error::AwsError>) -> Result<(), CloudError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is(NO_SUCH_ENTITY) => Ok(()),
        Err(error) => Err(error.into()),
    }
}
