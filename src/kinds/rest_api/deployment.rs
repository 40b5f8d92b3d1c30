//! The REST API's deployment: a new one is due when and only when the route table
//! changed (or nothing is deployed yet); the stage is pointed at it, and deployments
//! beyond the newest few are pruned once the stage has moved.

use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Ref};
use crate::kinds::PlanCx;
use crate::model::{Live, LiveApi, LiveDeployment, ResourceKind};
use crate::plan::address::Address;
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{Op, RestApiOp};

/// How many deployments to keep; older ones are pruned after the stage has moved.
pub const KEEP_DEPLOYMENTS: usize = 5;

/// The deployments a plan that deploys prunes once the stage has moved to the new
/// one, so that [`KEEP_DEPLOYMENTS`] are left: the new one, the one the stage points
/// at now, and the newest of the others; and never one that a stage or a canary
/// points at ([`LiveApi::deployments_in_use`], read with `GetStages`): API Gateway
/// refuses to delete those, and another stage of the API (made outside lade) may
/// serve an old deployment on purpose.
///
/// The stage's deployment is never pruned, wherever it sorts. `deployments` is newest
/// first by creation time, which API Gateway gives to the second, with ties in ID
/// order; IDs are random, so the one the stage points at may sort after others made
/// in the same second (an SDK retry of `CreateDeployment`, or applies in quick
/// succession). The deployment this apply creates is not in the list at all: it is
/// read before it exists, and apply refuses to prune it (`ApplyError::JustDeployed`).
/// Right before each `DeleteDeployment`, apply reads the stages again and keeps a
/// deployment that one points at by then (another apply moved it there). Pruning is
/// best effort (`Op::is_best_effort`): a refused delete is kept, not a failure.
pub fn deployments_to_prune(api: &LiveApi) -> Vec<&LiveDeployment> {
    let current = api.stage.as_ref().map(|s| s.deployment_id.as_str());
    let in_use = api.deployments_in_use();
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
    others
        .skip(keep_others)
        .filter(|d| !in_use.contains(d.id.as_str()))
        .collect()
}

/// The deletion of each stage lade made before `api.stage` named another one
/// ([`LiveApi::previous_stages`]).
pub fn old_stage_changes(live: &Live, scope: &crate::model::Scope) -> Vec<Change> {
    let Some(api) = &live.api else {
        return Vec::new();
    };
    api.previous_stages(scope)
        .map(|stage| Change {
            fields: vec![FieldChange {
                field: Field::Stage,
                old: Some(FieldValue::text(&stage.name)),
                new: None,
            }],
            ..Change::new(
                Address::OldStage(stage.name.clone()),
                &stage.name,
                Action::Delete,
            )
        })
        .collect()
}

/// The deployment change, when one is due: the route table or the binary media types
/// changed, or the stage has no deployment.
pub fn change(live: &Live, stage: &str, due: bool) -> Option<Change> {
    let deployed = live
        .api
        .as_ref()
        .and_then(|a| a.stage.as_ref())
        .map(|s| s.deployment_id.clone());
    (due || deployed.is_none()).then(|| Change {
        fields: vec![FieldChange {
            field: Field::Stage,
            old: deployed.map(FieldValue::Text),
            new: Some(FieldValue::KnownAfterApply),
        }],
        ..Change::new(Address::Deployment, stage, Action::Create)
    })
}

/// `CreateDeployment` (which graph pass 5 makes wait for every change to what it
/// publishes), then the pruning of old deployments.
pub fn steps(cx: &PlanCx, stage: &str, api: &Ref) -> Vec<StepSpec> {
    let deploys = cx
        .changes_of(ResourceKind::Deployment)
        .any(|c| c.address == Address::Deployment);
    let mut specs = Vec::new();
    if deploys {
        // A stage that does not exist yet is created with the ownership tags.
        let stage_live = cx.live.api.as_ref().is_some_and(|a| a.stage.is_some());
        specs.push(
            StepSpec::new(
                Phase::Deployment,
                Op::ApiGateway(RestApiOp::CreateDeployment {
                    api: api.clone(),
                    stage: stage.to_string(),
                    new_stage_tags: (!stage_live).then(|| cx.desired.scope.ownership_tags()),
                }),
            )
            .creates(Address::Deployment)
            .why("a deployment publishes the routes as they are, so it waits for every route and permission step"),
        );
    }
    let Some(live_api) = &cx.live.api else {
        return specs;
    };
    // The stages lade made before `api.stage` named this one go once the API is
    // served from its new stage.
    for old in live_api.previous_stages(&cx.desired.scope) {
        let mut spec = StepSpec::new(
            Phase::Prune,
            Op::ApiGateway(RestApiOp::DeleteStage {
                api_id: live_api.id.clone(),
                stage: old.name.clone(),
            }),
        )
        .deletes(Address::OldStage(old.name.clone()));
        if deploys {
            spec = spec
                .needs([Need::Exists(Address::Deployment)])
                .why("lade's previous stage is deleted only once the new stage serves the API");
        }
        specs.push(spec);
    }
    if deploys {
        for old in deployments_to_prune(live_api) {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
                canary_deployment_id: None,
                tags: Default::default(),
            }),
            other_stages: Vec::new(),
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
    fn pruning_never_takes_a_deployment_a_stage_or_a_canary_points_at() {
        let six = [("f", 6), ("e", 5), ("d", 4), ("c", 3), ("b", 2), ("a", 1)];
        let mut api = api_with(&six, Some("f"));
        // The stage's canary serves `a`; another stage, made outside lade, serves `b`
        // with its canary on `e`.
        api.stage.as_mut().unwrap().canary_deployment_id = Some("a".into());
        api.other_stages.push(crate::model::LiveStage {
            name: "prod".into(),
            deployment_id: "b".into(),
            canary_deployment_id: Some("e".into()),
            tags: Default::default(),
        });
        assert_eq!(pruned(&api), Vec::<&str>::new());
        assert_eq!(
            api.deployments_in_use(),
            ["a", "b", "e", "f"].into_iter().collect()
        );
        // Only what nothing points at goes.
        api.other_stages[0].deployment_id = "c".into();
        assert_eq!(pruned(&api), ["b"]);
    }
}
