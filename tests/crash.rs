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
//!   in flight, or lade is waiting for the function to become ready;
//! - inside the n-th mutating request, for every n, at the exact worst moment: lade
//!   talks to moto through the fault proxy (`support::proxy`), whose hook kills lade
//!   once moto has answered but before the answer reaches lade. AWS changed, and lade
//!   never knew: the next run must find the change by reading, and neither repeat nor
//!   lose it.
//!
//! The kills after an event come as soon as the test has read the event line, so lade
//! may have gone a little further by then; what matters is that every point is a
//! different crash. Each kill point has its own project, and they run a few at a time.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use serde_json::Value;
use support::account::Account;
use support::moto;
use support::project::Project;
use support::proxy::{Faults, Moment, Proxy};
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
    /// When moto has answered the n-th mutating request (from 1), before lade hears.
    Answered(usize),
}

/// What happened at one kill point.
#[derive(Debug)]
struct Crash {
    point: KillPoint,
    /// Whether SIGKILL ended lade (rather than lade having finished first).
    killed: bool,
}

/// `lade apply --yes --json` in `project`, talking to the endpoint in `env`.
fn apply_command(project: &Project, env: Vec<(&'static str, String)>) -> Command {
    let mut command = project.command(&["apply", "--yes", "--json"], env);
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    command
}

/// Runs `lade apply --yes --json` and kills it with SIGKILL at `point`. Returns
/// whether the kill ended it (rather than lade having finished first).
fn apply_and_kill(project: &Project, point: KillPoint) -> bool {
    let (event, k) = match point {
        KillPoint::Succeeded(k) => ("succeeded", k),
        KillPoint::Started(k) => ("started", k),
        KillPoint::Answered(n) => return apply_and_kill_when_answered(project, n),
    };
    let mut child = apply_command(project, moto().env()).spawn().unwrap();
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

/// Runs `lade apply --yes --json` through the fault proxy and kills it from the
/// proxy's hook once moto has answered the n-th mutating request, before the answer
/// goes back.
fn apply_and_kill_when_answered(project: &Project, n: usize) -> bool {
    let proxy = Proxy::start(moto().endpoint(), Faults::none());
    let pid = Arc::new(AtomicU32::new(0));
    let mutations = Arc::new(AtomicUsize::new(0));
    let (hook_pid, hook_mutations) = (pid.clone(), mutations.clone());
    proxy.on_request(move |seen, moment| {
        if moment != Moment::Answered || !seen.mutating {
            return;
        }
        if hook_mutations.fetch_add(1, Ordering::SeqCst) + 1 == n {
            // lade's first mutation comes after its reads, long after the spawn
            // below has returned; wait for the id all the same.
            let pid = loop {
                match hook_pid.load(Ordering::SeqCst) {
                    0 => std::thread::yield_now(),
                    pid => break pid,
                }
            };
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    });
    let mut child = apply_command(project, proxy.env()).spawn().unwrap();
    pid.store(child.id(), Ordering::SeqCst);
    let status = child.wait().unwrap();
    let made = mutations.load(Ordering::SeqCst);
    assert!(
        made >= n,
        "Answered({n}): lade made only {made} mutating requests ({status})"
    );
    killed_by_sigkill(status)
}

/// How many mutating requests a clean apply of the small manifest makes, counted by
/// the proxy (every mutating request is then a kill point).
fn mutating_requests() -> usize {
    let project = small_project("count");
    let proxy = Proxy::start(moto().endpoint(), Faults::none());
    let status = apply_command(&project, proxy.env()).status().unwrap();
    assert!(status.success());
    let count = proxy.requests().iter().filter(|r| r.mutating).count();
    project.ok(&["destroy", "--yes"]);
    count
}

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
    let requests = mutating_requests();
    assert!(requests >= steps, "at least one mutating request a step");
    let points: Vec<KillPoint> = (1..=steps)
        .flat_map(|k| [KillPoint::Succeeded(k), KillPoint::Started(k)])
        .chain((1..=requests).map(KillPoint::Answered))
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
        "{total} kill points ({steps} step boundaries, {steps} inside a step, {requests} \
         after moto answered a mutating request): {killed} killed lade mid-apply, {} came \
         after it had finished",
        total - killed
    );
    assert_eq!(crashes.len(), total);
    // A kill from the proxy's hook cannot miss: lade is waiting for that answer.
    for crash in &crashes {
        if let KillPoint::Answered(_) = crash.point {
            assert!(crash.killed, "{crash:?}");
        }
    }
    // Kills inside the first step cannot come after the end of a 14-step apply.
    assert!(
        crashes
            .iter()
            .any(|c| matches!(c.point, KillPoint::Started(1)) && c.killed),
        "{crashes:?}"
    );
}
