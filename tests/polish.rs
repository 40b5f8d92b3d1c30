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

/// `lade ARGS` with stdout (and stdin) a real terminal (a pty) and `env`: what it
/// printed there, and its exit code.
#[cfg(unix)]
fn at_a_terminal(project: &Project, args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    use std::io::Read;
    // moto first: a server started after the pty opened could inherit it, and then
    // reading would never end.
    let aws = support::moto().env();
    let terminal = nix::pty::openpty(
        None::<&nix::pty::Winsize>,
        None::<&nix::sys::termios::Termios>,
    )
    .unwrap();
    // `openpty`'s descriptors are inherited by every process spawned meanwhile (tests
    // run in parallel); their clones are close-on-exec.
    let (master, slave) = (
        terminal.master.try_clone().unwrap(),
        terminal.slave.try_clone().unwrap(),
    );
    drop(terminal);
    let mut command = project.command(args, aws);
    command
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::from(slave))
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    // Only the child holds the terminal now: reading ends (EIO) when it exits.
    drop(command);
    let mut master = std::fs::File::from(master);
    let mut printed = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match master.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => printed.extend_from_slice(&buffer[..n]),
        }
    }
    let status = child.wait().unwrap();
    (
        String::from_utf8_lossy(&printed).into_owned(),
        status.code(),
    )
}

/// `--color auto` at a real terminal (issue 19): colour when `NO_COLOR` is unset or
/// empty (no-color.org: an empty value counts as unset), none when it is set to
/// anything else.
#[cfg(unix)]
#[test]
fn auto_colours_a_terminal_unless_no_color_is_non_empty() {
    let project = project("ptycol");
    let secret = secret();
    let args = ["plan", "--secret-var", &secret];
    let (unset, code) = at_a_terminal(&project, &args, &[]);
    assert_eq!(code, Some(0), "{unset}");
    assert!(unset.contains("\x1b[32m  + role"), "{unset:?}");
    assert!(unset.contains("\x1b[1mPlan: 2 to add"), "{unset:?}");
    let (empty, _) = at_a_terminal(&project, &args, &[("NO_COLOR", "")]);
    assert!(
        empty.contains("\x1b[32m  + role"),
        "NO_COLOR= (empty): {empty:?}"
    );
    for value in ["1", "0", "false"] {
        let (set, code) = at_a_terminal(&project, &args, &[("NO_COLOR", value)]);
        assert_eq!(code, Some(0), "{set}");
        assert!(!set.contains('\x1b'), "NO_COLOR={value}: {set:?}");
        assert!(set.contains("Plan: 2 to add"), "{set:?}");
    }
}

/// `-q` with `plan`, `plan --detailed-exitcode` and `validate`: nothing printed, the
/// same exit codes (issue 19).
#[test]
fn quiet_plan_and_validate_print_nothing_and_keep_their_exit_codes() {
    let project = project("qplan");
    let secret = secret();
    for (args, code) in [
        (vec!["-q", "validate", "--secret-var", &secret], 0),
        (vec!["-q", "plan", "--secret-var", &secret], 0),
        (
            vec!["-q", "plan", "--detailed-exitcode", "--secret-var", &secret],
            2,
        ),
    ] {
        let output = project.lade(&args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?} printed to stdout");
        assert_eq!(stderr(&output), "", "{args:?} printed to stderr");
    }
    // Without -q the same commands do print: the check above can fail.
    assert!(
        !project
            .ok(&["validate", "--secret-var", &secret])
            .is_empty()
    );
}

/// `-q apply` on a project with an API hides the URL lines that `apply` prints
/// otherwise (issue 19).
#[test]
fn quiet_apply_hides_the_api_urls() {
    let project = Project::example("hello", "qurl");
    // Without -q, apply prints the invoke URL and the route's URL.
    let loud = project.ok(&["apply", "--yes"]);
    let urls = |text: &str| text.lines().filter(|l| l.contains("execute-api")).count();
    assert!(urls(&loud) >= 1, "{loud}");
    assert!(loud.contains("/hello"), "{loud}");
    project.ok(&["destroy", "--yes"]);
    let quiet = project.lade(&["-q", "apply", "--yes"]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stdout(&quiet), "", "-q apply printed");
    assert_eq!(stderr(&quiet), "");
    project.ok(&["destroy", "--yes"]);
}

/// `-vv` adds the AWS SDK's own retry decisions to `-v`'s lines (issue 19). The proxy
/// throttles the first `ListRoles`, which the SDK retries by itself.
#[test]
fn very_verbose_adds_the_sdk_s_retry_decisions() {
    use support::proxy::{Fault, Faults, Proxy};
    let project = project("vvretry");
    let secret = secret();
    let run = |flag: &str| {
        let proxy = Proxy::start(
            support::moto().endpoint(),
            Faults::none().first(|s| s.name == "ListRoles", Fault::Throttle),
        );
        let output = project
            .command(&["plan", flag, "--secret-var", &secret], proxy.env())
            .output()
            .unwrap();
        assert!(output.status.success(), "{flag}: {}", stderr(&output));
        assert!(
            proxy
                .requests()
                .iter()
                .filter(|s| s.name == "ListRoles")
                .count()
                >= 2,
            "the throttled ListRoles was retried"
        );
        stderr(&output)
    };
    let verbose = run("-v");
    let very = run("-vv");
    // The SDK's retry strategy: "attempt #1 failed with … ThrottlingError …; retrying
    // after …".
    let retry_lines = |log: &str| {
        log.lines()
            .filter(|l| l.contains("attempt #1 failed") && l.contains("retrying after"))
            .count()
    };
    assert_eq!(
        retry_lines(&verbose),
        0,
        "-v shows the SDK's decisions:\n{verbose}"
    );
    assert!(
        retry_lines(&very) > 0,
        "-vv shows no SDK retry decision:\n{very}"
    );
    assert!(!very.contains(CANARY), "a secret leaked into the log");
}

/// The colours through the binary, as the README lists them (issue 19): apply's `✓`
/// green, a plan's `~` yellow and `-` red. (`✗` red and each plan symbol line by line:
/// `render::colour`'s unit tests.)
#[test]
fn apply_and_plan_colours_through_the_binary() {
    let project = project("colsym");
    let secret = secret();
    let applied = project.ok(&[
        "apply",
        "--yes",
        "--color",
        "always",
        "--secret-var",
        &secret,
    ]);
    assert!(
        applied
            .lines()
            .any(|l| l.contains("\x1b[32m") && l.contains("✓  create role")),
        "{applied:?}"
    );
    project.edit(|text| text.replace("role: api\n", "role: api\n    memory: 256\n"));
    let changed = project.ok(&["plan", "--color", "always", "--secret-var", &secret]);
    assert!(changed.contains("\x1b[33m  ~ function"), "{changed:?}");
    project.edit(|text| text[..text.find("functions:").unwrap()].to_string());
    let removed = project.ok(&["plan", "--color", "always", "--secret-var", &secret]);
    assert!(removed.contains("\x1b[31m  - function"), "{removed:?}");
    project.ok(&["destroy", "--yes", "--secret-var", &secret]);
}
