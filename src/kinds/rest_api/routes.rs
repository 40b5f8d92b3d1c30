//! The REST API's routes: each `METHOD /path` is a method on a resource with a Lambda
//! proxy integration. Resources (path segments) are not a change of their own: they
//! follow from the routes, created parents first and deleted children first.

use std::collections::BTreeSet;

use crate::arn::{integration_uri, uri_target};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Ref};
use crate::kinds::PlanCx;
use crate::model::{Desired, Live, LiveApi, LiveMethod, ResourceKind, Route};
use crate::plan::address::{Address, parent_path};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{Op, PlannedMethod, RestApiOp};

use super::function_arn;

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

/// A route's name as people write it: `GET /items`.
pub fn route_name(method: &str, path: &str) -> String {
    format!("{method} {path}")
}

/// A route's address: its method on its path.
pub fn route_address(method: &str, path: &str) -> Address {
    Address::Method {
        method: method.to_string(),
        path: path.to_string(),
    }
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
            old: live_uri.map(|uri| FieldValue::text(uri_target(&uri))),
            new: Some(FieldValue::Text(function_name)),
        });
    }
    let authorization = route.authorization.as_str();
    if existing.is_none_or(|m| m.authorization != authorization) {
        fields.push(FieldChange {
            field: Field::Authorization,
            old: existing.map(|m| FieldValue::text(&m.authorization)),
            new: Some(FieldValue::text(authorization)),
        });
    }
    if existing.is_none_or(|m| m.api_key_required != route.api_key_required) {
        fields.push(FieldChange {
            field: Field::ApiKeyRequired,
            old: existing.map(|m| FieldValue::Flag(m.api_key_required)),
            new: Some(FieldValue::Flag(route.api_key_required)),
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

/// The route changes (creates, updates, deletes), and whether the route table changed.
pub fn changes(desired: &Desired, live: &Live, routes: &[Route]) -> (Vec<Change>, bool) {
    let existing = live.api.as_ref();
    let mut changes = Vec::new();
    let mut routes_changed = false;
    let wanted: BTreeSet<(String, String)> = routes
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    for route in routes {
        let method = live_method(existing, &route.method, &route.path);
        let fields = route_fields(desired, live, route, method);
        if !fields.is_empty() {
            routes_changed = true;
            let action = if method.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            changes.push(Change {
                fields,
                ..Change::new(
                    route_address(&route.method, &route.path),
                    route_name(&route.method, &route.path),
                    action,
                )
            });
        }
    }
    for (method, path) in existing.map(live_routes).unwrap_or_default() {
        if !wanted.contains(&(method.clone(), path.clone())) {
            routes_changed = true;
            changes.push(crate::kinds::deleted(
                route_address(&method, &path),
                &route_name(&method, &path),
            ));
        }
    }
    // A resource no route needs any more is a change to the route table too.
    let paths = wanted_paths(routes);
    if existing.is_some_and(|a| a.resources.keys().any(|p| p != "/" && !paths.contains(p))) {
        routes_changed = true;
    }
    (changes, routes_changed)
}

/// The resources the routes need that do not exist yet (parents first), then the
/// methods and integrations of the created and changed routes.
pub fn steps(cx: &PlanCx, routes: &[Route], api: &Ref) -> Vec<StepSpec> {
    let (desired, live) = (cx.desired, cx.live);
    let existing = live.api.as_ref();
    let mut specs = Vec::new();
    let resource_ref = |path: &str| match existing.and_then(|a| a.resources.get(path)) {
        Some(resource) => Ref::Known(resource.id.clone()),
        None => Ref::After(crate::diff::Output::ResourceId(path.to_string())),
    };

    let mut by_depth: Vec<String> = wanted_paths(routes).into_iter().collect();
    by_depth.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    for path in by_depth {
        if existing.is_some_and(|a| a.resources.contains_key(&path)) {
            continue;
        }
        let parent = parent_path(&path);
        specs.push(
            StepSpec::new(
                Phase::Resources,
                Op::ApiGateway(RestApiOp::CreateResource {
                    api: api.clone(),
                    parent: resource_ref(parent),
                    path: path.clone(),
                }),
            )
            .creates(Address::Resource(path.clone()))
            .needs([
                Need::Exists(Address::Resource(parent.to_string())),
                Need::Exists(Address::RestApi),
            ])
            .why("a resource is created under its parent, which must exist"),
        );
    }

    for route in routes {
        let address = route_address(&route.method, &route.path);
        let Some(change) = cx
            .changes_of(ResourceKind::Route)
            .find(|c| c.address == address && c.action != Action::Delete)
        else {
            continue;
        };
        let has = |f: Field| change.fields.iter().any(|c| c.field == f);
        let created = change.action == Action::Create;
        let method = Address::Method {
            method: route.method.clone(),
            path: route.path.clone(),
        };
        let on_resource = [
            Need::Exists(Address::Resource(route.path.clone())),
            Need::Exists(Address::RestApi),
        ];
        let mut integration_needs = on_resource.to_vec();
        let mut reintegrate = false;
        if created || has(Field::Authorization) || has(Field::ApiKeyRequired) {
            let spec = StepSpec::new(
                Phase::Routes,
                Op::ApiGateway(RestApiOp::PutMethod {
                    api: api.clone(),
                    resource: resource_ref(&route.path),
                    path: route.path.clone(),
                    method: PlannedMethod {
                        http_method: route.method.clone(),
                        authorization: route.authorization,
                        api_key_required: route.api_key_required,
                    },
                    exists: !created,
                }),
            )
            .needs(on_resource)
            .why("a resource, method or permission needs the REST API to exist");
            specs.push(if created {
                spec.creates(method.clone())
            } else {
                spec.sets(method.clone())
            });
            // The method stands on its resource: the integration needs only it.
            integration_needs = vec![Need::Ready(method)];
            // A changed method is followed by its integration, put again as it is: on
            // AWS the method is changed in place (`UpdateMethod`) and the put is an
            // idempotent overwrite; on a server that replaces the method instead (moto
            // does), the integration would otherwise be gone.
            reintegrate = !created;
        }
        if created || reintegrate || has(Field::Target) {
            let function = desired
                .functions
                .get(&route.function)
                .map_or(route.function.clone(), |f| f.name.clone());
            integration_needs.push(Need::Exists(Address::Function(function.clone())));
            specs.push(
                StepSpec::new(
                    Phase::Routes,
                    Op::ApiGateway(RestApiOp::PutIntegration {
                        api: api.clone(),
                        resource: resource_ref(&route.path),
                        path: route.path.clone(),
                        http_method: route.method.clone(),
                        function_arn: function_arn(desired, live, &route.function),
                        function,
                    }),
                )
                .sets(Address::Integration {
                    method: route.method.clone(),
                    path: route.path.clone(),
                })
                .needs(integration_needs)
                .why("an integration needs its method, and the ARN of the function it calls"),
            );
        }
    }
    specs
}

/// The methods of deleted routes, then the resources no route needs, children first.
pub fn deletes(cx: &PlanCx, routes: &[Route]) -> Vec<StepSpec> {
    let Some(live_api) = cx.live.api.as_ref() else {
        return Vec::new();
    };
    let mut specs = Vec::new();
    let live_routes = live_routes(live_api);
    for change in cx
        .changes_of(ResourceKind::Route)
        .filter(|c| c.action == Action::Delete)
    {
        let Address::Method { method, path } = change.address.clone() else {
            continue;
        };
        if !live_routes.contains(&(method.clone(), path.clone())) {
            continue;
        }
        let resource = &live_api.resources[&path];
        specs.push(
            StepSpec::new(
                Phase::RouteCleanup,
                Op::ApiGateway(RestApiOp::DeleteMethod {
                    api_id: live_api.id.clone(),
                    resource_id: resource.id.clone(),
                    path: path.clone(),
                    http_method: method.clone(),
                }),
            )
            .deletes(Address::Method { method, path }),
        );
    }
    let wanted = wanted_paths(routes);
    let mut unneeded: Vec<&String> = live_api
        .resources
        .keys()
        .filter(|p| *p != "/" && !wanted.contains(*p))
        .collect();
    unneeded.sort_by_key(|p| std::cmp::Reverse((p.matches('/').count(), p.as_str())));
    for path in unneeded {
        specs.push(
            StepSpec::new(
                Phase::RouteCleanup,
                Op::ApiGateway(RestApiOp::DeleteResource {
                    api_id: live_api.id.clone(),
                    resource_id: live_api.resources[path].id.clone(),
                    path: path.clone(),
                }),
            )
            .deletes(Address::Resource(path.clone()))
            .why("a resource is deleted after its methods and its children"),
        );
    }
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_include_every_parent_and_parents_are_found() {
        let route = |path: &str| Route {
            method: "GET".into(),
            path: path.into(),
            function: "f".into(),
            authorization: Default::default(),
            api_key_required: false,
            authorizer: None,
            scopes: Vec::new(),
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
