//! Plans for CI against moto: `--detailed-exitcode`, and saved plans that apply exactly,
//! or not at all once stale.

mod support;

use std::process::Output;

use support::moto;
use support::project::{Project, write};

const CANARY: &str = "canary-9e2f-never-saved";

const MANIFEST: &str = r#"project: {project}
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: api
    memory: 128
    environment:
      API_KEY: ${env:LADE_TEST_SECRET}
"#;

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn detailed_exitcode_and_saved_plans() {
    let lambda = aws_sdk_lambda::Client::new(&moto().sdk_config().await);
    let project = Project::new("saved");
    project.manifest(MANIFEST);
    let env = [("LADE_TEST_SECRET", CANARY)];
    let mut printed = String::new();
    let mut run = |args: &[&str]| {
        let output = project.lade_with(args, &env);
        printed.push_str(&text(&output));
        output
    };

    // 1. Changes → 2; a saved plan applies; then no changes → 0.
    assert_eq!(run(&["plan", "--detailed-exitcode"]).status.code(), Some(2));
    assert_eq!(run(&["plan", "--out", "first.json"]).status.code(), Some(0));
    let saved = std::fs::read_to_string(project.path().join("first.json")).unwrap();
    assert!(
        saved.contains("\"sensitive\""),
        "the secret is stored as a hash"
    );
    let applied = run(&["apply", "--yes", "first.json"]);
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(
        text(&applied).contains("Apply complete: 2 added"),
        "{}",
        text(&applied)
    );
    let name = project.physical("list");
    let function = lambda
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    let env_vars = function
        .configuration()
        .unwrap()
        .environment()
        .unwrap()
        .variables()
        .unwrap()
        .clone();
    assert_eq!(env_vars["API_KEY"], CANARY);
    assert_eq!(run(&["plan", "--detailed-exitcode"]).status.code(), Some(0));
    let again = run(&["apply", "--yes", "first.json"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "an applied plan is stale: {}",
        text(&again)
    );

    // 2. Stale after an out-of-band configuration change: refused, nothing changed.
    project.edit(|t| t.replace("memory: 128", "memory: 256"));
    assert!(run(&["plan", "--out", "second.json"]).status.success());
    lambda
        .update_function_configuration()
        .function_name(&name)
        .timeout(42)
        .send()
        .await
        .unwrap();
    let refused = run(&["apply", "--yes", "second.json"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = text(&refused);
    assert!(message.contains("plan is stale"), "{message}");
    assert!(
        message.contains(&format!("function {name} changed")),
        "{message}"
    );
    let config = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(config.memory_size(), Some(128), "nothing was changed");
    assert_eq!(config.timeout(), Some(42));

    // 3. Stale after a source change: refused, the code is not uploaded.
    assert!(run(&["plan", "--out", "third.json"]).status.success());
    let sha = config.code_sha256().unwrap().to_string();
    write(
        &project.path().join("list/app.py"),
        "def handler(event, context):\n    return 'v2'\n",
    );
    let refused = run(&["apply", "--yes", "third.json"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("the source of function `list` changed"),
        "{}",
        text(&refused)
    );
    let config = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(config.code_sha256(), Some(sha.as_str()));
    assert_eq!(config.memory_size(), Some(128));

    // 4. A saved plan for another stage is refused.
    let other = run(&["apply", "--yes", "--stage", "prod", "third.json"]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other).contains("is a plan for project"),
        "{}",
        text(&other)
    );

    // The secret is in no output and no saved plan.
    assert!(
        !printed.contains(CANARY),
        "a secret was printed:\n{printed}"
    );
    for file in ["first.json", "second.json", "third.json"] {
        let saved = std::fs::read_to_string(project.path().join(file)).unwrap();
        assert!(!saved.contains(CANARY), "{file} holds the secret");
    }
    assert!(
        project
            .lade_with(&["destroy", "--yes"], &env)
            .status
            .success()
    );
}

/// A saved plan is stale once a secret's value changed since it was made (README,
/// "applies exactly a saved plan, or refuses … if … a secret changed since"): refused,
/// nothing created, and the new value is printed nowhere (issue 19).
#[tokio::test]
async fn a_saved_plan_is_stale_once_a_secret_changed() {
    let project = Project::new("savsec");
    project.manifest(MANIFEST);
    let planned = project.lade_with(
        &["plan", "--out", "plan.json"],
        &[("LADE_TEST_SECRET", CANARY)],
    );
    assert!(planned.status.success(), "{}", text(&planned));
    let changed = format!("{CANARY}-rotated");
    let refused = project.lade_with(
        &["apply", "--yes", "plan.json"],
        &[("LADE_TEST_SECRET", changed.as_str())],
    );
    let message = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{message}");
    assert!(
        message.contains("plan is stale: nothing was changed")
            && message.contains("the sensitive value of API_KEY for function"),
        "{message}"
    );
    assert!(
        !message.contains(CANARY),
        "a secret was printed:\n{message}"
    );
    let owned = support::account::Account::new()
        .await
        .owned(&project.name)
        .await;
    assert!(
        owned.is_empty(),
        "the stale plan changed something: {owned:#?}"
    );
    // With the value it was made with, the same plan applies.
    let applied = project.lade_with(
        &["apply", "--yes", "plan.json"],
        &[("LADE_TEST_SECRET", CANARY)],
    );
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(
        project
            .lade_with(&["destroy", "--yes"], &[("LADE_TEST_SECRET", CANARY)])
            .status
            .success()
    );
}

/// The saved-plan contract (issue 16): `lade apply PLAN` finds the manifest the plan
/// records, from any directory and without `-f`, and does not ask again (the plan was
/// the review, as with `terraform apply PLANFILE`), so it needs no `--yes` without a
/// terminal; a plan whose manifest changed since is still refused.
#[tokio::test]
async fn a_saved_plan_applies_from_another_directory_without_f_or_yes() {
    let lambda = aws_sdk_lambda::Client::new(&moto().sdk_config().await);
    let project = Project::new("savdir");
    project.manifest(MANIFEST);
    let env = [("LADE_TEST_SECRET", CANARY)];
    std::fs::create_dir_all(project.path().join("plans")).unwrap();
    project.ok_with(&["plan", "--out", "plans/plan.json"], &env);
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("plans/plan.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["manifest"]["relative"], "../lade.yaml", "{saved}");
    assert_eq!(saved["format_version"], 1, "the field is additive");

    // From another directory, with stdin not a terminal, no -f and no --yes.
    let elsewhere = tempfile::tempdir().unwrap();
    let plan_file = project.path().join("plans/plan.json");
    let run_from = |dir: &std::path::Path, args: &[&str]| {
        project
            .command(args, moto().env())
            .current_dir(dir)
            .envs(env)
            .output()
            .unwrap()
    };
    let applied = run_from(elsewhere.path(), &["apply", plan_file.to_str().unwrap()]);
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(
        text(&applied).contains("Apply complete: 2 added"),
        "{}",
        text(&applied)
    );
    assert!(!text(&applied).contains("[y/N]"), "it did not ask");
    let name = project.physical("list");
    let config = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(config.memory_size(), Some(128));

    // Without a plan, apply still asks, so without a terminal it wants --yes.
    let unasked = run_from(project.path(), &["apply"]);
    assert_eq!(unasked.status.code(), Some(1));
    assert!(
        text(&unasked).contains("without confirmation"),
        "{}",
        text(&unasked)
    );

    // A plan whose manifest was edited since is stale, from anywhere: nothing changes.
    project.edit(|t| t.replace("memory: 128", "memory: 256"));
    project.ok_with(&["plan", "--out", "plans/next.json"], &env);
    project.edit(|t| t.replace("memory: 256", "memory: 512"));
    let next = project.path().join("plans/next.json");
    let refused = run_from(elsewhere.path(), &["apply", next.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("plan is stale"),
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("lade.yaml changed"),
        "{}",
        text(&refused)
    );
    let config = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(config.memory_size(), Some(128), "nothing was changed");

    // The checkout moved (as between two CI jobs): the relative path finds it.
    project.edit(|t| t.replace("memory: 512", "memory: 256"));
    let moved = tempfile::tempdir().unwrap();
    for entry in ["lade.yaml", "list/app.py", "plans/next.json"] {
        write(
            &moved.path().join(entry),
            &std::fs::read_to_string(project.path().join(entry)).unwrap(),
        );
    }
    // The original now differs: were the absolute path used, the plan would be stale.
    project.edit(|t| t.replace("memory: 256", "memory: 1024"));
    let next = moved.path().join("plans/next.json");
    let applied = run_from(elsewhere.path(), &["apply", next.to_str().unwrap()]);
    assert!(applied.status.success(), "{}", text(&applied));
    let config = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(config.memory_size(), Some(256));

    project.ok_with(&["destroy", "--yes"], &env);
}
