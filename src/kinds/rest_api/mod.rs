//! The REST API: one per project and stage, owned by its tags. This module holds the
//! API's own settings, its creation, update and deletion (duplicates left by an
//! interrupted or concurrent apply included); its parts have their own files:
//! [`routes`] (resources, methods, integrations), [`permissions`] (Lambda invoke
//! statements) and [`deployment`].
//!
//! IDs that API Gateway assigns (the API's, each resource's) are known at plan time
//! when the object is live, and otherwise learnt by apply from the step that creates
//! it ([`Ref::After`]).

pub mod deployment;
pub mod permissions;
pub mod routes;

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::model::{Desired, Live, ResourceKind};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Phase, StepSpec};
use crate::plan::{Op, PlannedApi, RestApiOp};

/// The REST API kind, with its routes, permissions and deployment.
pub struct RestApi;

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

/// The manifest's API, when it is a REST API.
pub fn wanted(desired: &Desired) -> Option<&crate::model::Api> {
    desired
        .api
        .as_ref()
        .filter(|api| api.protocol == crate::model::ApiProtocol::Rest)
}

/// The API's ID: known when it is live, learnt from `CreateRestApi` otherwise.
fn api_ref(live: &Live) -> Ref {
    match &live.api {
        Some(api) => Ref::Known(api.id.clone()),
        None => Ref::After(Output::ApiId),
    }
}

impl Kind for RestApi {
    fn name(&self) -> &'static str {
        "REST API"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        for id in &live.extra_apis {
            changes.push(Change {
                fields: vec![FieldChange {
                    field: Field::Name,
                    old: Some(FieldValue::text(
                        "a duplicate left by an interrupted or concurrent apply",
                    )),
                    new: None,
                }],
                ..Change::new(Address::DuplicateApi(id.clone()), id, Action::Delete)
            });
        }
        let Some(api) = wanted(desired) else {
            if let Some(existing) = &live.api {
                changes.push(super::deleted(Address::RestApi, &existing.settings.name));
            }
            changes.extend(permissions::stale_permissions(
                desired,
                live,
                &permissions::statement_id(&desired.scope),
                &Default::default(),
            ));
            return changes;
        };
        changes.extend(settings_change(desired, live));
        let (routes, routes_changed) = routes::changes(desired, live, &api.routes);
        changes.extend(routes);
        changes.extend(permissions::changes(desired, live));
        let media_changed = changes.iter().any(|c| {
            c.address == Address::RestApi
                && c.fields.iter().any(|f| f.field == Field::BinaryMediaTypes)
        });
        changes.extend(deployment::change(
            live,
            &api.stage,
            routes_changed || media_changed,
        ));
        changes.extend(deployment::old_stage_changes(live, &desired.scope));
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let Some(api) = wanted(cx.desired) else {
            return Vec::new();
        };
        let mut specs = Vec::new();
        let changed = cx
            .changes_of(ResourceKind::Api)
            .any(|c| c.action != Action::Delete);
        match &cx.live.api {
            Some(live_api) if changed => specs.push(
                StepSpec::new(
                    Phase::Api,
                    Op::ApiGateway(RestApiOp::UpdateRestApi {
                        api_id: live_api.id.clone(),
                        from: live_api.settings.clone(),
                        to: api.settings.clone(),
                    }),
                )
                .sets(Address::RestApi),
            ),
            Some(_) => {}
            // API Gateway creates the root resource `/` with the API.
            None => specs.push(
                StepSpec::new(
                    Phase::Api,
                    Op::ApiGateway(RestApiOp::CreateRestApi {
                        api: PlannedApi {
                            settings: api.settings.clone(),
                            tags: cx.desired.scope.ownership_tags(),
                        },
                    }),
                )
                .creates(Address::RestApi)
                .creates(Address::Resource("/".into())),
            ),
        }
        let id = api_ref(cx.live);
        specs.extend(routes::steps(cx, &api.routes, &id));
        specs.extend(permissions::steps(cx, &id));
        specs.extend(deployment::steps(cx, &api.stage, &id));
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let existing = cx.live.api.as_ref();
        // Duplicates left by an interrupted apply, and the whole API when `api:` is gone.
        let mut specs: Vec<StepSpec> = cx
            .changes_of(ResourceKind::Api)
            .filter(|c| c.action == Action::Delete)
            .filter_map(|change| {
                let api_id = match &change.address {
                    Address::RestApi => existing?.id.clone(),
                    Address::DuplicateApi(id) => id.clone(),
                    _ => return None,
                };
                // An HTTP API that the manifest now wants in its place is made first.
                let successor = (change.address == Address::RestApi
                    && crate::kinds::http_api::wanted(cx.desired).is_some())
                .then_some(Address::HttpApi);
                let spec = StepSpec::new(
                    Phase::ApiCleanup,
                    Op::ApiGateway(RestApiOp::DeleteRestApi {
                        api_id,
                        name: change.name.clone(),
                    }),
                )
                .deletes(change.address.clone())
                .replaced_by(successor);
                Some(spec)
            })
            .collect();
        if let Some(api) = wanted(cx.desired) {
            specs.extend(routes::deletes(cx, &api.routes));
        }
        specs.extend(permissions::deletes(cx));
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        let mut prints: Vec<(Object, Fingerprint)> = live
            .api
            .iter()
            .map(|api| (Object::RestApi(api.id.clone()), fingerprint(api)))
            .collect();
        prints.extend(
            live.extra_apis
                .iter()
                .map(|id| (Object::RestApi(id.clone()), fingerprint(id))),
        );
        prints.extend(permissions::fingerprints(live));
        prints
    }
}

/// The API's own settings, when they differ (all of them, for a new API).
fn settings_change(desired: &Desired, live: &Live) -> Option<Change> {
    let settings = &wanted(desired)?.settings;
    let existing = live.api.as_ref();
    let mut api_fields = Vec::new();
    let old = existing.map(|a| &a.settings);
    let media_types = |types: &std::collections::BTreeSet<String>| {
        FieldValue::List(types.iter().cloned().collect())
    };
    let pairs = [
        (
            Field::Name,
            old.map(|o| FieldValue::text(&o.name)),
            FieldValue::text(&settings.name),
        ),
        (
            Field::Description,
            old.map(|o| FieldValue::text(&o.description)),
            FieldValue::text(&settings.description),
        ),
        (
            Field::Endpoint,
            old.map(|o| FieldValue::text(o.endpoint.as_str())),
            FieldValue::text(settings.endpoint.as_str()),
        ),
        (
            Field::BinaryMediaTypes,
            old.map(|o| media_types(&o.binary_media_types)),
            media_types(&settings.binary_media_types),
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
    let action = match (existing, &live.http_api) {
        (Some(_), _) => Action::Update,
        (None, Some(http)) => Action::Replace {
            of: format!("{} (HTTP API {})", http.settings.name, http.id),
        },
        (None, None) => Action::Create,
    };
    (!api_fields.is_empty()).then(|| Change {
        fields: api_fields,
        ..Change::new(Address::RestApi, &settings.name, action)
    })
}
