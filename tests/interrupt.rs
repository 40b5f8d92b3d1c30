//! Ctrl-C (SIGINT) sent to the `lade` binary: during an apply against moto, while it
//! plans, and at its confirmation prompt. After an interrupted apply, a re-run
//! converges to exactly the manifest.
//!
//! During an apply, lade talks to moto through the fault proxy, which holds lade's
//! first mutating request until the test has interrupted: the Ctrl-C then surely comes
//! in the middle of a step, with most of the plan still to go.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use support::account::Account;
use support::moto;
use support::project::Project;
use support::proxy::{Faults, Moment, Proxy};
use support::small::{assert_exactly_the_manifest, small_project};

/// `lade ARGS` in `project`, talking to `endpoint` (moto unless a test says), with
/// stdout piped and stderr piped.
fn spawn(project: &Project, args: &[&str], stdin: Stdio, endpoint: Option<&str>) -> Child {
    let mut command = project.command(args, moto().env());
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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

/// An apply running through the fault proxy, whose first mutating request is held
/// before it reaches moto until the test lets it go: lade is then surely in the middle
/// of a step, and every step that depends on it is still waiting.
struct HeldApply {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    events: Vec<Value>,
    arrived: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    _proxy: Proxy,
}

impl HeldApply {
    fn start(project: &Project) -> HeldApply {
        HeldApply::start_with(project, &["apply", "--yes", "--json"])
    }

    /// Runs `lade ARGS` (`apply` or `destroy`, with `--json`) the same way.
    fn start_with(project: &Project, args: &[&str]) -> HeldApply {
        let proxy = Proxy::start(moto().endpoint(), Faults::none());
        let (arrived_tx, arrived) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let held = AtomicBool::new(false);
        let hook = Mutex::new((arrived_tx, release_rx));
        proxy.on_request(move |seen, moment| {
            if moment == Moment::BeforeForward
                && seen.mutating
                && !held.swap(true, Ordering::SeqCst)
            {
                let hook = hook.lock().unwrap();
                let _ = hook.0.send(());
                // Bounded, so that a test that fails early cannot hang the proxy.
                let _ = hook.1.recv_timeout(Duration::from_secs(60));
            }
        });
        let mut child = project
            .command(args, proxy.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        HeldApply {
            child,
            lines,
            events: Vec::new(),
            arrived,
            release,
            _proxy: proxy,
        }
    }

    /// Waits until lade's first mutating request is held at the proxy.
    fn wait_for_the_held_request(&self) {
        self.arrived
            .recv_timeout(Duration::from_secs(60))
            .expect("lade sent no mutating request");
    }

    /// Reads events up to and including the first of kind `kind`.
    fn read_until(&mut self, kind: &str) {
        for line in self.lines.by_ref() {
            let event: Value = serde_json::from_str(&line.unwrap()).unwrap();
            let found = event["event"] == kind;
            self.events.push(event);
            if found {
                return;
            }
        }
        panic!("no `{kind}` event: {:#?}", self.events);
    }

    /// Reads the rest of the events and waits for lade to end.
    fn finish(&mut self) -> (std::process::ExitStatus, String) {
        for line in self.lines.by_ref() {
            self.events
                .push(serde_json::from_str(&line.unwrap()).unwrap());
        }
        let stderr = stderr_of(&mut self.child);
        (self.child.wait().unwrap(), stderr)
    }
}

#[tokio::test]
async fn ctrl_c_during_apply_starts_no_new_step_and_a_rerun_converges() {
    let project = small_project("sigint");
    let mut apply = HeldApply::start(&project);
    let _watchdog = watchdog(&apply.child);
    apply.wait_for_the_held_request();
    interrupt(&apply.child);
    apply.read_until("interrupted");
    // Only now does the held step's request reach moto.
    apply.release.send(()).unwrap();
    let (status, stderr) = apply.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");

    let events = &apply.events;
    let summary = check_interrupted_stream(events, 14);
    assert_eq!(summary["result"], "interrupted", "{summary}");
    assert_eq!(summary["abandoned"], serde_json::json!([]), "one Ctrl-C");
    // The held step finished after the interrupt; the steps that wait for it never
    // started: the 8 that wait for the role, or the 9 that wait for the API.
    let interrupted = events.iter().find(|e| e["event"] == "interrupted").unwrap();
    assert!(
        !interrupted["in_flight"].as_array().unwrap().is_empty(),
        "{events:#?}"
    );
    let not_started = summary["not_started"].as_array().unwrap().len();
    assert!(not_started >= 8, "{summary}");
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
async fn ctrl_c_twice_abandons_the_step_in_flight_and_a_rerun_converges() {
    let project = small_project("sigint2");
    let mut apply = HeldApply::start(&project);
    let _watchdog = watchdog(&apply.child);
    apply.wait_for_the_held_request();
    interrupt(&apply.child);
    // The second Ctrl-C only once the first was handled: two signals sent at once
    // may reach the process as one.
    apply.read_until("interrupted");
    interrupt(&apply.child);
    let (status, stderr) = apply.finish();
    // lade is gone; now the request it abandoned reaches moto, which acts on it: the
    // step's outcome really was unknown.
    apply.release.send(()).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");

    let summary = check_interrupted_stream(&apply.events, 14);
    assert_eq!(summary["result"], "interrupted", "{summary}");
    assert!(
        !summary["abandoned"].as_array().unwrap().is_empty(),
        "the held step was abandoned: {summary}"
    );
    assert!(stderr.contains("apply interrupted: "), "{stderr}");

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

/// Ctrl-C during `destroy` (issue 19): no new step starts, the held one finishes,
/// the summary says what was not started, exit 1; running `destroy` again finishes.
#[tokio::test]
async fn ctrl_c_during_destroy_starts_no_new_step_and_a_rerun_finishes() {
    let project = small_project("sigdes");
    project.ok(&["apply", "--yes"]);
    let mut destroy = HeldApply::start_with(&project, &["destroy", "--yes", "--json"]);
    let _watchdog = watchdog(&destroy.child);
    destroy.wait_for_the_held_request();
    interrupt(&destroy.child);
    destroy.read_until("interrupted");
    destroy.release.send(()).unwrap();
    let (status, stderr) = destroy.finish();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let events = &destroy.events;
    let summary = events.iter().find(|e| e["event"] == "summary").unwrap();
    assert_eq!(summary["result"], "interrupted", "{summary}");
    assert_eq!(summary["abandoned"], serde_json::json!([]), "one Ctrl-C");
    assert!(
        !summary["not_started"].as_array().unwrap().is_empty(),
        "{summary}"
    );
    assert_eq!(summary["rerun"], "lade destroy", "{summary}");
    // Something is left to destroy, and a second destroy removes it all.
    let left = Account::new().await.owned(&project.name).await;
    assert!(!left.is_empty(), "the interrupted destroy finished anyway");
    project.ok(&["destroy", "--yes"]);
    let owned = Account::new().await.owned(&project.name).await;
    assert!(owned.is_empty(), "{owned:#?}");
}

/// Ctrl-C while reading, against an endpoint that answers (moto, through the proxy,
/// which holds one read so that lade is surely reading): cancelled, nothing changed,
/// no mutating request sent (issue 19).
#[tokio::test]
async fn ctrl_c_while_reading_a_live_account_changes_nothing() {
    let project = small_project("sigread");
    let proxy = Proxy::start(moto().endpoint(), Faults::none());
    let (arrived_tx, arrived) = mpsc::channel();
    let arrived_tx = Mutex::new(arrived_tx);
    proxy.on_request(move |seen, moment| {
        if moment == Moment::BeforeForward && seen.name == "ListRoles" {
            let _ = arrived_tx.lock().unwrap().send(());
        }
    });
    // Held until a thousand are in flight: never, so lade is still reading.
    proxy.gate(1000, Duration::ZERO, |seen| seen.name == "ListRoles");
    let mut child = project
        .command(&["apply", "--yes"], proxy.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _watchdog = watchdog(&child);
    arrived
        .recv_timeout(Duration::from_secs(60))
        .expect("lade did not read the roles");
    interrupt(&child);
    let stderr = stderr_of(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: apply cancelled; nothing was changed"),
        "{stderr}"
    );
    let requests = proxy.requests();
    assert!(!requests.iter().any(|s| s.mutating), "{requests:#?}");
    let owned = Account::new().await.owned(&project.name).await;
    assert!(owned.is_empty(), "{owned:#?}");
}
