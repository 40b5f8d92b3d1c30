//! The HTTP API's statements in its functions' resource policies: one per routed
//! function (`lade-http-<project>-<stage>`), scoped to the API's `execute-api` ARN as
//! the REST API's are, and one per Lambda authorizer
//! (`lade-auth-<project>-<stage>-<key>`), scoped to that authorizer's ARN
//! (`…:API_ID/authorizers/ID`), both for the principal `apigateway.amazonaws.com`.
//! Statements of lade's on kept functions that nothing needs any more are removed
//! once what used them is gone.

use std::collections::BTreeMap;

use crate::arn::{authorizer_source_arn, source_arn};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::kinds::PlanCx;
use crate::kinds::rest_api::function_arn;
use crate::model::{Api, Authorizer, Desired, Live, ResourceKind, Scope};
use crate::plan::address::Address;
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op};

use super::function_name;

/// The statement id of the route permission on every function the HTTP API invokes.
pub fn statement_id(scope: &Scope) -> String {
    format!("lade-http-{}-{}", scope.project, scope.stage)
}

/// The prefix of the statement ids of authorizer permissions.
fn authorizer_prefix(scope: &Scope) -> String {
    format!("lade-auth-{}-{}-", scope.project, scope.stage)
}

/// The statement id of the permission that lets authorizer `key` call its function.
pub fn authorizer_statement_id(scope: &Scope, key: &str) -> String {
    format!("{}{key}", authorizer_prefix(scope))
}

/// One statement lade wants: its address, function, sid and source ARN.
struct Wanted {
    address: Address,
    function: String,
    function_key: String,
    sid: String,
    source: Ref,
    authorizer: Option<String>,
}

fn wanted(desired: &Desired, live: &Live, api: &Api) -> Vec<Wanted> {
    let live_api = live.http_api.as_ref();
    let mut out = Vec::new();
    let sid = statement_id(&desired.scope);
    let mut seen = std::collections::BTreeSet::new();
    for route in &api.routes {
        let function = function_name(desired, &route.function);
        if !seen.insert(function.clone()) {
            continue;
        }
        let source = match (function_arn(desired, live, &route.function), live_api) {
            (Ref::Known(arn), Some(a)) => source_arn(&arn, &a.id).map(Ref::Known),
            _ => None,
        };
        out.push(Wanted {
            address: Address::HttpPermission(function.clone()),
            function: function.clone(),
            function_key: route.function.clone(),
            sid: sid.clone(),
            source: source.unwrap_or(Ref::After(Output::HttpApiId)),
            authorizer: None,
        });
    }
    for (key, authorizer) in &api.authorizers {
        let Authorizer::Lambda { function: fkey, .. } = authorizer else {
            continue;
        };
        let function = function_name(desired, fkey);
        let live_authorizer = live_api.and_then(|a| a.authorizers.get(key));
        let source = match (function_arn(desired, live, fkey), live_api, live_authorizer) {
            (Ref::Known(arn), Some(a), Some(auth)) => {
                authorizer_source_arn(&arn, &a.id, &auth.id).map(Ref::Known)
            }
            _ => None,
        };
        out.push(Wanted {
            address: Address::AuthorizerPermission {
                function: function.clone(),
                authorizer: key.clone(),
            },
            function,
            function_key: fkey.clone(),
            sid: authorizer_statement_id(&desired.scope, key),
            source: source.unwrap_or(Ref::After(Output::HttpAuthorizerId(key.clone()))),
            authorizer: Some(key.clone()),
        });
    }
    out
}

/// The statements to add or correct, and lade's HTTP statements on kept functions that
/// nothing wants any more (all of them, without an HTTP API in the manifest).
pub fn changes(desired: &Desired, live: &Live, api: Option<&Api>) -> Vec<Change> {
    let wanted = api.map(|a| wanted(desired, live, a)).unwrap_or_default();
    let mut changes = Vec::new();
    for w in &wanted {
        let mine: Vec<_> = live
            .permissions
            .get(&w.function)
            .into_iter()
            .flatten()
            .filter(|p| p.sid == w.sid)
            .collect();
        let current = mine.first().and_then(|p| p.source_arn.clone());
        let matches = mine.len() == 1
            && matches!(&w.source, Ref::Known(arn) if current.as_ref() == Some(arn));
        if !matches {
            let action = if current.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            changes.push(Change {
                fields: vec![FieldChange {
                    field: Field::SourceArn,
                    old: current.map(FieldValue::Text),
                    new: Some(w.source.display()),
                }],
                ..Change::new(w.address.clone(), &w.function, action)
            });
        }
    }
    let kept: std::collections::BTreeSet<&str> = desired
        .functions
        .values()
        .map(|f| f.name.as_str())
        .collect();
    let route_sid = statement_id(&desired.scope);
    let prefix = authorizer_prefix(&desired.scope);
    for (function, statements) in &live.permissions {
        if !kept.contains(function.as_str()) {
            continue;
        }
        for statement in statements {
            let address = if statement.sid == route_sid {
                Address::HttpPermission(function.clone())
            } else if let Some(key) = statement.sid.strip_prefix(&prefix) {
                Address::AuthorizerPermission {
                    function: function.clone(),
                    authorizer: key.to_string(),
                }
            } else {
                continue;
            };
            if wanted.iter().any(|w| w.address == address)
                || changes.iter().any(|c| c.address == address)
            {
                continue;
            }
            changes.push(Change::new(address, function, Action::Delete));
        }
    }
    changes
}

/// `AddPermission` for each statement created or corrected.
pub fn steps(cx: &PlanCx, api_id: &Ref) -> Vec<StepSpec> {
    let Some(api) = super::wanted(cx.desired) else {
        return Vec::new();
    };
    let wanted: BTreeMap<Address, Wanted> = wanted(cx.desired, cx.live, api)
        .into_iter()
        .map(|w| (w.address.clone(), w))
        .collect();
    cx.changes_of(ResourceKind::HttpApi)
        .filter(|c| c.action != Action::Delete)
        .filter_map(|change| {
            let w = wanted.get(&change.address)?;
            let function_arn = function_arn(cx.desired, cx.live, &w.function_key);
            let (op, needs, why) = match &w.authorizer {
                None => (
                    LambdaOp::AddPermission {
                        function: w.function.clone(),
                        statement_id: w.sid.clone(),
                        function_arn,
                        api: api_id.clone(),
                    },
                    vec![
                        Need::Exists(Address::Function(w.function.clone())),
                        Need::Exists(Address::HttpApi),
                    ],
                    "the permission names the function and is scoped to the API's ARN",
                ),
                Some(key) => {
                    let authorizer = cx
                        .live
                        .http_api
                        .as_ref()
                        .and_then(|a| a.authorizers.get(key))
                        .map_or(Ref::After(Output::HttpAuthorizerId(key.clone())), |a| {
                            Ref::Known(a.id.clone())
                        });
                    (
                        LambdaOp::AddAuthorizerPermission {
                            function: w.function.clone(),
                            statement_id: w.sid.clone(),
                            function_arn,
                            api: api_id.clone(),
                            authorizer,
                        },
                        vec![
                            Need::Exists(Address::Function(w.function.clone())),
                            Need::Exists(Address::HttpAuthorizer(key.clone())),
                        ],
                        "the permission is scoped to the authorizer's ARN, known once it exists",
                    )
                }
            };
            let spec = StepSpec::new(Phase::Permissions, Op::Lambda(op))
                .needs(needs)
                .why(why);
            Some(if change.action == Action::Create {
                spec.creates(change.address.clone())
            } else {
                spec.sets(change.address.clone())
            })
        })
        .collect()
}

/// `RemovePermission` for each statement nothing needs, once its user is gone.
pub fn deletes(cx: &PlanCx) -> Vec<StepSpec> {
    cx.changes_of(ResourceKind::HttpApi)
        .filter(|c| c.action == Action::Delete)
        .filter_map(|change| {
            let (function, sid, gone) = match &change.address {
                // After the function's integration, which goes after every route that
                // sent to it; or after the API, when it goes.
                Address::HttpPermission(function) => {
                    let integration = cx
                        .live
                        .functions
                        .get(function)
                        .zip(cx.live.http_api.as_ref())
                        .and_then(|(f, api)| api.integration_for(&f.arn))
                        .map_or(Address::HttpApi, |i| Address::HttpIntegration(i.id.clone()));
                    (
                        function.clone(),
                        statement_id(&cx.desired.scope),
                        integration,
                    )
                }
                Address::AuthorizerPermission {
                    function,
                    authorizer,
                } => (
                    function.clone(),
                    authorizer_statement_id(&cx.desired.scope, authorizer),
                    Address::HttpAuthorizer(authorizer.clone()),
                ),
                _ => return None,
            };
            Some(
                StepSpec::new(
                    Phase::PermissionCleanup,
                    Op::Lambda(LambdaOp::RemovePermission {
                        function,
                        statement_id: sid,
                    }),
                )
                .deletes(change.address.clone())
                .needs([Need::Gone(gone)])
                .why("a permission is removed once what it let in is gone"),
            )
        })
        .collect()
}
