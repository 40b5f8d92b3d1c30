//! Ctrl-C (SIGINT) sent to the `lade` binary: during an apply against moto, while it
//! plans, and at its confirmation prompt. After an interrupted apply, a re-run
//! converges to exactly the manifest.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use support::account::Account;
use support::moto;
use support::project::Project;
use support::small::{assert_exactly_the_manifest, small_project};

/// `lade ARGS` in `project`, talking to `endpoint` (moto unless a test says), with
/// stdout piped and stderr piped.
fn spawn(project: &Project, args: &[&str], stdin: Stdio, endpoint: Option<&str>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lade"));
    command
        .args(args)
        .current_dir(project.path())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("LADE_STAGE");
    for (key, value) in moto().env() {
        command.env(key, value);
    }
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    command.spawn().unwrap()
}

fn interrupt(child: &Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Kills `child` if the test has not finished with it within a minute, so that a
/// Ctrl-C that is not handled fails the test instead of hanging it. Not a timing
/// assertion: every wait here ends in well under a second when lade behaves.
struct Watchdog(#[allow(dead_code)] std::sync::mpsc::Sender<()>);

fn watchdog(child: &Child) -> Watchdog {
    let pid = Pid::from_raw(child.id() as i32);
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        // Dropping the watchdog disconnects the channel: the test is done with the
        // child, whose id may soon belong to another process.
        if finished.recv_timeout(Duration::from_secs(60))
            == Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        {
            let _ = kill(pid, Signal::SIGKILL);
        }
    });
    Watchdog(done)
}

/// The event lines of `apply --json` that follow the first `started` event, after
/// `on_first_start` has run.
fn events_after_first_start(child: &mut Child, on_first_start: impl FnOnce(&Child)) -> Vec<Value> {
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut events = Vec::new();
    let mut hook = Some(on_first_start);
    for line in stdout.lines() {
        let line = line.unwrap();
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let started = event["event"] == "started";
        events.push(event);
        if started && let Some(hook) = hook.take() {
            hook(child);
        }
    }
    events
}

/// Checks the events of an interrupted apply against its summary line; returns the
/// summary.
fn check_interrupted_stream(events: &[Value], steps: usize) -> Value {
    let at = events
        .iter()
        .position(|e| e["event"] == "interrupted")
        .unwrap_or_else(|| panic!("no interrupted event: {events:#?}"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e["event"] == "interrupted")
            .count(),
        1,
        "{events:#?}"
    );
    let after = &events[at + 1..];
    assert!(
        !after.iter().any(|e| e["event"] == "started"),
        "a step started after the interrupt: {events:#?}"
    );
    // Every step in flight at the interrupt ends after it: finished, or abandoned.
    for step in events[at]["in_flight"].as_array().unwrap() {
        let ends = after
            .iter()
            .filter(|e| {
                &e["step"] == step
                    && matches!(
                        e["event"].as_str(),
                        Some("succeeded" | "failed" | "abandoned")
                    )
            })
            .count();
        assert_eq!(ends, 1, "step {step}: {events:#?}");
    }
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary", "{events:#?}");
    assert_eq!(summary["interrupted"], true);
    // The summary accounts for every step exactly once, as the events say.
    let ids = |key: &str| -> Vec<u64> {
        summary[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().or(v["step"].as_u64()).unwrap())
            .collect()
    };
    let of_event = |kind: &str| -> Vec<u64> {
        let mut ids: Vec<u64> = events
            .iter()
            .filter(|e| e["event"] == kind)
            .map(|e| e["step"].as_u64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let mut succeeded = ids("succeeded");
    succeeded.sort();
    assert_eq!(succeeded, of_event("succeeded"));
    assert_eq!(ids("abandoned"), of_event("abandoned"));
    let mut all: Vec<u64> = ["succeeded", "failed", "skipped", "abandoned", "not_started"]
        .iter()
        .flat_map(|key| ids(key))
        .collect();
    all.sort();
    assert_eq!(all, (0..steps as u64).collect::<Vec<_>>(), "{summary}");
    let started = of_event("started");
    for step in ids("not_started") {
        assert!(!started.contains(&step), "step {step} started: {summary}");
    }
    summary.clone()
}

/// After an interrupted apply: a re-run converges, then nothing is left to do, and
/// the account holds exactly the manifest.
async fn rerun_converges(project: &Project) {
    project.ok(&["apply", "--yes"]);
    let planned = project.lade(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&planned.stdout)
    );
    let owned = Account::new().await.owned(&project.name).await;
    assert_exactly_the_manifest(project, &owned, "after the re-run");
    project.ok(&["destroy", "--yes"]);
}

#[tokio::test]
async fn ctrl_c_during_apply_starts_no_new_step_and_a_rerun_converges() {
    let project = small_project("sigint");
    let mut child = spawn(&project, &["apply", "--yes", "--json"], Stdio::null(), None);
    let _watchdog = watchdog(&child);
    let events = events_after_first_start(&mut child, interrupt);
    let stderr = stderr_of(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");

    let summary = check_interrupted_stream(&events, 14);
    assert_eq!(summary["result"], "interrupted", "{summary}");
    assert_eq!(summary["abandoned"], serde_json::json!([]), "one Ctrl-C");
    // The first steps (the role, the API) have a long chain of dependents: the
    // interrupt comes long before the last of them could have started.
    assert!(
        !summary["not_started"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert_eq!(summary["rerun"], "lade apply");
    assert!(
        stderr.contains("apply interrupted: ") && stderr.contains("run `lade apply` again"),
        "{stderr}"
    );
    // No outputs: the apply did not finish.
    assert!(!events.iter().any(|e| e["event"] == "outputs"));

    rerun_converges(&project).await;
}

#[tokio::test]
async fn ctrl_c_twice_stops_at_once_and_a_rerun_converges() {
    let project = small_project("sigint2");
    let mut child = spawn(&project, &["apply", "--yes", "--json"], Stdio::null(), None);
    let _watchdog = watchdog(&child);
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut events: Vec<Value> = Vec::new();
    for line in stdout.lines() {
        let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let kind = event["event"].as_str().unwrap_or_default().to_owned();
        events.push(event);
        let first_start =
            kind == "started" && events.iter().filter(|e| e["event"] == "started").count() == 1;
        // The second Ctrl-C only once the first has been seen: two signals sent at
        // once may reach the process as one.
        if first_start || kind == "interrupted" {
            interrupt(&child);
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let summary = check_interrupted_stream(&events, 14);
    assert_eq!(summary["result"], "interrupted", "{summary}");

    rerun_converges(&project).await;
}

#[test]
fn ctrl_c_while_planning_cancels_and_changes_nothing() {
    // An endpoint that accepts connections and never answers: lade is then surely
    // reading the account, before any change, when the Ctrl-C comes.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let project = small_project("sigplan");
    let mut child = spawn(
        &project,
        &["apply", "--yes"],
        Stdio::null(),
        Some(&endpoint),
    );
    let _watchdog = watchdog(&child);
    let (_connection, _) = silent.accept().unwrap();
    interrupt(&child);
    let stderr = stderr_of(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: apply cancelled; nothing was changed"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ctrl_c_at_the_confirmation_prompt_cancels_and_changes_nothing() {
    let project = small_project("sigask");
    // A terminal for stdin, so that lade asks.
    let terminal = nix::pty::openpty(
        None::<&nix::pty::Winsize>,
        None::<&nix::sys::termios::Termios>,
    )
    .unwrap();
    let mut child = spawn(&project, &["apply"], Stdio::from(terminal.slave), None);
    let _watchdog = watchdog(&child);
    let mut stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&printed).ends_with("? [y/N] ") {
        assert_eq!(
            stdout.read(&mut byte).unwrap(),
            1,
            "lade ended before asking: {}",
            String::from_utf8_lossy(&printed)
        );
        printed.push(byte[0]);
    }
    // Waiting for an answer, which never comes (the terminal stays open).
    assert!(child.try_wait().unwrap().is_none());
    interrupt(&child);
    let stderr = stderr_of(&mut child);
    let status = child.wait().unwrap();
    drop(terminal.master);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: apply cancelled; nothing was changed"),
        "{stderr}"
    );
    let owned = Account::new().await.owned(&project.name).await;
    assert!(owned.is_empty(), "{owned:#?}");
}
