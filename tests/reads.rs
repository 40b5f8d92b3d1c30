//! How many AWS requests lade makes, counted by `--stats`, against moto: a no-op plan
//! reads each routed function once, a no-op apply changes nothing, a code change is
//! exactly one `UpdateFunctionCode`, independent steps run together, and
//! `--parallelism` bounds the requests in flight, reading as applying (counted
//! through the test proxy).

mod support;

use std::collections::BTreeMap;
use std::process::Output;

use std::time::Duration;

use serde_json::Value;
use support::project::{Project, write};
use support::proxy::{Faults, Proxy, Seen};

/// One role and `n` functions `f1`..`fn`, each behind `GET /fK`.
fn manifest(n: usize) -> String {
    let mut text =
        String::from("project: {project}\nregion: us-east-1\nroles:\n  api: {}\nfunctions:\n");
    for k in 1..=n {
        text.push_str(&format!(
            "  f{k}:\n    source: ./f{k}\n    handler: app.handler\n    runtime: python3.12\n    role: api\n"
        ));
    }
    text.push_str("api:\n  routes:\n");
    for k in 1..=n {
        text.push_str(&format!("    GET /f{k}: f{k}\n"));
    }
    text
}

fn project(n: usize, prefix: &str) -> Project {
    let project = Project::new(prefix);
    for k in 1..=n {
        write(
            &project.path().join(format!("f{k}/app.py")),
            &format!("def handler(event, context):\n    return {k}\n"),
        );
    }
    project.manifest(&manifest(n));
    project
}

/// The `--stats` JSON object from stderr.
fn stats(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "lade failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    let line = stderr
        .lines()
        .rev()
        .find(|line| line.starts_with("{\"stats\""))
        .unwrap_or_else(|| panic!("no stats line in:\n{stderr}"));
    serde_json::from_str::<Value>(line).unwrap()["stats"].clone()
}

/// `(service, operation)` → requests.
fn requests(stats: &Value) -> BTreeMap<(String, String), u64> {
    stats["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                (
                    row["service"].as_str().unwrap().to_owned(),
                    row["operation"].as_str().unwrap().to_owned(),
                ),
                row["requests"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn is_read(operation: &str) -> bool {
    ["Get", "List"].iter().any(|p| operation.starts_with(p))
}

/// The mutating requests, by operation.
fn mutations(stats: &Value) -> BTreeMap<String, u64> {
    requests(stats)
        .into_iter()
        .filter(|((_, op), _)| !is_read(op))
        .map(|((_, op), n)| (op, n))
        .collect()
}

fn row<'a>(stats: &'a Value, service: &str, operation: &str) -> Option<&'a Value> {
    stats["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == service && r["operation"] == operation)
}

#[test]
fn a_no_op_plan_reads_each_routed_function_once() {
    let project = project(5, "noop");
    project.ok(&["apply", "--yes"]);

    let output = project.lade(&["plan", "--json", "--stats"]);
    let stats = stats(&output);
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["steps"].as_array().unwrap().len(), 0, "{plan}");

    let key = |s: &str, o: &str| (s.to_owned(), o.to_owned());
    let expected = BTreeMap::from([
        // One read per function: its resource policy.
        (key("lambda", "GetPolicy"), 5),
        // A small constant: the listing (moto answers in one page), the tag query,
        (key("lambda", "ListFunctions"), 1),
        (key("tagging", "GetResources"), 1),
        // the account's triggers (one page),
        (key("lambda", "ListEventSourceMappings"), 1),
        // the project's rules on the default bus (by name prefix; none here),
        (key("eventbridge", "ListRules"), 1),
        // the role (`GetRole` for its permissions boundary, which `ListRoles` leaves
        // out on AWS) and its policies,
        (key("iam", "ListRoles"), 1),
        (key("iam", "GetRole"), 1),
        (key("iam", "ListRolePolicies"), 1),
        (key("iam", "ListAttachedRolePolicies"), 1),
        // and the API.
        (key("apigateway", "GetRestApis"), 1),
        (key("apigateway", "GetResources"), 1),
        (key("apigateway", "GetStages"), 1),
        (key("apigateway", "GetDeployments"), 1),
        // and the project's HTTP APIs (none here).
        (key("apigatewayv2", "GetApis"), 1),
    ]);
    assert_eq!(requests(&stats), expected);
    assert_eq!(stats["total"]["requests"], 18);
    assert_eq!(stats["total"]["retries"], 0);
    assert_eq!(stats["total"]["attempts"], 18);
}

/// `GetResources` (API Gateway's, 5 calls every 2 s per account) is not read again
/// before each `CreateResource` (issue 12): the plan already knows the tree. A cold
/// apply of five routes reads the API's resources once, for the outputs it prints;
/// before, it read them once more per route.
#[test]
fn a_cold_apply_reads_the_api_resources_once() {
    let project = project(5, "coldres");
    let output = project.lade(&["apply", "--yes", "--json", "--stats"]);
    let stats = stats(&output);
    assert_eq!(
        row(&stats, "apigateway", "CreateResource").unwrap()["requests"],
        5
    );
    assert_eq!(
        row(&stats, "apigateway", "GetResources").unwrap()["requests"],
        1,
        "{stats}"
    );
}

#[test]
fn a_no_op_apply_sends_no_mutating_request() {
    let project = project(2, "noapply");
    project.ok(&["apply", "--yes"]);

    let output = project.lade(&["apply", "--yes", "--json", "--stats"]);
    let stats = stats(&output);
    assert_eq!(mutations(&stats), BTreeMap::new(), "{stats}");
    assert!(stats["total"]["requests"].as_u64().unwrap() > 0, "it read");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("\"started\""), "no step ran: {stdout}");
}

#[test]
fn a_code_change_is_exactly_one_update_function_code() {
    let project = project(3, "code");
    project.ok(&["apply", "--yes"]);
    write(
        &project.path().join("f2/app.py"),
        "def handler(event, context):\n    return 'changed'\n",
    );

    let output = project.lade(&["apply", "--yes", "--json", "--stats"]);
    let stats = stats(&output);
    assert_eq!(
        mutations(&stats),
        BTreeMap::from([("UpdateFunctionCode".to_owned(), 1)]),
        "{stats}"
    );
    assert!(row(&stats, "apigateway", "CreateDeployment").is_none());
    // One GetFunction confirms that lade owns f2 before the plan updates it (the
    // tagging index alone does not prove it); every other one was a poll of the
    // waiter for LastUpdateStatus=Successful.
    let polls = row(&stats, "lambda", "GetFunction").expect("the update is waited for");
    assert!(polls["waits"].as_u64().unwrap() >= 1, "{polls}");
    assert_eq!(
        polls["requests"].as_u64().unwrap(),
        polls["waits"].as_u64().unwrap() + 1,
        "{polls}"
    );
    // The plan read the three routed functions' policies; the outputs read after the
    // apply reads only the API.
    assert_eq!(row(&stats, "lambda", "GetPolicy").unwrap()["requests"], 3);
    assert_eq!(
        row(&stats, "apigateway", "GetRestApis").unwrap()["requests"],
        2
    );
}

/// `lade ARGS` in `project` through `proxy`; asserts it succeeds and returns stdout.
fn through(project: &Project, proxy: &Proxy, args: &[&str]) -> String {
    let output = project.command(args, proxy.env()).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "lade {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// No scheduling luck (issue 19): the proxy holds the `CreateFunction` requests until
/// two are in flight, so two `create function` steps surely overlap; the third never
/// starts while two run, which the events show whatever the timing.
#[test]
fn independent_steps_run_together_within_the_service_bound() {
    let project = project(5, "conc");
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    proxy.gate(2, Duration::ZERO, |seen| seen.name == "CreateFunction");
    let stdout = through(
        &project,
        &proxy,
        &["apply", "--yes", "--json", "--parallelism", "lambda=2"],
    );
    assert_eq!(
        proxy.gate_opened(),
        Some(true),
        "two creates were never in flight"
    );
    let events: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Steps in flight at once, overall and for `create function` steps (Lambda).
    let (mut running, mut peak) = (BTreeMap::new(), 0);
    let mut peak_functions = 0;
    for event in &events {
        let step = event["step"].as_u64();
        match event["event"].as_str() {
            Some("started") => {
                running.insert(step, event["description"].as_str().unwrap().to_owned());
            }
            Some("succeeded" | "failed") => {
                running.remove(&step);
            }
            _ => continue,
        }
        peak = peak.max(running.len());
        let functions = running
            .values()
            .filter(|d| d.starts_with("create function"))
            .count();
        peak_functions = peak_functions.max(functions);
    }
    assert!(peak >= 2, "two steps were in flight together: {events:?}");
    assert_eq!(peak_functions, 2, "Lambda is held to 2: {events:?}");
    assert_eq!(
        proxy.peak_in_flight(|seen| seen.name == "CreateFunction"),
        2,
        "two CreateFunction requests at once, never three"
    );
    assert!(events.iter().all(|e| e["event"] != "failed"), "{events:?}");
}

/// `--parallelism` bounds the requests in flight while reading, too (issue 19). The
/// proxy holds Lambda's reads until two are in flight (so the bound is reached), then
/// a moment longer: a third read sent at the same time would be seen in flight.
#[test]
fn parallelism_bounds_the_reads_in_flight() {
    let project = project(5, "rdpar");
    project.ok(&["apply", "--yes"]);

    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    proxy.gate(2, Duration::from_millis(300), |seen| {
        seen.name == "GetPolicy"
    });
    let plan = through(&project, &proxy, &["plan", "--parallelism", "lambda=2"]);
    assert!(plan.starts_with("No changes."), "{plan}");
    assert_eq!(
        proxy.gate_opened(),
        Some(true),
        "two reads were never in flight"
    );
    let lambda = |seen: &Seen| seen.service == "lambda";
    assert_eq!(proxy.peak_in_flight(lambda), 2, "{:#?}", proxy.requests());
    let policies = proxy
        .requests()
        .iter()
        .filter(|s| s.name == "GetPolicy")
        .count();
    assert_eq!(policies, 5);

    // One overall: never two requests at once, of any service.
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    let plan = through(&project, &proxy, &["plan", "--parallelism", "1"]);
    assert!(plan.starts_with("No changes."), "{plan}");
    assert_eq!(proxy.peak_in_flight(|_| true), 1, "{:#?}", proxy.requests());
}

#[test]
fn the_stats_table_lists_what_the_json_counts() {
    let project = project(2, "table");
    project.ok(&["apply", "--yes"]);

    let json = stats(&project.lade(&["plan", "--json", "--stats"]));
    let output = project.lade(&["plan", "--stats"]);
    assert!(output.status.success());
    let table = String::from_utf8_lossy(&output.stderr);
    assert!(
        table.contains("SERVICE") && table.contains("RETRIES") && table.contains("Waiting on AWS:"),
        "{table}"
    );
    // The same reads, so the same counts: each row's service, operation and requests.
    for ((service, operation), n) in requests(&json) {
        let line = table
            .lines()
            .find(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                cells.len() > 2 && cells[0] == service && cells[1] == operation
            })
            .unwrap_or_else(|| panic!("no row for {service} {operation}:\n{table}"));
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[2], n.to_string(), "{line}");
    }
    let total = table.lines().find(|l| l.starts_with("total")).unwrap();
    assert_eq!(
        total.split_whitespace().nth(1).unwrap(),
        json["total"]["requests"].to_string(),
        "{table}"
    );
    // The plan itself still goes to stdout, untouched.
    assert!(String::from_utf8_lossy(&output.stdout).contains("No changes"));
}
