//! An opt-in benchmark, not a test: `scripts/bench` runs it (`cargo test --release
//! --test bench_quotas -- --ignored`), and scripts/test leaves it out.
//!
//! lade's cold apply of an N-function fleet (N routes, one role; `BENCH_QUOTA_N`,
//! default 50) through the test proxy at AWS's real quotas with `BENCH_RTT_MS` (default
//! 50) of round trip, against the floor those quotas allow for the requests lade made:
//! for each of the proxy's buckets, the requests that went through it beyond its
//! burst, times its interval; the floor is the largest. It prints one JSON line
//! (`{"quota_bench": …}`) and writes it to `BENCH_QUOTA_OUT` if set.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::project::{Project, write};
use support::proxy::{AWS_QUOTAS, Faults, Proxy, Realism, Scope};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "a benchmark: scripts/bench runs it"]
fn cold_apply_against_the_quota_floor() {
    let n = env_number("BENCH_QUOTA_N", 50) as usize;
    let rtt = Duration::from_millis(env_number("BENCH_RTT_MS", 50));
    let project = Project::new("qbench");
    let mut text = String::from(
        "project: {project}\nregion: us-east-1\nroles:\n  fn:\n    managed_policies: \
         [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]\nfunctions:\n",
    );
    for k in 1..=n {
        write(
            &project.path().join(format!("f{k}/app.py")),
            &format!("def handler(event, context):\n    return {k}\n"),
        );
        text.push_str(&format!(
            "  f{k}:\n    source: ./f{k}\n    handler: app.handler\n    runtime: python3.12\n    role: fn\n"
        ));
    }
    text.push_str("api:\n  routes:\n");
    for k in 1..=n {
        text.push_str(&format!("    GET /f{k}: f{k}\n"));
    }
    project.manifest(&text);

    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    proxy.realism(Realism {
        rtt,
        jitter: rtt / 5,
        seed: 1,
        quotas: AWS_QUOTAS.to_vec(),
        role_delay: None,
    });
    let started = Instant::now();
    let output = project
        .command(&["apply", "--yes", "--json"], proxy.env())
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // Requests per bucket, as the proxy counts them (each throttled retry too: AWS
    // counts it against the quota as well).
    let mut through: BTreeMap<String, (u64, f64, f64)> = BTreeMap::new();
    let requests = proxy.requests();
    for seen in &requests {
        let listed = AWS_QUOTAS.iter().any(|(scope, _)| {
            matches!(scope, Scope::Operation(s, o) if *s == seen.service && *o == seen.name)
        });
        for (scope, quota) in AWS_QUOTAS {
            let key = match *scope {
                Scope::Service(s) if s == seen.service => format!("{s} (all)"),
                Scope::Operation(s, o) if s == seen.service && o == seen.name => {
                    format!("{s} {o}")
                }
                Scope::EachOperation(s) if s == seen.service && !listed => {
                    format!("{s} {}", seen.name)
                }
                _ => continue,
            };
            let interval = quota.per.as_secs_f64() / quota.requests;
            let entry = through.entry(key).or_insert((0, interval, quota.burst));
            entry.0 += 1;
        }
    }
    let floors: BTreeMap<&String, f64> = through
        .iter()
        .map(|(key, (count, interval, burst))| (key, ((*count as f64) - burst).max(0.0) * interval))
        .collect();
    let (bound, floor) = floors
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(key, floor)| ((*key).clone(), *floor))
        .unwrap_or_default();
    let throttled = proxy.enforced().throttled.len();
    let result = json!({"quota_bench": {
        "functions": n,
        "rtt_ms": rtt.as_millis() as u64,
        "seconds": seconds,
        "requests": requests.len(),
        "throttled": throttled,
        "floor_seconds": floor,
        "floor_bucket": bound,
        "ratio": if floor > 0.0 { seconds / floor } else { 0.0 },
        "buckets": through
            .iter()
            .map(|(key, (count, interval, burst))| (key.clone(), json!({
                "requests": count, "interval_s": interval, "burst": burst,
                "floor_s": floors[key],
            })))
            .collect::<serde_json::Map<String, Value>>(),
    }});
    println!("{result}");
    if let Ok(path) = std::env::var("BENCH_QUOTA_OUT") {
        std::fs::write(path, result.to_string()).unwrap();
    }
}
