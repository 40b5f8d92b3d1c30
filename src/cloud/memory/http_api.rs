//! The in-memory double's HTTP APIs (API Gateway v2), in
//! [`Account::http_apis`](super::Account::http_apis), each with its routes,
//! integrations, authorizers and stages. Like API Gateway, deleting the API deletes
//! its parts, and a route's target and authorizer must exist.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{MemoryCloud, Operation, no_such};
use crate::cloud::{CloudError, CreatedHttpApi, HttpApiApi, HttpRouteSpec};
use crate::model::{
    HTTP_PAYLOAD_FORMAT, HttpApiSettings, HttpAuthorizerSettings, LiveHttpApi, LiveHttpAuthorizer,
    LiveHttpIntegration, LiveHttpRoute, LiveHttpStage, http_route_target,
};

/// The API Gateway v2 operations the double records.
#[derive(Debug, Clone, Copy)]
enum HttpCall {
    GetApis,
    GetRoutes,
    GetIntegrations,
    GetAuthorizers,
    GetStages,
    CreateApi,
    UpdateApi,
    DeleteCorsConfiguration,
    DeleteApi,
    CreateIntegration,
    DeleteIntegration,
    CreateRoute,
    UpdateRoute,
    DeleteRoute,
    CreateAuthorizer,
    UpdateAuthorizer,
    DeleteAuthorizer,
    CreateStage,
    UpdateStage,
    DeleteStage,
}

impl Operation for HttpCall {
    fn is_read(self) -> bool {
        match self {
            HttpCall::GetApis
            | HttpCall::GetRoutes
            | HttpCall::GetIntegrations
            | HttpCall::GetAuthorizers
            | HttpCall::GetStages => true,
            HttpCall::CreateApi
            | HttpCall::UpdateApi
            | HttpCall::DeleteCorsConfiguration
            | HttpCall::DeleteApi
            | HttpCall::CreateIntegration
            | HttpCall::DeleteIntegration
            | HttpCall::CreateRoute
            | HttpCall::UpdateRoute
            | HttpCall::DeleteRoute
            | HttpCall::CreateAuthorizer
            | HttpCall::UpdateAuthorizer
            | HttpCall::DeleteAuthorizer
            | HttpCall::CreateStage
            | HttpCall::UpdateStage
            | HttpCall::DeleteStage => false,
        }
    }
}

impl MemoryCloud {
    /// Runs `f` on the API `api_id`, or fails as API Gateway does for an unknown ID.
    fn with_http_api<T>(
        &self,
        api_id: &str,
        f: impl FnOnce(&mut LiveHttpApi, &mut u64) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let mut account = self.account.lock().unwrap();
        let account = &mut *account;
        let api = account
            .http_apis
            .get_mut(api_id)
            .ok_or_else(|| no_such("HTTP API", api_id))?;
        f(api, &mut account.counter)
    }

    fn http_api_parts<T: Clone>(
        &self,
        api_id: &str,
        parts: impl Fn(&LiveHttpApi) -> Vec<T>,
    ) -> Vec<T> {
        let account = self.account.lock().unwrap();
        account.http_apis.get(api_id).map(parts).unwrap_or_default()
    }
}

fn next(counter: &mut u64, prefix: &str) -> String {
    *counter += 1;
    format!("{prefix}{counter}")
}

fn check_route(api: &LiveHttpApi, route: &HttpRouteSpec) -> Result<(), CloudError> {
    if !api.integrations.contains_key(&route.integration_id) {
        return Err(no_such("integration", &route.integration_id));
    }
    if let Some(id) = &route.auth.authorizer_id
        && !api.authorizers.values().any(|a| &a.id == id)
    {
        return Err(no_such("authorizer", id));
    }
    Ok(())
}

#[async_trait]
impl HttpApiApi for MemoryCloud {
    async fn find_http_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveHttpApi>, CloudError> {
        self.record(HttpCall::GetApis);
        let account = self.account.lock().unwrap();
        Ok(account
            .http_apis
            .values()
            .filter(|api| tags.iter().all(|(k, v)| api.tags.get(k) == Some(v)))
            .map(|api| LiveHttpApi {
                routes: BTreeMap::new(),
                integrations: BTreeMap::new(),
                authorizers: BTreeMap::new(),
                stages: BTreeMap::new(),
                ..api.clone()
            })
            .collect())
    }

    async fn get_http_routes(&self, api_id: &str) -> Result<Vec<LiveHttpRoute>, CloudError> {
        self.record(HttpCall::GetRoutes);
        Ok(self.http_api_parts(api_id, |a| a.routes.values().cloned().collect()))
    }

    async fn get_http_integrations(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpIntegration>, CloudError> {
        self.record(HttpCall::GetIntegrations);
        Ok(self.http_api_parts(api_id, |a| a.integrations.values().cloned().collect()))
    }

    async fn get_http_authorizers(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpAuthorizer>, CloudError> {
        self.record(HttpCall::GetAuthorizers);
        Ok(self.http_api_parts(api_id, |a| a.authorizers.values().cloned().collect()))
    }

    async fn get_http_stages(&self, api_id: &str) -> Result<Vec<LiveHttpStage>, CloudError> {
        self.record(HttpCall::GetStages);
        Ok(self.http_api_parts(api_id, |a| a.stages.values().cloned().collect()))
    }

    async fn create_http_api(
        &self,
        settings: &HttpApiSettings,
        tags: &BTreeMap<String, String>,
    ) -> Result<CreatedHttpApi, CloudError> {
        self.record(HttpCall::CreateApi);
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("http");
        account.http_apis.insert(
            id.clone(),
            LiveHttpApi {
                id: id.clone(),
                settings: settings.clone(),
                tags: tags.clone(),
                routes: BTreeMap::new(),
                integrations: BTreeMap::new(),
                authorizers: BTreeMap::new(),
                stages: BTreeMap::new(),
            },
        );
        Ok(CreatedHttpApi {
            endpoint: format!("https://{id}.execute-api.us-east-1.amazonaws.com"),
            id,
        })
    }

    async fn update_http_api(
        &self,
        api_id: &str,
        settings: &HttpApiSettings,
    ) -> Result<(), CloudError> {
        self.record(HttpCall::UpdateApi);
        if settings.cors.is_none() {
            self.record(HttpCall::DeleteCorsConfiguration);
        }
        self.with_http_api(api_id, |api, _| {
            api.settings = settings.clone();
            Ok(())
        })
    }

    async fn delete_http_api(&self, api_id: &str) -> Result<(), CloudError> {
        self.record(HttpCall::DeleteApi);
        self.account.lock().unwrap().http_apis.remove(api_id);
        Ok(())
    }

    async fn create_http_integration(
        &self,
        api_id: &str,
        function_arn: &str,
    ) -> Result<String, CloudError> {
        self.record(HttpCall::CreateIntegration);
        self.with_http_api(api_id, |api, counter| {
            let id = next(counter, "int");
            api.integrations.insert(
                id.clone(),
                LiveHttpIntegration {
                    id: id.clone(),
                    kind: "AWS_PROXY".into(),
                    uri: function_arn.to_string(),
                    payload_format: HTTP_PAYLOAD_FORMAT.into(),
                },
            );
            Ok(id)
        })
    }

    async fn delete_http_integration(
        &self,
        api_id: &str,
        integration_id: &str,
    ) -> Result<(), CloudError> {
        self.record(HttpCall::DeleteIntegration);
        let result = self.with_http_api(api_id, |api, _| {
            let target = http_route_target(integration_id);
            if api
                .routes
                .values()
                .any(|r| r.target.as_ref() == Some(&target))
            {
                return Err(CloudError::Refused {
                    operation: "DeleteIntegration".into(),
                    message: format!("integration {integration_id} is a route's target"),
                });
            }
            api.integrations.remove(integration_id);
            Ok(())
        });
        match result {
            Err(error @ CloudError::Refused { .. }) => Err(error),
            _ => Ok(()),
        }
    }

    async fn create_http_route(
        &self,
        api_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<String, CloudError> {
        self.record(HttpCall::CreateRoute);
        self.with_http_api(api_id, |api, counter| {
            check_route(api, route)?;
            if api.routes.contains_key(&route.key) {
                return Err(CloudError::Refused {
                    operation: "CreateRoute".into(),
                    message: format!("route {} already exists", route.key),
                });
            }
            let id = next(counter, "route");
            api.routes.insert(
                route.key.clone(),
                LiveHttpRoute {
                    id: id.clone(),
                    key: route.key.clone(),
                    target: Some(http_route_target(&route.integration_id)),
                    auth: route.auth.clone(),
                },
            );
            Ok(id)
        })
    }

    async fn update_http_route(
        &self,
        api_id: &str,
        route_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<(), CloudError> {
        self.record(HttpCall::UpdateRoute);
        self.with_http_api(api_id, |api, _| {
            check_route(api, route)?;
            let live = api
                .routes
                .values_mut()
                .find(|r| r.id == route_id)
                .ok_or_else(|| no_such("route", route_id))?;
            live.target = Some(http_route_target(&route.integration_id));
            live.auth = route.auth.clone();
            Ok(())
        })
    }

    async fn delete_http_route(&self, api_id: &str, route_id: &str) -> Result<(), CloudError> {
        self.record(HttpCall::DeleteRoute);
        let _ = self.with_http_api(api_id, |api, _| {
            api.routes.retain(|_, r| r.id != route_id);
            Ok(())
        });
        Ok(())
    }

    async fn create_http_authorizer(
        &self,
        api_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<String, CloudError> {
        self.record(HttpCall::CreateAuthorizer);
        self.with_http_api(api_id, |api, counter| {
            let id = next(counter, "auth");
            api.authorizers.insert(
                name.to_string(),
                LiveHttpAuthorizer {
                    id: id.clone(),
                    name: name.to_string(),
                    settings: settings.clone(),
                },
            );
            Ok(id)
        })
    }

    async fn update_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<(), CloudError> {
        self.record(HttpCall::UpdateAuthorizer);
        self.with_http_api(api_id, |api, _| {
            let old = api
                .authorizers
                .iter()
                .find(|(_, a)| a.id == authorizer_id)
                .map(|(name, _)| name.clone())
                .ok_or_else(|| no_such("authorizer", authorizer_id))?;
            api.authorizers.remove(&old);
            api.authorizers.insert(
                name.to_string(),
                LiveHttpAuthorizer {
                    id: authorizer_id.to_string(),
                    name: name.to_string(),
                    settings: settings.clone(),
                },
            );
            Ok(())
        })
    }

    async fn delete_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
    ) -> Result<(), CloudError> {
        self.record(HttpCall::DeleteAuthorizer);
        let result = self.with_http_api(api_id, |api, _| {
            // API Gateway refuses to delete an authorizer that a route uses.
            if api
                .routes
                .values()
                .any(|r| r.auth.authorizer_id.as_deref() == Some(authorizer_id))
            {
                return Err(CloudError::Refused {
                    operation: "DeleteAuthorizer".into(),
                    message: format!("authorizer {authorizer_id} is in use by a route"),
                });
            }
            api.authorizers.retain(|_, a| a.id != authorizer_id);
            Ok(())
        });
        match result {
            Err(error @ CloudError::Refused { .. }) => Err(error),
            _ => Ok(()),
        }
    }

    async fn create_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        self.record(HttpCall::CreateStage);
        self.with_http_api(api_id, |api, _| {
            api.stages.insert(
                stage.to_string(),
                LiveHttpStage {
                    name: stage.to_string(),
                    auto_deploy: true,
                },
            );
            Ok(())
        })
    }

    async fn update_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        self.record(HttpCall::UpdateStage);
        self.with_http_api(api_id, |api, _| {
            let live = api
                .stages
                .get_mut(stage)
                .ok_or_else(|| no_such("stage", stage))?;
            live.auto_deploy = true;
            Ok(())
        })
    }

    async fn delete_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        self.record(HttpCall::DeleteStage);
        let _ = self.with_http_api(api_id, |api, _| {
            api.stages.remove(stage);
            Ok(())
        });
        Ok(())
    }
}
