//! Crashes: `lade apply` killed with SIGKILL at every step boundary of a small
//! manifest, and part-way through every step, against moto. After each kill a re-run
//! of `apply` must succeed, a following `plan --detailed-exitcode` must show no
//! changes, the account (read with the SDK, not through lade) must hold exactly the
//! manifest, nothing duplicated and nothing extra, and `destroy` must leave nothing
//! of the project behind.
//!
//! The manifest has a role, two functions and two routes: 14 steps. Kill points:
//!
//! - after the k-th `succeeded` event, for every k (every step boundary);
//! - after the k-th `started` event, for every k: the step's request is then usually
//!   in flight, or lade is waiting for the function to become ready.
//!
//! The kill comes as soon as the test has read the event line, so lade may have gone
//! a little further by then; what matters is that every point is a different crash.
//! Each kill point has its own project, and they run a few at a time.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;

use serde_json::Value;
use support::account::Account;
use support::moto;
use support::project::Project;
use support::small::{assert_exactly_the_manifest, small_project};

/// How many kill points run at once. Each is a chain of lade processes against the
/// one moto server.
const WORKERS: usize = 4;

/// Where to kill lade.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// Right after the k-th `succeeded` event (from 1).
    Succeeded(usize),
    /// Right after the k-th `started` event (from 1).
    Started(usize),
}

impl KillPoint {
    fn event(self) -> (&'static str, usize) {
        match self {
            KillPoint::Succeeded(k) => ("succeeded", k),
            KillPoint::Started(k) => ("started", k),
        }
    }
}

/// What happened at one kill point.
#[derive(Debug)]
struct Crash {
    point: KillPoint,
    /// Whether SIGKILL ended lade (rather than lade having finished first).
    killed: bool,
}

/// Runs `lade apply --yes --json` and kills it with SIGKILL at `point`.
fn apply_and_kill(project: &Project, point: KillPoint) -> bool {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lade"));
    command
        .args(["apply", "--yes", "--json"])
        .current_dir(project.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_remove("LADE_STAGE");
    for (key, value) in moto().env() {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let (event, k) = point.event();
    let mut seen = 0;
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let Ok(line) = line else { break };
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if value["event"] == event {
            seen += 1;
            if seen == k {
                // SIGKILL: no handler runs, nothing is flushed.
                let _ = child.kill();
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(
        seen == k,
        "{point:?}: lade printed only {seen} `{event}` events ({status})"
    );
    killed_by_sigkill(status)
}

#[cfg(unix)]
fn killed_by_sigkill(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

/// After a crash: a re-run converges to exactly the manifest, and destroy removes it.
fn converge_and_check(
    project: &Project,
    account: &Account,
    runtime: &tokio::runtime::Runtime,
    label: &str,
) {
    let applied = project.lade(&["apply", "--yes"]);
    assert!(
        applied.status.success(),
        "{label}: the re-run failed:\n{}\n{}",
        String::from_utf8_lossy(&applied.stdout),
        String::from_utf8_lossy(&applied.stderr)
    );
    let planned = project.lade(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{label}: the plan after the re-run is not empty:\n{}\n{}",
        String::from_utf8_lossy(&planned.stdout),
        String::from_utf8_lossy(&planned.stderr)
    );
    let owned = runtime.block_on(account.owned(&project.name));
    assert_exactly_the_manifest(project, &owned, label);

    project.ok(&["destroy", "--yes"]);
    let owned = runtime.block_on(account.owned(&project.name));
    assert!(owned.is_empty(), "{label}: destroy left {owned:#?}");
}

/// Runs `check` for every point, `WORKERS` at a time, and returns what happened.
fn run_all(points: Vec<KillPoint>, check: impl Fn(KillPoint) -> Crash + Sync) -> Vec<Crash> {
    let queue = Mutex::new(points);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(point) = queue.lock().unwrap().pop() {
                    let crash = check(point);
                    done.lock().unwrap().push(crash);
                }
            });
        }
    });
    done.into_inner().unwrap()
}

/// The number of steps of the manifest's cold plan.
fn step_count() -> usize {
    let project = small_project("crash");
    let plan: Value = serde_json::from_str(&project.ok(&["plan", "--json"])).unwrap();
    plan["steps"].as_array().unwrap().len()
}

#[test]
fn a_rerun_converges_after_a_kill_at_every_step_boundary_and_inside_every_step() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let account = runtime.block_on(Account::new());
    let steps = step_count();
    assert_eq!(steps, 14, "the manifest's cold plan");
    let points: Vec<KillPoint> = (1..=steps)
        .flat_map(|k| [KillPoint::Succeeded(k), KillPoint::Started(k)])
        .collect();
    let total = points.len();

    let crashes = run_all(points, |point| {
        let project = small_project("crash");
        let killed = apply_and_kill(&project, point);
        converge_and_check(&project, &account, &runtime, &format!("{point:?}"));
        Crash { point, killed }
    });

    let killed = crashes.iter().filter(|c| c.killed).count();
    eprintln!(
        "{total} kill points ({steps} step boundaries, {steps} inside a step): \
         {killed} killed lade mid-apply, {} came after it had finished",
        total - killed
    );
    assert_eq!(crashes.len(), total);
    // Kills inside the first step cannot come after the end of a 14-step apply.
    assert!(
        crashes
            .iter()
            .any(|c| matches!(c.point, KillPoint::Started(1)) && c.killed),
        "{crashes:?}"
    );
}
