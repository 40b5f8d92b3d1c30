//! Lambda invoke permissions for the REST API: one deterministic statement per
//! function (`lade-api-<project>-<stage>`), scoped to the API's `execute-api` ARN,
//! never a new random statement per deploy (a resource policy holds 20 KB at most).

use std::collections::{BTreeMap, BTreeSet};

use crate::arn::source_arn;
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Output, Ref};
use crate::kinds::{Fingerprint, PlanCx, fingerprint};
use crate::model::{Desired, Live, ResourceKind, Scope};
use crate::plan::address::{Address, Object};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op};

use super::function_arn;

/// The resource-policy statement id lade uses on every function its API invokes: one
/// deterministic statement per function and API, never a new one per deploy.
pub fn statement_id(scope: &Scope) -> String {
    format!("lade-api-{}-{}", scope.project, scope.stage)
}

/// Which functions each owned function's permission should let the API invoke:
/// function name → the wanted source ARN (`None` when it is known only after apply).
pub fn wanted_permissions(desired: &Desired, live: &Live) -> BTreeMap<String, Ref> {
    let Some(api) = super::wanted(desired) else {
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

/// The permission changes: a statement for every function a route invokes, and the
/// removal of lade's statements that no route needs any more.
pub fn changes(desired: &Desired, live: &Live) -> Vec<Change> {
    let sid = statement_id(&desired.scope);
    let mut changes = Vec::new();
    let permissions = wanted_permissions(desired, live);
    for (function, source) in &permissions {
        let mine: Vec<_> = live
            .permissions
            .get(function)
            .into_iter()
            .flatten()
            .filter(|p| p.sid == sid)
            .collect();
        let current = mine.first().and_then(|p| p.source_arn.clone());
        // Two statements under lade's id (an emulator accepts a duplicate id where AWS
        // refuses it; two applies racing on one function can leave one) are replaced
        // by one.
        let matches =
            mine.len() == 1 && matches!(source, Ref::Known(arn) if current.as_ref() == Some(arn));
        if !matches {
            let action = if current.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            changes.push(Change {
                fields: vec![FieldChange {
                    field: Field::SourceArn,
                    old: current.map(|arn| match mine.len() {
                        1 => FieldValue::Text(arn),
                        n => FieldValue::Text(format!(
                            "{arn} (and {} more statements under lade's id)",
                            n - 1
                        )),
                    }),
                    new: Some(source.display()),
                }],
                ..Change::new(Address::Permission(function.clone()), function, action)
            });
        }
    }
    let targeted: BTreeSet<String> = permissions.into_keys().collect();
    changes.extend(stale_permissions(desired, live, &sid, &targeted));
    changes
}

/// lade's statements on kept functions that the API no longer invokes. A function
/// that is deleted takes its resource policy with it.
pub fn stale_permissions(
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
        .map(|(function, _)| {
            Change::new(
                Address::Permission(function.clone()),
                function,
                Action::Delete,
            )
        })
        .collect()
}

/// `AddPermission` for each created or changed statement.
pub fn steps(cx: &PlanCx, api: &Ref) -> Vec<StepSpec> {
    let sid = statement_id(&cx.desired.scope);
    cx.changes_of(ResourceKind::Permission)
        .filter(|c| c.action != Action::Delete)
        .map(|change| {
            let function_key = cx
                .desired
                .functions
                .values()
                .find(|f| f.name == change.name)
                .map_or(change.name.as_str(), |f| f.key.as_str());
            let address = Address::Permission(change.name.clone());
            let spec = StepSpec::new(
                Phase::Permissions,
                Op::Lambda(LambdaOp::AddPermission {
                    function: change.name.clone(),
                    statement_id: sid.clone(),
                    function_arn: function_arn(cx.desired, cx.live, function_key),
                    api: api.clone(),
                }),
            )
            .needs([
                Need::Exists(Address::Function(change.name.clone())),
                Need::Exists(Address::RestApi),
            ])
            .why("the permission names the function and is scoped to the API's ARN");
            if change.action == Action::Create {
                spec.creates(address)
            } else {
                spec.sets(address)
            }
        })
        .collect()
}

/// `RemovePermission` for each statement no route needs, once the new deployment (if
/// any) no longer routes to its function.
pub fn deletes(cx: &PlanCx) -> Vec<StepSpec> {
    let sid = statement_id(&cx.desired.scope);
    cx.changes_of(ResourceKind::Permission)
        .filter(|c| c.action == Action::Delete)
        .map(|change| {
            StepSpec::new(
                Phase::PermissionCleanup,
                Op::Lambda(LambdaOp::RemovePermission {
                    function: change.name.clone(),
                    statement_id: sid.clone(),
                }),
            )
            .deletes(Address::Permission(change.name.clone()))
            .needs([Need::Exists(Address::Deployment)])
            .why("a permission is removed once the deployed routes no longer call the function")
        })
        .collect()
}

/// The fingerprint of every owned function's resource policy that was read.
pub fn fingerprints(live: &Live) -> Vec<(Object, Fingerprint)> {
    live.permissions
        .iter()
        .map(|(name, statements)| {
            (
                Object::ResourcePolicy(name.clone()),
                fingerprint(statements),
            )
        })
        .collect()
}
