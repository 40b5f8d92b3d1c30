//! The HTTP API's parts: one integration per function its routes invoke, the routes
//! (by key), the authorizers (by key, which is also their name in API Gateway) and the
//! stage. Each is diffed field by field; a route whose target or authorization changes
//! is updated in place, alone.

use std::collections::{BTreeMap, BTreeSet};

use crate::arn::integration_uri;
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::kinds::PlanCx;
use crate::kinds::rest_api::function_arn;
use crate::model::{
    Api, Authorizer, Desired, HTTP_PAYLOAD_FORMAT, HttpAuthorizerSettings, Live, LiveHttpApi,
    ResourceKind, Route,
};
use crate::plan::address::Address;
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{HttpApiOp, Op, PlannedAuthorizer, PlannedRoute, PlannedRouteAuth};

use super::function_name;

/// The function name in a Lambda ARN (`…:function:NAME`), for people.
fn arn_function(arn: &str) -> String {
    arn.rsplit(":function:")
        .next()
        .unwrap_or(arn)
        .split(':')
        .next()
        .unwrap_or(arn)
        .to_string()
}

/// The physical names of the functions the routes invoke.
pub fn routed_functions(desired: &Desired, api: &Api) -> BTreeSet<String> {
    api.routes
        .iter()
        .map(|r| function_name(desired, &r.function))
        .collect()
}

/// The live integration of a function, when its ARN is known and lade's integration of
/// it exists.
fn live_integration<'a>(
    live_api: Option<&'a LiveHttpApi>,
    arn: &Ref,
) -> Option<&'a crate::model::LiveHttpIntegration> {
    match arn {
        Ref::Known(arn) => live_api?.integration_for(arn),
        Ref::After(_) => None,
    }
}

/// The ID of a function's integration: known when live, learnt from its creation.
fn integration_ref(desired: &Desired, live: &Live, function_key: &str) -> Ref {
    let arn = function_arn(desired, live, function_key);
    match live_integration(live.http_api.as_ref(), &arn) {
        Some(i) => Ref::Known(i.id.clone()),
        None => Ref::After(Output::HttpIntegrationId(function_name(
            desired,
            function_key,
        ))),
    }
}

/// The authorizer's settings as API Gateway would report them; `None` while its
/// function's ARN is not known (or for a kind HTTP APIs do not have).
fn wanted_authorizer(
    desired: &Desired,
    live: &Live,
    kind: &Authorizer,
) -> Option<HttpAuthorizerSettings> {
    match kind {
        Authorizer::Jwt {
            issuer,
            audience,
            identity_source,
        } => Some(HttpAuthorizerSettings::Jwt {
            identity_source: identity_source.clone(),
            issuer: issuer.clone(),
            audience: audience.clone(),
        }),
        Authorizer::Lambda {
            function,
            identity_source,
            ttl,
            ..
        } => match function_arn(desired, live, function) {
            Ref::Known(arn) => Some(HttpAuthorizerSettings::Lambda {
                identity_source: identity_source.clone(),
                uri: integration_uri(&arn)?,
                ttl: i32::try_from(*ttl).unwrap_or(i32::MAX),
                payload_format: HTTP_PAYLOAD_FORMAT.into(),
                simple_responses: true,
            }),
            Ref::After(_) => None,
        },
        Authorizer::Cognito { .. } => None,
    }
}

fn planned_authorizer(
    desired: &Desired,
    live: &Live,
    kind: &Authorizer,
) -> Option<PlannedAuthorizer> {
    match kind {
        Authorizer::Jwt {
            issuer,
            audience,
            identity_source,
        } => Some(PlannedAuthorizer::Jwt {
            issuer: issuer.clone(),
            audience: audience.clone(),
            identity_source: identity_source.clone(),
        }),
        Authorizer::Lambda {
            function,
            identity_source,
            ttl,
            ..
        } => Some(PlannedAuthorizer::Lambda {
            function: function_name(desired, function),
            function_arn: function_arn(desired, live, function),
            identity_source: identity_source.clone(),
            ttl: i32::try_from(*ttl).unwrap_or(i32::MAX),
        }),
        Authorizer::Cognito { .. } => None,
    }
}

/// An authorizer's settings as a plan shows them.
fn authorizer_values(
    settings: Option<&HttpAuthorizerSettings>,
    function: Option<String>,
) -> Vec<(Field, Option<FieldValue>)> {
    let list = |l: &[String]| Some(FieldValue::List(l.to_vec()));
    match settings {
        Some(HttpAuthorizerSettings::Jwt {
            identity_source,
            issuer,
            audience,
        }) => vec![
            (Field::IdentitySource, list(identity_source)),
            (Field::Issuer, Some(FieldValue::text(issuer))),
            (Field::Audience, list(audience)),
            (Field::Target, None),
            (Field::ResultTtl, None),
        ],
        Some(HttpAuthorizerSettings::Lambda {
            identity_source,
            uri,
            ttl,
            ..
        }) => vec![
            (Field::IdentitySource, list(identity_source)),
            (Field::Issuer, None),
            (Field::Audience, None),
            (
                Field::Target,
                Some(FieldValue::Text(function.unwrap_or_else(|| {
                    arn_function(uri.trim_end_matches("/invocations"))
                }))),
            ),
            (Field::ResultTtl, Some(FieldValue::Number((*ttl).into()))),
        ],
        None => vec![(Field::Target, function.map(FieldValue::Text))],
    }
}

/// How a route should be authorized: its `AuthorizationType`, the key of its
/// authorizer and its scopes.
fn route_auth(api: &Api, route: &Route) -> (String, Option<String>, Vec<String>) {
    match route
        .authorizer
        .as_ref()
        .and_then(|key| Some((key, api.authorizers.get(key)?)))
    {
        Some((key, authorizer)) => {
            let kind = match authorizer {
                Authorizer::Jwt { .. } => "JWT",
                _ => "CUSTOM",
            };
            (kind.to_string(), Some(key.clone()), route.scopes.clone())
        }
        None => (route.authorization.as_str().to_string(), None, Vec::new()),
    }
}

/// The creates, updates and deletes of integrations, authorizers, routes and stages.
pub fn changes(desired: &Desired, live: &Live, api: &Api) -> Vec<Change> {
    let live_api = live.http_api.as_ref();
    let mut changes = Vec::new();

    // Integrations: one per routed function.
    let mut kept_integrations = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for route in &api.routes {
        let name = function_name(desired, &route.function);
        if !seen.insert(name.clone()) {
            continue;
        }
        let arn = function_arn(desired, live, &route.function);
        match live_integration(live_api, &arn) {
            Some(i) => {
                kept_integrations.insert(i.id.clone());
            }
            None => changes.push(Change {
                fields: vec![FieldChange {
                    field: Field::Target,
                    old: None,
                    new: Some(FieldValue::Text(name.clone())),
                }],
                ..Change::new(
                    Address::HttpIntegration(name.clone()),
                    &name,
                    Action::Create,
                )
            }),
        }
    }
    for integration in live_api.iter().flat_map(|a| a.integrations.values()) {
        if !kept_integrations.contains(&integration.id) {
            changes.push(Change::new(
                Address::HttpIntegration(integration.id.clone()),
                arn_function(&integration.uri),
                Action::Delete,
            ));
        }
    }

    // Authorizers, by key.
    for (key, authorizer) in &api.authorizers {
        if matches!(authorizer, Authorizer::Cognito { .. }) {
            continue;
        }
        let existing = live_api.and_then(|a| a.authorizers.get(key));
        let wanted = wanted_authorizer(desired, live, authorizer);
        let function = match authorizer {
            Authorizer::Lambda { function, .. } => Some(function_name(desired, function)),
            _ => None,
        };
        if wanted.is_some() && existing.map(|a| &a.settings) == wanted.as_ref() {
            continue;
        }
        let new = authorizer_values(wanted.as_ref(), function);
        let old = existing.map(|a| authorizer_values(Some(&a.settings), None));
        let mut fields = Vec::new();
        for (field, new) in new {
            let old = old
                .iter()
                .flatten()
                .find(|(f, _)| *f == field)
                .and_then(|(_, v)| v.clone());
            if old != new {
                fields.push(FieldChange { field, old, new });
            }
        }
        if fields.is_empty() {
            // Its function's ARN is known only once the function exists.
            fields.push(FieldChange {
                field: Field::Target,
                old: None,
                new: Some(FieldValue::KnownAfterApply),
            });
        }
        let action = if existing.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        changes.push(Change {
            fields,
            ..Change::new(Address::HttpAuthorizer(key.clone()), key, action)
        });
    }
    for name in live_api.iter().flat_map(|a| a.authorizers.keys()) {
        let wanted = api
            .authorizers
            .get(name)
            .is_some_and(|a| !matches!(a, Authorizer::Cognito { .. }));
        if !wanted {
            changes.push(Change::new(
                Address::HttpAuthorizer(name.clone()),
                name,
                Action::Delete,
            ));
        }
    }
    let changed_authorizers: BTreeSet<String> = changes
        .iter()
        .filter_map(|c| match &c.address {
            Address::HttpAuthorizer(key) if c.action == Action::Create => Some(key.clone()),
            _ => None,
        })
        .collect();

    // Routes, by key.
    let mut wanted_keys = BTreeSet::new();
    for route in &api.routes {
        let key = route.key();
        wanted_keys.insert(key.clone());
        let existing = live_api.and_then(|a| a.routes.get(&key));
        let function = function_name(desired, &route.function);
        let (kind, authorizer, scopes) = route_auth(api, route);
        let mut fields = Vec::new();
        let live_function = existing
            .and_then(|r| r.target.as_deref())
            .and_then(|t| t.strip_prefix("integrations/"))
            .and_then(|id| live_api?.integrations.get(id))
            .map(|i| i.uri.clone());
        let target_ok = match (&live_function, function_arn(desired, live, &route.function)) {
            (Some(uri), Ref::Known(arn)) => {
                *uri == arn && live_api.and_then(|a| a.integration_for(&arn)).is_some()
            }
            _ => false,
        };
        if !target_ok {
            fields.push(FieldChange {
                field: Field::Target,
                old: existing.map(|_| {
                    FieldValue::Text(
                        live_function
                            .as_deref()
                            .map_or("(none)".into(), arn_function),
                    )
                }),
                new: Some(FieldValue::Text(function.clone())),
            });
        }
        if existing.is_none_or(|r| r.auth.kind != kind) {
            fields.push(FieldChange {
                field: Field::Authorization,
                old: existing.map(|r| FieldValue::text(&r.auth.kind)),
                new: Some(FieldValue::text(&kind)),
            });
        }
        let live_authorizer = existing.and_then(|r| {
            let id = r.auth.authorizer_id.as_ref()?;
            live_api?
                .authorizers
                .values()
                .find(|a| &a.id == id)
                .map(|a| a.name.clone())
                .or_else(|| Some(id.clone()))
        });
        let authorizer_new = authorizer
            .as_ref()
            .is_some_and(|k| changed_authorizers.contains(k));
        if live_authorizer != authorizer || authorizer_new && existing.is_some() {
            fields.push(FieldChange {
                field: Field::Authorizer,
                old: live_authorizer.map(FieldValue::Text),
                new: authorizer.clone().map(FieldValue::Text),
            });
        }
        if existing.map_or(!scopes.is_empty(), |r| r.auth.scopes != scopes) {
            fields.push(FieldChange {
                field: Field::Scopes,
                old: existing.map(|r| FieldValue::List(r.auth.scopes.clone())),
                new: Some(FieldValue::List(scopes.clone())),
            });
        }
        if fields.is_empty() {
            continue;
        }
        let action = if existing.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        changes.push(Change {
            fields,
            ..Change::new(Address::HttpRoute(key.clone()), &key, action)
        });
    }
    for key in live_api.iter().flat_map(|a| a.routes.keys()) {
        if !wanted_keys.contains(key) {
            changes.push(Change::new(
                Address::HttpRoute(key.clone()),
                key,
                Action::Delete,
            ));
        }
    }

    // The stage: the one the manifest names, with auto-deploy; any other goes.
    let stage = live_api.and_then(|a| a.stages.get(&api.stage));
    if stage.is_none_or(|s| !s.auto_deploy) {
        changes.push(Change {
            fields: vec![FieldChange {
                field: Field::AutoDeploy,
                old: stage.map(|s| FieldValue::Flag(s.auto_deploy)),
                new: Some(FieldValue::Flag(true)),
            }],
            ..Change::new(
                Address::HttpStage(api.stage.clone()),
                &api.stage,
                if stage.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
            )
        });
    }
    for name in live_api.iter().flat_map(|a| a.stages.keys()) {
        if *name != api.stage {
            changes.push(Change::new(
                Address::HttpStage(name.clone()),
                name,
                Action::Delete,
            ));
        }
    }
    changes
}

/// The creates and updates: integrations and authorizers first, then the routes that
/// use them, and the stage.
pub fn steps(cx: &PlanCx, api: &Api, id: &Ref) -> Vec<StepSpec> {
    let (desired, live) = (cx.desired, cx.live);
    let live_api = live.http_api.as_ref();
    let on_api = Need::Exists(Address::HttpApi);
    let mut specs = Vec::new();
    let keys_of_functions: BTreeMap<String, String> = api
        .routes
        .iter()
        .map(|r| (function_name(desired, &r.function), r.function.clone()))
        .collect();
    for change in cx
        .changes_of(ResourceKind::HttpApi)
        .filter(|c| c.action != Action::Delete)
    {
        match &change.address {
            Address::HttpIntegration(function) => {
                let Some(key) = keys_of_functions.get(function) else {
                    continue;
                };
                specs.push(
                    StepSpec::new(
                        Phase::Routes,
                        Op::HttpApi(HttpApiOp::CreateHttpIntegration {
                            api: id.clone(),
                            function: function.clone(),
                            function_arn: function_arn(desired, live, key),
                        }),
                    )
                    .creates(change.address.clone())
                    .needs([
                        on_api.clone(),
                        Need::Exists(Address::Function(function.clone())),
                    ])
                    .why("an integration needs the API, and the ARN of the function it calls"),
                );
            }
            Address::HttpAuthorizer(key) => {
                let Some(authorizer) = api
                    .authorizers
                    .get(key)
                    .and_then(|a| planned_authorizer(desired, live, a))
                else {
                    continue;
                };
                let mut needs = vec![on_api.clone()];
                if let PlannedAuthorizer::Lambda { function, .. } = &authorizer {
                    needs.push(Need::Exists(Address::Function(function.clone())));
                }
                let existing = live_api.and_then(|a| a.authorizers.get(key));
                let spec = match existing {
                    Some(live_authorizer) => StepSpec::new(
                        Phase::Routes,
                        Op::HttpApi(HttpApiOp::UpdateHttpAuthorizer {
                            api_id: live_api.map(|a| a.id.clone()).unwrap_or_default(),
                            authorizer_id: live_authorizer.id.clone(),
                            name: key.clone(),
                            authorizer,
                        }),
                    )
                    .sets(change.address.clone()),
                    None => StepSpec::new(
                        Phase::Routes,
                        Op::HttpApi(HttpApiOp::CreateHttpAuthorizer {
                            api: id.clone(),
                            name: key.clone(),
                            authorizer,
                        }),
                    )
                    .creates(change.address.clone()),
                };
                specs.push(
                    spec.needs(needs)
                        .why("an authorizer needs the API, and a Lambda authorizer its function"),
                );
            }
            Address::HttpRoute(key) => {
                let Some(route) = api.routes.iter().find(|r| &r.key() == key) else {
                    continue;
                };
                let function = function_name(desired, &route.function);
                let (kind, authorizer, scopes) = route_auth(api, route);
                let authorizer_ref = authorizer.as_ref().map(|k| {
                    let id = live_api
                        .and_then(|a| a.authorizers.get(k))
                        .map_or(Ref::After(Output::HttpAuthorizerId(k.clone())), |a| {
                            Ref::Known(a.id.clone())
                        });
                    (k.clone(), id)
                });
                let planned = PlannedRoute {
                    key: key.clone(),
                    function: function.clone(),
                    integration: integration_ref(desired, live, &route.function),
                    auth: PlannedRouteAuth {
                        kind,
                        authorizer: authorizer_ref,
                        scopes,
                    },
                };
                let mut needs = vec![
                    on_api.clone(),
                    Need::Exists(Address::HttpIntegration(function.clone())),
                ];
                if let Some(k) = &authorizer {
                    needs.push(Need::Exists(Address::HttpAuthorizer(k.clone())));
                }
                let existing = live_api.and_then(|a| a.routes.get(key));
                let spec = match existing {
                    Some(live_route) => {
                        let released = released_by(live_api, live_route);
                        StepSpec::new(
                            Phase::Routes,
                            Op::HttpApi(HttpApiOp::UpdateHttpRoute {
                                api_id: live_api.map(|a| a.id.clone()).unwrap_or_default(),
                                route_id: live_route.id.clone(),
                                route: planned,
                            }),
                        )
                        .sets(change.address.clone())
                        .releases(released)
                    }
                    None => StepSpec::new(
                        Phase::Routes,
                        Op::HttpApi(HttpApiOp::CreateHttpRoute {
                            api: id.clone(),
                            route: planned,
                        }),
                    )
                    .creates(change.address.clone()),
                };
                specs.push(
                    spec.needs(needs)
                        .why("a route needs its function's integration and its authorizer"),
                );
            }
            Address::HttpStage(stage) => {
                let spec = match live_api.filter(|a| a.stages.contains_key(stage)) {
                    Some(live_api) => StepSpec::new(
                        Phase::Deployment,
                        Op::HttpApi(HttpApiOp::UpdateHttpStage {
                            api_id: live_api.id.clone(),
                            stage: stage.clone(),
                        }),
                    )
                    .sets(change.address.clone()),
                    None => StepSpec::new(
                        Phase::Deployment,
                        Op::HttpApi(HttpApiOp::CreateHttpStage {
                            api: id.clone(),
                            stage: stage.clone(),
                        }),
                    )
                    .creates(change.address.clone()),
                };
                specs.push(spec.needs([on_api.clone()]).why("a stage needs the API"));
            }
            _ => {}
        }
    }
    specs
}

/// What a live route stops using when it changes or goes: its integration's function
/// (and the integration, by that function's name and by its ID) and its authorizer.
fn released_by(
    live_api: Option<&LiveHttpApi>,
    route: &crate::model::LiveHttpRoute,
) -> Vec<Address> {
    let mut released = Vec::new();
    if let Some(integration) = route
        .target
        .as_deref()
        .and_then(|t| t.strip_prefix("integrations/"))
        .and_then(|id| live_api?.integrations.get(id))
    {
        let function = arn_function(&integration.uri);
        released.push(Address::HttpIntegration(integration.id.clone()));
        released.push(Address::Function(function));
    }
    if let Some(name) = route.auth.authorizer_id.as_ref().and_then(|id| {
        live_api?
            .authorizers
            .values()
            .find(|a| &a.id == id)
            .map(|a| a.name.clone())
    }) {
        released.push(Address::HttpAuthorizer(name));
    }
    released
}

/// The deletes of routes, then of the integrations, authorizers and stages no longer
/// wanted (each after the routes that used it moved or went).
pub fn deletes(cx: &PlanCx) -> Vec<StepSpec> {
    let Some(live_api) = cx.live.http_api.as_ref() else {
        return Vec::new();
    };
    let api_id = live_api.id.clone();
    let mut specs = Vec::new();
    for change in cx
        .changes_of(ResourceKind::HttpApi)
        .filter(|c| c.action == Action::Delete)
    {
        let op = match &change.address {
            Address::HttpRoute(key) => {
                let Some(route) = live_api.routes.get(key) else {
                    continue;
                };
                specs.push(
                    StepSpec::new(
                        Phase::RouteCleanup,
                        Op::HttpApi(HttpApiOp::DeleteHttpRoute {
                            api_id: api_id.clone(),
                            route_id: route.id.clone(),
                            key: key.clone(),
                        }),
                    )
                    .deletes(change.address.clone())
                    .releases(released_by(Some(live_api), route)),
                );
                continue;
            }
            Address::HttpIntegration(id) => {
                let Some(integration) = live_api.integrations.get(id) else {
                    continue;
                };
                HttpApiOp::DeleteHttpIntegration {
                    api_id: api_id.clone(),
                    integration_id: integration.id.clone(),
                    function: arn_function(&integration.uri),
                }
            }
            Address::HttpAuthorizer(name) => {
                let Some(authorizer) = live_api.authorizers.get(name) else {
                    continue;
                };
                HttpApiOp::DeleteHttpAuthorizer {
                    api_id: api_id.clone(),
                    authorizer_id: authorizer.id.clone(),
                    name: name.clone(),
                }
            }
            Address::HttpStage(stage) => HttpApiOp::DeleteHttpStage {
                api_id: api_id.clone(),
                stage: stage.clone(),
            },
            _ => continue,
        };
        let mut spec = StepSpec::new(Phase::RouteCleanup, Op::HttpApi(op))
            .deletes(change.address.clone())
            .why("an integration or authorizer goes once no route uses it; an old stage once the new one exists");
        if let (Address::HttpStage(_), Some(api)) = (&change.address, super::wanted(cx.desired)) {
            spec = spec.needs([Need::Exists(Address::HttpStage(api.stage.clone()))]);
        }
        specs.push(spec);
    }
    specs
}
