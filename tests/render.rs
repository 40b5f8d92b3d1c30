//! The renderers a person reads besides `lade plan`'s text: Markdown for GitHub,
//! `--explain` with the equivalent `aws` commands, and the Mermaid and DOT graphs.
//!
//! Plans are built against the in-memory cloud, as in `tests/engine.rs`: one cold
//! plan that creates roles, functions and an API, and one after a converge that
//! updates, deletes, retargets a route and changes an environment with a secret.

use std::collections::BTreeSet;

use lade::cloud::memory::MemoryCloud;
use lade::diff::env::PlannedValue;
use lade::diff::{Action, Change};
use lade::model::*;
use lade::plan::address::Address;
use lade::plan::{self, LambdaOp, Op, Plan, Step};
use lade::render;
use lade::render::{explain, graph, markdown};
use serde_json::json;

mod fixtures;
use fixtures::*;

// ---- fixtures (as in tests/engine.rs) ----

const CANARY: &str = "canary-secret-xyz";

/// Two roles, three functions, four routes.
fn desired() -> Desired {
    let roles = [
        role("api", &[BASIC], &[("read", read_policy())]),
        role("worker", &[BASIC], &[]),
    ];
    let mut list = function("list", "api");
    list.description = "Lists the shop's items".into();
    list.environment.insert(
        "WORKER".into(),
        EnvValue {
            parts: vec![Part::Ref(CrossRef::FunctionArn("work".into()))],
            sensitive: false,
        },
    );
    let functions = [list, function("get", "api"), function("work", "worker")];
    Desired {
        scope: scope(),
        region: Some("us-east-1".into()),
        roles: roles.into_iter().map(|r| (r.key.clone(), r)).collect(),
        functions: functions.into_iter().map(|f| (f.key.clone(), f)).collect(),
        api: Some(Api::rest(
            ApiSettings {
                name: "shop-dev".into(),
                description: String::new(),
                endpoint: Endpoint::Regional,
                binary_media_types: BTreeSet::new(),
            },
            vec![
                route("GET", "/items", "list"),
                route("POST", "/items", "list"),
                route("GET", "/items/{id}", "get"),
                route("ANY", "/admin/{proxy+}", "work"),
            ],
            "dev",
        )),
        uses_account: false,
        today: lade::runtimes::date(2026, 12, 2),
    }
}

/// The plan that creates everything in an empty account.
async fn cold_plan() -> Plan {
    let cloud = MemoryCloud::new();
    let desired = desired();
    plan_for(&cloud, &desired, &artifacts(&desired)).await
}

/// After a converge: an update, deletes, a retargeted route, new code, a changed
/// policy, and an environment change that adds a secret.
async fn change_plan() -> Plan {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    let mut artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    // Drift: someone changes a timeout in the console.
    cloud
        .account
        .lock()
        .unwrap()
        .functions
        .get_mut("shop-dev-list")
        .unwrap()
        .timeout = 99;

    // A replace: `get` gets a new physical name (and more memory).
    desired.functions.get_mut("get").unwrap().name = "shop-dev-fetch".into();
    desired.functions.get_mut("get").unwrap().memory = 256;
    let list = desired.functions.get_mut("list").unwrap();
    list.environment
        .insert("TABLE".into(), EnvValue::text("items-v2"));
    list.environment.insert(
        "API_KEY".into(),
        EnvValue {
            parts: vec![Part::Text(CANARY.into())],
            sensitive: true,
        },
    );
    list.environment.remove("WORKER");
    artifacts.insert("list".into(), artifact(b"list v2"));
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
    let api = desired.api.as_mut().unwrap();
    api.routes.retain(|r| r.path != "/admin/{proxy+}");
    api.routes[1].function = "get".into(); // POST /items → get
    plan_for(&cloud, &desired, &artifacts).await
}

/// The plan with its random parts (the salt, and the salted hashes) fixed, so that a
/// snapshot shows only what the renderers chose to print.
fn fixed(mut plan: Plan) -> Plan {
    plan.salt = "SALT".into();
    for step in &mut plan.steps {
        if let Op::Lambda(LambdaOp::CreateFunction { settings, .. })
        | Op::Lambda(LambdaOp::UpdateFunctionConfiguration { settings, .. }) = &mut step.op
        {
            for value in settings.environment.values_mut() {
                if let PlannedValue::Sensitive { hash } = value {
                    *hash = "HASH".into();
                }
            }
        }
    }
    plan
}

/// Every renderer's output for `plan`, one after another.
fn everything(plan: &Plan) -> String {
    [
        markdown::plan(plan),
        explain::plan(plan),
        graph::mermaid(plan),
        graph::dot(plan),
    ]
    .concat()
}

// ---- snapshots of the two plans ----

/// The text and JSON forms of a plan with creates, updates, deletes, a replace, a
/// policy diff, an environment diff with a secret, and drift.
#[tokio::test]
async fn change_plan_text_and_json() {
    let plan = fixed(change_plan().await);
    let text = render::plan_text(&plan);
    assert!(
        text.contains("-/+ function shop-dev-fetch (get), replacing shop-dev-get"),
        "{text}"
    );
    assert!(text.contains("(changed outside lade)"), "{text}");
    assert!(text.contains("timeout: 99 → 3"), "{text}");
    assert!(text.contains("+ API_KEY = (sensitive)"), "{text}");
    insta::assert_snapshot!(text);
    let json: serde_json::Value = serde_json::from_str(&render::plan_json(&plan)).unwrap();
    insta::assert_json_snapshot!(json, {
        ".fingerprints.*" => "[hash]",
        ".artifacts.*" => "[sha256]",
    });
}

#[tokio::test]
async fn cold_plan_markdown() {
    let plan = fixed(cold_plan().await);
    let text = markdown::plan(&plan);
    assert!(
        text.contains("**Plan: 14 to add, 0 to change, 0 to destroy.**"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn cold_plan_explain() {
    let plan = fixed(cold_plan().await);
    let text = explain::plan(&plan);
    for expected in [
        "aws iam create-role",
        "--path /lade/shop/dev/",
        "--assume-role-policy-document '{\"Version\":\"2012-10-17\"",
        "Key=lade:project,Value=shop Key=lade:stage,Value=dev",
        "--zip-file fileb://.lade/package/list.zip",
        "--role '<arn of role shop-dev-api>'",
        // The role is made by the plan: the reader computes the record's fingerprint.
        "LADE_CONFIG=$(printf %s '[\"app.handler\",\"python3.12\",\"<arn of role shop-dev-api>\",",
        "\\\"lade:config\\\":\\\"$LADE_CONFIG\\\"",
        "--description 'Lists the shop'\\''s items'",
        "--endpoint-configuration types=REGIONAL",
        "--parent-id '<resource-id:/items>'",
        "--path-part '{id}'",
        "--type AWS_PROXY",
        "--integration-http-method POST",
        "--principal apigateway.amazonaws.com",
        "--stage-name dev",
        "\"WORKER\":\"<arn of function shop-dev-work>\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn cold_plan_graphs() {
    let plan = fixed(cold_plan().await);
    let mermaid = graph::mermaid(&plan);
    let edges = plan.steps.iter().map(|s| s.depends_on.len()).sum::<usize>();
    assert_eq!(mermaid.matches(" --> ").count(), edges);
    assert_eq!(graph::dot(&plan).matches(" -> ").count(), edges);
    insta::assert_snapshot!("cold_plan_mermaid", mermaid);
    insta::assert_snapshot!("cold_plan_dot", graph::dot(&plan));
}

#[tokio::test]
async fn change_plan_markdown() {
    let plan = fixed(change_plan().await);
    let text = markdown::plan(&plan);
    assert!(text.contains("```diff"), "documents show as diffs:\n{text}");
    assert!(
        text.contains("`shop-dev-list` → `shop-dev-fetch`"),
        "{text}"
    );
    assert!(text.contains("| replaces shop-dev-get |"), "{text}");
    assert!(
        text.contains("timeout, environment, code (changed outside lade) |"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn change_plan_explain() {
    let plan = fixed(change_plan().await);
    let text = explain::plan(&plan);
    for expected in [
        "\"API_KEY\":\"<sensitive>\"",
        "aws lambda update-function-code \\\n",
        "aws lambda delete-function --function-name shop-dev-work",
        "aws lambda delete-function --function-name shop-dev-get",
        "aws iam delete-role --role-name shop-dev-worker",
        "aws apigateway delete-method",
        "aws iam detach-role-policy",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn change_plan_graphs() {
    let plan = fixed(change_plan().await);
    let mermaid = graph::mermaid(&plan);
    assert!(mermaid.contains("class "), "deletes are marked:\n{mermaid}");
    insta::assert_snapshot!("change_plan_mermaid", mermaid);
    insta::assert_snapshot!("change_plan_dot", graph::dot(&plan));
}

// ---- properties ----

#[tokio::test]
async fn no_renderer_prints_a_secret() {
    let plan = change_plan().await;
    let printed = everything(&plan) + &render::plan_text(&plan) + &render::plan_json(&plan);
    assert!(
        plan.steps.iter().any(|s| matches!(&s.op,
            Op::Lambda(LambdaOp::UpdateFunctionConfiguration { settings, .. })
                if matches!(settings.environment.get("API_KEY"), Some(PlannedValue::Sensitive { .. })))),
        "the plan carries the secret, as a hash"
    );
    assert!(!printed.contains(CANARY), "the secret leaked:\n{printed}");
}

#[tokio::test]
async fn output_does_not_depend_on_the_random_salt() {
    // Two plans of the same change differ in their salt and hashes, never in print.
    let (a, b) = (change_plan().await, change_plan().await);
    assert_ne!(a.salt, b.salt);
    assert_eq!(everything(&a), everything(&b));
}

#[tokio::test]
async fn an_empty_plan_says_no_changes() {
    let cloud = MemoryCloud::new();
    let desired = desired();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert!(plan.is_empty());
    assert!(markdown::plan(&plan).contains("No changes."));
    assert!(explain::plan(&plan).starts_with("No changes."));
    assert!(graph::mermaid(&plan).contains("No changes"));
    assert!(graph::dot(&plan).contains("No changes"));
}

/// A plan made by hand: a deleted function whose name holds Markdown's and the
/// shells' special characters.
fn odd_plan(name: &str) -> Plan {
    Plan {
        format_version: plan::FORMAT_VERSION,
        scope: scope(),
        region: None,
        salt: String::new(),
        fingerprints: Default::default(),
        artifacts: Default::default(),
        warnings: Vec::new(),
        code_files: Default::default(),
        manifest: None,
        changes: vec![Change::new(
            Address::Function(name.into()),
            name,
            Action::Delete,
        )],
        steps: vec![Step {
            id: 0,
            op: Op::Lambda(LambdaOp::DeleteFunction { name: name.into() }),
            depends_on: Vec::new(),
            why: String::new(),
        }],
    }
}

#[test]
fn table_cells_escape_pipes_and_newlines() {
    let text = markdown::plan(&odd_plan("a|b\nc"));
    let row = text
        .lines()
        .find(|l| l.starts_with("| `-`"))
        .expect("a table row");
    assert!(row.contains(r"a\|b<br>c"), "{row}");
    let unescaped = row.matches('|').count() - row.matches(r"\|").count();
    assert_eq!(unescaped, 5, "four cells, no more: {row}");
}

#[test]
fn commands_quote_for_a_posix_shell() {
    let text = explain::plan(&odd_plan("it's $HOME"));
    assert!(text.contains(r"--function-name 'it'\''s $HOME'"), "{text}");
    assert_eq!(explain::quote("shop-dev-list"), "shop-dev-list");
    assert_eq!(explain::quote(""), "''");
    assert_eq!(explain::quote("<api-id>"), "'<api-id>'");
}

#[test]
fn graph_labels_escape_quotes() {
    let plan = odd_plan("say \"hi\"");
    let mermaid = graph::mermaid(&plan);
    assert!(
        mermaid.contains("s1[\"1. delete function say #quot;hi#quot;\"]"),
        "{mermaid}"
    );
    let dot = graph::dot(&plan);
    assert!(
        dot.contains(r#"s1 [label="1. delete function say \"hi\"""#),
        "{dot}"
    );
}

#[tokio::test]
async fn a_huge_plan_is_truncated_below_64_kb_with_a_notice() {
    let cloud = MemoryCloud::new();
    let mut desired = desired();
    desired.api = None;
    for i in 0..400 {
        let mut f = function(&format!("fn{i:03}"), "api");
        f.description = format!("Function number {i}, with a description | and a pipe");
        desired.functions.insert(f.key.clone(), f);
    }
    let plan = plan_for(&cloud, &desired, &artifacts(&desired)).await;
    assert!(plan.changes.len() > 400);
    let text = markdown::plan(&plan);
    assert!(
        text.len() < markdown::MARKDOWN_LIMIT,
        "{} bytes",
        text.len()
    );
    let last = text.trim_end().lines().last().unwrap();
    assert!(last.contains("This plan was truncated"), "{last}");
    assert!(
        last.contains("`lade plan`") && last.contains("`lade plan --json`"),
        "{last}"
    );
    // The overview survives: every resource has its row, only details were cut.
    assert_eq!(
        text.lines().filter(|l| l.starts_with("| `+`")).count(),
        plan.changes.len()
    );
    assert!(last.contains("the details of"), "{last}");
    assert!(
        text.contains("more left out"),
        "the cut is marked where it is"
    );
}

#[tokio::test]
async fn a_plan_that_fits_is_not_truncated() {
    let text = markdown::plan(&change_plan().await);
    assert!(!text.contains("truncated"), "{text}");
    assert!(text.contains("### Steps, in order"));
    assert!(text.contains("<details>"));
}

// ---- the end of an interrupted apply ----

/// An apply of the cold plan interrupted twice: four steps done, one failed before
/// the interrupt, one abandoned in flight, and the rest not started.
fn interrupted(plan: &Plan) -> lade::apply::Outcome {
    let n = plan.steps.len();
    lade::apply::Outcome {
        succeeded: vec![0, 2, 3, 5],
        failed: vec![(1, "access denied: iam:AttachRolePolicy".into())],
        refused: vec![],
        kept: vec![],
        skipped: vec![],
        abandoned: vec![4],
        not_started: (6..n).collect(),
        interrupted: true,
        elapsed: std::time::Duration::from_millis(2_345),
    }
}

#[tokio::test]
async fn an_interrupted_apply_says_what_was_done_and_what_remains() {
    let plan = cold_plan().await;
    let outcome = interrupted(&plan);
    let events = [
        lade::apply::Event::Interrupted {
            in_flight: vec![4, 5],
        },
        lade::apply::Event::Interrupted { in_flight: vec![4] },
        lade::apply::Event::Interrupted { in_flight: vec![] },
        lade::apply::Event::Abandoned {
            step: 4,
            description: plan.steps[4].op.describe(),
        },
    ];
    let mut text: String = events
        .iter()
        .map(|e| render::event_line(e) + "\n")
        .collect();
    text += "\n";
    text += &render::outcome_text(&plan, &outcome, render::Verb::Apply);
    insta::assert_snapshot!("interrupted_apply_text", text);
    insta::assert_json_snapshot!(
        "interrupted_apply_summary",
        render::outcome_json(&outcome, render::Verb::Apply)
    );
    // Every line, the summary's included, is one JSON object in the event format.
    for event in &events {
        let line = serde_json::to_string(event).unwrap();
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(value["event"].is_string(), "{line}");
    }
}

#[tokio::test]
async fn a_destroy_says_to_run_destroy_again() {
    let plan = cold_plan().await;
    let mut outcome = interrupted(&plan);
    let text = render::outcome_text(&plan, &outcome, render::Verb::Destroy);
    assert!(text.starts_with("Destroy interrupted: 4 of "), "{text}");
    assert!(text.contains("run `lade destroy` again"), "{text}");
    assert!(!text.contains("lade apply"), "{text}");
    // A failure without an interrupt: the same advice.
    outcome.interrupted = false;
    outcome.abandoned.clear();
    outcome.not_started.clear();
    let text = render::outcome_text(&plan, &outcome, render::Verb::Destroy);
    assert!(text.starts_with("Destroy failed: 4 of "), "{text}");
    assert!(text.contains("run `lade destroy` again"), "{text}");
    let json = render::outcome_json(&outcome, render::Verb::Destroy);
    assert_eq!(json["result"], "failed");
    assert_eq!(json["rerun"], "lade destroy");
}

/// A failure that no re-run fixes (AWS refused the input) says to fix the manifest.
#[tokio::test]
async fn a_refused_input_says_to_fix_the_manifest() {
    let plan = cold_plan().await;
    let mut outcome = interrupted(&plan);
    outcome.interrupted = false;
    outcome.abandoned.clear();
    outcome.not_started.clear();
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert!(text.contains("run `lade apply` again to finish"), "{text}");
    outcome.refused = vec![1];
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert!(
        text.contains("in step(s) 2: fix the manifest, then run `lade apply` again"),
        "{text}"
    );
    assert!(!text.contains("again to finish"), "{text}");
}

#[tokio::test]
async fn a_long_list_of_steps_not_started_is_cut_short() {
    let plan = cold_plan().await;
    let outcome = lade::apply::Outcome {
        succeeded: vec![0],
        not_started: (1..plan.steps.len()).collect(),
        interrupted: true,
        ..Default::default()
    };
    assert!(plan.steps.len() > 12, "the cold plan is long enough");
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert_eq!(text.matches("  not started: ").count(), 10, "{text}");
    assert!(
        text.contains(&format!(
            "  … and {} more not started\n",
            plan.steps.len() - 11
        )),
        "{text}"
    );
}

/// A best-effort clean-up step that AWS refused: the apply is complete, and the text,
/// the event line and the JSON summary say what was kept and why (issue 19).
#[tokio::test]
async fn a_kept_clean_up_step_is_reported_and_the_apply_is_complete() {
    let plan = cold_plan().await;
    let last = plan.steps.len() - 1;
    let reason = "DeleteDeployment: BadRequestException: Active stages pointing to this deployment must be moved or deleted";
    let outcome = lade::apply::Outcome {
        succeeded: (0..last).collect(),
        kept: vec![(last, reason.into())],
        ..Default::default()
    };
    assert!(outcome.is_success());
    let text = render::outcome_text(&plan, &outcome, render::Verb::Apply);
    assert!(text.starts_with("Apply complete: "), "{text}");
    assert!(
        text.contains(&format!(
            "Kept what 1 clean-up step could not remove (clean-up is best effort; the next deploy tries again):\n  kept: step {}, {}: {reason}\n",
            last + 1,
            plan.steps[last].op.describe()
        )),
        "{text}"
    );
    assert!(!text.contains("run `lade apply` again"), "{text}");
    let line = render::event_line(&lade::apply::Event::Kept {
        step: last,
        description: "delete old deployment abc123".into(),
        reason: reason.into(),
    });
    assert!(
        line.starts_with("  ~  delete old deployment abc123: not done, so it is kept"),
        "{line}"
    );
    assert!(line.ends_with(reason), "{line}");
    let json = render::outcome_json(&outcome, render::Verb::Apply);
    assert_eq!(json["result"], "complete");
    assert_eq!(
        json["kept"],
        serde_json::json!([{"step": last, "reason": reason}])
    );
    assert_eq!(json["failed"], serde_json::json!([]));
    assert_eq!(json["rerun"], serde_json::Value::Null);
}

/// A code change names the files it adds, removes and modifies when lade kept the
/// deployed package's listing, and says so when it did not.
#[tokio::test]
async fn a_code_change_names_its_files() {
    use lade::package::listing::CodeFiles;
    let mut plan = fixed(change_plan().await);
    plan.code_files.insert(
        "list".into(),
        CodeFiles::Changed {
            added: vec!["new.py".into()],
            removed: vec!["old.py".into()],
            modified: vec!["app.py".into()],
        },
    );
    let text = render::plan_text(&plan);
    let code = text.find("code: 56Il2").expect("the code line");
    assert!(
        text[code..].contains("(7 B)\n        + new.py\n        - old.py\n        ~ app.py\n"),
        "{text}"
    );
    plan.code_files
        .insert("list".into(), CodeFiles::OnlyNew { files: 2 });
    let text = render::plan_text(&plan);
    assert!(text.contains("which files changed is unknown"), "{text}");
}

// ---- schedules and EventBridge patterns ----

/// `desired()` with `work` invoked every five minutes, nightly with an input, and by a
/// pattern on the `orders` bus.
fn with_rules() -> Desired {
    let mut desired = desired();
    let settings = |schedule: Option<&str>| RuleSettings {
        schedule: schedule.map(str::to_string),
        pattern: None,
        input: None,
        description: String::new(),
        enabled: true,
    };
    desired.functions.get_mut("work").unwrap().rules = vec![
        Rule {
            name: "shop-dev-work-0a1b2c3d".into(),
            bus: "default".into(),
            settings: settings(Some("rate(5 minutes)")),
        },
        Rule {
            name: "shop-dev-work-1a2b3c4d".into(),
            bus: "default".into(),
            settings: RuleSettings {
                input: Some(json!({"job": "nightly"})),
                description: "Nightly clean-up".into(),
                ..settings(Some("cron(0 3 * * ? *)"))
            },
        },
        Rule {
            name: "shop-dev-work-2a3b4c5d".into(),
            bus: "orders".into(),
            settings: RuleSettings {
                pattern: Some(json!({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]})),
                ..settings(None)
            },
        },
    ];
    desired
}

/// A cold plan with rules in every renderer, and its JSON read back as the same plan.
#[tokio::test]
async fn rules_in_every_renderer() {
    let cloud = MemoryCloud::new();
    let desired = with_rules();
    let plan = fixed(plan_for(&cloud, &desired, &artifacts(&desired)).await);
    let text = render::plan_text(&plan);
    assert!(text.contains("shop-dev-work ← cron(0 3 * * ? *)"), "{text}");
    let explain = explain::plan(&plan);
    for expected in [
        "aws events put-rule",
        "--name shop-dev-work-1a2b3c4d",
        "--schedule-expression 'cron(0 3 * * ? *)'",
        "--description 'Nightly clean-up'",
        "--event-bus-name orders",
        "--event-pattern '{\"source\":[\"shop.orders\"],\"detail-type\":[\"OrderPlaced\"]}'",
        "aws events put-targets",
        "\\\"job\\\":\\\"nightly\\\"",
        "aws lambda add-permission",
        "--statement-id lade-rule-shop-dev-work-1a2b3c4d",
        "--principal events.amazonaws.com",
        "rule/orders/shop-dev-work-2a3b4c5d",
    ] {
        assert!(
            explain.contains(expected),
            "missing {expected:?} in:\n{explain}"
        );
    }
    let json = render::plan_json(&plan);
    let read: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(read, plan);
    let rules: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.op.service() == lade::cloud::Service::EventBridge)
        .collect();
    assert_eq!(rules.len(), 3);
    insta::assert_snapshot!(
        "rules_text_markdown_explain",
        [text, markdown::plan(&plan), explain].concat()
    );
}

/// A changed expression and a removed pattern, as text.
#[tokio::test]
async fn a_changed_and_a_removed_rule_as_text() {
    let cloud = MemoryCloud::new();
    let mut desired = with_rules();
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let rules = &mut desired.functions.get_mut("work").unwrap().rules;
    rules[1].name = "shop-dev-work-9f8e7d6c".into();
    rules[1].settings.schedule = Some("cron(30 4 * * ? *)".into());
    rules.pop();
    let plan = fixed(plan_for(&cloud, &desired, &artifacts).await);
    let text = render::plan_text(&plan);
    assert!(text.contains("cron(0 3 * * ? *)"), "{text}");
    assert!(text.contains("cron(30 4 * * ? *)"), "{text}");
    insta::assert_snapshot!("rules_changed_text", text);
}
