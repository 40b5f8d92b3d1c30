//! lade on an account that behaves like AWS rather than like moto (issue 12): the test
//! proxy adds round-trip latency, answers requests over AWS's documented quotas with
//! each service's real throttling error, refuses a role that IAM has not propagated
//! yet, and stalls connections.
//!
//! moto itself has none of this: no rate limits, no latency, no propagation delay and
//! no stalls. Each test here runs lade's binary against moto through the proxy
//! (`tests/support/proxy.rs`, [`Realism`]), exactly as it runs against AWS.

mod support;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::project::{Project, write};
use support::proxy::{Fault, Faults, Proxy, Realism};

/// One role with an inline policy and `n` functions `f1`..`fn`, each behind `GET /fK`.
fn fleet(n: usize, prefix: &str) -> Project {
    let project = Project::new(prefix);
    let mut text = String::from(
        "project: {project}\nregion: us-east-1\nroles:\n  api:\n    policies:\n      logs:\n        \
         Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            \
         Action: logs:PutLogEvents\n            Resource: \"*\"\nfunctions:\n",
    );
    for k in 1..=n {
        write(
            &project.path().join(format!("f{k}/app.py")),
            &format!("def handler(event, context):\n    return {k}\n"),
        );
        text.push_str(&format!(
            "  f{k}:\n    source: ./f{k}\n    handler: app.handler\n    runtime: python3.12\n    role: api\n"
        ));
    }
    text.push_str("api:\n  routes:\n");
    for k in 1..=n {
        text.push_str(&format!("    GET /f{k}: f{k}\n"));
    }
    project.manifest(&text);
    project
}

/// How long a run may take before the test calls it a hang and kills it. Not a speed
/// check (scripts/bench measures speed): a generous bound so that a hang fails the
/// test with a message instead of stalling the suite.
const HANG: Duration = Duration::from_secs(240);

/// `lade ARGS` through `proxy` with extra environment; kills it and fails the test if
/// it outlasts [`HANG`].
fn run(project: &Project, proxy: &Proxy, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = project.command(args, proxy.env());
    command
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > HANG {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "lade {args:?} hung for {HANG:?}:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn ok(project: &Project, proxy: &Proxy, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = run(project, proxy, args, env);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "lade {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Issue 12's acceptance test: a 20-function fleet behind 20 routes converges under
/// AWS's real quotas, 50 ms of round trip and a role that takes 10 s to propagate:
/// one apply, nothing failed, then a clean plan.
#[test]
fn a_fleet_converges_under_aws_quotas_latency_and_role_propagation() {
    let project = fleet(20, "fleet");
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    proxy.realism(Realism::aws(
        Duration::from_millis(50),
        Duration::from_secs(10),
    ));

    let stdout = ok(&project, &proxy, &["apply", "--yes", "--json"], &[]);
    let events = events(&stdout);
    assert!(
        events.iter().all(|event| event["event"] != "failed"),
        "{stdout}"
    );
    assert!(
        events
            .iter()
            .filter(|event| event["event"] == "succeeded")
            .count()
            > 60,
        "{stdout}"
    );
    let enforced = proxy.enforced();
    // The role delay was in force: Lambda refused the new role at first, and lade
    // waited for it to propagate instead of failing.
    assert!(!enforced.role_refused.is_empty(), "{enforced:?}");

    let plan = ok(&project, &proxy, &["plan"], &[]);
    assert!(plan.starts_with("No changes."), "{plan}");

    // lade paced itself: of the hundreds of requests, hardly any went over a quota
    // (a few may, where latency jitter brings two paced requests closer at the
    // proxy than lade sent them).
    let requests = proxy.request_count();
    assert!(requests > 150, "{requests} requests");
    assert!(
        enforced.throttled.len() * 20 <= requests,
        "{} of {requests} requests throttled: {:?}",
        enforced.throttled.len(),
        enforced.throttled
    );
}

/// The same quotas without lade's pacing would be broken at once: the proxy's buckets
/// are live, as a burst of API Gateway reads past its quota shows.
#[tokio::test]
async fn the_proxy_throttles_what_goes_over_a_quota() {
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    proxy.realism(Realism {
        quotas: support::proxy::AWS_QUOTAS.to_vec(),
        ..Realism::default()
    });
    let config = proxy.sdk_config(1).await;
    let apigateway = aws_sdk_apigateway::Client::new(&config);
    let mut throttled = 0;
    // GetResources: 5 every 2 s. Ten at once (on an API that does not exist: the
    // quota applies before the API is looked up).
    for _ in 0..10 {
        let answer = apigateway.get_resources().rest_api_id("none").send().await;
        if let Err(error) = answer {
            use aws_sdk_apigateway::error::ProvideErrorMetadata as _;
            if error.code() == Some("TooManyRequestsException") {
                throttled += 1;
            }
        }
    }
    assert!(throttled >= 4, "{throttled} of 10 throttled");
    assert_eq!(proxy.enforced().throttled.len(), throttled);
}

/// A connection that is accepted and never answered ends in a retry within the attempt
/// timeout, never a hang: once on an idempotent write (`PutRolePolicy`, which the SDK
/// sends again), once on a create that cannot be retried blindly after AWS acted on it
/// (`CreateResource`: moto made the resource, the answer never came; lade reads the
/// resources and finds it), and once on `CreateRestApi` before it reached moto (lade
/// looks for the API by its tags, finds none, and creates it). Then a re-run
/// converges.
#[test]
fn a_stalled_request_ends_in_a_retry_and_a_rerun_converges() {
    let project = fleet(2, "stall");
    let faults = Faults::none()
        .first(|seen| seen.name == "PutRolePolicy", Fault::Stall)
        .first(|seen| seen.name == "CreateRestApi", Fault::Stall)
        .first(
            |seen| seen.name == "CreateResource",
            Fault::StallAfterForward,
        );
    let proxy = Proxy::start(support::moto().endpoint(), faults);
    let short = [("LADE_REQUEST_TIMEOUT", "2s")];

    let output = run(&project, &proxy, &["apply", "--yes", "--json"], &short);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let stalled: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|seen| matches!(seen.fault, Some(Fault::Stall | Fault::StallAfterForward)))
        .map(|seen| seen.name)
        .collect();
    assert_eq!(
        stalled,
        ["PutRolePolicy", "CreateRestApi", "CreateResource"],
        "each stall happened once"
    );
    // Each stalled request was sent again after the attempt timeout.
    for name in ["PutRolePolicy", "CreateRestApi", "CreateResource"] {
        let sent = proxy.requests().iter().filter(|s| s.name == name).count();
        assert!(sent >= 2, "{name} was sent {sent} times");
    }
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        events(&stdout)
            .iter()
            .all(|event| event["event"] != "failed"),
        "{stdout}"
    );

    // A re-run converges: nothing left to do, and no duplicate resource.
    proxy.set_faults(Faults::none());
    let plan = ok(&project, &proxy, &["plan"], &[]);
    assert!(plan.starts_with("No changes."), "{plan}");
}

/// With every attempt stalled, the run ends with a clear error naming the timeout,
/// not a hang; the next run converges.
#[test]
fn a_request_that_always_stalls_is_a_clear_error() {
    let project = fleet(1, "stallall");
    let proxy = Proxy::start(
        support::moto().endpoint(),
        Faults::seeded(1, 1.0)
            .kinds([Fault::Stall])
            .only(|seen| seen.name == "PutRolePolicy"),
    );
    let short = [("LADE_REQUEST_TIMEOUT", "1s")];
    let output = run(&project, &proxy, &["apply", "--yes"], &short);
    let all = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{all}");
    assert!(all.contains("PutRolePolicy"), "{all}");
    assert!(
        all.contains("PutRolePolicy: no answer within the request timeout (1s)"),
        "{all}"
    );

    proxy.set_faults(Faults::none());
    ok(&project, &proxy, &["apply", "--yes"], &[]);
    let plan = ok(&project, &proxy, &["plan"], &[]);
    assert!(plan.starts_with("No changes."), "{plan}");
}
