//! The in-memory double's API Gateway: REST APIs with their resources, stage and
//! deployments, in [`Account::apis`].

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Account, MemoryCloud, Operation, no_such};
use crate::cloud::{CloudError, CreatedApi, MethodSettings, NewApi, RestApiApi};
use crate::model::{
    ApiSettings, LiveApi, LiveDeployment, LiveIntegration, LiveMethod, LiveResource, LiveStage,
};

/// The API Gateway (REST) operations the double records.
#[derive(Debug, Clone, Copy)]
enum ApiGatewayCall {
    GetRestApis,
    GetApiResources,
    GetStage,
    GetStages,
    GetDeployments,
    CreateRestApi,
    UpdateRestApi,
    DeleteRestApi,
    CreateResource,
    DeleteResource,
    PutMethod,
    DeleteMethod,
    PutIntegration,
    CreateDeployment,
    CreateStage,
    DeleteStage,
    DeleteDeployment,
}

impl Operation for ApiGatewayCall {
    fn is_read(self) -> bool {
        match self {
            ApiGatewayCall::GetRestApis
            | ApiGatewayCall::GetApiResources
            | ApiGatewayCall::GetStage
            | ApiGatewayCall::GetStages
            | ApiGatewayCall::GetDeployments => true,
            ApiGatewayCall::CreateRestApi
            | ApiGatewayCall::UpdateRestApi
            | ApiGatewayCall::DeleteRestApi
            | ApiGatewayCall::CreateResource
            | ApiGatewayCall::DeleteResource
            | ApiGatewayCall::PutMethod
            | ApiGatewayCall::DeleteMethod
            | ApiGatewayCall::PutIntegration
            | ApiGatewayCall::CreateDeployment
            | ApiGatewayCall::CreateStage
            | ApiGatewayCall::DeleteStage
            | ApiGatewayCall::DeleteDeployment => false,
        }
    }
}

#[async_trait]
impl RestApiApi for MemoryCloud {
    async fn find_rest_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveApi>, CloudError> {
        self.record(ApiGatewayCall::GetRestApis);
        let account = self.account.lock().unwrap();
        Ok(account
            .apis
            .values()
            .filter(|api| tags.iter().all(|(k, v)| api.tags.get(k) == Some(v)))
            .map(|api| LiveApi {
                resources: BTreeMap::new(),
                stage: None,
                other_stages: Vec::new(),
                deployments: Vec::new(),
                ..api.clone()
            })
            .collect())
    }

    async fn get_api_resources(&self, api_id: &str) -> Result<Vec<LiveResource>, CloudError> {
        self.record(ApiGatewayCall::GetApiResources);
        let mut account = self.account.lock().unwrap();
        Ok(account.api(api_id)?.resources.values().cloned().collect())
    }

    async fn get_stage(&self, api_id: &str, stage: &str) -> Result<Option<LiveStage>, CloudError> {
        self.record(ApiGatewayCall::GetStage);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        Ok(api
            .stage
            .iter()
            .chain(&api.other_stages)
            .find(|s| s.name == stage)
            .cloned())
    }

    async fn get_stages(&self, api_id: &str) -> Result<Vec<LiveStage>, CloudError> {
        self.record(ApiGatewayCall::GetStages);
        let account = self.account.lock().unwrap();
        Ok(account
            .apis
            .get(api_id)
            .map(|api| api.stage.iter().chain(&api.other_stages).cloned().collect())
            .unwrap_or_default())
    }

    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError> {
        self.record(ApiGatewayCall::GetDeployments);
        let mut account = self.account.lock().unwrap();
        Ok(account.api(api_id)?.deployments.clone())
    }

    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError> {
        self.record(ApiGatewayCall::CreateRestApi);
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("api");
        let root = account.next_id("res");
        let resources = BTreeMap::from([(
            "/".to_string(),
            LiveResource {
                id: root.clone(),
                path: "/".into(),
                methods: BTreeMap::new(),
            },
        )]);
        account.apis.insert(
            id.clone(),
            LiveApi {
                id: id.clone(),
                settings: api.settings.clone(),
                tags: api.tags.clone(),
                resources,
                stage: None,
                other_stages: Vec::new(),
                deployments: Vec::new(),
            },
        );
        Ok(CreatedApi {
            id,
            root_resource_id: root,
        })
    }

    async fn update_rest_api(
        &self,
        api_id: &str,
        _from: &ApiSettings,
        to: &ApiSettings,
    ) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::UpdateRestApi);
        let mut account = self.account.lock().unwrap();
        account.api(api_id)?.settings = to.clone();
        Ok(())
    }

    async fn delete_rest_api(&self, api_id: &str) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::DeleteRestApi);
        self.account.lock().unwrap().apis.remove(api_id);
        Ok(())
    }

    async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<String, CloudError> {
        self.record(ApiGatewayCall::CreateResource);
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("res");
        let api = account.api(api_id)?;
        let parent = resource_path(api, parent_id)?;
        let path = if parent == "/" {
            format!("/{path_part}")
        } else {
            format!("{parent}/{path_part}")
        };
        if let Some(existing) = api.resources.get(&path) {
            return Ok(existing.id.clone());
        }
        api.resources.insert(
            path.clone(),
            LiveResource {
                id: id.clone(),
                path,
                methods: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::DeleteResource);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if let Ok(path) = resource_path(api, resource_id) {
            // Like API Gateway, deleting a resource deletes everything under it.
            let prefix = format!("{path}/");
            api.resources
                .retain(|p, _| p != &path && !p.starts_with(&prefix));
        }
        Ok(())
    }

    async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        method: &MethodSettings,
    ) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::PutMethod);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        let path = resource_path(api, resource_id)?;
        let resource = api.resources.get_mut(&path).expect("path from this API");
        let entry = resource
            .methods
            .entry(method.http_method.clone())
            .or_insert(LiveMethod {
                authorization: String::new(),
                api_key_required: false,
                integration: None,
            });
        entry.authorization = method.authorization.as_str().to_string();
        entry.api_key_required = method.api_key_required;
        Ok(())
    }

    async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::DeleteMethod);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if let Ok(path) = resource_path(api, resource_id) {
            api.resources
                .get_mut(&path)
                .expect("path from this API")
                .methods
                .remove(http_method);
        }
        Ok(())
    }

    async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        uri: &str,
    ) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::PutIntegration);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        let path = resource_path(api, resource_id)?;
        let resource = api.resources.get_mut(&path).expect("path from this API");
        let method = resource
            .methods
            .get_mut(http_method)
            .ok_or_else(|| no_such("method", http_method))?;
        method.integration = Some(LiveIntegration {
            kind: "AWS_PROXY".into(),
            http_method: "POST".into(),
            uri: uri.to_string(),
        });
        Ok(())
    }

    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        _description: &str,
        new_stage_tags: Option<&BTreeMap<String, String>>,
    ) -> Result<String, CloudError> {
        self.record(ApiGatewayCall::CreateDeployment);
        if new_stage_tags.is_some() {
            self.record(ApiGatewayCall::CreateStage);
        }
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("dep");
        let created = account.counter as i64;
        let api = account.api(api_id)?;
        api.deployments.insert(
            0,
            LiveDeployment {
                id: id.clone(),
                created,
            },
        );
        // Every stage is in `stage` or `other_stages`; an existing one moves (its
        // canary stays), a new one is made with the tags (CreateStage), or none when
        // CreateDeployment makes it with `stageName`.
        let existing = api
            .stage
            .iter_mut()
            .chain(api.other_stages.iter_mut())
            .find(|s| s.name == stage);
        match existing {
            Some(existing) => existing.deployment_id = id.clone(),
            None => {
                let new = LiveStage {
                    name: stage.to_string(),
                    deployment_id: id.clone(),
                    canary_deployment_id: None,
                    tags: new_stage_tags.cloned().unwrap_or_default(),
                };
                if api.stage.is_none() {
                    api.stage = Some(new);
                } else {
                    api.other_stages.push(new);
                }
            }
        }
        Ok(id)
    }

    async fn delete_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::DeleteStage);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if api.stage.as_ref().is_some_and(|s| s.name == stage) {
            api.stage = None;
        }
        api.other_stages.retain(|s| s.name != stage);
        Ok(())
    }

    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError> {
        self.record(ApiGatewayCall::DeleteDeployment);
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if api.deployments_in_use().contains(deployment_id) {
            return Err(CloudError::Service {
                operation: "DeleteDeployment".into(),
                message: "BadRequestException: Active stages pointing to this deployment must be moved or deleted".into(),
            });
        }
        api.deployments.retain(|d| d.id != deployment_id);
        Ok(())
    }
}

impl Account {
    fn api(&mut self, id: &str) -> Result<&mut LiveApi, CloudError> {
        self.apis.get_mut(id).ok_or_else(|| no_such("REST API", id))
    }
}

/// The path of resource `resource_id` in `api`.
fn resource_path(api: &LiveApi, resource_id: &str) -> Result<String, CloudError> {
    api.resources
        .values()
        .find(|r| r.id == resource_id)
        .map(|r| r.path.clone())
        .ok_or_else(|| no_such("resource", resource_id))
}
