//! The engine (diff → plan → apply) against the in-memory cloud: ordering, minimal
//! calls, convergence. No AWS, no manifest parsing: models are built directly.

use std::collections::{BTreeMap, BTreeSet};

use lade::apply;
use lade::cloud::memory::MemoryCloud;
use lade::diff::{FieldValue, Ref};
use lade::model::*;
use lade::plan::{self, EventBridgeOp, IamOp, LambdaOp, Op, Plan, PlanError, RestApiOp};
use lade::{live, render};
use serde_json::json;

mod fixtures;
use fixtures::*;

fn desired() -> Desired {
    let roles = [
        role("api", &[BASIC], &[("read", read_policy())]),
        role("worker", &[BASIC], &[]),
    ];
    let functions = [
        function("list", "api"),
        function("get", "api"),
        function("work", "worker"),
    ];
    Desired {
        scope: scope(),
        region: None,
        roles: roles.into_iter().map(|r| (r.key.clone(), r)).collect(),
        functions: functions.into_iter().map(|f| (f.key.clone(), f)).collect(),
        api: None,
        uses_account: false,
        today: lade::runtimes::date(2026, 12, 2),
    }
}

fn ops(plan: &Plan) -> Vec<&'static str> {
    plan.steps.iter().map(|s| s.op.api_call()).collect()
}

fn position(plan: &Plan, want: impl Fn(&Op) -> bool) -> usize {
    plan.steps
        .iter()
        .position(|s| want(&s.op))
        .expect("step not in plan")
}

/// Whether `step` transitively waits for `on`.
fn depends(plan: &Plan, step: usize, on: usize) -> bool {
    let mut stack = vec![step];
    while let Some(s) = stack.pop() {
        if plan.steps[s].depends_on.contains(&on) {
            return true;
        }
        stack.extend(&plan.steps[s].depends_on);
    }
    false
}

#[tokio::test]
async fn cold_apply_creates_roles_before_functions_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;

    assert_eq!(
        plan.summary(),
        plan::Summary {
            add: 5,
            change: 0,
            destroy: 0
        }
    );
    let role_named = |n: &'static str| move |op: &Op| matches!(op, Op::Iam(IamOp::CreateRole { role }) if role.name == n);
    let function_named = |n: &'static str| move |op: &Op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == n);
    let create_api = position(&plan, role_named("shop-dev-api"));
    let create_worker = position(&plan, role_named("shop-dev-worker"));
    let put_read = position(
        &plan,
        |op| matches!(op, Op::Iam(IamOp::PutRolePolicy { policy, .. }) if policy == "read"),
    );
    let create_list = position(&plan, function_named("shop-dev-list"));
    let create_work = position(&plan, function_named("shop-dev-work"));
    assert!(depends(&plan, put_read, create_api));
    assert!(depends(&plan, create_list, create_api));
    assert!(
        depends(&plan, create_list, put_read),
        "a function waits for its role's policies"
    );
    assert!(depends(&plan, create_work, create_worker));
    assert!(
        !depends(&plan, create_work, create_api),
        "unrelated steps stay parallel"
    );

    let account = cloud.snapshot();
    let list = &account.functions["shop-dev-list"];
    assert_eq!(list.role_arn, account.roles["shop-dev-api"].arn);
    assert_eq!(list.tags["lade:project"], "shop");
    assert_eq!(list.tags["team"], "web");
    assert_eq!(
        account.roles["shop-dev-api"].inline_policies["read"],
        read_policy()
    );

    cloud.clear_calls();
    let again = plan_for(&cloud, &desired, &artifacts).await;
    assert!(
        again.is_empty(),
        "second plan is not empty: {:?}",
        again.changes
    );
    let outcome = Engine::new(&cloud, &desired).apply(&again).await.outcome;
    assert!(outcome.is_success());
    assert_eq!(
        cloud.mutations(),
        Vec::<String>::new(),
        "a no-op apply makes no mutating call"
    );
}

#[tokio::test]
async fn changing_memory_is_exactly_one_configuration_update() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.functions.get_mut("get").unwrap().memory = 512;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(ops(&plan), ["UpdateFunctionConfiguration"]);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].fields.len(), 1);
    assert_eq!(plan.changes[0].fields[0].old, Some(FieldValue::Number(128)));
    assert_eq!(plan.changes[0].fields[0].new, Some(FieldValue::Number(512)));
    cloud.clear_calls();
    Engine::new(&cloud, &desired).apply(&plan).await;
    // The tag records what lade applied, so later drift can be told apart.
    assert_eq!(
        cloud.mutations(),
        ["UpdateFunctionConfiguration", "TagResource"]
    );
    assert_eq!(cloud.snapshot().functions["shop-dev-get"].memory, 512);
}

#[tokio::test]
async fn changing_code_is_exactly_one_code_update() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    converge(&cloud, &desired, &artifacts(&desired)).await;

    let mut changed = artifacts(&desired);
    changed.insert("work".into(), artifact(b"new code"));
    let plan = plan_for(&cloud, &desired, &changed).await;
    assert_eq!(ops(&plan), ["UpdateFunctionCode"]);
    cloud.clear_calls();
    Engine::new(&cloud, &desired)
        .artifacts(&changed)
        .apply(&plan)
        .await;
    assert_eq!(cloud.mutations(), ["UpdateFunctionCode"]);
    assert!(plan_for(&cloud, &desired, &changed).await.is_empty());
}

#[tokio::test]
async fn removing_a_function_deletes_exactly_that_function() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.functions.remove("get");
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(ops(&plan), ["DeleteFunction"]);
    assert!(
        matches!(&plan.steps[0].op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-get")
    );
    Engine::new(&cloud, &desired)
        .artifacts(&artifacts)
        .apply(&plan)
        .await;
    let names: Vec<String> = cloud.snapshot().functions.into_keys().collect();
    assert_eq!(names, ["shop-dev-list", "shop-dev-work"]);
}

#[tokio::test]
async fn removing_a_role_deletes_its_policies_and_functions_first() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.functions.remove("list");
    desired.functions.remove("get");
    desired.roles.remove("api");
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let delete_role = position(&plan, |op| matches!(op, Op::Iam(IamOp::DeleteRole { .. })));
    for (i, step) in plan.steps.iter().enumerate() {
        if i != delete_role {
            assert!(
                depends(&plan, delete_role, i),
                "DeleteRole must wait for {}",
                step.op.describe()
            );
        }
    }
    assert_eq!(
        ops(&plan),
        [
            "DeleteFunction",
            "DeleteFunction",
            "DetachRolePolicy",
            "DeleteRolePolicy",
            "DeleteRole"
        ]
    );
    let outcome = Engine::new(&cloud, &desired)
        .artifacts(&artifacts)
        .apply(&plan)
        .await
        .outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(!cloud.snapshot().roles.contains_key("shop-dev-api"));
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn moving_a_function_to_a_new_role_waits_for_the_role() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.roles.insert(
        "extra".into(),
        role("extra", &[], &[("read", read_policy())]),
    );
    desired.functions.get_mut("list").unwrap().role = RoleRef::Key("extra".into());
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(
        ops(&plan),
        ["CreateRole", "PutRolePolicy", "UpdateFunctionConfiguration"]
    );
    assert!(depends(&plan, 2, 1) && depends(&plan, 2, 0));
    let outcome = Engine::new(&cloud, &desired).apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let account = cloud.snapshot();
    assert_eq!(
        account.functions["shop-dev-list"].role_arn,
        account.roles["shop-dev-extra"].arn
    );
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn policy_spelling_differences_are_not_changes() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // IAM hands back the same document with other key order and a list of one.
    cloud.account.lock().unwrap().roles.get_mut("shop-dev-api").unwrap().inline_policies.insert(
        "read".into(),
        json!({"Statement": [{"Resource": ["*"], "Action": ["dynamodb:GetItem"], "Effect": "Allow"}], "Version": "2012-10-17"}),
    );
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn a_name_held_by_someone_else_stops_the_plan() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // Someone strips the ownership tags: lade must no longer touch the function.
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .get_mut("shop-dev-get")
        .unwrap()
        .tags
        .clear();
    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let error = engine.build(&live).unwrap_err();
    let PlanError::NotOwned(foreign) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0].name, "shop-dev-get");
    assert!(
        error
            .to_string()
            .contains("function `shop-dev-get`: it has no `lade:project` tag"),
        "{error}"
    );
    // Destroy leaves it alone too: it is not ours.
    let plan = engine.destroy(&live);
    assert!(!plan.steps.iter().any(
        |s| matches!(&s.op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-get")
    ));
}

#[tokio::test]
async fn destroy_removes_everything_owned_and_nothing_else() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // Another stage of the same project lives in the same account.
    let mut other = desired.clone();
    other.scope.stage = "prod".into();
    for r in other.roles.values_mut() {
        r.name = other.scope.physical_name(&r.key);
        r.path = other.scope.iam_path();
    }
    for f in other.functions.values_mut() {
        f.name = other.scope.physical_name(&f.key);
    }
    converge(&cloud, &other, &artifacts).await;

    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let plan = engine.destroy(&live);
    assert_eq!(
        plan.summary(),
        plan::Summary {
            add: 0,
            change: 0,
            destroy: 5
        }
    );
    let outcome = engine.no_inputs().apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let account = cloud.snapshot();
    assert!(
        account
            .functions
            .keys()
            .all(|n| n.starts_with("shop-prod-"))
    );
    assert!(account.roles.keys().all(|n| n.starts_with("shop-prod-")));
    assert_eq!(account.functions.len(), 3);
    assert!(
        plan_for(&cloud, &other, &artifacts).await.is_empty(),
        "prod is intact"
    );
}

#[tokio::test]
async fn a_failed_step_skips_its_dependents_and_runs_the_rest() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // The package for `list` changed after planning: its create must fail, alone.
    let mut changed = artifacts.clone();
    changed.insert("list".into(), artifact(b"edited after planning"));
    let outcome = Engine::new(&cloud, &desired)
        .artifacts(&changed)
        .apply(&plan)
        .await
        .outcome;
    assert_eq!(outcome.failed.len(), 1);
    assert!(
        outcome.failed[0].1.contains("changed since the plan"),
        "{:?}",
        outcome.failed
    );
    assert_eq!(outcome.succeeded.len(), plan.steps.len() - 1);
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert!(
        text.contains("Apply failed: 7 of 8 steps done, 1 failed"),
        "{text}"
    );
}

#[tokio::test]
async fn plan_text_reads_well() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let mut artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let get = desired.functions.get_mut("get").unwrap();
    get.memory = 256;
    get.environment
        .insert("MODE".into(), EnvValue::text("fast"));
    desired.functions.remove("work");
    desired.roles.remove("worker");
    desired
        .roles
        .get_mut("api")
        .unwrap()
        .inline_policies
        .insert(
            "read".into(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": "*"}]}),
        );
    desired
        .functions
        .insert("new".into(), function("new", "api"));
    artifacts.insert("new".into(), artifact(b"new"));
    artifacts.insert("list".into(), artifact(b"list v2"));
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    insta::assert_snapshot!(render::plan_text(&plan));
}

#[tokio::test]
async fn plan_json_round_trips() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let plan = plan_for(&cloud, &desired, &artifacts(&desired)).await;
    let text = render::plan_json(&plan);
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, plan);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["steps"][0]["op"]["op"], "create_role");
}

// ---- the REST API ----

fn with_api(mut desired: Desired, routes: Vec<Route>) -> Desired {
    desired.api = Some(Api::rest(
        ApiSettings {
            name: "shop-dev".into(),
            description: String::new(),
            endpoint: Endpoint::Regional,
            binary_media_types: BTreeSet::new(),
        },
        routes,
        "dev",
    ));
    desired
}

fn crud_routes() -> Vec<Route> {
    vec![
        route("GET", "/items", "list"),
        route("POST", "/items", "list"),
        route("GET", "/items/{id}", "get"),
        route("ANY", "/admin/{proxy+}", "work"),
    ]
}

fn the_api(cloud: &MemoryCloud) -> LiveApi {
    let account = cloud.snapshot();
    assert_eq!(account.apis.len(), 1, "exactly one REST API");
    account.apis.into_values().next().unwrap()
}

#[tokio::test]
async fn cold_apply_builds_the_api_in_order_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;

    let at = |call: &str, path: &str| {
        position(&plan, |op| {
            op.api_call() == call
                && match op {
                    Op::ApiGateway(RestApiOp::CreateResource { path: p, .. })
                    | Op::ApiGateway(RestApiOp::PutMethod { path: p, .. })
                    | Op::ApiGateway(RestApiOp::PutIntegration { path: p, .. }) => p == path,
                    _ => path.is_empty(),
                }
        })
    };
    let api = at("CreateRestApi", "");
    let items = at("CreateResource", "/items");
    let item = at("CreateResource", "/items/{id}");
    let method = at("PutMethod", "/items/{id}");
    let integration = at("PutIntegration", "/items/{id}");
    let create_get = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-get"),
    );
    let deployment = at("CreateDeployment", "");
    assert!(depends(&plan, items, api));
    assert!(depends(&plan, item, items), "parents before children");
    assert!(depends(&plan, method, item));
    assert!(depends(&plan, integration, method));
    assert!(
        depends(&plan, integration, create_get),
        "an integration needs the function's ARN"
    );
    for (i, step) in plan.steps.iter().enumerate() {
        if matches!(
            step.op,
            Op::Lambda(LambdaOp::AddPermission { .. })
                | Op::ApiGateway(RestApiOp::PutIntegration { .. })
        ) {
            assert!(
                depends(&plan, deployment, i),
                "the deployment waits for {}",
                step.op.describe()
            );
        }
    }

    let account = cloud.snapshot();
    let api = the_api(&cloud);
    assert_eq!(api.tags["lade:project"], "shop");
    let get = &api.resources["/items/{id}"].methods["GET"];
    let get_arn = &account.functions["shop-dev-get"].arn;
    let integration = get.integration.as_ref().unwrap();
    assert_eq!(
        (integration.kind.as_str(), integration.http_method.as_str()),
        ("AWS_PROXY", "POST")
    );
    assert_eq!(
        integration.uri,
        format!(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{get_arn}/invocations"
        )
    );
    for function in ["shop-dev-list", "shop-dev-get", "shop-dev-work"] {
        let statements = &account.permissions[function];
        assert_eq!(statements.len(), 1, "{function}: one statement");
        assert_eq!(statements[0].sid, "lade-api-shop-dev");
        assert_eq!(
            statements[0].source_arn.as_deref(),
            Some(format!("arn:aws:execute-api:us-east-1:123456789012:{}/*", api.id).as_str())
        );
    }
    assert_eq!(
        api.stage.as_ref().unwrap().deployment_id,
        api.deployments[0].id
    );

    cloud.clear_calls();
    let again = plan_for(&cloud, &desired, &artifacts).await;
    assert!(
        again.is_empty(),
        "second plan is not empty: {:?}",
        again.changes
    );
    Engine::new(&cloud, &desired).apply(&again).await;
    assert_eq!(cloud.mutations(), Vec::<String>::new());
    assert_eq!(
        the_api(&cloud).deployments.len(),
        1,
        "no new deployment without a change"
    );
}

#[tokio::test]
async fn retargeting_a_route_is_one_integration_and_one_deployment() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let before = the_api(&cloud);

    desired.api.as_mut().unwrap().routes[1].function = "get".into(); // POST /items → get
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(ops(&plan), ["PutIntegration", "CreateDeployment"]);
    Engine::new(&cloud, &desired).apply(&plan).await;
    let after = the_api(&cloud);
    assert_eq!(after.deployments.len(), 2);
    assert_ne!(
        after.stage.as_ref().unwrap().deployment_id,
        before.stage.unwrap().deployment_id
    );
    assert_eq!(
        after.stage.unwrap().deployment_id,
        after.deployments[0].id,
        "stage on the newest"
    );
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn removing_a_route_deletes_its_method_and_empty_resources_only() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired
        .api
        .as_mut()
        .unwrap()
        .routes
        .retain(|r| r.path != "/admin/{proxy+}");
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let mut calls = ops(&plan);
    calls.sort();
    assert_eq!(
        calls,
        [
            "CreateDeployment",
            "DeleteMethod",
            "DeleteResource",
            "DeleteResource",
            "RemovePermission"
        ]
    );
    let outcome = Engine::new(&cloud, &desired).apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let paths: Vec<String> = the_api(&cloud).resources.into_keys().collect();
    assert_eq!(paths, ["/", "/items", "/items/{id}"]);
    assert!(cloud.snapshot().permissions["shop-dev-work"].is_empty());

    // Removing one of two methods on a path keeps the resource.
    desired
        .api
        .as_mut()
        .unwrap()
        .routes
        .retain(|r| !(r.method == "POST" && r.path == "/items"));
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(ops(&plan), ["DeleteMethod", "CreateDeployment"]);
}

#[tokio::test]
async fn adding_a_route_under_an_existing_path_creates_only_what_is_new() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired
        .api
        .as_mut()
        .unwrap()
        .routes
        .push(route("DELETE", "/items/{id}/tags", "get"));
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(
        ops(&plan),
        [
            "CreateResource",
            "PutMethod",
            "PutIntegration",
            "CreateDeployment"
        ]
    );
    assert!(
        matches!(&plan.steps[0].op, Op::ApiGateway(RestApiOp::CreateResource { path, parent: Ref::Known(_), .. }) if path == "/items/{id}/tags")
    );
    Engine::new(&cloud, &desired).apply(&plan).await;
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn old_deployments_are_pruned_after_the_stage_moved() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    for function in ["get", "work", "list", "get", "work", "list"] {
        desired.api.as_mut().unwrap().routes[0].function = function.into();
        let plan = converge(&cloud, &desired, &artifacts).await;
        let deployment = position(&plan, |op| {
            matches!(op, Op::ApiGateway(RestApiOp::CreateDeployment { .. }))
        });
        for (i, step) in plan.steps.iter().enumerate() {
            if matches!(step.op, Op::ApiGateway(RestApiOp::DeleteDeployment { .. })) {
                assert!(depends(&plan, i, deployment));
            }
        }
    }
    let api = the_api(&cloud);
    assert_eq!(
        api.deployments.len(),
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS
    );
    assert_eq!(api.stage.unwrap().deployment_id, api.deployments[0].id);
}

/// Retargets the first route `times` times in a row, converging each time: one
/// deployment each.
async fn deployed_times(cloud: &MemoryCloud, desired: &mut Desired, times: usize) {
    let artifacts = artifacts(desired);
    let functions = ["get", "work", "list"];
    for i in 0..times {
        desired.api.as_mut().unwrap().routes[0].function = functions[i % 3].into();
        converge(cloud, desired, &artifacts).await;
    }
}

fn deleted_deployments(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|step| match &step.op {
            Op::ApiGateway(RestApiOp::DeleteDeployment { deployment_id, .. }) => {
                Some(deployment_id.clone())
            }
            _ => None,
        })
        .collect()
}

/// A prune that AWS refuses (here: a canary or another stage points at the old
/// deployment) keeps the deployment, reports why, and the apply is still a success;
/// the next deploy tries again and prunes it (issue 19).
#[tokio::test]
async fn a_refused_prune_keeps_the_deployment_and_the_apply_succeeds() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    deployed_times(
        &cloud,
        &mut desired,
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS,
    )
    .await;
    let api = the_api(&cloud);
    let oldest = api.deployments.last().unwrap().id.clone();

    // Just before the prune, something points the stage at the oldest deployment.
    let once = std::sync::atomic::AtomicBool::new(false);
    let (api_id, pointed) = (api.id.clone(), oldest.clone());
    cloud.before("DeleteDeployment", move |account| {
        if !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
            account
                .apis
                .get_mut(&api_id)
                .unwrap()
                .stage
                .as_mut()
                .unwrap()
                .deployment_id = pointed.clone();
        }
    });
    desired.api.as_mut().unwrap().routes[0].function = "get".into();
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(deleted_deployments(&plan), std::slice::from_ref(&oldest));
    let run = Engine::new(&cloud, &desired).apply(&plan).await;
    let outcome = run.outcome;
    let prune = position(&plan, |op| {
        matches!(op, Op::ApiGateway(RestApiOp::DeleteDeployment { .. }))
    });
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(outcome.failed.is_empty(), "{outcome:?}");
    let [(step, reason)] = &outcome.kept[..] else {
        panic!("one step kept: {outcome:?}");
    };
    assert_eq!(*step, prune);
    assert!(
        reason.contains("Active stages pointing to this deployment"),
        "{reason}"
    );
    assert!(!outcome.succeeded.contains(&prune), "{outcome:?}");
    let events = run.events;
    assert!(
        events.iter().any(|e| matches!(e,
            apply::Event::Kept { step, reason: r, .. } if *step == prune && r == reason)),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, apply::Event::Failed { .. })),
        "{events:?}"
    );
    assert!(the_api(&cloud).deployments.iter().any(|d| d.id == oldest));

    // Once the stage points at the newest again, the next deploy prunes it.
    {
        let mut account = cloud.account.lock().unwrap();
        let api = account.apis.get_mut(&api.id).unwrap();
        api.stage.as_mut().unwrap().deployment_id = api.deployments[0].id.clone();
    }
    desired.api.as_mut().unwrap().routes[0].function = "work".into();
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert!(deleted_deployments(&plan).contains(&oldest), "{plan:#?}");
    let api = the_api(&cloud);
    assert!(!api.deployments.iter().any(|d| d.id == oldest), "{api:?}");
    assert_eq!(
        api.deployments.len(),
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS
    );
}

/// Deployments made in the same second sort by their random ID, so the stage's may
/// come last: the plan still never prunes it, and five stay (issue 19).
#[tokio::test]
async fn the_stage_s_deployment_is_never_pruned_wherever_it_sorts() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    // Every read of the deployments finds the stage's sorted last, as a tie would.
    cloud.before("GetDeployments", |account| {
        for api in account.apis.values_mut() {
            let Some(stage) = api.stage.clone() else {
                continue;
            };
            if let Some(at) = api
                .deployments
                .iter()
                .position(|d| d.id == stage.deployment_id)
            {
                let current = api.deployments.remove(at);
                api.deployments.push(current);
            }
        }
    });
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    for i in 0..7 {
        let before = the_api(&cloud).stage.unwrap().deployment_id;
        desired.api.as_mut().unwrap().routes[0].function = ["get", "work", "list"][i % 3].into();
        let plan = converge(&cloud, &desired, &artifacts).await;
        assert!(!deleted_deployments(&plan).contains(&before), "{plan:#?}");
        let api = the_api(&cloud);
        assert!(
            api.deployments.iter().any(|d| d.id == before),
            "round {i}: {api:?}"
        );
    }
    let api = the_api(&cloud);
    assert_eq!(
        api.deployments.len(),
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS,
        "{api:?}"
    );
}

/// Apply never deletes a deployment it created itself, even when a plan (here edited
/// by hand) asks for it: that is the one the stage now points at.
#[tokio::test]
async fn apply_never_prunes_the_deployment_it_just_created() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    deployed_times(
        &cloud,
        &mut desired,
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS,
    )
    .await;
    desired.api.as_mut().unwrap().routes[0].function = "get".into();
    let artifacts = artifacts(&desired);
    let mut plan = plan_for(&cloud, &desired, &artifacts).await;
    let prune = position(&plan, |op| {
        matches!(op, Op::ApiGateway(RestApiOp::DeleteDeployment { .. }))
    });
    // The double's IDs count up: the new deployment takes the next one.
    let next = format!("dep{}", cloud.snapshot().counter + 1);
    let Op::ApiGateway(RestApiOp::DeleteDeployment { deployment_id, .. }) =
        &mut plan.steps[prune].op
    else {
        unreachable!()
    };
    *deployment_id = next.clone();
    let run = Engine::new(&cloud, &desired).apply(&plan).await;
    let outcome = run.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.kept.len(), 1, "{outcome:?}");
    assert!(
        outcome.kept[0].1.contains("the one this apply created"),
        "{outcome:?}"
    );
    let api = the_api(&cloud);
    assert_eq!(api.stage.unwrap().deployment_id, next);
    assert_eq!(api.deployments[0].id, next);
    assert_eq!(
        cloud
            .calls()
            .iter()
            .filter(|c| *c == "DeleteDeployment")
            .count(),
        0,
        "the delete was never sent"
    );
}

#[tokio::test]
async fn removing_the_api_section_deletes_the_api_and_permissions() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.api = None;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let mut calls = ops(&plan);
    calls.sort();
    assert_eq!(
        calls,
        [
            "DeleteRestApi",
            "RemovePermission",
            "RemovePermission",
            "RemovePermission"
        ]
    );
    converge(&cloud, &desired, &artifacts).await;
    let account = cloud.snapshot();
    assert!(account.apis.is_empty());
    assert!(account.permissions.values().all(Vec::is_empty));
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn destroy_deletes_the_api_functions_and_roles() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let plan = engine.destroy(&live);
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s.op, Op::Lambda(LambdaOp::RemovePermission { .. }))),
        "functions take their policies with them"
    );
    let outcome = engine.no_inputs().apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        cloud.snapshot(),
        lade::cloud::memory::Account {
            counter: cloud.snapshot().counter,
            ..Default::default()
        }
    );
}

/// The `create_rest_api` step of a cold plan.
fn new_api(plan: &Plan) -> lade::plan::PlannedApi {
    plan.steps
        .iter()
        .find_map(|s| match &s.op {
            Op::ApiGateway(RestApiOp::CreateRestApi { api }) => Some(api.clone()),
            _ => None,
        })
        .expect("the plan creates the API")
}

/// An API as another apply of the same project creates it, with the ID `id`.
fn api_made_elsewhere(id: &str, api: &lade::plan::PlannedApi) -> LiveApi {
    LiveApi {
        id: id.into(),
        settings: api.settings.clone(),
        tags: api.tags.clone(),
        resources: BTreeMap::from([(
            "/".to_string(),
            LiveResource {
                id: format!("{id}-root"),
                path: "/".into(),
                methods: BTreeMap::new(),
            },
        )]),
        stage: None,
        other_stages: Vec::new(),
        deployments: Vec::new(),
    }
}

#[tokio::test]
async fn a_duplicate_api_from_a_concurrent_apply_is_deleted_by_the_next_plan() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // Another run creates its API at the same moment as this one, and reads the APIs
    // before this one's exists: it keeps its own (ID `zz`, larger than this run's), and
    // so does this run.
    let other = api_made_elsewhere("zz", &new_api(&plan));
    cloud.before("CreateRestApi", move |account| {
        account.apis.insert(other.id.clone(), other.clone());
    });
    let outcome = Engine::new(&cloud, &desired).apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(cloud.snapshot().apis.len(), 2);

    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert!(
        matches!(&plan.steps[..], [step] if matches!(&step.op, Op::ApiGateway(RestApiOp::DeleteRestApi { api_id, .. }) if api_id == "zz")),
        "{:?}",
        ops(&plan)
    );
    converge(&cloud, &desired, &artifacts).await;
    assert_eq!(
        the_api(&cloud).resources.len(),
        5,
        "/, /items, /items/{{id}}, /admin, /admin/{{proxy+}}"
    );
}

#[tokio::test]
async fn api_plan_text_reads_well() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let api = desired.api.as_mut().unwrap();
    api.routes.retain(|r| r.path != "/admin/{proxy+}");
    api.routes[1].function = "get".into();
    api.routes.push(route("DELETE", "/items/{id}", "work"));
    api.settings.description = "Items".into();
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    insta::assert_snapshot!(render::plan_text(&plan));
}

/// Tracks how many steps of each service are in flight, from the events.
struct InFlight {
    services: Vec<plan::Service>,
    state: std::sync::Mutex<(
        BTreeMap<plan::Service, usize>,
        BTreeMap<plan::Service, usize>,
    )>,
}

impl apply::Reporter for InFlight {
    fn report(&self, event: &apply::Event) {
        let mut state = self.state.lock().unwrap();
        let (now, max) = &mut *state;
        match event {
            apply::Event::Started { step, .. } => {
                let n = now.entry(self.services[*step]).or_default();
                *n += 1;
                let peak = max.entry(self.services[*step]).or_default();
                *peak = (*peak).max(*n);
            }
            apply::Event::Succeeded { step, .. }
            | apply::Event::Failed { step, .. }
            | apply::Event::Kept { step, .. } => {
                *now.entry(self.services[*step]).or_default() -= 1;
            }
            apply::Event::Skipped { .. }
            | apply::Event::Interrupted { .. }
            | apply::Event::Abandoned { .. } => {}
        }
    }
}

#[tokio::test]
async fn independent_steps_run_together_within_each_service_bound() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let reporter = InFlight {
        services: plan.steps.iter().map(|s| s.op.service()).collect(),
        state: Default::default(),
    };
    let outcome = Engine::new(&cloud, &desired)
        .reporter(&reporter)
        .apply(&plan)
        .await
        .outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let (_, max) = reporter.state.into_inner().unwrap();
    assert!(
        max[&plan::Service::Iam] >= 2,
        "independent IAM steps overlap: {max:?}"
    );
    for (service, peak) in &max {
        assert!(
            *peak <= apply::Limits::default().service(*service),
            "{service:?} exceeded its bound: {max:?}"
        );
    }
    assert_eq!(
        max[&plan::Service::ApiGateway],
        2,
        "API Gateway is held to 2: {max:?}"
    );
}

#[tokio::test]
async fn the_diff_names_exactly_the_fields_that_differ_with_old_and_new() {
    use lade::diff::Field;
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    let list = desired.functions.get_mut("list").unwrap();
    list.handler = "app.other".into();
    list.timeout = 30;
    list.description = "Lists".into();
    list.environment.insert("MODE".into(), EnvValue::text("x"));
    list.tags.insert("cost".into(), "low".into());
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.changes.len(), 1);
    let fields: Vec<(Field, Option<serde_json::Value>, Option<serde_json::Value>)> = plan.changes
        [0]
    .fields
    .iter()
    .map(|f| {
        (
            f.field.clone(),
            f.old.as_ref().map(FieldValue::json),
            f.new.as_ref().map(FieldValue::json),
        )
    })
    .collect();
    assert_eq!(
        fields,
        [
            (
                Field::Handler,
                Some(json!("app.handler")),
                Some(json!("app.other"))
            ),
            (Field::Timeout, Some(json!(3)), Some(json!(30))),
            (
                Field::Environment,
                Some(json!({"TABLE": "items"})),
                Some(json!({"MODE": "x", "TABLE": "items"}))
            ),
            (Field::Description, Some(json!("")), Some(json!("Lists"))),
            (
                Field::Tags,
                Some(
                    json!({"lade:key": "list", "lade:project": "shop", "lade:stage": "dev", "team": "web"})
                ),
                Some(
                    json!({"cost": "low", "lade:key": "list", "lade:project": "shop", "lade:stage": "dev", "team": "web"})
                )
            ),
        ]
    );
    // Configuration in one call, then the tag: nothing else.
    assert_eq!(ops(&plan), ["UpdateFunctionConfiguration", "TagResource"]);
    converge(&cloud, &desired, &artifacts).await;
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

// ---- cross-references and secrets ----

fn refs(parts: Vec<Part>) -> EnvValue {
    EnvValue {
        parts,
        sensitive: false,
    }
}

fn secret(value: &str) -> EnvValue {
    EnvValue {
        parts: vec![Part::Text(value.into())],
        sensitive: true,
    }
}

#[tokio::test]
async fn cross_references_are_created_first_and_filled_in_at_apply() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let env = &mut desired.functions.get_mut("list").unwrap().environment;
    env.insert(
        "WORKER".into(),
        refs(vec![Part::Ref(CrossRef::FunctionArn("work".into()))]),
    );
    env.insert(
        "ROLE".into(),
        refs(vec![Part::Ref(CrossRef::RoleArn("worker".into()))]),
    );
    env.insert(
        "URL".into(),
        refs(vec![
            Part::Ref(CrossRef::ApiUrl),
            Part::Text("/items".into()),
        ]),
    );
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let create = |n: &'static str| {
        position(
            &plan,
            move |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == n),
        )
    };
    let (list, work) = (create("shop-dev-list"), create("shop-dev-work"));
    let api = position(&plan, |op| {
        matches!(op, Op::ApiGateway(RestApiOp::CreateRestApi { .. }))
    });
    let worker = position(
        &plan,
        |op| matches!(op, Op::Iam(IamOp::CreateRole { role }) if role.name == "shop-dev-worker"),
    );
    assert!(depends(&plan, list, work), "`list` holds `work`'s ARN");
    assert!(depends(&plan, list, api), "`list` holds the API's URL");
    assert!(
        depends(&plan, list, worker),
        "`list` holds the worker role's ARN"
    );
    let text = render::plan_text(&plan);
    assert!(text.contains("WORKER = (known after apply)"), "{text}");

    converge(&cloud, &desired, &artifacts).await;
    let account = cloud.snapshot();
    let env = &account.functions["shop-dev-list"].environment;
    assert_eq!(env["WORKER"], account.functions["shop-dev-work"].arn);
    assert_eq!(env["ROLE"], account.roles["shop-dev-worker"].arn);
    let api_id = &the_api(&cloud).id;
    assert_eq!(
        env["URL"],
        format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/dev/items")
    );
    assert!(
        plan_for(&cloud, &desired, &artifacts).await.is_empty(),
        "known values match"
    );
}

const CANARY: &str = "canary-7f3a9c-do-not-print";

/// Every text and JSON form of a plan, and an apply's events and summary.
async fn everything_printed(
    cloud: &MemoryCloud,
    desired: &Desired,
    artifacts: &BTreeMap<String, Artifact>,
) -> String {
    let (plan, run) = Engine::new(cloud, desired)
        .artifacts(artifacts)
        .plan_and_apply()
        .await;
    let outcome = run.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let mut printed = render::plan_text(&plan) + &render::plan_json(&plan);
    printed += &render::outcome_text(&plan, &outcome, render::Verb::Apply);
    for event in &run.events {
        printed += &render::event_line(event);
        printed += &serde_json::to_string(event).unwrap();
    }
    printed
}

#[tokio::test]
async fn a_secret_is_never_printed_and_its_change_is_still_seen() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired
        .functions
        .get_mut("get")
        .unwrap()
        .environment
        .insert("API_KEY".into(), secret(CANARY));
    let artifacts = artifacts(&desired);
    let printed = everything_printed(&cloud, &desired, &artifacts).await;
    assert!(!printed.contains(CANARY), "the secret leaked:\n{printed}");
    assert!(printed.contains(r#""API_KEY": "(sensitive)""#), "{printed}");
    assert_eq!(
        cloud.snapshot().functions["shop-dev-get"].environment["API_KEY"],
        CANARY,
        "Lambda gets it"
    );
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());

    // Changing only the secret: one update, marked, with neither value shown.
    let new_secret = format!("{CANARY}-rotated");
    desired
        .functions
        .get_mut("get")
        .unwrap()
        .environment
        .insert("API_KEY".into(), secret(&new_secret));
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(ops(&plan), ["UpdateFunctionConfiguration"]);
    let text = render::plan_text(&plan);
    assert!(text.contains("(sensitive value changed)"), "{text}");
    let printed = everything_printed(&cloud, &desired, &artifacts).await;
    assert!(!printed.contains(CANARY), "a secret leaked:\n{printed}");
    assert_eq!(
        cloud.snapshot().functions["shop-dev-get"].environment["API_KEY"],
        new_secret
    );
}

#[tokio::test]
async fn a_secret_changed_after_planning_is_refused() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired
        .functions
        .get_mut("get")
        .unwrap()
        .environment
        .insert("API_KEY".into(), secret(CANARY));
    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let plan = engine.build(&live).unwrap();
    desired
        .functions
        .get_mut("get")
        .unwrap()
        .environment
        .insert("API_KEY".into(), secret("other"));
    let outcome = Engine::new(&cloud, &desired)
        .secrets_from(&live)
        .apply(&plan)
        .await
        .outcome;
    assert_eq!(outcome.failed.len(), 1, "{outcome:?}");
    assert!(
        outcome.failed[0].1.contains("sensitive value of API_KEY"),
        "{:?}",
        outcome.failed
    );
    assert!(!outcome.failed[0].1.contains("other"));
}

#[tokio::test]
async fn renaming_a_function_replaces_it_before_deleting_the_old_one() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.functions.get_mut("get").unwrap().name = "shop-dev-fetch".into();
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // The function (1 add, 1 destroy), its new permission and a deployment (2 adds),
    // and the route that now points at it (1 change).
    assert_eq!(
        plan.summary(),
        plan::Summary {
            add: 3,
            change: 1,
            destroy: 1
        }
    );
    let change = plan
        .changes
        .iter()
        .find(|c| c.kind() == ResourceKind::Function)
        .unwrap();
    assert_eq!(
        change.action,
        lade::diff::Action::Replace {
            of: "shop-dev-get".into()
        }
    );
    let create = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-fetch"),
    );
    let delete = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-get"),
    );
    let integration = position(
        &plan,
        |op| matches!(op, Op::ApiGateway(RestApiOp::PutIntegration { function, .. }) if function == "shop-dev-fetch"),
    );
    assert!(depends(&plan, delete, create), "create before destroy");
    assert!(
        depends(&plan, delete, integration),
        "the route moves before the old function goes"
    );
    let text = render::plan_text(&plan);
    assert!(
        text.contains(
            "-/+ function shop-dev-fetch (get), replacing shop-dev-get (its name changed)"
        ),
        "{text}"
    );

    converge(&cloud, &desired, &artifacts).await;
    let account = cloud.snapshot();
    assert!(account.functions.contains_key("shop-dev-fetch"));
    assert!(!account.functions.contains_key("shop-dev-get"));
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn a_change_made_outside_lade_is_marked_as_drift() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired
        .functions
        .get_mut("get")
        .unwrap()
        .environment
        .insert("API_KEY".into(), secret(CANARY));
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    // Someone changes the memory in the console.
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .get_mut("shop-dev-get")
        .unwrap()
        .memory = 1024;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.changes.len(), 1);
    assert!(plan.changes[0].drift);
    let text = render::plan_text(&plan);
    assert!(
        text.contains("~ function shop-dev-get  (changed outside lade)"),
        "{text}"
    );
    assert!(text.contains("memory: 1024 → 128"), "{text}");
    converge(&cloud, &desired, &artifacts).await;
    assert!(
        plan_for(&cloud, &desired, &artifacts).await.is_empty(),
        "the record is updated"
    );

    // A change in the manifest alone is not drift.
    desired.functions.get_mut("get").unwrap().timeout = 20;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.changes.len(), 1);
    assert!(!plan.changes[0].drift);
    assert!(!render::plan_text(&plan).contains("changed outside lade"));
    // The record never holds the secret.
    let tags = &cloud.snapshot().functions["shop-dev-get"].tags;
    assert!(tags.contains_key("lade:config"));
    assert!(!tags.values().any(|v| v.contains(CANARY)));
}

/// Regression (found through the fault proxy, tests/faults.rs): when an apply stopped
/// between `UpdateFunctionConfiguration` and the `TagResource` that records it, the
/// configuration matched the manifest but its record did not, and nothing wrote the
/// record again: the next change to the function passed for drift.
#[tokio::test]
async fn a_record_lost_after_an_update_is_written_again() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let record = |cloud: &MemoryCloud| {
        cloud.snapshot().functions["shop-dev-get"].tags["lade:config"].clone()
    };
    let before = record(&cloud);

    desired.functions.get_mut("get").unwrap().timeout = 20;
    converge(&cloud, &desired, &artifacts).await;
    // The update happened, its record did not.
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .get_mut("shop-dev-get")
        .unwrap()
        .tags
        .insert("lade:config".into(), before.clone());

    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
    assert!(!plan.changes[0].drift);
    assert_eq!(ops(&plan), ["TagResource"]);
    let text = render::plan_text(&plan);
    assert!(
        text.contains("~ function shop-dev-get")
            && text.contains("record of the applied configuration"),
        "{text}"
    );
    assert!(!text.contains("changed outside lade"), "{text}");
    converge(&cloud, &desired, &artifacts).await;
    assert_ne!(record(&cloud), before);
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());

    // The next change through lade is not drift.
    desired.functions.get_mut("get").unwrap().memory = 512;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.changes.len(), 1);
    assert!(!plan.changes[0].drift);
}

// ---- how many reads a plan makes (the call pattern in live.rs) ----

/// `desired()` plus functions `f1`..`fn` on role `api`, each behind `GET /fK`.
fn routed(n: usize) -> Desired {
    let mut desired = desired();
    let mut routes = Vec::new();
    for k in 1..=n {
        let key = format!("f{k}");
        desired.functions.insert(key.clone(), function(&key, "api"));
        routes.push(route("GET", &format!("/{key}"), &key));
    }
    with_api(desired, routes)
}

/// The calls made so far, counted by operation.
fn counted(cloud: &MemoryCloud) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in cloud.calls() {
        *counts.entry(call).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn a_no_op_plan_reads_each_function_once_and_gets_none() {
    let cloud = MemoryCloud::new();
    let desired = routed(5);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    cloud.clear_calls();

    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert!(plan.is_empty(), "{}", render::plan_text(&plan));
    let expected: BTreeMap<String, usize> = [
        // One GetPolicy per owned function, routed (f1..f5) or not (list, get, work):
        // with an API, any of them can hold lade's statement.
        ("GetPolicy", 8),
        ("GetResources", 1),
        ("ListFunctions", 1),
        // The account's triggers, in one page: kept for the owned functions.
        ("ListEventSourceMappings", 1),
        // The project's rules on the default bus, by name prefix: none here.
        ("ListRules", 1),
        ("ListRoles", 1),
        ("GetRestApis", 1),
        ("GetApiResources", 1),
        ("GetStages", 1),
        ("GetDeployments", 1),
        // The project's HTTP APIs (API Gateway v2): none here.
        ("GetApis", 1),
    ]
    .into_iter()
    .map(|(op, n)| (op.to_string(), n))
    .collect();
    assert_eq!(counted(&cloud), expected);
    assert!(cloud.mutations().is_empty());
}

#[tokio::test]
async fn listing_stops_at_the_page_with_the_last_wanted_function() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // 120 functions of someone else, named to sort after ours: pages 1..3 of 50.
    {
        let mut account = cloud.account.lock().unwrap();
        let template = account.functions["shop-dev-list"].clone();
        for i in 0..120 {
            let name = format!("zz-other-{i:03}");
            account.functions.insert(
                name.clone(),
                LiveFunction {
                    name,
                    tags: BTreeMap::new(),
                    ..template.clone()
                },
            );
        }
    }
    cloud.clear_calls();
    let live = Engine::new(&cloud, &desired).read().await;
    assert_eq!(live.functions.len(), 3);
    assert_eq!(counted(&cloud)["ListFunctions"], 1, "{:?}", cloud.calls());

    // A wanted function that does not exist yet: two pages (`LIST_PAGES`), not the
    // whole account, then the one name still missing is asked for.
    let mut more = desired.clone();
    more.functions.insert("new".into(), function("new", "api"));
    cloud.clear_calls();
    let live = Engine::new(&cloud, &more).read().await;
    assert_eq!(counted(&cloud)["ListFunctions"], 2, "{:?}", cloud.calls());
    assert_eq!(counted(&cloud)["GetFunction"], 1, "{:?}", cloud.calls());
    assert!(!live.functions.contains_key("shop-dev-new"));
    assert!(live.foreign.is_empty());

    // One of ours past the second page is found by name, and is ours.
    {
        let mut account = cloud.account.lock().unwrap();
        let mut late = account.functions["shop-dev-list"].clone();
        late.name = "zzz-late".into();
        account.functions.insert(late.name.clone(), late);
    }
    cloud.clear_calls();
    let live = Engine::new(&cloud, &desired).read().await;
    assert_eq!(counted(&cloud)["ListFunctions"], 2, "{:?}", cloud.calls());
    assert_eq!(counted(&cloud)["GetFunction"], 1, "{:?}", cloud.calls());
    assert!(live.functions.contains_key("zzz-late"), "owned: {live:?}");
    assert!(live.confirmed.contains("zzz-late"));

    // Nothing owned and nothing wanted (destroy of an empty stage): no listing at all.
    cloud.clear_calls();
    let other = Scope {
        project: "empty".into(),
        stage: "dev".into(),
    };
    live::read_names(
        &cloud,
        &other,
        &BTreeSet::new(),
        &BTreeSet::new(),
        &BTreeSet::new(),
    )
    .await
    .unwrap();
    assert!(!counted(&cloud).contains_key("ListFunctions"));
}

#[tokio::test]
async fn get_function_is_only_for_a_wanted_name_that_is_not_known_to_be_ours() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // Someone else's function under a name the manifest now wants.
    let mut more = desired.clone();
    more.functions
        .insert("taken".into(), function("taken", "api"));
    {
        let mut account = cloud.account.lock().unwrap();
        let mut theirs = account.functions["shop-dev-list"].clone();
        theirs.name = "shop-dev-taken".into();
        theirs.tags = BTreeMap::from([("owner".to_string(), "someone".to_string())]);
        account.functions.insert(theirs.name.clone(), theirs);
    }
    cloud.clear_calls();
    let live = Engine::new(&cloud, &more).read().await;
    assert_eq!(
        counted(&cloud).get("GetFunction"),
        Some(&1),
        "{:?}",
        cloud.calls()
    );
    assert_eq!(live.foreign.len(), 1);
    assert_eq!(live.foreign[0].name, "shop-dev-taken");
    assert!(!live.functions.contains_key("shop-dev-taken"));
    // The owned ones came from the listing, with their tags from the tagging API.
    assert_eq!(live.functions["shop-dev-list"].tags["team"], "web");
}

#[tokio::test]
async fn an_apparent_drift_is_confirmed_with_get_function() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .get_mut("shop-dev-get")
        .unwrap()
        .memory = 512;
    cloud.clear_calls();
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(
        counted(&cloud).get("GetFunction"),
        Some(&1),
        "{:?}",
        cloud.calls()
    );
    assert!(
        plan.changes.iter().any(|c| c.drift),
        "{}",
        render::plan_text(&plan)
    );
}

/// Converges `routed(2)`, then drops the route to f2 (f2 stays a function), lets
/// `tamper` change the account, and converges again, counting only the calls of that
/// second run. Checks that the plan removed lade's statement on f2 and that it is gone.
async fn unroute_f2(tamper: impl FnOnce(&MemoryCloud)) -> MemoryCloud {
    let cloud = MemoryCloud::new();
    let mut desired = routed(2);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    desired
        .api
        .as_mut()
        .unwrap()
        .routes
        .retain(|r| r.function != "f2");
    tamper(&cloud);
    cloud.clear_calls();
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert!(
        plan.steps.iter().any(
            |s| matches!(&s.op, Op::Lambda(LambdaOp::RemovePermission { function, .. }) if function == "shop-dev-f2")
        ),
        "{}",
        render::plan_text(&plan)
    );
    assert!(
        cloud.snapshot().permissions["shop-dev-f2"].is_empty(),
        "the stale statement is gone"
    );
    cloud
}

#[tokio::test]
async fn removing_a_route_still_removes_its_permission() {
    let cloud = unroute_f2(|_| {}).await;
    let reads = cloud
        .calls()
        .into_iter()
        .filter(|c| c == "GetPolicy")
        .count();
    // Every owned function: list, get, work, f1 and f2.
    assert_eq!(reads, 5, "{:?}", cloud.calls());
}

/// An apply interrupted after deleting a route's method but before removing its
/// permission (or a method deleted by hand) leaves lade's statement on a function that
/// nothing points at any more; the next plan still finds and removes it.
#[tokio::test]
async fn a_statement_no_route_or_integration_points_at_is_removed() {
    unroute_f2(|cloud| {
        let mut account = cloud.account.lock().unwrap();
        for api in account.apis.values_mut() {
            api.resources.get_mut("/f2").unwrap().methods.clear();
        }
        drop(account);
        assert!(
            !cloud.snapshot().permissions["shop-dev-f2"].is_empty(),
            "the statement is still there before the plan"
        );
    })
    .await;
}

/// Two statements under lade's statement id on one function (left by two applies
/// racing, on an emulator that accepts a duplicate id where AWS refuses one) are
/// replaced by one: the next plan changes the permission, and after it one is left.
/// Found by tests/concurrent.rs.
#[tokio::test]
async fn a_duplicate_lade_statement_is_replaced_by_one() {
    let cloud = MemoryCloud::new();
    let desired = routed(1);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    {
        let mut account = cloud.account.lock().unwrap();
        let statements = account.permissions.get_mut("shop-dev-f1").unwrap();
        assert_eq!(statements.len(), 1);
        let twin = statements[0].clone();
        statements.push(twin);
    }
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert!(
        plan.steps.iter().any(|s| matches!(&s.op,
            Op::Lambda(LambdaOp::AddPermission { function, .. }) if function == "shop-dev-f1")),
        "{}",
        render::plan_text(&plan)
    );
    // The plan says why, rather than `source ARN: X → X`.
    let text = render::plan_text(&plan);
    assert!(
        text.contains("(and 1 more statements under lade's id)"),
        "{text}"
    );
    assert_eq!(cloud.snapshot().permissions["shop-dev-f1"].len(), 1);
}

// ---- interrupts (Ctrl-C) ----

/// Records every event, and asks `interrupt` to stop `times` times on the first event
/// `when` accepts. The executor calls reporters from its own loop, so the request
/// lands at an exact point between two events.
struct InterruptOn<F> {
    events: std::sync::Mutex<Vec<apply::Event>>,
    interrupt: apply::Interrupt,
    when: F,
    times: usize,
    done: std::sync::atomic::AtomicBool,
}

impl<F: Fn(&[apply::Event]) -> bool + Send + Sync> InterruptOn<F> {
    fn new(times: usize, when: F) -> Self {
        InterruptOn {
            events: Default::default(),
            interrupt: apply::Interrupt::new(),
            when,
            times,
            done: Default::default(),
        }
    }

    fn events(&self) -> Vec<apply::Event> {
        self.events.lock().unwrap().clone()
    }
}

impl<F: Fn(&[apply::Event]) -> bool + Send + Sync> apply::Reporter for InterruptOn<F> {
    fn report(&self, event: &apply::Event) {
        let mut events = self.events.lock().unwrap();
        events.push(event.clone());
        if !self.done.load(std::sync::atomic::Ordering::SeqCst) && (self.when)(&events) {
            self.done.store(true, std::sync::atomic::Ordering::SeqCst);
            for _ in 0..self.times {
                self.interrupt.request();
            }
        }
    }
}

fn succeeded_count(events: &[apply::Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, apply::Event::Succeeded { .. }))
        .count()
}

/// The ids of the steps whose events match.
fn steps_of(events: &[apply::Event], kind: fn(&apply::Event) -> Option<usize>) -> Vec<usize> {
    let mut ids: Vec<usize> = events.iter().filter_map(kind).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn an_interrupt_starts_no_new_step_finishes_the_running_ones_and_a_rerun_converges() {
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let steps = plan_for(&MemoryCloud::new(), &desired, &artifacts)
        .await
        .steps
        .len();
    assert_eq!(steps, 25, "two roles, three functions, four routes");
    // Interrupt right after the k-th step succeeded, for every k.
    for k in 1..=steps {
        let cloud = MemoryCloud::new();
        let plan = plan_for(&cloud, &desired, &artifacts).await;
        let reporter = InterruptOn::new(1, |events: &[apply::Event]| succeeded_count(events) == k);
        let outcome = Engine::new(&cloud, &desired)
            .reporter(&reporter)
            .interrupt(&reporter.interrupt)
            .apply(&plan)
            .await
            .outcome;
        let events = reporter.events();

        let at = events
            .iter()
            .position(|e| matches!(e, apply::Event::Interrupted { .. }))
            .unwrap_or_else(|| panic!("k={k}: no interrupted event in {events:?}"));
        let after = &events[at + 1..];
        assert!(
            !after
                .iter()
                .any(|e| matches!(e, apply::Event::Started { .. })),
            "k={k}: a step started after the interrupt: {after:?}"
        );
        let apply::Event::Interrupted { in_flight } = &events[at] else {
            unreachable!()
        };
        // The steps in flight finish and are reported after the interrupt.
        let finished_after = steps_of(after, |e| match e {
            apply::Event::Succeeded { step, .. } | apply::Event::Failed { step, .. } => Some(*step),
            _ => None,
        });
        assert_eq!(&finished_after, in_flight, "k={k}");
        let started = steps_of(&events, |e| match e {
            apply::Event::Started { step, .. } => Some(*step),
            _ => None,
        });
        let mut succeeded = outcome.succeeded.clone();
        succeeded.sort();
        assert_eq!(succeeded, started, "k={k}: every started step finished");
        assert!(outcome.interrupted, "k={k}");
        assert!(outcome.failed.is_empty() && outcome.abandoned.is_empty());
        let never: Vec<usize> = (0..steps).filter(|s| !started.contains(s)).collect();
        assert_eq!(outcome.not_started, never, "k={k}");
        assert_eq!(outcome.is_success(), never.is_empty(), "k={k}");

        // What remains is exactly what the next plan does, and then nothing.
        let rest = converge(&cloud, &desired, &artifacts).await;
        assert_eq!(rest.is_empty(), never.is_empty(), "k={k}");
        let again = plan_for(&cloud, &desired, &artifacts).await;
        assert!(again.is_empty(), "k={k}: {:?}", ops(&again));
        the_api(&cloud);
    }
}

#[tokio::test]
async fn a_second_interrupt_abandons_the_steps_in_flight() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // Twice, as the first step starts: before any call of it is made.
    let reporter = InterruptOn::new(2, |events: &[apply::Event]| {
        matches!(events.last(), Some(apply::Event::Started { .. }))
    });
    let outcome = Engine::new(&cloud, &desired)
        .reporter(&reporter)
        .interrupt(&reporter.interrupt)
        .apply(&plan)
        .await
        .outcome;
    let events = reporter.events();
    let [
        apply::Event::Started { step: first, .. },
        apply::Event::Interrupted { in_flight },
        apply::Event::Abandoned {
            step: abandoned, ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!((in_flight, abandoned), (&vec![*first], first));
    assert_eq!(outcome.abandoned, [*first]);
    assert!(outcome.succeeded.is_empty() && outcome.failed.is_empty());
    assert_eq!(outcome.not_started.len(), plan.steps.len() - 1);
    assert!(!outcome.not_started.contains(first));
    assert_eq!(
        cloud.mutations(),
        Vec::<String>::new(),
        "nothing reached AWS"
    );
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert!(
        text.starts_with(&format!(
            "Apply interrupted: 0 of {} steps done, 0 failed, 0 skipped, 1 abandoned, {} not started",
            plan.steps.len(),
            plan.steps.len() - 1
        )),
        "{text}"
    );

    converge(&cloud, &desired, &artifacts).await;
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn an_interrupt_before_the_first_step_changes_nothing() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let interrupt = apply::Interrupt::new();
    assert_eq!(interrupt.request(), apply::Stop::Finishing);
    let run = Engine::new(&cloud, &desired)
        .interrupt(&interrupt)
        .apply(&plan)
        .await;
    assert_eq!(
        run.events,
        [apply::Event::Interrupted { in_flight: vec![] }]
    );
    assert_eq!(
        run.outcome.not_started,
        (0..plan.steps.len()).collect::<Vec<_>>()
    );
    assert_eq!(cloud.mutations(), Vec::<String>::new());
    // Later requests only ever go one level further, and stop there.
    assert_eq!(interrupt.request(), apply::Stop::Abandoning);
    assert_eq!(interrupt.request(), apply::Stop::Abandoning);
}

// ---- two applies of the same project and stage at once ----

/// Regression: a role that another apply of the same project created between this
/// run's `ListRoles` and its `GetRole` was reported as "not owned" (the path `GetRole`
/// returned was not compared with lade's), and the run stopped with an error. IAM's
/// `ListRoles` is eventually consistent, so a quick re-run after a crash just after
/// `CreateRole` could hit it too. Found by tests/concurrent.rs.
#[tokio::test]
async fn a_role_created_between_the_listing_and_get_role_is_owned() {
    let desired = desired();
    let artifacts = artifacts(&desired);
    // Another run, with the same manifest, made the roles.
    let other = MemoryCloud::new();
    converge(&other, &desired, &artifacts).await;
    let roles = other.snapshot().roles;
    assert_eq!(roles.len(), 2);
    // This run listed the roles just before they appeared.
    let cloud = MemoryCloud::new();
    cloud.before("GetRole", move |account| {
        account.roles.extend(roles.clone());
    });
    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    assert!(live.foreign.is_empty(), "{:?}", live.foreign);
    assert_eq!(
        live.roles.keys().collect::<Vec<_>>(),
        ["shop-dev-api", "shop-dev-worker"]
    );
    assert_eq!(
        live.roles["shop-dev-api"].inline_policies["read"],
        read_policy(),
        "read whole, policies included"
    );
    let plan = engine.build(&live).unwrap();
    assert!(
        !ops(&plan).iter().any(|op| op.contains("Role")),
        "{:?}",
        ops(&plan)
    );
}

#[tokio::test]
async fn an_api_created_by_another_run_since_the_plan_is_used_not_duplicated() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // Another apply of the same project created the API after this plan was made.
    let other = api_made_elsewhere("other", &new_api(&plan));
    cloud
        .account
        .lock()
        .unwrap()
        .apis
        .insert("other".into(), other);
    let outcome = Engine::new(&cloud, &desired).apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(!cloud.mutations().contains(&"CreateRestApi".to_string()));
    assert_eq!(the_api(&cloud).id, "other");
    assert_eq!(the_api(&cloud).resources.len(), 5);
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn of_two_apis_created_at_once_every_run_keeps_the_smallest_id() {
    let cloud = MemoryCloud::new();
    let desired = with_api(desired(), crud_routes());
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    // Another run creates its API just before this one's, with a smaller ID.
    let other = api_made_elsewhere("a0", &new_api(&plan));
    assert!("a0" < "api1", "the double's IDs are `api<n>`");
    cloud.before("CreateRestApi", move |account| {
        account.apis.insert(other.id.clone(), other.clone());
    });
    let outcome = Engine::new(&cloud, &desired).apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    let mutations = cloud.mutations();
    let created = mutations.iter().position(|c| c == "CreateRestApi").unwrap();
    assert_eq!(
        mutations[created + 1],
        "DeleteRestApi",
        "its own API, at once: {mutations:?}"
    );
    // The routes are on the kept API, and nothing else is left.
    let api = the_api(&cloud);
    assert_eq!(api.id, "a0");
    assert_eq!(api.resources.len(), 5);
    assert!(api.stage.is_some());
    for statements in cloud.snapshot().permissions.values() {
        for statement in statements {
            assert!(
                statement.source_arn.as_deref().unwrap().contains(":a0/"),
                "{statement:?}"
            );
        }
    }
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

// ---- triggers ----

const JOBS: &str = "arn:aws:sqs:us-east-1:123456789012:jobs";
const CLICKS: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks";

fn queue(arn: &str, batch_size: i32) -> EventSource {
    EventSource {
        kind: SourceKind::Sqs,
        arn: arn.into(),
        settings: SourceSettings {
            batch_size,
            ..SourceSettings::defaults(SourceKind::Sqs)
        },
    }
}

fn stream(arn: &str, position: &str) -> EventSource {
    EventSource {
        kind: SourceKind::Kinesis,
        arn: arn.into(),
        settings: SourceSettings {
            starting_position: Some(position.into()),
            ..SourceSettings::defaults(SourceKind::Kinesis)
        },
    }
}

/// `desired()` with the `work` function triggered by `sources`.
fn with_triggers(sources: Vec<EventSource>) -> Desired {
    let mut desired = desired();
    desired.functions.get_mut("work").unwrap().event_sources = sources;
    desired
}

fn mappings(cloud: &MemoryCloud) -> Vec<(String, String, i32)> {
    cloud
        .snapshot()
        .event_sources
        .into_values()
        .map(|m| (m.function, m.arn, m.settings.batch_size))
        .collect()
}

#[tokio::test]
async fn a_trigger_waits_for_its_function_and_role_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = with_triggers(vec![queue(JOBS, 10)]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    let create = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::CreateEventSourceMapping { .. }))
    });
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-work"),
    );
    let role = position(
        &plan,
        |op| matches!(op, Op::Iam(IamOp::CreateRole { role }) if role.name == "shop-dev-worker"),
    );
    assert!(
        depends(&plan, create, function),
        "{}",
        render::plan_text(&plan)
    );
    assert!(depends(&plan, create, role));
    Engine::new(&cloud, &desired).converge().await;
    assert_eq!(
        mappings(&cloud),
        [("shop-dev-work".into(), JOBS.into(), 10)]
    );
    let again = Engine::new(&cloud, &desired).plan().await;
    assert!(again.is_empty(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn a_changed_batch_size_is_one_update_and_a_new_position_deletes_first() {
    let cloud = MemoryCloud::new();
    let desired = with_triggers(vec![queue(JOBS, 10), stream(CLICKS, "LATEST")]);
    Engine::new(&cloud, &desired).converge().await;

    let desired = with_triggers(vec![queue(JOBS, 5), stream(CLICKS, "LATEST")]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert_eq!(ops(&plan), ["UpdateEventSourceMapping"]);
    Engine::new(&cloud, &desired).converge().await;

    // Lambda never changes where a stream is read from: the mapping is made anew.
    let desired = with_triggers(vec![queue(JOBS, 5), stream(CLICKS, "TRIM_HORIZON")]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert_eq!(
        ops(&plan),
        ["DeleteEventSourceMapping", "CreateEventSourceMapping"]
    );
    assert!(depends(&plan, 1, 0), "{}", render::plan_text(&plan));
    assert_eq!(plan.summary().add, 1);
    assert_eq!(plan.summary().destroy, 1);
    Engine::new(&cloud, &desired).converge().await;
    let positions: Vec<Option<String>> = cloud
        .snapshot()
        .event_sources
        .into_values()
        .map(|m| m.settings.starting_position)
        .collect();
    assert!(
        positions.contains(&Some("TRIM_HORIZON".into())),
        "{positions:?}"
    );
}

#[tokio::test]
async fn removing_a_triggered_function_deletes_its_triggers_first() {
    let cloud = MemoryCloud::new();
    let mut desired = with_triggers(vec![queue(JOBS, 10)]);
    Engine::new(&cloud, &desired).converge().await;

    desired.functions.remove("work");
    let plan = Engine::new(&cloud, &desired).plan().await;
    let mapping = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::DeleteEventSourceMapping { .. }))
    });
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-work"),
    );
    assert!(
        depends(&plan, function, mapping),
        "{}",
        render::plan_text(&plan)
    );
    Engine::new(&cloud, &desired).converge().await;
    assert!(mappings(&cloud).is_empty());
}

#[tokio::test]
async fn a_mapping_lade_does_not_want_on_its_function_is_removed_and_others_are_not_read() {
    let cloud = MemoryCloud::new();
    let desired = with_triggers(vec![queue(JOBS, 10)]);
    Engine::new(&cloud, &desired).converge().await;
    // Someone maps another queue to lade's function, and a queue to their own function.
    {
        let mut account = cloud.account.lock().unwrap();
        let mut theirs = account.event_sources.values().next().unwrap().clone();
        theirs.uuid = "by-hand".into();
        theirs.arn = "arn:aws:sqs:us-east-1:123456789012:other".into();
        account
            .event_sources
            .insert("by-hand".into(), theirs.clone());
        theirs.uuid = "not-ours".into();
        theirs.function = "someone-elses".into();
        account.event_sources.insert("not-ours".into(), theirs);
    }
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert_eq!(ops(&plan), ["DeleteEventSourceMapping"]);
    assert!(matches!(
        &plan.steps[0].op,
        Op::Lambda(LambdaOp::DeleteEventSourceMapping { uuid, .. }) if uuid == "by-hand"
    ));
    Engine::new(&cloud, &desired).converge().await;
    let left: Vec<String> = cloud.snapshot().event_sources.into_keys().collect();
    assert!(left.contains(&"not-ours".to_string()), "{left:?}");
    assert!(!left.contains(&"by-hand".to_string()), "{left:?}");
}

// ---- rules (schedules and EventBridge patterns) ----

fn schedule(name: &str, expression: &str) -> Rule {
    Rule {
        name: name.into(),
        bus: "default".into(),
        settings: RuleSettings {
            schedule: Some(expression.into()),
            pattern: None,
            input: None,
            description: String::new(),
            enabled: true,
        },
    }
}

fn orders(name: &str) -> Rule {
    Rule {
        name: name.into(),
        bus: "orders".into(),
        settings: RuleSettings {
            schedule: None,
            pattern: Some(json!({"source": ["shop.orders"]})),
            input: Some(json!({"from": "orders"})),
            description: "Orders".into(),
            enabled: true,
        },
    }
}

/// `desired()` with the `work` function invoked by `rules`.
fn with_rules(rules: Vec<Rule>) -> Desired {
    let mut desired = desired();
    desired.functions.get_mut("work").unwrap().rules = rules;
    desired
}

/// The rules in the account: (bus, name, schedule, target).
fn rules_in(cloud: &MemoryCloud) -> Vec<(String, String, Option<String>, Option<String>)> {
    cloud
        .snapshot()
        .rules
        .into_values()
        .map(|(r, _)| (r.bus, r.name, r.settings.schedule, r.target))
        .collect()
}

/// lade's rule statements on the function: (sid, principal, source ARN).
fn rule_statements(cloud: &MemoryCloud, function: &str) -> Vec<(String, String, Option<String>)> {
    cloud
        .snapshot()
        .permissions
        .get(function)
        .into_iter()
        .flatten()
        .filter(|p| p.sid.starts_with("lade-rule-"))
        .map(|p| (p.sid.clone(), p.principal.clone(), p.source_arn.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn a_rule_waits_for_its_function_and_its_permission_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = with_rules(vec![
        schedule("shop-dev-work-00000001", "rate(5 minutes)"),
        orders("shop-dev-work-00000002"),
    ]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    let put = position(
        &plan,
        |op| matches!(op, Op::EventBridge(EventBridgeOp::PutRule { rule, .. }) if rule == "shop-dev-work-00000001"),
    );
    let permission = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::AddRulePermission { rule, .. }) if rule == "shop-dev-work-00000001"),
    );
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-work"),
    );
    let text = render::plan_text(&plan);
    assert!(depends(&plan, put, function), "{text}");
    assert!(depends(&plan, put, permission), "{text}");
    assert!(depends(&plan, permission, function), "{text}");
    Engine::new(&cloud, &desired).converge().await;

    let arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-work".to_string();
    assert_eq!(
        rules_in(&cloud),
        [
            (
                "default".into(),
                "shop-dev-work-00000001".into(),
                Some("rate(5 minutes)".into()),
                Some(arn.clone())
            ),
            (
                "orders".into(),
                "shop-dev-work-00000002".into(),
                None,
                Some(arn)
            ),
        ]
    );
    // Each statement lets one rule, by its ARN, invoke the function.
    assert_eq!(
        rule_statements(&cloud, "shop-dev-work"),
        [
            (
                "lade-rule-shop-dev-work-00000001".into(),
                "events.amazonaws.com".into(),
                Some("arn:aws:events:us-east-1:123456789012:rule/shop-dev-work-00000001".into())
            ),
            (
                "lade-rule-shop-dev-work-00000002".into(),
                "events.amazonaws.com".into(),
                Some(
                    "arn:aws:events:us-east-1:123456789012:rule/orders/shop-dev-work-00000002"
                        .into()
                )
            ),
        ]
    );
    let tags = cloud.snapshot().rules.into_values().next().unwrap().1;
    assert_eq!(tags["lade:project"], "shop");
    assert_eq!(tags["lade:function"], "shop-dev-work");
    let again = Engine::new(&cloud, &desired).plan().await;
    assert!(again.is_empty(), "{}", render::plan_text(&again));
    // A no-op apply changes nothing.
    cloud.clear_calls();
    Engine::new(&cloud, &desired).converge().await;
    assert!(cloud.mutations().is_empty(), "{:?}", cloud.mutations());
}

#[tokio::test]
async fn a_new_expression_updates_the_rule_in_place_and_reordering_changes_nothing() {
    let cloud = MemoryCloud::new();
    let nightly = schedule("shop-dev-work-00000001", "cron(0 3 * * ? *)");
    let often = schedule("shop-dev-work-00000002", "rate(5 minutes)");
    Engine::new(&cloud, &with_rules(vec![nightly.clone(), often.clone()]))
        .converge()
        .await;

    // The manifest lists them the other way round: the same rules.
    let swapped = with_rules(vec![often.clone(), nightly.clone()]);
    assert!(Engine::new(&cloud, &swapped).plan().await.is_empty());

    // A new expression hashes to a new name, but the live rule is updated under its own.
    let changed = with_rules(vec![
        schedule("shop-dev-work-00000003", "cron(30 4 * * ? *)"),
        often.clone(),
    ]);
    let plan = Engine::new(&cloud, &changed).plan().await;
    assert_eq!(ops(&plan), ["PutRule"], "{}", render::plan_text(&plan));
    assert!(matches!(
        &plan.steps[0].op,
        Op::EventBridge(EventBridgeOp::PutRule { rule, .. }) if rule == "shop-dev-work-00000001"
    ));
    let change = &plan.changes[0];
    assert_eq!(change.action, lade::diff::Action::Update);
    assert_eq!(
        change.fields[0].new,
        Some(FieldValue::Text("cron(30 4 * * ? *)".into()))
    );
    Engine::new(&cloud, &changed).converge().await;
    assert!(Engine::new(&cloud, &changed).plan().await.is_empty());
    let schedules: Vec<Option<String>> = rules_in(&cloud).into_iter().map(|r| r.2).collect();
    assert_eq!(
        schedules,
        [
            Some("cron(30 4 * * ? *)".into()),
            Some("rate(5 minutes)".into())
        ]
    );
}

#[tokio::test]
async fn removing_a_rule_deletes_exactly_it_and_its_permission() {
    let cloud = MemoryCloud::new();
    let first = schedule("shop-dev-work-00000001", "rate(1 hour)");
    let middle = orders("shop-dev-work-00000002");
    let last = schedule("shop-dev-work-00000003", "rate(1 day)");
    Engine::new(
        &cloud,
        &with_rules(vec![first.clone(), middle, last.clone()]),
    )
    .converge()
    .await;
    let desired = with_rules(vec![first, last]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert_eq!(ops(&plan), ["DeleteRule", "RemovePermission"]);
    Engine::new(&cloud, &desired).converge().await;
    let names: Vec<String> = rules_in(&cloud).into_iter().map(|r| r.1).collect();
    assert_eq!(names, ["shop-dev-work-00000001", "shop-dev-work-00000003"]);
    assert_eq!(rule_statements(&cloud, "shop-dev-work").len(), 2);
}

#[tokio::test]
async fn removing_a_function_deletes_its_rules_first_and_leaves_others_rules_alone() {
    let cloud = MemoryCloud::new();
    let mut desired = with_rules(vec![schedule("shop-dev-work-00000001", "rate(1 hour)")]);
    Engine::new(&cloud, &desired).converge().await;
    // A rule under lade's prefix that is not lade's: other tags.
    {
        let mut account = cloud.account.lock().unwrap();
        let (mut theirs, _) = account.rules.values().next().unwrap().clone();
        theirs.name = "shop-dev-theirs".into();
        account.rules.insert(
            "default/shop-dev-theirs".into(),
            (
                theirs,
                BTreeMap::from([("owner".to_string(), "them".to_string())]),
            ),
        );
    }
    assert!(Engine::new(&cloud, &desired).plan().await.is_empty());

    desired.functions.remove("work");
    let plan = Engine::new(&cloud, &desired).plan().await;
    let rule = position(&plan, |op| {
        matches!(op, Op::EventBridge(EventBridgeOp::DeleteRule { .. }))
    });
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-work"),
    );
    assert!(
        depends(&plan, function, rule),
        "{}",
        render::plan_text(&plan)
    );
    // The function takes its resource policy with it.
    assert!(
        !ops(&plan).contains(&"RemovePermission"),
        "{:?}",
        ops(&plan)
    );
    Engine::new(&cloud, &desired).converge().await;
    let names: Vec<String> = rules_in(&cloud).into_iter().map(|r| r.1).collect();
    assert_eq!(names, ["shop-dev-theirs"]);
}

#[tokio::test]
async fn a_function_renamed_keeps_its_rules_named_after_its_key() {
    let cloud = MemoryCloud::new();
    let mut desired = with_rules(vec![schedule("shop-dev-work-00000001", "rate(1 hour)")]);
    Engine::new(&cloud, &desired).converge().await;
    // A new physical name replaces the function; the rule's name comes from the key,
    // so the new function's rule has the old one's name: the old goes first.
    desired.functions.get_mut("work").unwrap().name = "shop-dev-labour".into();
    let plan = Engine::new(&cloud, &desired).plan().await;
    let delete = position(
        &plan,
        |op| matches!(op, Op::EventBridge(EventBridgeOp::DeleteRule { function, .. }) if function == "shop-dev-work"),
    );
    let put = position(
        &plan,
        |op| matches!(op, Op::EventBridge(EventBridgeOp::PutRule { function, .. }) if function == "shop-dev-labour"),
    );
    assert!(depends(&plan, put, delete), "{}", render::plan_text(&plan));
    Engine::new(&cloud, &desired).converge().await;
    let rules: Vec<(String, Option<String>)> =
        rules_in(&cloud).into_iter().map(|r| (r.1, r.3)).collect();
    assert_eq!(
        rules,
        [(
            "shop-dev-work-00000001".into(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:shop-dev-labour".into())
        )]
    );
    assert!(Engine::new(&cloud, &desired).plan().await.is_empty());
}

/// Someone else deletes `name` and makes a function of their own under it, untagged,
/// with the same configuration but other code (so that only a consistent read of its
/// tags can tell it from lade's).
fn recreate_untagged(cloud: &MemoryCloud, name: &str) {
    let mut account = cloud.account.lock().unwrap();
    let mut theirs = account.functions.remove(name).unwrap();
    theirs.tags = BTreeMap::from([("owner".to_string(), "someone".to_string())]);
    theirs.code_sha256 = "theirs".into();
    theirs.revision_id = "theirs".into();
    account.functions.insert(name.to_owned(), theirs);
}

#[tokio::test]
async fn a_function_re_created_under_a_lagging_index_is_not_touched() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // The tagging index still lists shop-dev-get with lade's tags, for hours.
    cloud.freeze_tag_index();
    recreate_untagged(&cloud, "shop-dev-get");
    let theirs = cloud.snapshot().functions["shop-dev-get"].clone();

    // The manifest still wants it (its code differs): the plan refuses.
    let engine = Engine::new(&cloud, &desired);
    let mut live = engine.read().await;
    assert!(
        live.functions.contains_key("shop-dev-get"),
        "the index alone makes it look like lade's"
    );
    let error = engine.build_owned(&mut live).await.unwrap_err();
    let PlanError::NotOwned(foreign) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(foreign[0].name, "shop-dev-get", "{error}");

    // Removed from the manifest: the plan does not delete it.
    let mut fewer = desired.clone();
    fewer.functions.remove("get");
    let plan = Engine::new(&cloud, &fewer).plan().await;
    assert!(
        plan.touched_functions().is_empty(),
        "nothing of theirs: {:?}",
        ops(&plan)
    );
    // Nor does a destroy, which still deletes what is lade's.
    let plan = Engine::new(&cloud, &desired).destroy_owned().await;
    let deleted: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::Lambda(LambdaOp::DeleteFunction { name }) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, ["shop-dev-list", "shop-dev-work"]);
    let run = Engine::new(&cloud, &desired).no_inputs().apply(&plan).await;
    assert!(run.outcome.is_success(), "{:?}", run.outcome);
    assert_eq!(cloud.snapshot().functions["shop-dev-get"], theirs);
}

#[tokio::test]
async fn delete_function_reads_the_owner_again_right_before() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let mut fewer = desired.clone();
    fewer.functions.remove("get");
    let plan = Engine::new(&cloud, &fewer).plan().await;
    assert_eq!(
        plan.touched_functions(),
        BTreeSet::from(["shop-dev-get".to_string()])
    );
    // Between the plan and its apply, someone re-creates it as their own.
    recreate_untagged(&cloud, "shop-dev-get");
    let theirs = cloud.snapshot().functions["shop-dev-get"].clone();
    let run = Engine::new(&cloud, &fewer).apply(&plan).await;
    assert_eq!(run.outcome.failed.len(), 1, "{:?}", run.outcome);
    let (_, error) = &run.outcome.failed[0];
    assert!(
        error.contains("function shop-dev-get is not lade's any more"),
        "{error}"
    );
    assert!(
        !run.calls.contains(&"DeleteFunction".to_string()),
        "{:?}",
        run.calls
    );
    assert_eq!(cloud.snapshot().functions["shop-dev-get"], theirs);

    // A function already gone counts as deleted.
    let plan = Engine::new(&cloud, &desired).destroy_owned().await;
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .remove("shop-dev-list");
    let run = Engine::new(&cloud, &desired).no_inputs().apply(&plan).await;
    assert!(run.outcome.is_success(), "{:?}", run.outcome);
}

#[tokio::test]
async fn destroy_right_after_apply_finds_functions_the_index_does_not_list_yet() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    // The index is taken before the apply, so it never lists the new functions.
    cloud.freeze_tag_index();
    converge(&cloud, &desired, &artifacts).await;
    let plan = Engine::new(&cloud, &desired).destroy_owned().await;
    assert_eq!(plan.summary().destroy, 5, "{:?}", ops(&plan));
    let run = Engine::new(&cloud, &desired).no_inputs().apply(&plan).await;
    assert!(run.outcome.is_success(), "{:?}", run.outcome);
    let account = cloud.snapshot();
    assert!(
        account.functions.is_empty(),
        "{:?}",
        account.functions.keys()
    );
    assert!(account.roles.is_empty(), "{:?}", account.roles.keys());
}

#[tokio::test]
async fn a_role_arn_or_managed_policy_that_does_not_exist_fails_the_plan() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let missing_role = format!("arn:aws:iam::{}:role/nobody", lade::cloud::memory::ACCOUNT);
    let own_policy = format!("arn:aws:iam::{}:policy/ours", lade::cloud::memory::ACCOUNT);
    let missing_policy = format!("arn:aws:iam::{}:policy/typo", lade::cloud::memory::ACCOUNT);
    desired.functions.get_mut("list").unwrap().role = RoleRef::Arn(missing_role.clone());
    let api = desired.roles.get_mut("api").unwrap();
    api.managed_policies.insert(own_policy.clone());
    api.managed_policies.insert(missing_policy.clone());
    cloud.account.lock().unwrap().policies.insert(own_policy);

    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let error = engine.build(&live).unwrap_err();
    assert!(matches!(error, PlanError::Missing(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "the manifest names AWS resources that do not exist:\n  \
             - functions.list.role: role {missing_role} does not exist in this account\n  \
             - roles.api.managed_policies: managed policy {missing_policy} does not exist\n\
             Correct the ARN in the manifest, or create the resource first."
        )
    );
    // One read each: the role, and the two policies that are not AWS's (BASIC is read
    // too: it is not attached yet).
    let calls = counted(&cloud);
    assert_eq!(calls["GetPolicy"], 3, "{:?}", cloud.calls());
    assert!(cloud.mutations().is_empty());

    // Fixed, it plans and applies; then a no-op plan reads none of them again.
    desired.functions.get_mut("list").unwrap().role = RoleRef::Key("api".into());
    desired
        .roles
        .get_mut("api")
        .unwrap()
        .managed_policies
        .remove(&missing_policy);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    cloud.clear_calls();
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert!(plan.is_empty(), "{:?}", ops(&plan));
    assert!(
        !counted(&cloud).contains_key("GetPolicy"),
        "{:?}",
        cloud.calls()
    );
}

/// Pruning reads every stage (`GetStages`): a deployment that another stage, or a
/// canary, serves is never pruned; and one a stage is moved to after the plan is read
/// again right before its `DeleteDeployment`, and kept without sending it.
#[tokio::test]
async fn pruning_leaves_deployments_that_any_stage_or_canary_serves() {
    let cloud = MemoryCloud::new();
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    deployed_times(&cloud, &mut desired, 7).await;
    let api = the_api(&cloud);
    let ids: Vec<String> = api.deployments.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        ids.len(),
        lade::kinds::rest_api::deployment::KEEP_DEPLOYMENTS
    );
    // A `prod` stage made outside lade serves the oldest, with a canary on the next.
    {
        let mut account = cloud.account.lock().unwrap();
        let api = account.apis.get_mut(&api.id).unwrap();
        api.other_stages.push(LiveStage {
            name: "prod".into(),
            deployment_id: ids[4].clone(),
            canary_deployment_id: Some(ids[3].clone()),
            tags: Default::default(),
        });
    }
    // (The seventh deployment routed to `get`.)
    desired.api.as_mut().unwrap().routes[0].function = "work".into();
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert!(ops(&plan).contains(&"CreateDeployment"), "{:?}", ops(&plan));
    assert!(deleted_deployments(&plan).is_empty(), "{:?}", ops(&plan));
    let api = the_api(&cloud);
    assert!(api.deployments.iter().any(|d| d.id == ids[4]));
    assert!(api.deployments.iter().any(|d| d.id == ids[3]));
    assert_eq!(
        api.other_stages[0].deployment_id, ids[4],
        "prod is not lade's"
    );

    // Once prod moves on, the old ones are pruned again; but prod moves onto the one
    // to prune between the plan and the apply.
    {
        let mut account = cloud.account.lock().unwrap();
        let api = account.apis.get_mut(&api.id).unwrap();
        api.other_stages[0].deployment_id = api.deployments[0].id.clone();
        api.other_stages[0].canary_deployment_id = None;
    }
    desired.api.as_mut().unwrap().routes[0].function = "list".into();
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let doomed = deleted_deployments(&plan);
    assert_eq!(doomed, [ids[3].clone(), ids[4].clone()], "{:?}", ops(&plan));
    {
        let mut account = cloud.account.lock().unwrap();
        account.apis.get_mut(&api.id).unwrap().other_stages[0].deployment_id = ids[4].clone();
    }
    let run = Engine::new(&cloud, &desired).apply(&plan).await;
    assert!(run.outcome.is_success(), "{:?}", run.outcome);
    let [(_, reason)] = &run.outcome.kept[..] else {
        panic!("one prune kept: {:?}", run.outcome);
    };
    assert_eq!(
        reason,
        &format!(
            "deployment {} is in use: stage prod (or its canary) points at it",
            ids[4]
        )
    );
    let deletes = run
        .calls
        .iter()
        .filter(|c| *c == "DeleteDeployment")
        .count();
    assert_eq!(deletes, 1, "only the free one was sent: {:?}", run.calls);
    let api = the_api(&cloud);
    assert!(api.deployments.iter().any(|d| d.id == ids[4]));
    assert!(!api.deployments.iter().any(|d| d.id == ids[3]));
}

/// Lambda's runtime end of life, against the day the manifest was checked on: a runtime
/// `CreateFunction` refuses stops a plan that creates a function with it, but not one
/// that only updates an existing function (Lambda still allows that until its update
/// block); deprecated runtimes are warned about in the plan.
#[tokio::test]
async fn runtimes_past_their_create_block_stop_creates_but_not_updates() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    // python3.10: deprecated 2026-10-31, create blocked 2026-11-30, update blocked
    // 2027-01-15. Before its create block, everything is created, with a warning.
    for f in desired.functions.values_mut() {
        f.runtime = "python3.10".into();
    }
    desired.today = lade::runtimes::date(2026, 11, 1);
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert_eq!(plan.warnings.len(), 3, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("runtime `python3.10` is deprecated since 2026-10-31"));
    assert!(render::plan_text(&plan).contains("Warning: function `get`: runtime `python3.10`"));
    assert!(
        render::markdown::plan(&plan)
            .contains("> [!WARNING]\n> function \\`get\\`: runtime \\`python3.10\\`")
    );
    let json: serde_json::Value = serde_json::from_str(&render::plan_json(&plan)).unwrap();
    assert_eq!(json["warnings"].as_array().unwrap().len(), 3);

    // After the create block: a new function is refused, naming it...
    desired.today = lade::runtimes::date(2026, 12, 2);
    let mut more = desired.clone();
    more.functions.insert(
        "new".into(),
        Function {
            runtime: "python3.10".into(),
            ..function("new", "api")
        },
    );
    let live = live::read(&cloud, &more).await.unwrap();
    match plan::build(&more, &live, &fixtures::artifacts(&more)) {
        Err(PlanError::RuntimeBlocked(functions)) => {
            assert_eq!(functions.len(), 1, "{functions:?}");
            assert!(
                functions[0]
                    .starts_with("function `new` would be created with runtime `python3.10`")
            );
        }
        other => panic!("expected RuntimeBlocked, got {other:?}"),
    }
    // ...while the existing ones can still be updated, with a warning.
    for f in desired.functions.values_mut() {
        f.memory = 256;
    }
    let live = live::read(&cloud, &desired).await.unwrap();
    let plan = plan::build(&desired, &live, &artifacts).unwrap();
    assert!(!plan.is_empty());
    assert!(plan.warnings[0].contains("no longer creates functions with runtime `python3.10`"));

    // A current runtime brings no warning.
    let mut current = fixtures::desired_of([], [function("x", "api")], None);
    current.functions.get_mut("x").unwrap().role =
        RoleRef::Arn("arn:aws:iam::123456789012:role/x".into());
    let plan = plan::build(&current, &Live::default(), &fixtures::artifacts(&current)).unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

/// The manifest counts references at their longest, but apply checks the resolved
/// configuration again before the call: an environment over Lambda's 4 KB fails its
/// step without a request (a model built by hand skips the manifest's check).
#[tokio::test]
async fn an_environment_over_4_kb_fails_before_lambda_is_asked() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired
        .functions
        .get_mut("list")
        .unwrap()
        .environment
        .insert(
            "BIG".into(),
            EnvValue::text("x".repeat(lade::limits::ENVIRONMENT_BYTES)),
        );
    let artifacts = artifacts(&desired);
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let run = Engine::new(&cloud, &desired)
        .artifacts(&artifacts)
        .apply(&plan)
        .await;
    assert_eq!(run.outcome.failed.len(), 1, "{:?}", run.outcome.failed);
    let reason = &run.outcome.failed[0].1;
    assert!(
        reason.contains("function shop-dev-list cannot be sent to Lambda")
            && reason.contains("over Lambda's limit of 4096"),
        "{reason}"
    );
    let creates = run
        .calls
        .iter()
        .filter(|c| c.contains("CreateFunction"))
        .count();
    assert_eq!(
        creates, 2,
        "the other two functions are created: {:?}",
        run.calls
    );
}

/// A permissions boundary: set by `CreateRole` itself on a new role (no second
/// call), changed with exactly one `PutRolePermissionsBoundary`, removed with exactly
/// one `DeleteRolePermissionsBoundary`, each shown as a field change of the role.
#[tokio::test]
async fn a_permissions_boundary_is_one_field_and_one_call() {
    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/lade-boundary";
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired.roles.get_mut("api").unwrap().boundary = Some(BOUNDARY.into());
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;
    let created = plan
        .steps
        .iter()
        .find_map(|s| match &s.op {
            Op::Iam(IamOp::CreateRole { role }) if role.name == "shop-dev-api" => Some(role),
            _ => None,
        })
        .unwrap();
    assert_eq!(created.boundary.as_deref(), Some(BOUNDARY));
    assert!(!ops(&plan).contains(&"PutRolePermissionsBoundary"));
    assert_eq!(
        cloud.account.lock().unwrap().roles["shop-dev-api"]
            .boundary
            .as_deref(),
        Some(BOUNDARY)
    );

    // Moved to another boundary on the worker, removed from `api`.
    desired.roles.get_mut("api").unwrap().boundary = None;
    desired.roles.get_mut("worker").unwrap().boundary = Some(BOUNDARY.into());
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert_eq!(
        ops(&plan),
        [
            "DeleteRolePermissionsBoundary",
            "PutRolePermissionsBoundary"
        ]
    );
    let fields: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|c| {
            c.fields
                .iter()
                .map(move |f| format!("{} {}", c.name, f.field))
        })
        .collect();
    assert_eq!(
        fields,
        [
            "shop-dev-api permissions boundary",
            "shop-dev-worker permissions boundary"
        ]
    );
    let account = cloud.account.lock().unwrap();
    assert_eq!(account.roles["shop-dev-api"].boundary, None);
    assert_eq!(
        account.roles["shop-dev-worker"].boundary.as_deref(),
        Some(BOUNDARY)
    );
}

#[tokio::test]
async fn a_trigger_on_a_role_lade_does_not_manage_says_what_the_role_must_allow() {
    let cloud = MemoryCloud::new();
    let mut desired = with_triggers(vec![queue(JOBS, 10)]);
    let arn = "arn:aws:iam::123456789012:role/existing";
    desired.functions.get_mut("work").unwrap().role = RoleRef::Arn(arn.into());
    cloud.account.lock().unwrap().roles.insert(
        "existing".into(),
        LiveRole {
            name: "existing".into(),
            arn: arn.into(),
            path: "/".into(),
            trust_policy: json!({}),
            managed_policies: Default::default(),
            inline_policies: Default::default(),
            boundary: None,
        },
    );
    let plan = Engine::new(&cloud, &desired).plan().await;
    let note = plan
        .warnings
        .iter()
        .find(|w| w.contains("for its trigger from"))
        .unwrap_or_else(|| panic!("{:?}", plan.warnings));
    assert!(note.contains(arn), "{note}");
    assert!(
        note.contains(&format!("sqs:ReceiveMessage on {JOBS}")),
        "{note}"
    );
}
// ---- function URLs ----

fn url(auth: UrlAuth, origins: &[&str]) -> UrlSettings {
    UrlSettings {
        auth,
        cors: Cors {
            allow_origins: origins.iter().map(|o| o.to_string()).collect(),
            ..Cors::default()
        }
        .non_empty(),
        invoke_mode: InvokeMode::Buffered,
    }
}

/// `desired()` with the `work` function given a URL.
fn with_url(settings: Option<UrlSettings>) -> Desired {
    let mut desired = desired();
    desired.functions.get_mut("work").unwrap().url = settings;
    desired
}

/// lade's public statements on `shop-dev-work`, by id.
fn public_sids(cloud: &MemoryCloud) -> Vec<String> {
    cloud
        .snapshot()
        .permissions
        .get("shop-dev-work")
        .into_iter()
        .flatten()
        .map(|p| p.sid.clone())
        .collect()
}

#[tokio::test]
async fn a_public_url_comes_after_its_function_with_both_statements_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = with_url(Some(url(UrlAuth::None, &["*"])));
    let plan = Engine::new(&cloud, &desired).plan().await;
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-work"),
    );
    let create = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::CreateFunctionUrlConfig { .. }))
    });
    assert!(
        depends(&plan, create, function),
        "{}",
        render::plan_text(&plan)
    );
    for statement in PublicStatement::ALL {
        let add = position(
            &plan,
            |op| matches!(op, Op::Lambda(LambdaOp::AddUrlPermission { statement: s, .. }) if *s == statement),
        );
        assert!(depends(&plan, add, create), "{}", render::plan_text(&plan));
    }
    Engine::new(&cloud, &desired).converge().await;
    let account = cloud.snapshot();
    let live = &account.function_urls["shop-dev-work"];
    assert_eq!(live.settings, url(UrlAuth::None, &["*"]));
    assert_eq!(
        account.functions["shop-dev-work"].tags.get("lade:url"),
        Some(&"1".to_string()),
        "the mark that later reads look for"
    );
    assert_eq!(
        public_sids(&cloud),
        ["lade-url-public", "lade-url-public-invoke"]
    );
    let again = Engine::new(&cloud, &desired).plan().await;
    assert!(again.is_empty(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn a_cors_change_is_one_update_and_auth_iam_removes_the_statements_first() {
    let cloud = MemoryCloud::new();
    Engine::new(&cloud, &with_url(Some(url(UrlAuth::None, &["*"]))))
        .converge()
        .await;

    let desired = with_url(Some(url(UrlAuth::None, &["https://example.com"])));
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert_eq!(ops(&plan), ["UpdateFunctionUrlConfig"]);
    let change = &plan.changes[0];
    assert_eq!(change.fields.len(), 1, "{:?}", change.fields);
    assert_eq!(change.fields[0].field, lade::diff::Field::AllowOrigins);
    Engine::new(&cloud, &desired).converge().await;

    let desired = with_url(Some(url(UrlAuth::Iam, &["https://example.com"])));
    let plan = Engine::new(&cloud, &desired).plan().await;
    let update = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::UpdateFunctionUrlConfig { .. }))
    });
    let removes: Vec<usize> = (0..plan.steps.len())
        .filter(|&i| {
            matches!(
                plan.steps[i].op,
                Op::Lambda(LambdaOp::RemoveUrlPermission { .. })
            )
        })
        .collect();
    assert_eq!(removes.len(), 2, "{}", render::plan_text(&plan));
    for remove in removes {
        assert!(
            depends(&plan, update, remove),
            "nothing is public once the URL needs auth: {}",
            render::plan_text(&plan)
        );
    }
    Engine::new(&cloud, &desired).converge().await;
    assert!(public_sids(&cloud).is_empty());
    assert_eq!(
        cloud.snapshot().function_urls["shop-dev-work"]
            .settings
            .auth,
        UrlAuth::Iam
    );
}

#[tokio::test]
async fn a_removed_url_goes_with_its_mark_and_no_url_means_no_reads() {
    let cloud = MemoryCloud::new();
    Engine::new(&cloud, &with_url(Some(url(UrlAuth::None, &[]))))
        .converge()
        .await;

    let desired = with_url(None);
    let plan = Engine::new(&cloud, &desired).plan().await;
    let delete = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::DeleteFunctionUrlConfig { .. }))
    });
    for i in 0..plan.steps.len() {
        if matches!(
            plan.steps[i].op,
            Op::Lambda(LambdaOp::RemoveUrlPermission { .. })
        ) {
            assert!(depends(&plan, delete, i), "{}", render::plan_text(&plan));
        }
    }
    Engine::new(&cloud, &desired).converge().await;
    let account = cloud.snapshot();
    assert!(account.function_urls.is_empty());
    assert!(public_sids(&cloud).is_empty());
    assert!(
        !account.functions["shop-dev-work"]
            .tags
            .contains_key("lade:url")
    );

    // With no URL wanted or marked, a plan reads no URL and no resource policy.
    cloud.clear_calls();
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert!(plan.is_empty(), "{}", render::plan_text(&plan));
    let counts = counted(&cloud);
    assert!(!counts.contains_key("GetFunctionUrlConfig"), "{counts:?}");
    assert!(!counts.contains_key("GetPolicy"), "{counts:?}");
}

#[tokio::test]
async fn a_url_is_deleted_before_its_function_and_found_by_its_mark_alone() {
    let cloud = MemoryCloud::new();
    Engine::new(&cloud, &with_url(Some(url(UrlAuth::Iam, &[]))))
        .converge()
        .await;

    // The manifest drops the function: only the mark says it has a URL.
    let mut desired = desired();
    desired.functions.remove("work");
    let plan = Engine::new(&cloud, &desired).plan().await;
    let url = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::DeleteFunctionUrlConfig { .. }))
    });
    let function = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::DeleteFunction { name }) if name == "shop-dev-work"),
    );
    assert!(
        depends(&plan, function, url),
        "{}",
        render::plan_text(&plan)
    );
    Engine::new(&cloud, &desired).converge().await;
    assert!(cloud.snapshot().function_urls.is_empty());
}

#[tokio::test]
async fn a_function_url_reference_is_filled_in_after_the_url_is_made() {
    let cloud = MemoryCloud::new();
    let mut desired = with_url(Some(url(UrlAuth::None, &[])));
    desired.functions.get_mut("list").unwrap().environment = BTreeMap::from([(
        "WORK_URL".to_string(),
        refs(vec![Part::Ref(CrossRef::FunctionUrl("work".into()))]),
    )]);
    let plan = Engine::new(&cloud, &desired).plan().await;
    let url = position(&plan, |op| {
        matches!(op, Op::Lambda(LambdaOp::CreateFunctionUrlConfig { .. }))
    });
    let list = position(
        &plan,
        |op| matches!(op, Op::Lambda(LambdaOp::CreateFunction { name, .. }) if name == "shop-dev-list"),
    );
    assert!(depends(&plan, list, url), "{}", render::plan_text(&plan));
    Engine::new(&cloud, &desired).converge().await;
    let account = cloud.snapshot();
    assert_eq!(
        account.functions["shop-dev-list"].environment["WORK_URL"],
        account.function_urls["shop-dev-work"].url
    );
    let again = Engine::new(&cloud, &desired).plan().await;
    assert!(again.is_empty(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn url_steps_explain_as_aws_cli_commands() {
    let cloud = MemoryCloud::new();
    let desired = with_url(Some(url(UrlAuth::None, &["https://example.com"])));
    let plan = Engine::new(&cloud, &desired).plan().await;
    let explained = render::explain::plan(&plan);
    for expected in [
        "aws lambda create-function-url-config",
        "--auth-type NONE",
        r#"--cors '{"AllowOrigins":["https://example.com"],"AllowMethods":[]"#,
        "--tags lade:url=1",
        "--function-url-auth-type NONE",
        "--invoked-via-function-url",
        "--statement-id lade-url-public-invoke",
    ] {
        assert!(explained.contains(expected), "{expected}:\n{explained}");
    }
}

#[tokio::test]
async fn a_no_op_plan_reads_one_url_and_one_policy_per_function_with_a_url() {
    let cloud = MemoryCloud::new();
    let desired = with_url(Some(url(UrlAuth::None, &[])));
    Engine::new(&cloud, &desired).converge().await;
    cloud.clear_calls();
    let plan = Engine::new(&cloud, &desired).plan().await;
    assert!(plan.is_empty(), "{}", render::plan_text(&plan));
    let counts = counted(&cloud);
    // Only `work` has a URL: the other two functions cost no URL and no policy read.
    assert_eq!(counts.get("GetFunctionUrlConfig"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("GetPolicy"), Some(&1), "{counts:?}");
    assert!(!counts.contains_key("GetFunction"), "{counts:?}");
}

#[tokio::test]
async fn a_url_plan_round_trips_through_json_create_update_and_delete() {
    let cloud = MemoryCloud::new();
    let mut desired = with_url(Some(url(UrlAuth::None, &["*"])));
    let round_trip = |plan: &Plan| {
        let back: Plan = serde_json::from_str(&render::plan_json(plan)).unwrap();
        assert_eq!(&back, plan);
    };
    round_trip(&Engine::new(&cloud, &desired).plan().await);
    Engine::new(&cloud, &desired).converge().await;
    desired = with_url(Some(url(UrlAuth::Iam, &["https://example.com"])));
    round_trip(&Engine::new(&cloud, &desired).plan().await);
    desired = with_url(None);
    round_trip(&Engine::new(&cloud, &desired).plan().await);
}

#[tokio::test]
async fn a_named_stage_moves_and_lade_deletes_only_the_stages_it_made() {
    let cloud = MemoryCloud::new();
    // First on the lade stage `dev`, as before `api.stage` existed (no tags).
    let mut desired = with_api(desired(), vec![route("GET", "/a", "list")]);
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let api = the_api(&cloud);
    assert_eq!(api.stage.as_ref().unwrap().name, "dev");
    // A stage made outside lade, with no tags: never lade's to delete.
    {
        let mut account = cloud.account.lock().unwrap();
        let live = account.apis.get_mut(&api.id).unwrap();
        live.other_stages.push(LiveStage {
            name: "manual".into(),
            deployment_id: api.deployments[0].id.clone(),
            canary_deployment_id: None,
            tags: Default::default(),
        });
    }
    let stage_names = |cloud: &MemoryCloud| -> BTreeSet<String> {
        let api = the_api(cloud);
        api.stage
            .iter()
            .chain(&api.other_stages)
            .map(|s| s.name.clone())
            .collect()
    };

    // `stage: v1`: a deployment on a new, tagged stage; `dev` (the lade stage) goes
    // after it.
    desired.api.as_mut().unwrap().stage = "v1".into();
    let plan = converge(&cloud, &desired, &artifacts).await;
    let deploy = position(&plan, |op| {
        matches!(
            op,
            Op::ApiGateway(RestApiOp::CreateDeployment { stage, new_stage_tags: Some(tags), .. })
                if stage == "v1" && tags == &scope().ownership_tags()
        )
    });
    let delete_dev = position(
        &plan,
        |op| matches!(op, Op::ApiGateway(RestApiOp::DeleteStage { stage, .. }) if stage == "dev"),
    );
    assert!(depends(&plan, delete_dev, deploy));
    assert_eq!(
        stage_names(&cloud),
        ["manual", "v1"].map(String::from).into()
    );
    assert!(
        plan_for(&cloud, &desired, &artifacts)
            .await
            .steps
            .is_empty()
    );
    let live = live::read(&cloud, &desired).await.unwrap();
    let outputs = lade::outputs::collect(&live, desired.api_stage(), "us-east-1");
    let url = serde_json::to_value(&outputs).unwrap()["api"]["url"].clone();
    assert!(url.as_str().unwrap().ends_with("/v1"), "{url}");

    // `stage: v2`: v1 is known as lade's by its tags and deleted; `manual` stays.
    desired.api.as_mut().unwrap().stage = "v2".into();
    let plan = converge(&cloud, &desired, &artifacts).await;
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| matches!(s.op, Op::ApiGateway(RestApiOp::DeleteStage { .. })))
            .count(),
        1
    );
    assert_eq!(
        stage_names(&cloud),
        ["manual", "v2"].map(String::from).into()
    );
    assert!(
        plan_for(&cloud, &desired, &artifacts)
            .await
            .steps
            .is_empty()
    );
}
