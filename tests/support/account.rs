//! What a project owns in moto, read with the SDK directly (not through lade's `live`
//! module), to check lade's work from the outside: after a crash and a re-run, or two
//! runs at once, nothing may be duplicated, left over or missing.
//!
//! A resource counts as the project's if lade could have made it: a role under
//! `/lade/<project>/`, a function or REST API whose name starts with `<project>-` or
//! that carries `lade:project=<project>`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::moto;

/// SDK clients for moto.
pub struct Account {
    apigw: aws_sdk_apigateway::Client,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
}

/// A REST API as deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub id: String,
    pub name: String,
    /// Every resource path, sorted; duplicates would show twice.
    pub paths: Vec<String>,
    /// `(method, path)` → the function its integration invokes.
    pub routes: BTreeMap<(String, String), String>,
    /// The deployment the stage points at, if there is a stage.
    pub stage: Option<String>,
    /// Every deployment.
    pub deployments: Vec<String>,
}

/// An invoke permission statement: `(sid, SourceArn)`.
pub type Statement = (String, String);

/// Everything a project has in the account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owned {
    /// Role name → (attached policy ARNs, inline policy names).
    pub roles: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    /// Function name → its invoke permission statements.
    pub functions: BTreeMap<String, Vec<Statement>>,
    /// Function ARNs the tagging API finds with `lade:project=<project>`.
    pub tagged: BTreeSet<String>,
    pub apis: Vec<Api>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
            && self.functions.is_empty()
            && self.tagged.is_empty()
            && self.apis.is_empty()
    }
}

impl Account {
    pub async fn new() -> Account {
        let config = moto().sdk_config().await;
        Account {
            apigw: aws_sdk_apigateway::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
        }
    }

    /// Everything `project` has in the account, whatever its stage.
    pub async fn owned(&self, project: &str) -> Owned {
        let prefix = format!("{project}-");
        let mut owned = Owned::default();

        let roles = self
            .iam
            .list_roles()
            .path_prefix(format!("/lade/{project}/"))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for role in roles {
            let name = role.role_name().to_string();
            let attached = self
                .iam
                .list_attached_role_policies()
                .role_name(&name)
                .send()
                .await
                .unwrap();
            let attached = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect();
            let inline = self
                .iam
                .list_role_policies()
                .role_name(&name)
                .send()
                .await
                .unwrap();
            let inline = inline.policy_names().iter().cloned().collect();
            owned.roles.insert(name, (attached, inline));
        }

        let functions = self
            .lambda
            .list_functions()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for function in functions {
            let name = function.function_name().unwrap_or_default().to_string();
            if name.starts_with(&prefix) {
                let statements = self.statements(&name).await;
                owned.functions.insert(name, statements);
            }
        }
        let tagged = self
            .tagging
            .get_resources()
            .tag_filters(
                aws_sdk_resourcegroupstagging::types::TagFilter::builder()
                    .key("lade:project")
                    .values(project)
                    .build(),
            )
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        owned.tagged = tagged
            .iter()
            .filter_map(|r| r.resource_arn().map(str::to_string))
            .collect();

        let apis = self
            .apigw
            .get_rest_apis()
            .limit(500)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        for api in apis {
            let name = api.name().unwrap_or_default().to_string();
            let tag = api.tags().and_then(|t| t.get("lade:project"));
            if name.starts_with(&prefix) || tag.map(String::as_str) == Some(project) {
                owned.apis.push(self.api(api.id().unwrap(), name).await);
            }
        }
        owned.apis.sort_by(|a, b| a.id.cmp(&b.id));
        owned
    }

    async fn api(&self, id: &str, name: String) -> Api {
        let resources = self
            .apigw
            .get_resources()
            .rest_api_id(id)
            .limit(500)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap();
        let mut paths = Vec::new();
        let mut routes = BTreeMap::new();
        for resource in resources {
            let path = resource.path().unwrap_or_default().to_string();
            paths.push(path.clone());
            let methods: Vec<String> = resource
                .resource_methods()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            for method in methods {
                let integration = self
                    .apigw
                    .get_integration()
                    .rest_api_id(id)
                    .resource_id(resource.id().unwrap())
                    .http_method(&method)
                    .send()
                    .await;
                let target = match integration {
                    Ok(integration) => integration
                        .uri()
                        .and_then(|uri| uri.split(":function:").nth(1))
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or("(no uri)")
                        .to_string(),
                    Err(_) => "(no integration)".to_string(),
                };
                routes.insert((method, path.clone()), target);
            }
        }
        paths.sort();
        let stage = self
            .apigw
            .get_stage()
            .rest_api_id(id)
            .stage_name("dev")
            .send()
            .await
            .ok()
            .and_then(|s| s.deployment_id().map(str::to_string));
        let deployments = self
            .apigw
            .get_deployments()
            .rest_api_id(id)
            .limit(500)
            .send()
            .await
            .unwrap()
            .items()
            .iter()
            .filter_map(|d| d.id().map(str::to_string))
            .collect();
        Api {
            id: id.to_string(),
            name,
            paths,
            routes,
            stage,
            deployments,
        }
    }

    /// The statements of a function's resource policy, as `(sid, SourceArn)`.
    async fn statements(&self, function: &str) -> Vec<Statement> {
        let Ok(policy) = self
            .lambda
            .get_policy()
            .function_name(function)
            .send()
            .await
        else {
            return Vec::new();
        };
        let policy: Value = serde_json::from_str(policy.policy().unwrap_or("{}")).unwrap();
        let mut statements: Vec<Statement> = policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                let source = s["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap_or_default();
                (
                    s["Sid"].as_str().unwrap_or_default().to_string(),
                    source.to_string(),
                )
            })
            .collect();
        statements.sort();
        statements
    }
}
