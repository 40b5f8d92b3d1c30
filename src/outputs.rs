//! What a deployed project offers its users: the API's invoke URL, each route's URL,
//! and each function URL.
//!
//! Computed from live state only, so `lade outputs` shows what is really deployed,
//! whatever the manifest says now.

use serde::Serialize;

use crate::arn::invoke_url;
use crate::model::Live;

/// The outputs of one project and stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outputs {
    /// The REST API or HTTP API, if one is deployed.
    pub api: Option<ApiOutputs>,
    /// The function URLs, by function name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub function_urls: Vec<FunctionUrlOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionUrlOutput {
    /// The function's physical name.
    pub function: String,
    /// `https://<id>.lambda-url.<region>.on.aws/`
    pub url: String,
    /// `none` or `iam`.
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiOutputs {
    pub id: String,
    /// `https://{id}.execute-api.{region}.amazonaws.com/{stage}`
    pub url: String,
    pub stage: String,
    /// Whether the stage exists; without it the URL answers 403.
    pub deployed: bool,
    pub routes: Vec<RouteOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteOutput {
    pub method: String,
    pub path: String,
    pub url: String,
}

/// The outputs of `live`, with URLs in `region`.
pub fn collect(live: &Live, stage: &str, region: &str) -> Outputs {
    let api = live.api.as_ref().map(|api| {
        let url = invoke_url(&api.id, region, stage);
        let routes = api
            .resources
            .values()
            .flat_map(|resource| {
                resource.methods.keys().map(|method| RouteOutput {
                    method: method.clone(),
                    path: resource.path.clone(),
                    url: format!(
                        "{url}{}",
                        if resource.path == "/" {
                            ""
                        } else {
                            &resource.path
                        }
                    ),
                })
            })
            .collect();
        ApiOutputs {
            id: api.id.clone(),
            url,
            stage: stage.to_string(),
            deployed: api.stage.is_some(),
            routes,
        }
    });
    // An HTTP API: its invoke URL has no stage path for `$default`.
    let api = api.or_else(|| {
        let http = live.http_api.as_ref()?;
        let stage = http
            .stages
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "$default".to_string());
        let url = crate::arn::http_invoke_url(&http.id, region, &stage);
        let routes = http
            .routes
            .keys()
            .map(|key| {
                let (method, path) = key.split_once(' ').unwrap_or((key.as_str(), ""));
                RouteOutput {
                    method: method.to_string(),
                    path: path.to_string(),
                    url: format!("{url}{}", if path == "/" { "" } else { path }),
                }
            })
            .collect();
        Some(ApiOutputs {
            id: http.id.clone(),
            url,
            deployed: !http.stages.is_empty(),
            stage,
            routes,
        })
    });
    let function_urls = live
        .function_urls
        .values()
        .map(|url| FunctionUrlOutput {
            function: url.function.clone(),
            url: url.url.clone(),
            auth: url.settings.auth.as_str().to_string(),
        })
        .collect();
    Outputs { api, function_urls }
}

/// The outputs for people.
pub fn text(outputs: &Outputs) -> String {
    let mut out = String::new();
    if !outputs.function_urls.is_empty() {
        out.push_str("Function URLs:\n");
        let width = outputs
            .function_urls
            .iter()
            .map(|u| u.function.len())
            .max()
            .unwrap_or(0);
        for url in &outputs.function_urls {
            let auth = if url.auth == "iam" {
                "  (auth: iam)"
            } else {
                ""
            };
            out.push_str(&format!("  {:<width$}  {}{auth}\n", url.function, url.url));
        }
    }
    let Some(api) = &outputs.api else {
        if out.is_empty() {
            return "No REST API is deployed for this project and stage.\n".to_string();
        }
        return out;
    };
    out.push_str(&format!("API URL: {}\n", api.url));
    if !api.deployed {
        out.push_str(&format!(
            "  (stage {} is not deployed yet: run `lade apply`)\n",
            api.stage
        ));
    }
    let width = api.routes.iter().map(|r| r.method.len()).max().unwrap_or(0);
    for route in &api.routes {
        out.push_str(&format!("  {:<width$}  {}\n", route.method, route.url));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApiSettings, LiveApi, LiveMethod, LiveResource, LiveStage};
    use std::collections::BTreeMap;

    #[test]
    fn urls_follow_api_region_and_stage() {
        let method = LiveMethod {
            authorization: "NONE".into(),
            api_key_required: false,
            integration: None,
        };
        let resource = |path: &str, methods: &[&str]| LiveResource {
            id: format!("id{path}"),
            path: path.into(),
            methods: methods
                .iter()
                .map(|m| (m.to_string(), method.clone()))
                .collect(),
        };
        let live = Live {
            api: Some(LiveApi {
                id: "a1b2c3".into(),
                settings: ApiSettings {
                    name: "x".into(),
                    description: String::new(),
                    endpoint: Default::default(),
                    binary_media_types: Default::default(),
                },
                tags: BTreeMap::new(),
                resources: [resource("/", &[]), resource("/hello", &["GET", "POST"])]
                    .into_iter()
                    .map(|r| (r.path.clone(), r))
                    .collect(),
                stage: Some(LiveStage {
                    name: "dev".into(),
                    deployment_id: "d".into(),
                    canary_deployment_id: None,
                    tags: Default::default(),
                }),
                other_stages: Vec::new(),
                deployments: Vec::new(),
            }),
            ..Live::default()
        };
        let outputs = collect(&live, "dev", "eu-west-1");
        let api = outputs.api.as_ref().unwrap();
        assert_eq!(
            api.url,
            "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev"
        );
        assert_eq!(
            api.routes[0].url,
            "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/hello"
        );
        assert_eq!(
            text(&outputs),
            "API URL: https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev\n  \
             GET   https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/hello\n  \
             POST  https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/hello\n"
        );
    }
}
