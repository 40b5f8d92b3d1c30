//! API Gateway (REST, v1): the API itself, its resources (paths), methods, Lambda
//! proxy integrations, deployments and the stage. Ownership of an API is proven by
//! its `lade:project` and `lade:stage` tags, which `GetRestApis` returns with each API.
//!
//! Idempotency, per call:
//!
//! - `CreateRestApi` cannot be made idempotent (names are not unique). The SDK does
//!   not retry it blindly (`once.rs`): after a failure without a clear answer (a lost
//!   answer, a 5xx), the API is looked for by its tags and name, and created again
//!   only if it is not there.
//! - `CreateResource` is sent as it is: the plan read the API's resources and creates
//!   only the ones it did not find. The API's resources are read again (`GetResources`,
//!   whose quota is 5 calls every 2 s per account) only when the answer is unclear: a
//!   `ConflictException` (AWS's answer to a duplicate: created meanwhile, say by a
//!   concurrent apply) or a failure without an answer. The SDK does not retry it
//!   blindly (emulators are known to create a second resource with the same path),
//!   so after a lost answer the next attempt reads first and returns an existing
//!   child with the wanted path part.
//! - `PutMethod` on an existing method fails with `ConflictException`; the method is
//!   then brought to the wanted settings with `UpdateMethod`, which keeps its
//!   integration. (moto 5 accepts the `PutMethod`, replacing the method and dropping
//!   its integration, and has no `UpdateMethod`; the plan puts the integration again
//!   after every changed method, so lade converges either way.)
//! - `PutIntegration` overwrites, so it is idempotent as it is.
//! - `CreateDeployment` (with the stage name) is retried by the SDK after a lost
//!   answer. The retry makes a second, identical deployment and points the stage at
//!   it; the first one is left unused, counts towards the five kept, and is pruned
//!   with the older ones. Harmless, so not worth a read before every deployment.
//! - Deletes treat `NotFoundException` as done. `DeleteRestApi` and `DeleteResource`
//!   read first, so a re-run does not spend `DeleteRestApi`'s small quota (one call
//!   every 30 s per account) on an API that is already gone. After a failure without
//!   a clear answer, `DeleteRestApi` reads again whether the API is gone.
//!
//! Every request is paced at API Gateway's quotas (10 per second in all, and the
//! operations' own, `cloud::service`); `CreateRestApi` of an edge-optimized API is
//! paced at its own quota, one every 30 s. A request still throttled after the SDK's
//! retries (other clients share the account's quota) is sent again until the throttle
//! deadline (`AwsCloud::call`), for every operation alike.
//!
//! This module does not decide what to deploy, which deployment to delete, or in what
//! order routes change (that is `plan`); each function makes its calls and reports
//! AWS's answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, IntegrationType, Op, PatchOperation, Resource,
};

use aws_sdk_apigateway::operation::create_resource::CreateResourceError;
use aws_sdk_apigateway::operation::create_rest_api::CreateRestApiError;

use super::AwsCloud;
use super::error::AwsError;
use super::once::NoBlindRetry;
use super::retry::{Attempt, until_done};
use crate::cloud::{CloudError, CreatedApi, MethodSettings, NewApi, RestApiApi};
use crate::model::{
    ApiSettings, Endpoint, LiveApi, LiveDeployment, LiveIntegration, LiveMethod, LiveResource,
    LiveStage,
};

const NOT_FOUND: &str = "NotFoundException";
const CONFLICT: &str = "ConflictException";

/// The largest page API Gateway serves.
const PAGE: i32 = 500;

#[async_trait]
impl RestApiApi for AwsCloud {
    // ---- reads ----

    async fn find_rest_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveApi>, CloudError> {
        let apis = self
            .call("GetRestApis", || {
                self.apigateway
                    .get_rest_apis()
                    .limit(PAGE)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
            })
            .await?;
        let mut found = Vec::new();
        for api in apis {
            let api_tags: BTreeMap<String, String> = api
                .tags()
                .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            if !tags
                .iter()
                .all(|(key, value)| api_tags.get(key) == Some(value))
            {
                continue;
            }
            let id = api.id().unwrap_or_default().to_owned();
            let name = api.name().unwrap_or_default().to_owned();
            let endpoint = endpoint(
                api.endpoint_configuration()
                    .and_then(|config| config.types().first()),
            )
            .map_err(|found| CloudError::Service {
                operation: "GetRestApis".to_owned(),
                message: format!(
                    "REST API {name} ({id}) has endpoint type {found}; lade manages REGIONAL and \
                     EDGE APIs only: change its endpoint type, or remove its lade tags"
                ),
            })?;
            found.push(LiveApi {
                id,
                settings: ApiSettings {
                    name,
                    description: api.description().unwrap_or_default().to_owned(),
                    endpoint,
                    binary_media_types: api.binary_media_types().iter().cloned().collect(),
                },
                tags: api_tags,
                resources: BTreeMap::new(),
                stage: None,
                other_stages: Vec::new(),
                deployments: Vec::new(),
            });
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    async fn get_api_resources(&self, api_id: &str) -> Result<Vec<LiveResource>, CloudError> {
        let mut resources: Vec<LiveResource> = list_resources(self, api_id, true)
            .await?
            .iter()
            .map(live_resource)
            .collect();
        resources.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(resources)
    }

    async fn get_stage(&self, api_id: &str, stage: &str) -> Result<Option<LiveStage>, CloudError> {
        let found = self
            .call("GetStage", || {
                self.apigateway
                    .get_stage()
                    .rest_api_id(api_id)
                    .stage_name(stage)
                    .send()
            })
            .await;
        match found {
            Ok(output) => Ok(Some(LiveStage {
                name: output.stage_name().unwrap_or(stage).to_owned(),
                deployment_id: output.deployment_id().unwrap_or_default().to_owned(),
                canary_deployment_id: output
                    .canary_settings()
                    .and_then(|canary| canary.deployment_id())
                    .map(str::to_owned),
                tags: output
                    .tags()
                    .map(|tags| tags.clone().into_iter().collect())
                    .unwrap_or_default(),
            })),
            // The stage, or the whole API, does not exist.
            Err(error) if error.is(NOT_FOUND) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn get_stages(&self, api_id: &str) -> Result<Vec<LiveStage>, CloudError> {
        let found = self
            .call("GetStages", || {
                self.apigateway.get_stages().rest_api_id(api_id).send()
            })
            .await;
        match found {
            Ok(output) => Ok(output
                .item()
                .iter()
                .map(|stage| LiveStage {
                    name: stage.stage_name().unwrap_or_default().to_owned(),
                    deployment_id: stage.deployment_id().unwrap_or_default().to_owned(),
                    canary_deployment_id: stage
                        .canary_settings()
                        .and_then(|canary| canary.deployment_id())
                        .map(str::to_owned),
                    tags: stage
                        .tags()
                        .map(|tags| tags.clone().into_iter().collect())
                        .unwrap_or_default(),
                })
                .collect()),
            // The API does not exist.
            Err(error) if error.is(NOT_FOUND) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        }
    }

    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError> {
        let deployments = self
            .call("GetDeployments", || {
                self.apigateway
                    .get_deployments()
                    .rest_api_id(api_id)
                    .limit(PAGE)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
            })
            .await
            .map_err(|error| error.about(format!("REST API {api_id}")))?;
        let mut live: Vec<LiveDeployment> = deployments
            .iter()
            .map(|deployment| LiveDeployment {
                id: deployment.id().unwrap_or_default().to_owned(),
                created: deployment
                    .created_date()
                    .map(|date| date.secs())
                    .unwrap_or_default(),
            })
            .collect();
        newest_first(&mut live);
        Ok(live)
    }

    // ---- the API ----

    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError> {
        let settings = &api.settings;
        let tags: HashMap<String, String> = api
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let binary_media_types: Vec<String> = settings.binary_media_types.iter().cloned().collect();
        let (tags, binary_media_types) = (&tags, &binary_media_types);
        let waiting_for = format!("REST API {} to be created", settings.name);
        // Not idempotent: API names are not unique, so a blind retry after a lost answer
        // would make a second API. The SDK retries only throttling (`once.rs`); after
        // any other failure without a clear answer, look for the API before creating
        // again. (An API left by an interrupted apply carries our tags too: `live` finds
        // it and the next plan deletes it as an extra.)
        // An edge-optimized API's quota is its own: one every 30 s, not 3.
        let pace_as = match settings.endpoint {
            Endpoint::Edge => "CreateRestApi:EDGE",
            Endpoint::Regional => "CreateRestApi",
        };
        let created = until_done(&self.patience, &waiting_for, move || async move {
            let created = super::pace::paced_as(
                pace_as,
                self.call("CreateRestApi", || {
                    self.apigateway
                        .create_rest_api()
                        .name(&settings.name)
                        .set_description(non_empty(&settings.description))
                        .endpoint_configuration(
                            EndpointConfiguration::builder()
                                .types(EndpointType::from(settings.endpoint.as_str()))
                                .build(),
                        )
                        .set_binary_media_types(
                            (!binary_media_types.is_empty()).then(|| binary_media_types.clone()),
                        )
                        .set_tags((!tags.is_empty()).then(|| tags.clone()))
                        .customize()
                        .config_override(
                            aws_sdk_apigateway::config::Builder::default()
                                .retry_classifier(NoBlindRetry::<CreateRestApiError>::new()),
                        )
                        .send()
                }),
            )
            .await;
            match created {
                Ok(output) => {
                    let Some(id) = output.id().map(str::to_owned) else {
                        return Err(CloudError::Service {
                            operation: "CreateRestApi".to_owned(),
                            message: format!(
                                "API Gateway returned no ID for REST API {}",
                                settings.name
                            ),
                        });
                    };
                    Ok(Attempt::Done((
                        id,
                        output.root_resource_id().map(str::to_owned),
                    )))
                }
                Err(error) if error.is_ambiguous() => match find_created(self, api).await? {
                    Some(id) => Ok(Attempt::Done((id, None))),
                    None => Ok(Attempt::Again(error.to_string())),
                },
                Err(error) => Err(error.into()),
            }
        })
        .await?;
        let (id, root_resource_id) = created;
        let root_resource_id = match root_resource_id {
            Some(root) => root,
            // Older responses leave it out, and a found API has only its ID; the root is
            // the resource whose path is `/`.
            None => list_resources(self, &id, false)
                .await?
                .iter()
                .find(|resource| resource.path() == Some("/"))
                .and_then(|resource| resource.id().map(str::to_owned))
                .ok_or_else(|| CloudError::Service {
                    operation: "GetResources".to_owned(),
                    message: format!("REST API {id} has no root resource `/`"),
                })?,
        };
        Ok(CreatedApi {
            id,
            root_resource_id,
        })
    }

    async fn update_rest_api(
        &self,
        api_id: &str,
        from: &ApiSettings,
        to: &ApiSettings,
    ) -> Result<(), CloudError> {
        let operations = api_patch(from, to);
        if operations.is_empty() {
            return Ok(());
        }
        self.call("UpdateRestApi", || {
            self.apigateway
                .update_rest_api()
                .rest_api_id(api_id)
                .set_patch_operations(Some(operations.clone()))
                .send()
        })
        .await
        .map_err(|error| error.about(format!("REST API {api_id}")))?;
        Ok(())
    }

    async fn delete_rest_api(&self, api_id: &str) -> Result<(), CloudError> {
        if !rest_api_exists(self, api_id).await? {
            return Ok(());
        }
        let waiting_for = format!("API Gateway to delete REST API {api_id}");
        until_done(&self.patience, &waiting_for, move || async move {
            let deleted = self
                .call("DeleteRestApi", || {
                    self.apigateway.delete_rest_api().rest_api_id(api_id).send()
                })
                .await;
            match deleted {
                Ok(_) => Ok(Attempt::Done(())),
                Err(error) if error.is(NOT_FOUND) => Ok(Attempt::Done(())),
                // Perhaps deleted, its answer lost, and the SDK's retries did not say so
                // (they get `NotFoundException` from AWS; moto 5.2 answers a bare 500).
                Err(error) if error.is_ambiguous() => match rest_api_exists(self, api_id).await? {
                    false => Ok(Attempt::Done(())),
                    true => Ok(Attempt::Again(error.to_string())),
                },
                Err(error) => Err(error.about(format!("REST API {api_id}")).into()),
            }
        })
        .await
    }

    // ---- resources, methods, integrations ----

    async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<String, CloudError> {
        let waiting_for = format!("resource {path_part} under {parent_id} of REST API {api_id}");
        // The plan found no such child; read again only after an unclear answer.
        let read_first = AtomicBool::new(false);
        let read_first = &read_first;
        until_done(&self.patience, &waiting_for, move || async move {
            if read_first.load(Ordering::Relaxed)
                && let Some(existing) = find_child(self, api_id, parent_id, path_part).await?
            {
                return Ok(Attempt::Done(existing));
            }
            read_first.store(true, Ordering::Relaxed);
            let created = self
                .call("CreateResource", || {
                    self.apigateway
                        .create_resource()
                        .rest_api_id(api_id)
                        .parent_id(parent_id)
                        .path_part(path_part)
                        .customize()
                        .config_override(
                            aws_sdk_apigateway::config::Builder::default()
                                .retry_classifier(NoBlindRetry::<CreateResourceError>::new()),
                        )
                        .send()
                })
                .await;
            match created {
                Ok(output) => Ok(Attempt::Done(output.id().unwrap_or_default().to_owned())),
                // Created meanwhile by someone else; the next attempt reads it.
                Err(error) if error.is(CONFLICT) => Ok(Attempt::Again(error.to_string())),
                // Perhaps created, its answer lost: the next attempt reads first.
                Err(error) if error.is_ambiguous() => Ok(Attempt::Again(error.to_string())),
                Err(error) => Err(error.about(format!("REST API {api_id}")).into()),
            }
        })
        .await
    }

    async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), CloudError> {
        let found = self
            .call("GetResource", || {
                self.apigateway
                    .get_resource()
                    .rest_api_id(api_id)
                    .resource_id(resource_id)
                    .send()
            })
            .await;
        match found {
            Ok(_) => {}
            // The resource, or the whole API, is gone (deleting a resource deletes its
            // children too).
            Err(error) if error.is(NOT_FOUND) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        let deleted = self
            .call("DeleteResource", || {
                self.apigateway
                    .delete_resource()
                    .rest_api_id(api_id)
                    .resource_id(resource_id)
                    .send()
            })
            .await;
        gone_is_fine(deleted)
    }

    async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        method: &MethodSettings,
    ) -> Result<(), CloudError> {
        let authorization = method.authorization.as_str();
        let put = self
            .call("PutMethod", || {
                self.apigateway
                    .put_method()
                    .rest_api_id(api_id)
                    .resource_id(resource_id)
                    .http_method(&method.http_method)
                    .authorization_type(authorization)
                    .api_key_required(method.api_key_required)
                    .send()
            })
            .await;
        match put {
            Ok(_) => return Ok(()),
            // The method exists: change it in place, which keeps its integration.
            Err(error) if error.is(CONFLICT) => {}
            Err(error) => return Err(error.into()),
        }
        self.call("UpdateMethod", || {
            self.apigateway
                .update_method()
                .rest_api_id(api_id)
                .resource_id(resource_id)
                .http_method(&method.http_method)
                .patch_operations(patch(
                    Op::Replace,
                    "/authorizationType".to_owned(),
                    Some(authorization),
                ))
                .patch_operations(patch(
                    Op::Replace,
                    "/apiKeyRequired".to_owned(),
                    Some(if method.api_key_required {
                        "true"
                    } else {
                        "false"
                    }),
                ))
                .send()
        })
        .await?;
        Ok(())
    }

    async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteMethod", || {
                self.apigateway
                    .delete_method()
                    .rest_api_id(api_id)
                    .resource_id(resource_id)
                    .http_method(http_method)
                    .send()
            })
            .await;
        gone_is_fine(deleted)
    }

    async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        uri: &str,
    ) -> Result<(), CloudError> {
        // PutIntegration replaces an existing integration, so this is idempotent as it is.
        self.call("PutIntegration", || {
            self.apigateway
                .put_integration()
                .rest_api_id(api_id)
                .resource_id(resource_id)
                .http_method(http_method)
                .r#type(IntegrationType::AwsProxy)
                // Lambda is always invoked with POST, whatever the route's method.
                .integration_http_method("POST")
                .uri(uri)
                .send()
        })
        .await?;
        Ok(())
    }

    // ---- deployments ----

    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        description: &str,
        new_stage_tags: Option<&BTreeMap<String, String>>,
    ) -> Result<String, CloudError> {
        // With `stageName`, CreateDeployment creates the stage or points it at the new
        // deployment, in one call; but a stage it creates has no tags, and
        // CreateDeployment takes none. A stage lade creates is tagged with the
        // ownership tags (how a later apply knows it as lade's after `api.stage`
        // changed), so a new stage is made by CreateStage, with its tags.
        let created = self
            .call("CreateDeployment", || {
                self.apigateway
                    .create_deployment()
                    .rest_api_id(api_id)
                    .set_stage_name(new_stage_tags.is_none().then(|| stage.to_owned()))
                    .set_description(non_empty(description))
                    .send()
            })
            .await
            .map_err(|error| error.about(format!("REST API {api_id}, stage {stage}")))?;
        let id = created
            .id()
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Service {
                operation: "CreateDeployment".to_owned(),
                message: format!("API Gateway returned no deployment ID for REST API {api_id}"),
            })?;
        if let Some(tags) = new_stage_tags {
            let made = self
                .call("CreateStage", || {
                    self.apigateway
                        .create_stage()
                        .rest_api_id(api_id)
                        .stage_name(stage)
                        .deployment_id(&id)
                        .set_tags(Some(tags.clone().into_iter().collect()))
                        .send()
                })
                .await;
            match made {
                Ok(_) => {}
                // The stage exists already (another apply, or an SDK retry after a lost
                // answer, made it): point it at this deployment.
                Err(error) if error.is(CONFLICT) => {
                    self.call("UpdateStage", || {
                        self.apigateway
                            .update_stage()
                            .rest_api_id(api_id)
                            .stage_name(stage)
                            .patch_operations(patch(
                                Op::Replace,
                                "/deploymentId".to_owned(),
                                Some(&id),
                            ))
                            .send()
                    })
                    .await
                    .map_err(|error| error.about(format!("REST API {api_id}, stage {stage}")))?;
                }
                Err(error) => {
                    return Err(error
                        .about(format!("REST API {api_id}, stage {stage}"))
                        .into());
                }
            }
        }
        Ok(id)
    }

    async fn delete_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteStage", || {
                self.apigateway
                    .delete_stage()
                    .rest_api_id(api_id)
                    .stage_name(stage)
                    .send()
            })
            .await;
        match deleted {
            // Gone already: deleted by another apply, or with the API.
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error
                .about(format!("REST API {api_id}, stage {stage}"))
                .into()),
        }
    }

    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteDeployment", || {
                self.apigateway
                    .delete_deployment()
                    .rest_api_id(api_id)
                    .deployment_id(deployment_id)
                    .send()
            })
            .await
            .map_err(|error| error.about(format!("REST API {api_id}, deployment {deployment_id}")));
        gone_is_fine(deleted)
    }
}

// ---- helpers: reads ----

/// API Gateway's endpoint type as lade's; `Err` holds a type lade does not manage.
fn endpoint(found: Option<&EndpointType>) -> Result<Endpoint, String> {
    match found.map(EndpointType::as_str) {
        Some("REGIONAL") => Ok(Endpoint::Regional),
        // EDGE is what API Gateway chooses when a request names no type.
        Some("EDGE") | None => Ok(Endpoint::Edge),
        Some(other) => Err(other.to_owned()),
    }
}

/// Every resource of the API, with its methods and their integrations when `methods`.
async fn list_resources(
    aws: &AwsCloud,
    api_id: &str,
    methods: bool,
) -> Result<Vec<Resource>, AwsError> {
    let mut request = aws
        .apigateway
        .get_resources()
        .rest_api_id(api_id)
        .limit(PAGE);
    if methods {
        request = request.embed("methods");
    }
    aws.call("GetResources", || {
        request
            .clone()
            .into_paginator()
            .items()
            .send()
            .try_collect()
    })
    .await
    .map_err(|error| error.about(format!("REST API {api_id}")))
}

/// With `embed=methods`, each method comes with its integration (`methodIntegration`),
/// so one paginated call reads the whole API. A method without `methodIntegration` has
/// no integration.
fn live_resource(resource: &Resource) -> LiveResource {
    let methods = resource
        .resource_methods()
        .map(|methods| {
            methods
                .iter()
                .map(|(http_method, method)| {
                    let integration =
                        method
                            .method_integration()
                            .map(|integration| LiveIntegration {
                                kind: integration
                                    .r#type()
                                    .map(|kind| kind.as_str().to_owned())
                                    .unwrap_or_default(),
                                http_method: integration
                                    .http_method()
                                    .unwrap_or_default()
                                    .to_owned(),
                                uri: integration.uri().unwrap_or_default().to_owned(),
                            });
                    let live = LiveMethod {
                        // API Gateway's default when a method names none.
                        authorization: method.authorization_type().unwrap_or("NONE").to_owned(),
                        api_key_required: method.api_key_required().unwrap_or(false),
                        integration,
                    };
                    (http_method.clone(), live)
                })
                .collect()
        })
        .unwrap_or_default();
    LiveResource {
        id: resource.id().unwrap_or_default().to_owned(),
        path: resource.path().unwrap_or_default().to_owned(),
        methods,
    }
}

/// Newest first; `createdDate` has one-second resolution, so ties go by ID to keep the
/// order deterministic.
fn newest_first(deployments: &mut [LiveDeployment]) {
    deployments.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
}

// ---- helpers: the API ----

/// The ID of an API that an unanswered `CreateRestApi` for `api` created: one with its
/// name and every one of its tags. The plan creates an API only when the project and
/// stage own none, so such an API is the one this apply asked for.
async fn find_created(aws: &AwsCloud, api: &NewApi) -> Result<Option<String>, CloudError> {
    let found = aws.find_rest_apis(&api.tags).await?;
    Ok(found
        .into_iter()
        .find(|live| live.settings.name == api.settings.name)
        .map(|live| live.id))
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// The patch operations that take an API's settings from `from` to `to`; none when
/// nothing differs.
fn api_patch(from: &ApiSettings, to: &ApiSettings) -> Vec<PatchOperation> {
    let mut operations = Vec::new();
    if from.name != to.name {
        operations.push(patch(Op::Replace, "/name".to_owned(), Some(&to.name)));
    }
    if from.description != to.description {
        operations.push(patch(
            Op::Replace,
            "/description".to_owned(),
            Some(&to.description),
        ));
    }
    if from.endpoint != to.endpoint {
        operations.push(patch(
            Op::Replace,
            format!("/endpointConfiguration/types/{}", from.endpoint.as_str()),
            Some(to.endpoint.as_str()),
        ));
    }
    // Each binary media type is a path segment, with `/` escaped as `~1` (and `~` as
    // `~0`, JSON Pointer's rule); `add` and `remove` take no value.
    for removed in from.binary_media_types.difference(&to.binary_media_types) {
        operations.push(binary_media_type(Op::Remove, removed));
    }
    for added in to.binary_media_types.difference(&from.binary_media_types) {
        operations.push(binary_media_type(Op::Add, added));
    }
    operations
}

fn binary_media_type(op: Op, media_type: &str) -> PatchOperation {
    patch(
        op,
        format!("/binaryMediaTypes/{}", json_pointer_escape(media_type)),
        None,
    )
}

fn patch(op: Op, path: String, value: Option<&str>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value.map(str::to_owned))
        .build()
}

fn json_pointer_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Whether the REST API exists, from `GetRestApi`.
async fn rest_api_exists(aws: &AwsCloud, api_id: &str) -> Result<bool, CloudError> {
    let found = aws
        .call("GetRestApi", || {
            aws.apigateway.get_rest_api().rest_api_id(api_id).send()
        })
        .await;
    match found {
        Ok(_) => Ok(true),
        Err(error) if error.is(NOT_FOUND) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

// ---- helpers: resources ----

/// The ID of the child `path_part` of `parent_id`, if it exists.
async fn find_child(
    aws: &AwsCloud,
    api_id: &str,
    parent_id: &str,
    path_part: &str,
) -> Result<Option<String>, CloudError> {
    Ok(list_resources(aws, api_id, false)
        .await?
        .iter()
        .find(|r| r.parent_id() == Some(parent_id) && r.path_part() == Some(path_part))
        .and_then(|r| r.id().map(str::to_owned)))
}

/// For removals: `NotFoundException` means the work is already done.
fn gone_is_fine<T>(result: Result<T, AwsError>) -> Result<(), CloudError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is(NOT_FOUND) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn settings() -> ApiSettings {
        ApiSettings {
            name: "shop-dev".to_owned(),
            description: "the shop".to_owned(),
            endpoint: Endpoint::Regional,
            binary_media_types: BTreeSet::from(["image/png".to_owned()]),
        }
    }

    fn ops(operations: &[PatchOperation]) -> Vec<String> {
        operations
            .iter()
            .map(|op| {
                format!(
                    "{} {} {}",
                    op.op().map(Op::as_str).unwrap_or_default(),
                    op.path().unwrap_or_default(),
                    op.value().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn equal_settings_need_no_patch() {
        assert!(api_patch(&settings(), &settings()).is_empty());
    }

    #[test]
    fn the_patch_holds_exactly_what_differs() {
        let to = ApiSettings {
            name: "shop-prod".to_owned(),
            description: String::new(),
            endpoint: Endpoint::Edge,
            binary_media_types: BTreeSet::from([
                "application/octet-stream".to_owned(),
                "a~b/c".to_owned(),
            ]),
        };
        assert_eq!(
            ops(&api_patch(&settings(), &to)),
            [
                "replace /name shop-prod",
                "replace /description ",
                "replace /endpointConfiguration/types/REGIONAL EDGE",
                "remove /binaryMediaTypes/image~1png -",
                "add /binaryMediaTypes/application~1octet-stream -",
                "add /binaryMediaTypes/a~0b~1c -",
            ]
        );
    }

    #[test]
    fn endpoint_types_map_to_lades() {
        assert_eq!(
            endpoint(Some(&EndpointType::Regional)),
            Ok(Endpoint::Regional)
        );
        assert_eq!(endpoint(Some(&EndpointType::Edge)), Ok(Endpoint::Edge));
        assert_eq!(endpoint(None), Ok(Endpoint::Edge));
        assert_eq!(
            endpoint(Some(&EndpointType::Private)),
            Err("PRIVATE".to_owned())
        );
    }

    #[test]
    fn deployments_sort_newest_first_and_ties_by_id() {
        let deployment = |id: &str, created| LiveDeployment {
            id: id.to_owned(),
            created,
        };
        let mut deployments = vec![
            deployment("b", 10),
            deployment("c", 30),
            deployment("z", 20),
            deployment("a", 20),
        ];
        newest_first(&mut deployments);
        let ids: Vec<&str> = deployments.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "z", "b"]);
    }
}
