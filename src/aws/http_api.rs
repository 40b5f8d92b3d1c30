//! API Gateway v2 (HTTP APIs): the API, its routes, Lambda integrations, authorizers
//! and stages.
//!
//! The listings (`GetApis`, `GetRoutes`, `GetIntegrations`, `GetAuthorizers`,
//! `GetStages`) page by `NextToken`; the SDK has no paginator for them. A deleted part
//! that is already gone (`NotFoundException`) counts as success. Integrations are
//! Lambda proxy integrations at payload format 2.0 whose URI is the function's ARN, as
//! AWS documents for HTTP APIs; authorizers are JWT or Lambda (`REQUEST`, payload 2.0,
//! simple responses). Stages are made with auto-deploy on, so that no deployment is
//! ever created by lade: every change to routes reaches the stage by itself.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{
    AuthorizationType, AuthorizerType, Cors as SdkCors, IntegrationType, JwtConfiguration,
    ProtocolType,
};

use super::AwsCloud;
use crate::cloud::{CloudError, CreatedHttpApi, HttpApiApi, HttpRouteSpec};
use crate::model::{
    Cors, HTTP_PAYLOAD_FORMAT, HttpApiSettings, HttpAuthorizerSettings, HttpRouteAuth, LiveHttpApi,
    LiveHttpAuthorizer, LiveHttpIntegration, LiveHttpRoute, LiveHttpStage,
};

const NOT_FOUND: &str = "NotFoundException";
/// The largest page API Gateway v2 lists.
const PAGE: &str = "500";

/// Collects every page of a `NextToken` listing: `$page` sends one page's request for
/// a token, `$items` names the output's list.
macro_rules! all_pages {
    ($page:expr, $items:ident) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = ($page)(token.clone()).await?;
            items.extend(page.$items().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
        items
    }};
}

fn sdk_cors(cors: &Cors) -> SdkCors {
    SdkCors::builder()
        .set_allow_origins(Some(cors.allow_origins.clone()))
        .set_allow_methods(Some(cors.allow_methods.clone()))
        .set_allow_headers(Some(cors.allow_headers.clone()))
        .set_expose_headers(Some(cors.expose_headers.clone()))
        .allow_credentials(cors.allow_credentials)
        .max_age(cors.max_age)
        .build()
}

fn cors_of(cors: &SdkCors) -> Option<Cors> {
    Cors {
        allow_origins: cors.allow_origins().to_vec(),
        allow_methods: cors.allow_methods().to_vec(),
        allow_headers: cors.allow_headers().to_vec(),
        expose_headers: cors.expose_headers().to_vec(),
        allow_credentials: cors.allow_credentials().unwrap_or(false),
        max_age: cors.max_age().unwrap_or(0),
    }
    .non_empty()
}

fn route_of(route: &aws_sdk_apigatewayv2::types::Route) -> LiveHttpRoute {
    LiveHttpRoute {
        id: route.route_id().unwrap_or_default().to_string(),
        key: route.route_key().unwrap_or_default().to_string(),
        target: route.target().map(str::to_string),
        auth: HttpRouteAuth {
            kind: route
                .authorization_type()
                .map_or("NONE", |t| t.as_str())
                .to_string(),
            authorizer_id: route
                .authorizer_id()
                .filter(|id| !id.is_empty())
                .map(str::to_string),
            scopes: route.authorization_scopes().to_vec(),
        },
    }
}

fn authorizer_of(authorizer: &aws_sdk_apigatewayv2::types::Authorizer) -> LiveHttpAuthorizer {
    let identity_source = authorizer.identity_source().to_vec();
    let settings = match authorizer.authorizer_type() {
        Some(AuthorizerType::Jwt) => {
            let jwt = authorizer.jwt_configuration();
            HttpAuthorizerSettings::Jwt {
                identity_source,
                issuer: jwt.and_then(|j| j.issuer()).unwrap_or_default().to_string(),
                audience: jwt.map(|j| j.audience().to_vec()).unwrap_or_default(),
            }
        }
        _ => HttpAuthorizerSettings::Lambda {
            identity_source,
            uri: authorizer.authorizer_uri().unwrap_or_default().to_string(),
            ttl: authorizer.authorizer_result_ttl_in_seconds().unwrap_or(0),
            payload_format: authorizer
                .authorizer_payload_format_version()
                .unwrap_or_default()
                .to_string(),
            simple_responses: authorizer.enable_simple_responses().unwrap_or(false),
        },
    };
    LiveHttpAuthorizer {
        id: authorizer.authorizer_id().unwrap_or_default().to_string(),
        name: authorizer.name().unwrap_or_default().to_string(),
        settings,
    }
}

/// The authorization a route is put with: `AuthorizerId` is sent only for JWT and
/// Lambda authorizers, and scopes only for JWT (API Gateway refuses them otherwise).
fn auth_type(auth: &HttpRouteAuth) -> AuthorizationType {
    AuthorizationType::from(auth.kind.as_str())
}

/// Sets an authorizer's type and settings on a `CreateAuthorizer` or `UpdateAuthorizer`
/// request: the two builders are different types with the same setters.
macro_rules! with_authorizer_settings {
    ($request:expr, $settings:expr) => {
        match $settings {
            HttpAuthorizerSettings::Jwt {
                issuer, audience, ..
            } => $request
                .authorizer_type(AuthorizerType::Jwt)
                .jwt_configuration(
                    JwtConfiguration::builder()
                        .issuer(issuer)
                        .set_audience(Some(audience.clone()))
                        .build(),
                ),
            HttpAuthorizerSettings::Lambda {
                uri,
                ttl,
                payload_format,
                simple_responses,
                ..
            } => $request
                .authorizer_type(AuthorizerType::Request)
                .authorizer_uri(uri)
                .authorizer_result_ttl_in_seconds(*ttl)
                .authorizer_payload_format_version(payload_format)
                .enable_simple_responses(*simple_responses),
        }
    };
}

#[async_trait]
impl HttpApiApi for AwsCloud {
    async fn find_http_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveHttpApi>, CloudError> {
        let apis = all_pages!(
            |token: Option<String>| self.call("GetApis", move || {
                self.apigatewayv2
                    .get_apis()
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            }),
            items
        );
        Ok(apis
            .iter()
            .filter(|api| api.protocol_type() == Some(&ProtocolType::Http))
            .filter_map(|api| {
                let api_tags: BTreeMap<String, String> = api
                    .tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                tags.iter()
                    .all(|(k, v)| api_tags.get(k) == Some(v))
                    .then(|| LiveHttpApi {
                        id: api.api_id().unwrap_or_default().to_string(),
                        settings: HttpApiSettings {
                            name: api.name().unwrap_or_default().to_string(),
                            description: api.description().unwrap_or_default().to_string(),
                            cors: api.cors_configuration().and_then(cors_of),
                        },
                        tags: api_tags,
                        routes: BTreeMap::new(),
                        integrations: BTreeMap::new(),
                        authorizers: BTreeMap::new(),
                        stages: BTreeMap::new(),
                    })
            })
            .collect())
    }

    async fn get_http_routes(&self, api_id: &str) -> Result<Vec<LiveHttpRoute>, CloudError> {
        let routes = all_pages!(
            |token: Option<String>| self.call("GetRoutes", move || {
                self.apigatewayv2
                    .get_routes()
                    .api_id(api_id)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            }),
            items
        );
        Ok(routes.iter().map(route_of).collect())
    }

    async fn get_http_integrations(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpIntegration>, CloudError> {
        let integrations = all_pages!(
            |token: Option<String>| self.call("GetIntegrations", move || {
                self.apigatewayv2
                    .get_integrations()
                    .api_id(api_id)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            }),
            items
        );
        Ok(integrations
            .iter()
            .map(|i| LiveHttpIntegration {
                id: i.integration_id().unwrap_or_default().to_string(),
                kind: i.integration_type().map_or("", |t| t.as_str()).to_string(),
                uri: i.integration_uri().unwrap_or_default().to_string(),
                payload_format: i.payload_format_version().unwrap_or_default().to_string(),
            })
            .collect())
    }

    async fn get_http_authorizers(
        &self,
        api_id: &str,
    ) -> Result<Vec<LiveHttpAuthorizer>, CloudError> {
        let authorizers = all_pages!(
            |token: Option<String>| self.call("GetAuthorizers", move || {
                self.apigatewayv2
                    .get_authorizers()
                    .api_id(api_id)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            }),
            items
        );
        Ok(authorizers.iter().map(authorizer_of).collect())
    }

    async fn get_http_stages(&self, api_id: &str) -> Result<Vec<LiveHttpStage>, CloudError> {
        let stages = all_pages!(
            |token: Option<String>| self.call("GetStages", move || {
                self.apigatewayv2
                    .get_stages()
                    .api_id(api_id)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            }),
            items
        );
        Ok(stages
            .iter()
            .map(|s| LiveHttpStage {
                name: s.stage_name().unwrap_or_default().to_string(),
                auto_deploy: s.auto_deploy().unwrap_or(false),
            })
            .collect())
    }

    async fn create_http_api(
        &self,
        settings: &HttpApiSettings,
        tags: &BTreeMap<String, String>,
    ) -> Result<CreatedHttpApi, CloudError> {
        let created = self
            .call("CreateApi", || {
                self.apigatewayv2
                    .create_api()
                    .name(&settings.name)
                    .protocol_type(ProtocolType::Http)
                    .set_description(
                        (!settings.description.is_empty()).then(|| settings.description.clone()),
                    )
                    .set_cors_configuration(settings.cors.as_ref().map(sdk_cors))
                    .set_tags(Some(tags.clone().into_iter().collect()))
                    .send()
            })
            .await?;
        Ok(CreatedHttpApi {
            id: created.api_id().unwrap_or_default().to_string(),
            endpoint: created.api_endpoint().unwrap_or_default().to_string(),
        })
    }

    async fn update_http_api(
        &self,
        api_id: &str,
        settings: &HttpApiSettings,
    ) -> Result<(), CloudError> {
        self.call("UpdateApi", || {
            self.apigatewayv2
                .update_api()
                .api_id(api_id)
                .name(&settings.name)
                .description(&settings.description)
                .set_cors_configuration(settings.cors.as_ref().map(sdk_cors))
                .send()
        })
        .await?;
        // `UpdateApi` leaves a CORS configuration it is not given as it is.
        if settings.cors.is_none() {
            let deleted = self
                .call("DeleteCorsConfiguration", || {
                    self.apigatewayv2
                        .delete_cors_configuration()
                        .api_id(api_id)
                        .send()
                })
                .await;
            match deleted {
                Ok(_) => {}
                Err(error) if error.is(NOT_FOUND) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    async fn delete_http_api(&self, api_id: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteApi", || {
                self.apigatewayv2.delete_api().api_id(api_id).send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.about(format!("HTTP API {api_id}")).into()),
        }
    }

    async fn create_http_integration(
        &self,
        api_id: &str,
        function_arn: &str,
    ) -> Result<String, CloudError> {
        let created = self
            .call("CreateIntegration", || {
                self.apigatewayv2
                    .create_integration()
                    .api_id(api_id)
                    .integration_type(IntegrationType::AwsProxy)
                    .integration_method("POST")
                    .integration_uri(function_arn)
                    .payload_format_version(HTTP_PAYLOAD_FORMAT)
                    .send()
            })
            .await?;
        Ok(created.integration_id().unwrap_or_default().to_string())
    }

    async fn delete_http_integration(
        &self,
        api_id: &str,
        integration_id: &str,
    ) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteIntegration", || {
                self.apigatewayv2
                    .delete_integration()
                    .api_id(api_id)
                    .integration_id(integration_id)
                    .send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_http_route(
        &self,
        api_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<String, CloudError> {
        let created = self
            .call("CreateRoute", || {
                self.apigatewayv2
                    .create_route()
                    .api_id(api_id)
                    .route_key(&route.key)
                    .target(crate::model::http_route_target(&route.integration_id))
                    .authorization_type(auth_type(&route.auth))
                    .set_authorizer_id(route.auth.authorizer_id.clone())
                    .set_authorization_scopes(
                        (!route.auth.scopes.is_empty()).then(|| route.auth.scopes.clone()),
                    )
                    .send()
            })
            .await?;
        Ok(created.route_id().unwrap_or_default().to_string())
    }

    async fn update_http_route(
        &self,
        api_id: &str,
        route_id: &str,
        route: &HttpRouteSpec,
    ) -> Result<(), CloudError> {
        self.call("UpdateRoute", || {
            self.apigatewayv2
                .update_route()
                .api_id(api_id)
                .route_id(route_id)
                .target(crate::model::http_route_target(&route.integration_id))
                .authorization_type(auth_type(&route.auth))
                // An empty ID and empty scopes clear them, as the AWS CLI does.
                .authorizer_id(route.auth.authorizer_id.clone().unwrap_or_default())
                .set_authorization_scopes(Some(route.auth.scopes.clone()))
                .send()
        })
        .await?;
        Ok(())
    }

    async fn delete_http_route(&self, api_id: &str, route_id: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteRoute", || {
                self.apigatewayv2
                    .delete_route()
                    .api_id(api_id)
                    .route_id(route_id)
                    .send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_http_authorizer(
        &self,
        api_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<String, CloudError> {
        let created = self
            .call("CreateAuthorizer", || {
                let request = self
                    .apigatewayv2
                    .create_authorizer()
                    .api_id(api_id)
                    .name(name)
                    .set_identity_source(Some(settings.identity_source().to_vec()));
                with_authorizer_settings!(request, settings).send()
            })
            .await?;
        Ok(created.authorizer_id().unwrap_or_default().to_string())
    }

    async fn update_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
        name: &str,
        settings: &HttpAuthorizerSettings,
    ) -> Result<(), CloudError> {
        self.call("UpdateAuthorizer", || {
            let request = self
                .apigatewayv2
                .update_authorizer()
                .api_id(api_id)
                .authorizer_id(authorizer_id)
                .name(name)
                .set_identity_source(Some(settings.identity_source().to_vec()));
            with_authorizer_settings!(request, settings).send()
        })
        .await?;
        Ok(())
    }

    async fn delete_http_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
    ) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteAuthorizer", || {
                self.apigatewayv2
                    .delete_authorizer()
                    .api_id(api_id)
                    .authorizer_id(authorizer_id)
                    .send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        let created = self
            .call("CreateStage", || {
                self.apigatewayv2
                    .create_stage()
                    .api_id(api_id)
                    .stage_name(stage)
                    .auto_deploy(true)
                    .send()
            })
            .await;
        match created {
            Ok(_) => Ok(()),
            // A stage of that name exists: an attempt whose answer was lost made it.
            Err(error) if error.is("ConflictException") => {
                self.update_http_stage(api_id, stage).await
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn update_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        self.call("UpdateStage", || {
            self.apigatewayv2
                .update_stage()
                .api_id(api_id)
                .stage_name(stage)
                .auto_deploy(true)
                .send()
        })
        .await?;
        Ok(())
    }

    async fn delete_http_stage(&self, api_id: &str, stage: &str) -> Result<(), CloudError> {
        let deleted = self
            .call("DeleteStage", || {
                self.apigatewayv2
                    .delete_stage()
                    .api_id(api_id)
                    .stage_name(stage)
                    .send()
            })
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}
