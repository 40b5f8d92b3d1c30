//! Steps for the REST API: the API itself, its resource tree, methods, integrations,
//! the Lambda invoke permissions, and the deployment that publishes them.
//!
//! IDs that API Gateway assigns (the API's, each resource's) are known at plan time
//! when the object is live, and otherwise learnt by apply from the step that creates
//! it ([`Ref::After`]).

use std::collections::{BTreeMap, BTreeSet};

use super::Graph;
use crate::diff::{Action, Change, Field, Output, Ref};
use crate::kinds::rest_api::deployment::deployments_to_prune;
use crate::kinds::rest_api::function_arn;
use crate::kinds::rest_api::permissions::statement_id;
use crate::kinds::rest_api::routes::{route_name, wanted_paths};
use crate::model::{Desired, Live, ResourceKind};
use crate::plan::address::parent_path;
use crate::plan::{LambdaOp, Op, PlannedApi, PlannedMethod, RestApiOp};

/// The REST API's own step, planned before the functions so that a function whose
/// environment holds `${api.url}` can wait for it.
pub(super) struct Start {
    /// The API's ID, known or learnt from `CreateRestApi`.
    pub api: Ref,
    /// The `CreateRestApi` step, if the API is new.
    pub created: Option<usize>,
    /// The `UpdateRestApi` step, if its settings change.
    pub update: Option<usize>,
}

/// Plans creating or updating the REST API itself.
pub(super) fn start(
    graph: &mut Graph,
    desired: &Desired,
    live: &Live,
    changes: &[Change],
) -> Start {
    let Some(api) = &desired.api else {
        return Start {
            api: Ref::After(Output::ApiId),
            created: None,
            update: None,
        };
    };
    let api_change = changes
        .iter()
        .find(|c| c.kind == ResourceKind::Api && c.action != Action::Delete);
    match &live.api {
        Some(live_api) => {
            let update = api_change.map(|_| {
                graph.push(
                    Op::ApiGateway(RestApiOp::UpdateRestApi {
                        api_id: live_api.id.clone(),
                        from: live_api.settings.clone(),
                        to: api.settings.clone(),
                    }),
                    vec![],
                    "",
                )
            });
            Start {
                api: Ref::Known(live_api.id.clone()),
                created: None,
                update,
            }
        }
        None => {
            let tags = desired.scope.ownership_tags();
            let created = graph.push(
                Op::ApiGateway(RestApiOp::CreateRestApi {
                    api: PlannedApi {
                        settings: api.settings.clone(),
                        tags,
                    },
                }),
                vec![],
                "",
            );
            Start {
                api: Ref::After(Output::ApiId),
                created: Some(created),
                update: None,
            }
        }
    }
}

/// Adds the API's steps to `graph`. `created_functions` maps function names to the
/// steps that create them. Returns the deployment step, if the plan deploys.
pub(super) fn build(
    graph: &mut Graph,
    desired: &Desired,
    live: &Live,
    changes: &[Change],
    start: &Start,
    created_functions: &BTreeMap<String, usize>,
) -> Option<usize> {
    let scope = &desired.scope;
    let sid = statement_id(scope);
    let existing = live.api.as_ref();

    // Duplicates left by an interrupted apply, and the whole API when `api:` is gone.
    for change in changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Api && c.action == Action::Delete)
    {
        let api_id = match existing {
            Some(api) if api.settings.name == change.name => api.id.clone(),
            _ => change.name.clone(),
        };
        graph.push(
            Op::ApiGateway(RestApiOp::DeleteRestApi {
                api_id,
                name: change.name.clone(),
            }),
            vec![],
            "",
        );
    }
    let Some(api) = &desired.api else {
        remove_permissions(graph, changes, &sid, None);
        return None;
    };

    // Everything on the API waits for its creation (rule 5).
    let mut route_steps: Vec<usize> = start.update.into_iter().chain(start.created).collect();
    let (api_ref, api_created) = (start.api.clone(), start.created);
    let on_api: Vec<usize> = api_created.into_iter().collect();
    let api_why = "a resource, method or permission needs the REST API to exist";

    // The resource tree, parents first.
    let wanted = wanted_paths(&api.routes);
    let mut resource_refs: BTreeMap<String, (Ref, Option<usize>)> = BTreeMap::new();
    let root = existing
        .and_then(|a| a.resources.get("/"))
        .map_or(Ref::After(Output::ResourceId("/".into())), |r| {
            Ref::Known(r.id.clone())
        });
    resource_refs.insert("/".into(), (root, None));
    let mut by_depth: Vec<&String> = wanted.iter().collect();
    by_depth.sort_by_key(|p| (p.matches('/').count(), p.as_str()));
    for path in by_depth {
        if let Some(resource) = existing.and_then(|a| a.resources.get(path)) {
            resource_refs.insert(path.clone(), (Ref::Known(resource.id.clone()), None));
            continue;
        }
        let (parent, parent_step) = resource_refs[parent_path(path)].clone();
        let deps: Vec<usize> = parent_step
            .into_iter()
            .chain(on_api.iter().copied())
            .collect();
        let id = graph.push(
            Op::ApiGateway(RestApiOp::CreateResource {
                api: api_ref.clone(),
                parent,
                path: path.clone(),
            }),
            deps,
            "a resource is created under its parent, which must exist",
        );
        route_steps.push(id);
        resource_refs.insert(
            path.clone(),
            (Ref::After(Output::ResourceId(path.clone())), Some(id)),
        );
    }

    // Methods and integrations.
    for route in &api.routes {
        let name = route_name(&route.method, &route.path);
        let Some(change) = changes.iter().find(|c| {
            c.kind == ResourceKind::Route && c.name == name && c.action != Action::Delete
        }) else {
            continue;
        };
        let has = |f: Field| change.fields.iter().any(|c| c.field == f);
        let (resource, resource_step) = resource_refs[&route.path].clone();
        let mut deps: Vec<usize> = resource_step
            .into_iter()
            .chain(on_api.iter().copied())
            .collect();
        if change.action == Action::Create
            || has(Field::Authorization)
            || has(Field::ApiKeyRequired)
        {
            let id = graph.push(
                Op::ApiGateway(RestApiOp::PutMethod {
                    api: api_ref.clone(),
                    resource: resource.clone(),
                    path: route.path.clone(),
                    method: PlannedMethod {
                        http_method: route.method.clone(),
                        authorization: route.authorization,
                        api_key_required: route.api_key_required,
                    },
                }),
                deps.clone(),
                api_why,
            );
            route_steps.push(id);
            deps = vec![id];
        }
        if change.action == Action::Create || has(Field::Target) {
            let function = desired
                .functions
                .get(&route.function)
                .map_or(route.function.clone(), |f| f.name.clone());
            deps.extend(created_functions.get(&function).copied());
            let id = graph.push(
                Op::ApiGateway(RestApiOp::PutIntegration {
                    api: api_ref.clone(),
                    resource,
                    path: route.path.clone(),
                    http_method: route.method.clone(),
                    function_arn: function_arn(desired, live, &route.function),
                    function,
                }),
                deps,
                "an integration needs its method, and the ARN of the function it calls",
            );
            route_steps.push(id);
        }
    }

    // Route deletes, children first (rule 6): methods, then resources deepest first.
    let mut deleted_methods: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    if let Some(live_api) = existing {
        for change in changes
            .iter()
            .filter(|c| c.kind == ResourceKind::Route && c.action == Action::Delete)
        {
            let Some((method, path)) = change.name.split_once(' ') else {
                continue;
            };
            let Some(resource) = live_api.resources.get(path) else {
                continue;
            };
            let id = graph.push(
                Op::ApiGateway(RestApiOp::DeleteMethod {
                    api_id: live_api.id.clone(),
                    resource_id: resource.id.clone(),
                    path: path.to_string(),
                    http_method: method.to_string(),
                }),
                vec![],
                "",
            );
            route_steps.push(id);
            deleted_methods
                .entry(path.to_string())
                .or_default()
                .push(id);
        }
        let mut unneeded: Vec<&String> = live_api
            .resources
            .keys()
            .filter(|p| *p != "/" && !wanted.contains(*p))
            .collect();
        unneeded.sort_by_key(|p| std::cmp::Reverse((p.matches('/').count(), p.as_str())));
        let mut deleted_resources: BTreeMap<String, usize> = BTreeMap::new();
        for path in unneeded {
            let children = deleted_resources
                .iter()
                .filter(|(child, _)| parent_path(child) == path.as_str())
                .map(|(_, id)| *id);
            let deps: Vec<usize> = deleted_methods
                .get(path)
                .into_iter()
                .flatten()
                .copied()
                .chain(children)
                .collect();
            let id = graph.push(
                Op::ApiGateway(RestApiOp::DeleteResource {
                    api_id: live_api.id.clone(),
                    resource_id: live_api.resources[path].id.clone(),
                    path: path.clone(),
                }),
                deps,
                "a resource is deleted after its methods and its children",
            );
            route_steps.push(id);
            deleted_resources.insert(path.clone(), id);
        }
    }

    // Invoke permissions, one deterministic statement per function.
    for change in changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Permission && c.action != Action::Delete)
    {
        let deps: Vec<usize> = created_functions
            .get(&change.name)
            .copied()
            .into_iter()
            .chain(on_api.iter().copied())
            .collect();
        let function_key = desired
            .functions
            .values()
            .find(|f| f.name == change.name)
            .map_or(change.name.as_str(), |f| f.key.as_str());
        let id = graph.push(
            Op::Lambda(LambdaOp::AddPermission {
                function: change.name.clone(),
                statement_id: sid.clone(),
                function_arn: function_arn(desired, live, function_key),
                api: api_ref.clone(),
            }),
            deps,
            "the permission names the function and is scoped to the API's ARN",
        );
        route_steps.push(id);
    }

    // The deployment publishes all of the above; pruning waits until the stage moved.
    if !changes.iter().any(|c| c.kind == ResourceKind::Deployment) {
        remove_permissions(graph, changes, &sid, None);
        return None;
    }
    let deployment = graph.push(
        Op::ApiGateway(RestApiOp::CreateDeployment { api: api_ref, stage: scope.stage.clone() }),
        route_steps.into_iter().collect::<BTreeSet<_>>().into_iter().collect(),
        "a deployment publishes the routes as they are, so it waits for every route and permission step",
    );
    if let Some(live_api) = existing {
        for old in deployments_to_prune(live_api) {
            graph.push(
                Op::ApiGateway(RestApiOp::DeleteDeployment {
                    api_id: live_api.id.clone(),
                    deployment_id: old.id.clone(),
                }),
                vec![deployment],
                "an old deployment is pruned only after the stage has moved to the new one",
            );
        }
    }
    remove_permissions(graph, changes, &sid, Some(deployment));
    Some(deployment)
}

/// Removes the permissions the API no longer needs, after the new deployment (if any)
/// has stopped routing to their functions.
fn remove_permissions(graph: &mut Graph, changes: &[Change], sid: &str, deployment: Option<usize>) {
    for change in changes
        .iter()
        .filter(|c| c.kind == ResourceKind::Permission && c.action == Action::Delete)
    {
        graph.push(
            Op::Lambda(LambdaOp::RemovePermission {
                function: change.name.clone(),
                statement_id: sid.to_string(),
            }),
            deployment.into_iter().collect(),
            "a permission is removed once the deployed routes no longer call the function",
        );
    }
}
