//! How lade talks: shell completions, `--color`, `NO_COLOR`, timestamped lines when
//! stdout is not a terminal, `-v` logs of AWS calls (without secrets) and `-q`.
//!
//! Tests that need a plan run the real binary against moto; the rest need no AWS.

mod support;

use std::process::{Command, Output};

use support::project::Project;

/// A role and a function whose environment holds a secret variable.
const MANIFEST: &str = r#"project: {project}
region: us-east-1
stage: dev
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: api
    environment:
      API_KEY: ${var:API_KEY}
"#;

const CANARY: &str = "canary-7c1d0e3f-do-not-print";

fn secret() -> String {
    format!("API_KEY={CANARY}")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn project(prefix: &str) -> Project {
    let project = Project::new(prefix);
    project.manifest(MANIFEST);
    project
}

/// Whether `line` starts with `YYYY-MM-DDTHH:MM:SSZ ` (the regex
/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z `).
fn is_timestamped(line: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ ";
    let bytes = line.as_bytes();
    bytes.len() > SHAPE.len()
        && SHAPE.iter().zip(bytes).all(|(&shape, &byte)| match shape {
            b'd' => byte.is_ascii_digit(),
            _ => byte == shape,
        })
}

#[test]
fn timestamp_shape_is_checked() {
    assert!(is_timestamped(
        "2026-11-23T12:34:56Z   ✓  create role r (0.1s)"
    ));
    assert!(!is_timestamped("2026-11-23 12:34:56Z   ✓  create role r"));
    assert!(!is_timestamped("  ✓  create role r (0.1s)"));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Command::new(env!("CARGO_BIN_EXE_lade"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for word in [
            "lade",
            "validate",
            "plan",
            "apply",
            "destroy",
            "completions",
        ] {
            assert!(script.contains(word), "{shell} completions lack `{word}`");
        }
        // fish spells long options `-l color`.
        assert!(script.contains("color"), "{shell} completions lack --color");
    }
    let unknown = Command::new(env!("CARGO_BIN_EXE_lade"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(
        unknown.status.code(),
        Some(1),
        "an unknown shell is a usage error, which exits 1 (2 means changes)"
    );
}

#[test]
fn verbose_and_quiet_conflict() {
    let output = Command::new(env!("CARGO_BIN_EXE_lade"))
        .args(["-v", "-q", "validate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "a usage error exits 1");
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plan_is_coloured_only_when_asked() {
    let project = project("colr");
    let secret = secret();
    let args = |colour: &'static str| ["plan", "--secret-var", &secret, "--color", colour];

    let always = project.ok(&args("always"));
    assert!(
        always.contains("\x1b["),
        "no colour with --color always:\n{always}"
    );
    assert!(always.contains("\x1b[32m  + role"), "{always:?}");
    assert!(always.contains("\x1b[1mPlan: 2 to add"), "{always:?}");

    let never = project.ok(&args("never"));
    assert!(
        !never.contains('\x1b'),
        "colour with --color never:\n{never}"
    );
    assert!(never.contains("Plan: 2 to add"), "{never}");

    // Not a terminal, and NO_COLOR: plain either way; and `always` beats NO_COLOR.
    let no_color = project.ok_with(&args("auto"), &[("NO_COLOR", "1")]);
    assert!(
        !no_color.contains('\x1b'),
        "colour with NO_COLOR=1:\n{no_color}"
    );
    assert_eq!(no_color, never);
    let forced = project.ok_with(&args("always"), &[("NO_COLOR", "1")]);
    assert!(
        forced.contains("\x1b["),
        "--color always should beat NO_COLOR"
    );
}

#[test]
fn apply_without_a_terminal_prints_timestamped_plain_lines() {
    let project = project("tslines");
    let out = project.ok(&["apply", "--yes", "--secret-var", &secret()]);
    assert!(!out.contains('\x1b'), "ANSI escape in a log:\n{out:?}");
    assert!(!out.contains('\r'), "carriage return in a log:\n{out:?}");
    let events: Vec<&str> = out
        .lines()
        .filter(|line| line.contains('…') || line.contains('✓') || line.contains('✗'))
        .collect();
    // Two steps, each started and finished.
    assert_eq!(events.len(), 4, "{out}");
    for line in &events {
        assert!(is_timestamped(line), "not timestamped: {line:?}");
    }
    let started = events
        .iter()
        .filter(|line| line.contains("…  create"))
        .count();
    let done = events
        .iter()
        .filter(|line| line.contains("✓  create"))
        .count();
    assert_eq!((started, done), (2, 2), "{out}");
    assert!(out.contains("Apply complete: 2 added"), "{out}");
}

#[test]
fn verbose_logs_each_aws_call_without_secrets() {
    let project = project("verbose");
    let secret = secret();
    // Deploy first, so that the plan's reads bring the (secret) environment back.
    project.ok(&["apply", "--yes", "--secret-var", &secret]);
    let output = project.lade(&["plan", "-v", "--secret-var", &secret]);
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    for (service, operation) in [
        ("iam", "ListRoles"),
        // The listing brings the functions' (secret) environment back.
        ("lambda", "ListFunctions"),
        ("apigateway", "GetRestApis"),
    ] {
        assert!(
            log.lines()
                .any(|line| line.contains(&format!("service={service}"))
                    && line.contains(&format!("operation={operation}"))
                    && line.contains("ms=")
                    && line.contains("outcome=")),
            "no log line for {service} {operation}:\n{log}"
        );
    }
    assert!(
        !log.contains(CANARY),
        "a secret leaked into the log:\n{log}"
    );
    assert!(
        !stdout(&output).contains(CANARY),
        "a secret leaked into the plan"
    );

    let quiet_log = stderr(&project.lade(&["plan", "--secret-var", &secret]));
    assert!(
        !quiet_log.contains("operation="),
        "AWS calls are logged without -v:\n{quiet_log}"
    );
}

#[test]
fn quiet_apply_prints_nothing_but_does_the_work() {
    let project = project("quiet");
    let secret = secret();
    let output = project.lade(&["-q", "apply", "--yes", "--secret-var", &secret]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "-q printed to stdout");
    assert_eq!(stderr(&output), "", "-q printed to stderr without an error");
    let after = project.ok(&["plan", "--secret-var", &secret]);
    assert!(
        after.starts_with("No changes."),
        "the apply did not happen:\n{after}"
    );

    // Errors still print, and the exit code is still 1.
    let failed = project.lade(&["-q", "plan"]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(stdout(&failed), "");
    assert!(stderr(&failed).contains("API_KEY"), "{}", stderr(&failed));
}
