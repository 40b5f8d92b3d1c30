//! Performs API Gateway (REST) steps.

use super::context::Context;
use super::error::ApplyError;
use crate::arn;
use crate::cloud::{CloudError, CreatedApi, MethodSettings, NewApi};
use crate::diff::Output;
use crate::plan::RestApiOp;

impl Context<'_> {
    pub(super) async fn api_gateway(&self, op: &RestApiOp) -> Result<(), ApplyError> {
        let cloud = self.cloud;
        match op {
            RestApiOp::CreateRestApi { api } => {
                let new = NewApi {
                    settings: api.settings.clone(),
                    tags: api.tags.clone(),
                };
                let created = self.create_rest_api(&new).await?;
                self.learn(Output::ApiId, created.id);
                self.learn(Output::ResourceId("/".into()), created.root_resource_id);
            }
            RestApiOp::UpdateRestApi { api_id, from, to } => {
                cloud.update_rest_api(api_id, from, to).await?
            }
            RestApiOp::DeleteRestApi { api_id, .. } => cloud.delete_rest_api(api_id).await?,
            RestApiOp::CreateResource { api, parent, path } => {
                let api = self.resolve(api).await?;
                let parent = self.resolve(parent).await?;
                let part = path.rsplit('/').next().unwrap_or(path);
                let id = cloud.create_resource(&api, &parent, part).await?;
                self.learn(Output::ResourceId(path.clone()), id);
            }
            RestApiOp::DeleteResource {
                api_id,
                resource_id,
                ..
            } => cloud.delete_resource(api_id, resource_id).await?,
            RestApiOp::PutMethod {
                api,
                resource,
                method,
                ..
            } => {
                let (api, resource) = (self.resolve(api).await?, self.resolve(resource).await?);
                let method = MethodSettings {
                    http_method: method.http_method.clone(),
                    authorization: method.authorization,
                    api_key_required: method.api_key_required,
                };
                cloud.put_method(&api, &resource, &method).await?
            }
            RestApiOp::DeleteMethod {
                api_id,
                resource_id,
                http_method,
                ..
            } => {
                cloud
                    .delete_method(api_id, resource_id, http_method)
                    .await?
            }
            RestApiOp::PutIntegration {
                api,
                resource,
                http_method,
                function_arn,
                ..
            } => {
                let (api, resource) = (self.resolve(api).await?, self.resolve(resource).await?);
                let arn = self.resolve(function_arn).await?;
                let uri =
                    arn::integration_uri(&arn).ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?;
                cloud
                    .put_integration(&api, &resource, http_method, &uri)
                    .await?
            }
            RestApiOp::CreateDeployment {
                api,
                stage,
                new_stage_tags,
            } => {
                let api = self.resolve(api).await?;
                let id = cloud
                    .create_deployment(&api, stage, "deployed by lade", new_stage_tags.as_ref())
                    .await?;
                self.deployed.lock().expect("deployed poisoned").push(id);
            }
            RestApiOp::DeleteStage { api_id, stage } => cloud.delete_stage(api_id, stage).await?,
            RestApiOp::DeleteDeployment {
                api_id,
                deployment_id,
            } => {
                // The plan lists only deployments that existed before this apply, so
                // this cannot happen; but the stage points at the new one, and
                // deleting it must never even be tried.
                if self
                    .deployed
                    .lock()
                    .expect("deployed poisoned")
                    .contains(deployment_id)
                {
                    return Err(ApplyError::JustDeployed(deployment_id.clone()));
                }
                // Read right before: another apply may have moved a stage here since
                // the plan, and API Gateway refuses such a delete. Kept, not failed.
                let stages = cloud.get_stages(api_id).await?;
                if let Some(stage) = stages.iter().find(|s| {
                    s.deployment_id == *deployment_id
                        || s.canary_deployment_id.as_ref() == Some(deployment_id)
                }) {
                    return Err(ApplyError::DeploymentInUse {
                        deployment: deployment_id.clone(),
                        stage: stage.name.clone(),
                    });
                }
                cloud.delete_deployment(api_id, deployment_id).await?
            }
        }
        Ok(())
    }

    /// `CreateRestApi`, made as idempotent as API Gateway allows. API names are not
    /// unique, so two applies of the same project and stage at once could each create
    /// an API, and each build its routes on its own: the one whose invoke permissions
    /// lost would answer 500 until the next apply deleted it. So:
    ///
    /// 1. Read first: an API that another run created since this plan was made is
    ///    used as it is (the steps after this one are idempotent over what that run
    ///    builds on it).
    /// 2. Otherwise create, then read again: when another run created one at the same
    ///    moment, the API with the smallest ID is kept. A run whose API is not that one
    ///    deletes its own (empty, just made) and uses the kept one. Runs that see the
    ///    same APIs agree; a run that read before the other's create keeps its own,
    ///    and then the other agrees with it unless the other's ID is the smaller. In
    ///    that last case both finish, each on its own API, and the next plan deletes
    ///    the extra (`live` keeps the same smallest ID among complete APIs).
    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, ApplyError> {
        let cloud = self.cloud;
        let tags = self.plan.scope.ownership_tags();
        let found = cloud.find_rest_apis(&tags).await?;
        if let Some(id) = found.into_iter().map(|a| a.id).min() {
            tracing::info!(api = %id, "the REST API was created by another run since the plan; using it");
            return self.existing_api(id).await;
        }
        let created = cloud.create_rest_api(api).await?;
        let found = cloud.find_rest_apis(&tags).await?;
        let kept = found
            .into_iter()
            .map(|a| a.id)
            .chain([created.id.clone()])
            .min()
            .unwrap_or_else(|| created.id.clone());
        if kept == created.id {
            return Ok(created);
        }
        tracing::info!(
            created = %created.id,
            kept = %kept,
            "another run created the REST API at the same moment; deleting ours and using theirs"
        );
        cloud.delete_rest_api(&created.id).await?;
        self.existing_api(kept).await
    }

    /// The ID and root resource of an API this apply did not create.
    async fn existing_api(&self, id: String) -> Result<CreatedApi, ApplyError> {
        let resources = self.cloud.get_api_resources(&id).await?;
        let root = resources
            .into_iter()
            .find(|resource| resource.path == "/")
            .ok_or_else(|| CloudError::Service {
                operation: "GetResources".into(),
                message: format!("REST API {id} has no root resource `/`"),
            })?;
        Ok(CreatedApi {
            id,
            root_resource_id: root.id,
        })
    }
}
