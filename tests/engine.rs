//! The engine (diff → plan → apply) against the in-memory cloud: ordering, minimal
//! calls, convergence. No AWS, no manifest parsing: models are built directly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use lade::apply::{self, Silent};
use lade::cloud::memory::{MemoryCloud, code_sha256};
use lade::model::*;
use lade::plan::{self, Op, Plan, PlanError};
use lade::{live, render};
use serde_json::json;

fn scope() -> Scope {
    Scope {
        project: "shop".into(),
        stage: "dev".into(),
    }
}

fn role(key: &str, managed: &[&str], inline: &[(&str, serde_json::Value)]) -> Role {
    Role {
        key: key.into(),
        name: scope().physical_name(key),
        path: scope().iam_path(),
        trust_services: BTreeSet::from([DEFAULT_TRUST_SERVICE.to_string()]),
        managed_policies: managed.iter().map(|s| s.to_string()).collect(),
        inline_policies: inline
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

fn function(key: &str, role_key: &str) -> Function {
    Function {
        key: key.into(),
        name: scope().physical_name(key),
        source: Source::Zip {
            path: PathBuf::from(format!("{key}.zip")),
        },
        handler: "app.handler".into(),
        runtime: "python3.12".into(),
        role: RoleRef::Key(role_key.into()),
        memory: 128,
        timeout: 3,
        environment: BTreeMap::from([("TABLE".to_string(), "items".to_string())]),
        description: String::new(),
        architecture: Architecture::X86_64,
        tags: BTreeMap::from([("team".to_string(), "web".to_string())]),
    }
}

const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

fn read_policy() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]})
}

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
    }
}

fn artifact(bytes: &[u8]) -> Artifact {
    Artifact {
        sha256: code_sha256(bytes),
        bytes: Arc::new(bytes.to_vec()),
    }
}

fn artifacts(desired: &Desired) -> BTreeMap<String, Artifact> {
    desired
        .functions
        .keys()
        .map(|key| (key.clone(), artifact(format!("zip of {key}").as_bytes())))
        .collect()
}

async fn plan_for(
    cloud: &MemoryCloud,
    desired: &Desired,
    artifacts: &BTreeMap<String, Artifact>,
) -> Plan {
    let live = live::read(cloud, desired).await.unwrap();
    plan::build(desired, &live, artifacts).unwrap()
}

async fn converge(
    cloud: &MemoryCloud,
    desired: &Desired,
    artifacts: &BTreeMap<String, Artifact>,
) -> Plan {
    let plan = plan_for(cloud, desired, artifacts).await;
    let outcome = apply::execute(&plan, artifacts, cloud, &Silent, 8).await;
    assert!(outcome.is_success(), "apply failed: {outcome:?}");
    plan
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
    let role_named =
        |n: &'static str| move |op: &Op| matches!(op, Op::CreateRole { role } if role.name == n);
    let function_named =
        |n: &'static str| move |op: &Op| matches!(op, Op::CreateFunction { name, .. } if name == n);
    let create_api = position(&plan, role_named("shop-dev-api"));
    let create_worker = position(&plan, role_named("shop-dev-worker"));
    let put_read = position(
        &plan,
        |op| matches!(op, Op::PutRolePolicy { policy, .. } if policy == "read"),
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
    let outcome = apply::execute(&again, &artifacts, &cloud, &Silent, 8).await;
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
    assert_eq!(plan.changes[0].fields[0].old, Some(json!(128)));
    assert_eq!(plan.changes[0].fields[0].new, Some(json!(512)));
    cloud.clear_calls();
    apply::execute(&plan, &artifacts, &cloud, &Silent, 8).await;
    assert_eq!(cloud.mutations(), ["UpdateFunctionConfiguration"]);
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
    apply::execute(&plan, &changed, &cloud, &Silent, 8).await;
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
    assert!(matches!(&plan.steps[0].op, Op::DeleteFunction { name } if name == "shop-dev-get"));
    apply::execute(&plan, &artifacts, &cloud, &Silent, 8).await;
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
    let delete_role = position(&plan, |op| matches!(op, Op::DeleteRole { .. }));
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
    let outcome = apply::execute(&plan, &artifacts, &cloud, &Silent, 8).await;
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
    let outcome = apply::execute(&plan, &artifacts, &cloud, &Silent, 8).await;
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
    let live = live::read(&cloud, &desired).await.unwrap();
    let error = plan::build(&desired, &live, &artifacts).unwrap_err();
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
    let plan = plan::destroy(&desired.scope, None, &live).unwrap();
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(&s.op, Op::DeleteFunction { name } if name == "shop-dev-get"))
    );
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

    let live = live::read(&cloud, &desired).await.unwrap();
    let plan = plan::destroy(&desired.scope, None, &live).unwrap();
    assert_eq!(
        plan.summary(),
        plan::Summary {
            add: 0,
            change: 0,
            destroy: 5
        }
    );
    let outcome = apply::execute(&plan, &BTreeMap::new(), &cloud, &Silent, 8).await;
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
    let outcome = apply::execute(&plan, &changed, &cloud, &Silent, 8).await;
    assert_eq!(outcome.failed.len(), 1);
    assert!(
        outcome.failed[0].1.contains("changed since the plan"),
        "{:?}",
        outcome.failed
    );
    assert_eq!(outcome.succeeded.len(), plan.steps.len() - 1);
    let text = render::outcome_text(&plan, &outcome);
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
    get.environment.insert("MODE".into(), "fast".into());
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
