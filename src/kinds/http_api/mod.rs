//! The HTTP API (API Gateway v2, `api: {type: http}`): one per project and stage, owned
//! by its tags, with its CORS configuration, one Lambda proxy integration (payload 2.0)
//! per function its routes invoke, its routes, its authorizers (JWT and Lambda), one
//! stage with auto-deploy, and the invoke statements in the functions' resource
//! policies. Its parts have their own files: [`parts`] (integrations, routes,
//! authorizers, stage) and [`permissions`].
//!
//! No deployment is ever made: the stage has auto-deploy on, so each change to the
//! routes reaches it by itself. (moto 5.2.5 has neither `CreateDeployment` nor
//! `UpdateStage` for v2; auto-deploy needs neither.)
//!
//! Switching `api.type` between `rest` and `http` is a replacement: the new API is
//! created first, the old one deleted once it exists (`replaced_by`), and the plan
//! shows the HTTP API as `-/+` replacing the REST API (or the REST API replacing it).
//! Deleting the API deletes its routes, integrations, authorizers and stage with it,
//! so none of those is deleted on its own then.

pub mod parts;
pub mod permissions;

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{Api, ApiProtocol, Cors, Desired, HttpApiSettings, Live, ResourceKind};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Phase, StepSpec};
use crate::plan::{HttpApiOp, Op};

/// The HTTP API kind.
pub struct HttpApi;

/// The manifest's API, when it is an HTTP API.
pub fn wanted(desired: &Desired) -> Option<&Api> {
    desired
        .api
        .as_ref()
        .filter(|api| api.protocol == ApiProtocol::Http)
}

/// The API's ID: known when it is live, learnt from `CreateApi` otherwise.
pub fn api_ref(live: &Live) -> Ref {
    match &live.http_api {
        Some(api) => Ref::Known(api.id.clone()),
        None => Ref::After(Output::HttpApiId),
    }
}

/// The settings lade gives the API.
pub fn settings(api: &Api) -> HttpApiSettings {
    HttpApiSettings {
        name: api.settings.name.clone(),
        description: api.settings.description.clone(),
        cors: api.cors.clone().and_then(Cors::non_empty),
    }
}

/// The physical name of the function with manifest key `key`.
pub fn function_name(desired: &Desired, key: &str) -> String {
    desired
        .functions
        .get(key)
        .map_or(key.to_string(), |f| f.name.clone())
}

impl Kind for HttpApi {
    fn name(&self) -> &'static str {
        "HTTP API"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes: Vec<Change> = live
            .extra_http_apis
            .iter()
            .map(|id| Change {
                fields: vec![FieldChange {
                    field: Field::Name,
                    old: Some(FieldValue::text(
                        "a duplicate left by an interrupted or concurrent apply",
                    )),
                    new: None,
                }],
                ..Change::new(Address::DuplicateHttpApi(id.clone()), id, Action::Delete)
            })
            .collect();
        let Some(api) = wanted(desired) else {
            if let Some(existing) = &live.http_api {
                changes.push(super::deleted(Address::HttpApi, &existing.settings.name));
            }
            changes.extend(permissions::changes(desired, live, None));
            return changes;
        };
        changes.extend(settings_change(api, live));
        changes.extend(parts::changes(desired, live, api));
        changes.extend(permissions::changes(desired, live, Some(api)));
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let Some(api) = wanted(cx.desired) else {
            return Vec::new();
        };
        let mut specs = Vec::new();
        let change = cx
            .changes_of(ResourceKind::HttpApi)
            .find(|c| c.address == Address::HttpApi && c.action != Action::Delete);
        match (&cx.live.http_api, change) {
            (Some(live_api), Some(_)) => specs.push(
                StepSpec::new(
                    Phase::Api,
                    Op::HttpApi(HttpApiOp::UpdateHttpApi {
                        api_id: live_api.id.clone(),
                        settings: settings(api),
                    }),
                )
                .sets(Address::HttpApi),
            ),
            (Some(_), None) => {}
            (None, _) => specs.push(
                StepSpec::new(
                    Phase::Api,
                    Op::HttpApi(HttpApiOp::CreateHttpApi {
                        settings: settings(api),
                        tags: cx.desired.scope.ownership_tags(),
                    }),
                )
                .creates(Address::HttpApi),
            ),
        }
        let id = api_ref(cx.live);
        specs.extend(parts::steps(cx, api, &id));
        specs.extend(permissions::steps(cx, &id));
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let existing = cx.live.http_api.as_ref();
        // A REST API that the manifest now wants in its place is created first.
        let successor = cx
            .desired
            .api
            .as_ref()
            .filter(|a| a.protocol == ApiProtocol::Rest)
            .map(|_| Address::RestApi);
        let mut specs: Vec<StepSpec> = cx
            .changes_of(ResourceKind::HttpApi)
            .filter(|c| c.action == Action::Delete)
            .filter_map(|change| {
                let api_id = match &change.address {
                    Address::HttpApi => existing?.id.clone(),
                    Address::DuplicateHttpApi(id) => id.clone(),
                    _ => return None,
                };
                let replaced_by = match change.address {
                    Address::HttpApi => successor.clone(),
                    _ => None,
                };
                Some(
                    StepSpec::new(
                        Phase::ApiCleanup,
                        Op::HttpApi(HttpApiOp::DeleteHttpApi {
                            api_id,
                            name: change.name.clone(),
                        }),
                    )
                    .deletes(change.address.clone())
                    .replaced_by(replaced_by),
                )
            })
            .collect();
        if wanted(cx.desired).is_some() {
            specs.extend(parts::deletes(cx));
        }
        specs.extend(permissions::deletes(cx));
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        // The functions' resource policies are fingerprinted once, by the REST kind.
        live.http_api
            .iter()
            .map(|api| (Object::HttpApi(api.id.clone()), fingerprint(api)))
            .chain(
                live.extra_http_apis
                    .iter()
                    .map(|id| (Object::HttpApi(id.clone()), fingerprint(id))),
            )
            .collect()
    }
}

/// The CORS fields as plans show them (`None` where a setting is not given).
pub fn cors_values(cors: Option<&Cors>) -> Vec<(Field, Option<FieldValue>)> {
    let list = |l: &Vec<String>| (!l.is_empty()).then(|| FieldValue::List(l.clone()));
    vec![
        (
            Field::AllowOrigins,
            cors.and_then(|c| list(&c.allow_origins)),
        ),
        (
            Field::AllowMethods,
            cors.and_then(|c| list(&c.allow_methods)),
        ),
        (
            Field::AllowHeaders,
            cors.and_then(|c| list(&c.allow_headers)),
        ),
        (
            Field::ExposeHeaders,
            cors.and_then(|c| list(&c.expose_headers)),
        ),
        (
            Field::AllowCredentials,
            cors.filter(|c| c.allow_credentials)
                .map(|_| FieldValue::Flag(true)),
        ),
        (
            Field::MaxAge,
            cors.filter(|c| c.max_age != 0)
                .map(|c| FieldValue::Number(c.max_age.into())),
        ),
    ]
}

/// The API's own settings, when they differ (all of them, for a new API). A new HTTP
/// API where the account has lade's REST API replaces it.
fn settings_change(api: &Api, live: &Live) -> Option<Change> {
    let wanted = settings(api);
    let existing = live.http_api.as_ref().map(|a| &a.settings);
    let mut fields = Vec::new();
    let text = |s: &str| Some(FieldValue::text(s));
    let mut rows = vec![
        (
            Field::Name,
            existing.and_then(|o| text(&o.name)),
            text(&wanted.name),
        ),
        (
            Field::Description,
            existing.and_then(|o| text(&o.description)),
            text(&wanted.description),
        ),
    ];
    let old_cors = existing.map(|o| cors_values(o.cors.as_ref()));
    for (i, (field, new)) in cors_values(wanted.cors.as_ref()).into_iter().enumerate() {
        let old = old_cors.as_ref().and_then(|o| o[i].1.clone());
        rows.push((field, old, new));
    }
    for (field, old, new) in rows {
        let differs = match existing {
            Some(_) => old != new,
            None => new.is_some(),
        };
        if differs {
            fields.push(FieldChange { field, old, new });
        }
    }
    let action = match (existing, &live.api) {
        (Some(_), _) => Action::Update,
        (None, Some(rest)) => Action::Replace {
            of: format!("{} (REST API {})", rest.settings.name, rest.id),
        },
        (None, None) => Action::Create,
    };
    (!fields.is_empty() || existing.is_none()).then(|| Change {
        fields,
        ..Change::new(Address::HttpApi, &wanted.name, action)
    })
}
