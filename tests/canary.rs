//! Secrets never leave through any output: one canary value per way a value becomes
//! sensitive (`${env:…}`, `--secret-var`, a `--var` listed under `secrets:`), followed
//! through every command, format and verbosity lade has, and every file it writes,
//! against moto. The same canaries must reach Lambda, so the test cannot pass by
//! dropping them.
//!
//! Other tests check single paths where they are built (render, saved plans, `-v`);
//! this one is the catalogue, so a new output path belongs here too.

mod support;

use std::path::Path;
use std::process::Output;

use support::moto;
use support::project::Project;

const FROM_ENV: &str = "canary-env-5d1e0f2a";
const FROM_SECRET_VAR: &str = "canary-secretvar-8b3c7e91";
const FROM_LISTED_VAR: &str = "canary-listed-2f6a4d0c";
const CANARIES: [&str; 3] = [FROM_ENV, FROM_SECRET_VAR, FROM_LISTED_VAR];

const MANIFEST: &str = r#"project: {project}
region: us-east-1
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: api
    environment:
      FROM_ENV: ${env:LADE_CANARY}
      FROM_SECRET_VAR: ${var:TOKEN}
      FROM_LISTED_VAR: ${var:LISTED}
      SELF: ${function:list.name}
      BASE_URL: ${api.url}
    secrets: [FROM_LISTED_VAR]
api:
  routes:
    GET /items: list
"#;

/// Everything a run printed, for scanning.
fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every file under `dir`, as lossy text, with its path.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    found
}

fn assert_clean(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(
            !text.contains(canary),
            "a secret ({canary}) leaked through {what}:\n{text}"
        );
    }
}

#[tokio::test]
async fn no_secret_leaves_through_any_output() {
    let project = Project::new("canary");
    project.manifest(MANIFEST);
    let secret_var = format!("TOKEN={FROM_SECRET_VAR}");
    let listed_var = format!("LISTED={FROM_LISTED_VAR}");
    let env = [("LADE_CANARY", FROM_ENV)];
    // Runs `lade <args> <the variables>`, checks the exit code and that nothing it
    // printed holds a canary, and returns what it printed.
    let run = |args: &[&str], code: i32| -> String {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--secret-var", &secret_var, "--var", &listed_var]);
        let output = project.lade_with(&all, &env);
        let text = printed(&output);
        assert_eq!(output.status.code(), Some(code), "lade {args:?}:\n{text}");
        assert_clean(&format!("`lade {}`", args.join(" ")), &text);
        text
    };

    // Before anything exists: every way to look at a plan.
    run(&["validate"], 0);
    for args in [
        &["plan"][..],
        &["plan", "--json"],
        &["plan", "--format", "markdown"],
        &["plan", "--explain"],
        &["plan", "--detailed-exitcode", "-v"],
        &["plan", "-vv", "--stats"],
        &["plan", "--json", "--stats"],
        &["graph"],
        &["graph", "--format", "dot"],
    ] {
        let code = if args.contains(&"--detailed-exitcode") {
            2
        } else {
            0
        };
        run(args, code);
    }
    run(&["plan", "--out", "saved.json"], 0);

    // Apply a saved plan, with every line of progress and every AWS call logged.
    let applied = run(&["apply", "--yes", "-vv", "--stats", "saved.json"], 0);
    assert!(applied.contains("Apply complete"), "{applied}");

    // The canaries did reach Lambda, so the checks above are not vacuous.
    let lambda = aws_sdk_lambda::Client::new(&moto().sdk_config().await);
    let deployed = lambda
        .get_function_configuration()
        .function_name(project.physical("list"))
        .send()
        .await
        .unwrap();
    let variables = deployed.environment().unwrap().variables().unwrap();
    assert_eq!(variables["FROM_ENV"], FROM_ENV);
    assert_eq!(variables["FROM_SECRET_VAR"], FROM_SECRET_VAR);
    assert_eq!(variables["FROM_LISTED_VAR"], FROM_LISTED_VAR);

    // Now the reads bring the secrets back from Lambda: every view again.
    for args in [
        &["plan", "--detailed-exitcode"][..],
        &["plan", "--json", "--detailed-exitcode"],
        &["plan", "--format", "markdown", "--detailed-exitcode"],
        &["plan", "--explain", "--detailed-exitcode", "-vv", "--stats"],
        &["outputs"],
        &["outputs", "--json"],
    ] {
        // `--detailed-exitcode` exits 0 here: nothing changed.
        run(args, 0);
    }

    // A changed secret: shown as changed, never as a value (old or new).
    let changed_env = [("LADE_CANARY", "canary-env-rotated")];
    let mut args = vec!["plan", "--json", "--detailed-exitcode"];
    args.extend(["--secret-var", &secret_var, "--var", &listed_var]);
    let rotated = project.lade_with(&args, &changed_env);
    assert_eq!(rotated.status.code(), Some(2), "{}", printed(&rotated));
    assert_clean("a plan of a rotated secret", &printed(&rotated));
    assert!(
        !printed(&rotated).contains("canary-env-rotated"),
        "the new value leaked"
    );
    let mut args = vec!["apply", "--yes", "--json", "-v"];
    args.extend(["--secret-var", &secret_var, "--var", &listed_var]);
    let updated = project.lade_with(&args, &changed_env);
    assert!(updated.status.success(), "{}", printed(&updated));
    assert_clean("an apply of a rotated secret", &printed(&updated));
    assert!(!printed(&updated).contains("canary-env-rotated"));

    // An error about a sensitive value names the variable, not the value.
    let original = std::fs::read_to_string(project.path().join("lade.yaml")).unwrap();
    project.edit(|text| {
        text.replace(
            "    role: api\n",
            "    role: api\n    description: ${var:TOKEN}\n",
        )
    });
    let refused = run(&["plan"], 1);
    assert!(refused.contains("sensitive"), "{refused}");
    std::fs::write(project.path().join("lade.yaml"), original).unwrap();

    // Destroy, in both forms of output.
    run(&["destroy", "--yes", "--json", "-v"], 0);

    // Nothing lade wrote to disk holds a secret: the saved plan, the zip cache.
    let written = files(project.path());
    assert!(
        written.iter().any(|(path, _)| path.ends_with("saved.json")),
        "the saved plan is among the files checked"
    );
    assert!(
        written.iter().any(|(path, _)| path.contains(".lade")),
        "the package cache is among the files checked"
    );
    for (path, text) in written {
        assert_clean(&path, &text);
    }
}
