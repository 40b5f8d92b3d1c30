//! The REST API part of the diff: the API's settings, its routes (method +
//! integration), the Lambda invoke permissions, and whether a new deployment is due.
//!
//! Resources (path segments) are not a change of their own: they follow from the
//! routes, and `plan` derives their creates and deletes from [`wanted_paths`].
//!
//! ARNs and URIs are built from the function's ARN (partition, region, account), never
//! from hard-coded strings, so lade works in every partition.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Action, Change, Field, FieldChange, Output, Ref};
use crate::model::{
    Desired, Live, LiveApi, LiveDeployment, LiveMethod, ResourceKind, Route, Scope,
};

/// How many deployments to keep; older ones are pruned after the stage has moved.
pub const KEEP_DEPLOYMENTS: usize = 5;

/// The deployments a plan that deploys prunes once the stage has moved to the new
/// one, so that [`KEEP_DEPLOYMENTS`] are left: the new one, the one the stage points
/// at now, and the newest of the others.
///
/// The stage's deployment is never pruned, wherever it sorts. `deployments` is newest
/// first by creation time, which API Gateway gives to the second, with ties in ID
/// order; IDs are random, so the one the stage points at may sort after others made
/// in the same second (an SDK retry of `CreateDeployment`, or applies in quick
/// succession). The deployment this apply creates is not in the list at all: it is
/// read before it exists. Pruning is best effort (`apply::best_effort`): API Gateway
/// also refuses to delete a deployment a canary points at, and then it is kept.
pub fn deployments_to_prune(api: &LiveApi) -> Vec<&LiveDeployment> {
    let current = api.stage.as_ref().map(|s| s.deployment_id.as_str());
    let others = api
        .deployments
        .iter()
        .filter(|d| Some(d.id.as_str()) != current);
    // One place for the new deployment, and one for the current, if it still exists.
    let live_current = api
        .deployments
        .iter()
        .any(|d| Some(d.id.as_str()) == current);
    let keep_others = KEEP_DEPLOYMENTS - 1 - usize::from(live_current);
    others.skip(keep_others).collect()
}

/// The resource-policy statement id lade uses on every function its API invokes: one
/// deterministic statement per function and API, never a new one per deploy.
pub fn statement_id(scope: &Scope) -> String {
    format!("lade-api-{}-{}", scope.project, scope.stage)
}

/// The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
}

fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(_service), Some(region), Some(account), Some(_)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(Arn {
        partition,
        region,
        account,
    })
}

/// The Lambda proxy integration URI for a function, in the function's own region and
/// partition.
pub fn integration_uri(function_arn: &str) -> Option<String> {
    let arn = parse_arn(function_arn)?;
    Some(format!(
        "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        arn.partition, arn.region
    ))
}

/// The `execute-api` ARN that scopes a function's invoke permission to one API: any
/// stage, method and path of that API, and nothing else.
pub fn source_arn(function_arn: &str, api_id: &str) -> Option<String> {
    let arn = parse_arn(function_arn)?;
    Some(format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        arn.partition, arn.region, arn.account
    ))
}

/// The URL a stage of an API answers on.
pub fn invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    format!("https://{api_id}.execute-api.{region}.amazonaws.com/{stage}")
}

/// Every resource path the routes need, parents included, root excluded.
pub fn wanted_paths<'a>(routes: impl IntoIterator<Item = &'a Route>) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for route in routes {
        let mut path = String::new();
        for segment in route.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            path.push_str(segment);
            paths.insert(path.clone());
        }
    }
    paths
}

/// The parent of a resource path: `/items/{id}` → `/items`, `/items` → `/`.
pub fn parent_path(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// A route's name as people write it: `GET /items`.
pub fn route_name(method: &str, path: &str) -> String {
    format!("{method} {path}")
}

/// The ARN a route's function has, or will have once this plan creates it.
pub fn function_arn(desired: &Desired, live: &Live, function_key: &str) -> Ref {
    let name = desired
        .functions
        .get(function_key)
        .map_or(function_key, |f| f.name.as_str());
    match live.functions.get(name) {
        Some(existing) => Ref::Known(existing.arn.clone()),
        None => Ref::After(Output::FunctionArn(name.to_string())),
    }
}

/// The function name an integration URI points to, for people.
fn uri_target(uri: &str) -> String {
    uri.split(":function:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(uri)
        .to_string()
}

/// How one route differs, field by field (empty when it matches).
pub fn route_fields(
    desired: &Desired,
    live: &Live,
    route: &Route,
    existing: Option<&LiveMethod>,
) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    let function_name = desired
        .functions
        .get(&route.function)
        .map_or(route.function.clone(), |f| f.name.clone());
    let wanted_uri = match function_arn(desired, live, &route.function) {
        Ref::Known(arn) => integration_uri(&arn),
        Ref::After(_) => None,
    };
    let live_uri = existing
        .and_then(|m| m.integration.as_ref())
        .filter(|i| i.kind == "AWS_PROXY" && i.http_method == "POST")
        .map(|i| i.uri.clone());
    if wanted_uri.is_none() || live_uri != wanted_uri {
        fields.push(FieldChange {
            field: Field::Target,
            old: live_uri.map(|uri| json!(uri_target(&uri))),
            new: Some(json!(function_name)),
        });
    }
    let authorization = route.authorization.as_str();
    if existing.is_none_or(|m| m.authorization != authorization) {
        fields.push(FieldChange {
            field: Field::Authorization,
            old: existing.map(|m| json!(m.authorization)),
            new: Some(json!(authorization)),
        });
    }
    if existing.is_none_or(|m| m.api_key_required != route.api_key_required) {
        fields.push(FieldChange {
            field: Field::ApiKeyRequired,
            old: existing.map(|m| json!(m.api_key_required)),
            new: Some(json!(route.api_key_required)),
        });
    }
    fields
}

/// The live method at `path`, if any.
pub fn live_method<'a>(
    api: Option<&'a LiveApi>,
    method: &str,
    path: &str,
) -> Option<&'a LiveMethod> {
    api?.resources.get(path)?.methods.get(method)
}

/// The routes a live API serves: `(method, path)`.
pub fn live_routes(api: &LiveApi) -> BTreeSet<(String, String)> {
    api.resources
        .values()
        .flat_map(|r| r.methods.keys().map(|m| (m.clone(), r.path.clone())))
        .collect()
}

/// Which functions each owned function's permission should let the API invoke:
/// function name → the wanted source ARN (`None` when it is known only after apply).
pub fn wanted_permissions(desired: &Desired, live: &Live) -> BTreeMap<String, Ref> {
    let Some(api) = &desired.api else {
        return BTreeMap::new();
    };
    let api_id = live.api.as_ref().map(|a| a.id.as_str());
    api.routes
        .iter()
        .map(|route| {
            let arn = function_arn(desired, live, &route.function);
            let name = desired
                .functions
                .get(&route.function)
                .map_or(route.function.clone(), |f| f.name.clone());
            let source = match (&arn, api_id) {
                (Ref::Known(arn), Some(id)) => source_arn(arn, id).map(Ref::Known),
                _ => None,
            };
            (
                name.clone(),
                source.unwrap_or(Ref::After(Output::FunctionArn(name))),
            )
        })
        .collect()
}

/// The changes to the REST API, its routes, permissions and deployment.
pub fn changes(desired: &Desired, live: &Live) -> Vec<Change> {
    let mut changes = Vec::new();
    let sid = statement_id(&desired.scope);

    for id in &live.extra_apis {
        changes.push(Change {
            replaces: None,
            drift: false,
            kind: ResourceKind::Api,
            name: id.clone(),
            key: None,
            action: Action::Delete,
            fields: vec![FieldChange {
                field: Field::Name,
                old: Some(json!(
                    "a duplicate left by an interrupted or concurrent apply"
                )),
                new: None,
            }],
        });
    }

    let Some(api) = &desired.api else {
        if let Some(existing) = &live.api {
            changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Api,
                name: existing.settings.name.clone(),
                key: None,
                action: Action::Delete,
                fields: Vec::new(),
            });
        }
        changes.extend(stale_permissions(desired, live, &sid, &BTreeSet::new()));
        return changes;
    };

    // The API itself.
    let settings = &api.settings;
    let existing = live.api.as_ref();
    let mut api_fields = Vec::new();
    let old = existing.map(|a| &a.settings);
    let pairs = [
        (
            Field::Name,
            old.map(|o| json!(o.name)),
            json!(settings.name),
        ),
        (
            Field::Description,
            old.map(|o| json!(o.description)),
            json!(settings.description),
        ),
        (
            Field::Endpoint,
            old.map(|o| json!(o.endpoint)),
            json!(settings.endpoint),
        ),
        (
            Field::BinaryMediaTypes,
            old.map(|o| json!(o.binary_media_types)),
            json!(settings.binary_media_types),
        ),
    ];
    for (field, old, new) in pairs {
        if old.as_ref() != Some(&new) {
            api_fields.push(FieldChange {
                field,
                old,
                new: Some(new),
            });
        }
    }
    if !api_fields.is_empty() {
        changes.push(Change {
            replaces: None,
            drift: false,
            kind: ResourceKind::Api,
            name: settings.name.clone(),
            key: None,
            action: if existing.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            fields: api_fields,
        });
    }

    // Routes.
    let mut routes_changed = false;
    let wanted: BTreeSet<(String, String)> = api
        .routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    for route in &api.routes {
        let method = live_method(existing, &route.method, &route.path);
        let fields = route_fields(desired, live, route, method);
        if !fields.is_empty() {
            routes_changed = true;
            changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Route,
                name: route_name(&route.method, &route.path),
                key: None,
                action: if method.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
                fields,
            });
        }
    }
    for (method, path) in existing.map(live_routes).unwrap_or_default() {
        if !wanted.contains(&(method.clone(), path.clone())) {
            routes_changed = true;
            changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Route,
                name: route_name(&method, &path),
                key: None,
                action: Action::Delete,
                fields: Vec::new(),
            });
        }
    }
    // A resource no route needs any more is a change to the route table too.
    let paths = wanted_paths(&api.routes);
    if existing.is_some_and(|a| a.resources.keys().any(|p| p != "/" && !paths.contains(p))) {
        routes_changed = true;
    }

    // Permissions: one statement per function the API invokes.
    let permissions = wanted_permissions(desired, live);
    for (function, source) in &permissions {
        let current = live
            .permissions
            .get(function)
            .and_then(|statements| statements.iter().find(|p| p.sid == sid))
            .and_then(|p| p.source_arn.clone());
        let matches = matches!(source, Ref::Known(arn) if current.as_ref() == Some(arn));
        if !matches {
            changes.push(Change {
                replaces: None,
                drift: false,
                kind: ResourceKind::Permission,
                name: function.clone(),
                key: None,
                action: if current.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
                fields: vec![FieldChange {
                    field: Field::SourceArn,
                    old: current.map(Value::String),
                    new: Some(source.display()),
                }],
            });
        }
    }
    let targeted: BTreeSet<String> = permissions.into_keys().collect();
    changes.extend(stale_permissions(desired, live, &sid, &targeted));

    // A deployment, when and only when the route table changed (or nothing is deployed).
    let stage = &desired.scope.stage;
    let deployed = existing
        .and_then(|a| a.stage.as_ref())
        .map(|s| s.deployment_id.clone());
    let media_changed = changes.iter().any(|c| {
        c.kind == ResourceKind::Api && c.fields.iter().any(|f| f.field == Field::BinaryMediaTypes)
    });
    if routes_changed || deployed.is_none() || media_changed {
        changes.push(Change {
            replaces: None,
            drift: false,
            kind: ResourceKind::Deployment,
            name: stage.clone(),
            key: None,
            action: Action::Create,
            fields: vec![FieldChange {
                field: Field::Stage,
                old: deployed.map(Value::String),
                new: Some(json!(super::KNOWN_AFTER_APPLY)),
            }],
        });
    }
    changes
}

/// lade's statements on kept functions that the API no longer invokes. A function
/// that is deleted takes its resource policy with it.
fn stale_permissions(
    desired: &Desired,
    live: &Live,
    sid: &str,
    targeted: &BTreeSet<String>,
) -> Vec<Change> {
    let kept: BTreeSet<&str> = desired
        .functions
        .values()
        .map(|f| f.name.as_str())
        .collect();
    live.permissions
        .iter()
        .filter(|(function, statements)| {
            kept.contains(function.as_str())
                && !targeted.contains(*function)
                && statements.iter().any(|p| p.sid == sid)
        })
        .map(|(function, _)| Change {
            replaces: None,
            drift: false,
            kind: ResourceKind::Permission,
            name: function.clone(),
            key: None,
            action: Action::Delete,
            fields: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FN: &str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:shop-dev-list";

    #[test]
    fn uris_and_arns_follow_the_function_partition_and_region() {
        assert_eq!(
            integration_uri(FN).unwrap(),
            format!(
                "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/{FN}/invocations"
            )
        );
        assert_eq!(
            source_arn(FN, "abc123").unwrap(),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/*"
        );
        assert_eq!(integration_uri("not-an-arn"), None);
        assert_eq!(uri_target(&integration_uri(FN).unwrap()), "shop-dev-list");
    }

    fn api_with(deployments: &[(&str, i64)], stage: Option<&str>) -> LiveApi {
        LiveApi {
            id: "api".into(),
            settings: crate::model::ApiSettings {
                name: "shop-dev".into(),
                description: String::new(),
                endpoint: Default::default(),
                binary_media_types: Default::default(),
            },
            tags: BTreeMap::new(),
            resources: BTreeMap::new(),
            stage: stage.map(|id| crate::model::LiveStage {
                name: "dev".into(),
                deployment_id: id.into(),
            }),
            deployments: deployments
                .iter()
                .map(|(id, created)| LiveDeployment {
                    id: (*id).into(),
                    created: *created,
                })
                .collect(),
        }
    }

    fn pruned(api: &LiveApi) -> Vec<&str> {
        deployments_to_prune(api)
            .into_iter()
            .map(|d| d.id.as_str())
            .collect()
    }

    #[test]
    fn pruning_keeps_five_with_the_new_one_and_never_the_stage_s() {
        // Newest first, the stage on the newest: four old ones stay with the new one.
        let six = [("f", 6), ("e", 5), ("d", 4), ("c", 3), ("b", 2), ("a", 1)];
        assert_eq!(pruned(&api_with(&six, Some("f"))), ["b", "a"]);
        assert_eq!(pruned(&api_with(&six[..4], Some("f"))), Vec::<&str>::new());
        // Made in the same second, the stage's deployment sorts last by its random ID:
        // it is kept all the same, and counts as the newest old one.
        let tied = [("a", 7), ("b", 7), ("c", 7), ("d", 7), ("e", 7), ("z", 7)];
        let api = api_with(&tied, Some("z"));
        assert_eq!(pruned(&api), ["d", "e"]);
        assert_eq!(
            api.deployments.len() + 1 - pruned(&api).len(),
            KEEP_DEPLOYMENTS
        );
        // A stage on a deployment that is gone (or no stage): four old ones stay.
        assert_eq!(pruned(&api_with(&six, Some("gone"))), ["b", "a"]);
        assert_eq!(pruned(&api_with(&six, None)), ["b", "a"]);
    }

    #[test]
    fn paths_include_every_parent_and_parents_are_found() {
        let route = |path: &str| Route {
            method: "GET".into(),
            path: path.into(),
            function: "f".into(),
            authorization: Default::default(),
            api_key_required: false,
        };
        let paths = wanted_paths(&[route("/items/{id}"), route("/admin/{proxy+}"), route("/")]);
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        assert_eq!(
            paths,
            ["/admin", "/admin/{proxy+}", "/items", "/items/{id}"]
        );
        assert_eq!(parent_path("/items/{id}"), "/items");
        assert_eq!(parent_path("/items"), "/");
    }
}
