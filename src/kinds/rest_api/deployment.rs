//! The REST API's deployment: a new one is due when and only when the route table
//! changed (or nothing is deployed yet); the stage is pointed at it, and deployments
//! beyond the newest few are pruned once the stage has moved.

use serde_json::{Value, json};

use crate::diff::{Action, Change, Field, FieldChange, KNOWN_AFTER_APPLY, Ref};
use crate::kinds::PlanCx;
use crate::model::{Live, ResourceKind};
use crate::plan::address::Address;
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{Op, RestApiOp};

/// How many deployments to keep; older ones are pruned after the stage has moved.
pub const KEEP_DEPLOYMENTS: usize = 5;

/// The deployment change, when one is due: the route table or the binary media types
/// changed, or the stage has no deployment.
pub fn change(live: &Live, stage: &str, due: bool) -> Option<Change> {
    let deployed = live
        .api
        .as_ref()
        .and_then(|a| a.stage.as_ref())
        .map(|s| s.deployment_id.clone());
    (due || deployed.is_none()).then(|| Change {
        replaces: None,
        drift: false,
        kind: ResourceKind::Deployment,
        name: stage.to_string(),
        key: None,
        action: Action::Create,
        fields: vec![FieldChange {
            field: Field::Stage,
            old: deployed.map(Value::String),
            new: Some(json!(KNOWN_AFTER_APPLY)),
        }],
    })
}

/// `CreateDeployment` (which graph pass 5 makes wait for every change to what it
/// publishes), then the pruning of old deployments.
pub fn steps(cx: &PlanCx, api: &Ref) -> Vec<StepSpec> {
    if cx.changes_of(ResourceKind::Deployment).next().is_none() {
        return Vec::new();
    }
    let mut specs = vec![
        StepSpec::new(
            Phase::Deployment,
            Op::ApiGateway(RestApiOp::CreateDeployment {
                api: api.clone(),
                stage: cx.desired.scope.stage.clone(),
            }),
        )
        .creates(Address::Deployment)
        .why("a deployment publishes the routes as they are, so it waits for every route and permission step"),
    ];
    if let Some(live_api) = &cx.live.api {
        for old in live_api.deployments.iter().skip(KEEP_DEPLOYMENTS - 1) {
            specs.push(
                StepSpec::new(
                    Phase::Prune,
                    Op::ApiGateway(RestApiOp::DeleteDeployment {
                        api_id: live_api.id.clone(),
                        deployment_id: old.id.clone(),
                    }),
                )
                .deletes(Address::OldDeployment(old.id.clone()))
                .needs([Need::Exists(Address::Deployment)])
                .why("an old deployment is pruned only after the stage has moved to the new one"),
            );
        }
    }
    specs
}
