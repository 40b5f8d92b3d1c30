//! `lade invoke KEY --local` and `lade serve`: handlers run on this machine, with the
//! Python and Node.js found on the PATH, and no AWS (except where a test says so).
//!
//! Tests that need `python3` or `node` skip when it is missing, and fail instead when
//! CI=true.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Whether `program` runs here; with CI=true a missing one fails the test.
fn need(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("these tests need `{program}` on the PATH (CI=true, so they may not skip)");
        }
        eprintln!("skipping: `{program}` is not on the PATH");
    }
    found
}

const MANIFEST: &str = r#"
project: local
defaults:
  runtime: python3.12
  environment:
    STAGE: ${stage}
functions:
  echo:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.echo
    memory: 256
    environment:
      GREETING: hello-${stage}
      OTHER_ARN: ${function:node.arn}
      URL: ${api.url}
      SECRET: ${env:LOCAL_SECRET}
  item:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.item
  boom:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.boom
  bad:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.bad
  binary:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.binary
  slow:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.slow
    timeout: 1
  nested:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: pkg/mod.handler
  node:
    source: ./js
    role: arn:aws:iam::123456789012:role/local
    handler: lib/app.handler
    runtime: nodejs22.x
  node-boom:
    source: ./js
    role: arn:aws:iam::123456789012:role/local
    handler: lib/app.boom
    runtime: nodejs22.x
  no-handler:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: app.nope
  no-module:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: missing.handler
  java:
    source: ./py
    role: arn:aws:iam::123456789012:role/local
    handler: example.Handler::handleRequest
    runtime: java21
api:
  binary_media_types: [image/png]
  routes:
    GET /items/{id}: item
    GET /echo: echo
    ANY /files/{proxy+}: node
    GET /boom: boom
    GET /bad: bad
    GET /binary: binary
    GET /slow: slow
"#;

const PYTHON: &str = r#"
import base64, json, os, time

def echo(event, context):
    print("log line from echo")
    names = ["STAGE", "GREETING", "OTHER_ARN", "URL", "SECRET", "AWS_LAMBDA_FUNCTION_NAME"]
    return {
        "event": event,
        "env": {name: os.environ.get(name) for name in names},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        },
        "cwd": os.getcwd(),
    }

def item(event, context):
    return {
        "statusCode": 201,
        "headers": {"X-Item": event["pathParameters"]["id"], "Content-Type": "application/json"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({"id": event["pathParameters"]["id"],
                            "query": event["queryStringParameters"],
                            "resource": event["resource"]}),
    }

def boom(event, context):
    raise ValueError("no such item")

def bad(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}

def binary(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(b"PNG!").decode(), "isBase64Encoded": True}

def slow(event, context):
    time.sleep(30)
"#;

const NODE: &str = r#"
export const handler = async (event, context) => {
  console.log("log line from node");
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      proxy: event.pathParameters && event.pathParameters.proxy,
      version: event.version || "1.0",
      routeKey: event.routeKey,
      method: event.httpMethod || (event.requestContext && event.requestContext.http.method),
      body: event.body,
      functionName: context.functionName,
      memoryLimitInMB: context.memoryLimitInMB,
      remaining: context.getRemainingTimeInMillis(),
      stage: process.env.STAGE,
    }),
  };
};

export const boom = async () => {
  throw new TypeError("bad input");
};
"#;

struct Local {
    dir: tempfile::TempDir,
}

impl Local {
    fn new() -> Local {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("lade.yaml", MANIFEST);
        write("py/app.py", PYTHON);
        write(
            "py/pkg/mod.py",
            "def handler(event, context):\n    return {'module': __name__}\n",
        );
        write("js/lib/app.mjs", NODE);
        Local { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `lade ARGS` here, with no AWS configuration at all.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lade"));
        command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null())
            .env("LOCAL_SECRET", "s3cret");
        offline(&mut command);
        command
    }

    fn lade(&self, args: &[&str]) -> (i32, String, String) {
        output(self.command(args).output().unwrap())
    }

    /// `lade invoke ARGS --local`, expecting success; its response.
    fn invoke(&self, args: &[&str]) -> (Value, String) {
        let args: Vec<&str> = ["invoke"]
            .iter()
            .chain(args)
            .chain(&["--local"])
            .copied()
            .collect();
        let (code, stdout, stderr) = self.lade(&args);
        assert_eq!(code, 0, "lade {args:?}:\n{stdout}\n{stderr}");
        (serde_json::from_str(&stdout).unwrap(), stderr)
    }
}

/// Removes every way the SDK could find AWS configuration.
fn offline(command: &mut Command) {
    for name in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "LADE_STAGE",
        "CI",
    ] {
        command.env_remove(name);
    }
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
}

fn output(output: Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn invoke_passes_the_event_the_environment_and_a_context() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let (response, stderr) = local.invoke(&["echo", "--data", r#"{"name": "Ada"}"#]);
    assert_eq!(response["event"], json!({"name": "Ada"}));
    // defaults: merged, ${stage} resolved, ${env:...} read from the environment.
    assert_eq!(response["env"]["STAGE"], "dev");
    assert_eq!(response["env"]["GREETING"], "hello-dev");
    assert_eq!(response["env"]["SECRET"], "s3cret");
    assert_eq!(
        response["env"]["AWS_LAMBDA_FUNCTION_NAME"],
        "local-dev-echo"
    );
    // Without any AWS configuration, references are placeholders that say so.
    assert_eq!(
        response["env"]["OTHER_ARN"],
        "<function:node.arn: unknown, the account was not read>"
    );
    assert_eq!(
        response["env"]["URL"],
        "<api.url: unknown, the account was not read>"
    );
    assert_eq!(response["context"]["function_name"], "local-dev-echo");
    // A string, as Lambda's Python runtime gives it.
    assert_eq!(response["context"]["memory_limit_in_mb"], "256");
    assert_eq!(
        response["context"]["aws_request_id"]
            .as_str()
            .unwrap()
            .len(),
        36
    );
    let remaining = response["context"]["remaining"].as_i64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    // It runs from its source directory.
    assert_eq!(
        Path::new(response["cwd"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        local.path().join("py").canonicalize().unwrap()
    );
    // What the handler prints is its log: on stderr, never in the response on stdout.
    assert!(stderr.contains("log line from echo"), "{stderr}");
    assert!(stderr.contains("not in Lambda: no IAM role"), "{stderr}");
    // A sensitive value is never printed by lade.
    assert!(!stderr.contains("s3cret"), "{stderr}");
    // With no --data, the event is {}.
    let (response, _) = local.invoke(&["echo"]);
    assert_eq!(response["event"], json!({}));
    // --stage changes what ${stage} resolves to.
    let (response, _) = local.invoke(&["echo", "--stage", "prod"]);
    assert_eq!(response["env"]["GREETING"], "hello-prod");
    assert_eq!(
        response["env"]["AWS_LAMBDA_FUNCTION_NAME"],
        "local-prod-echo"
    );
}

#[test]
fn invoke_reads_an_event_file_and_imports_nested_modules() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    std::fs::write(local.path().join("event.json"), r#"{"from": "file"}"#).unwrap();
    let (response, _) = local.invoke(&["echo", "--event", "event.json"]);
    assert_eq!(response["event"], json!({"from": "file"}));
    // `pkg/mod.handler` imports the module `pkg.mod`, as Lambda does.
    let (response, _) = local.invoke(&["nested"]);
    assert_eq!(response, json!({"module": "pkg.mod"}));
    // --quiet keeps lade's notes off stderr; the response still prints.
    let (response, stderr) = local.invoke(&["nested", "--quiet"]);
    assert_eq!(response, json!({"module": "pkg.mod"}));
    assert_eq!(stderr, "");
}

/// A `.zip` source is unpacked to a temporary directory and run from there.
#[test]
fn invoke_runs_a_zip_source() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    std::fs::write(
        local.path().join("code.zip"),
        support::python_zip(
            "import os\n\ndef handler(event, context):\n    \
             return {'root': os.environ['LAMBDA_TASK_ROOT'], 'files': sorted(os.listdir('.'))}\n",
        ),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(local.path().join("lade.yaml")).unwrap();
    let manifest = manifest.replace(
        "functions:\n",
        "functions:\n  zipped:\n    source: ./code.zip\n    handler: app.handler\n    \
         role: arn:aws:iam::123456789012:role/local\n",
    );
    std::fs::write(local.path().join("lade.yaml"), manifest).unwrap();
    let (response, _) = local.invoke(&["zipped"]);
    assert_eq!(response["files"], json!(["app.py"]));
    let root = response["root"].as_str().unwrap();
    assert!(!root.starts_with(local.path().to_str().unwrap()), "{root}");
    // The temporary directory is gone once the call is over.
    assert!(!Path::new(root).exists(), "{root}");
}

#[test]
fn rest_v1_sample_events_fill_path_parameters_from_the_route() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let (response, _) = local.invoke(&["echo", "--event", "api:GET:/echo?q=1&q=2"]);
    let event = &response["event"];
    assert_eq!(event["resource"], "/echo");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["queryStringParameters"], json!({"q": "2"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"q": ["1", "2"]})
    );
    assert_eq!(event["pathParameters"], Value::Null);
    assert_eq!(event["body"], Value::Null);
    assert_eq!(event["requestContext"]["stage"], "dev");
    assert_eq!(event["requestContext"]["path"], "/dev/echo");

    // The route's function need not be the one invoked: it is said, and sent anyway.
    let (response, stderr) = local.invoke(&[
        "echo",
        "--event",
        "api:PUT:/files/a/b.txt",
        "--data",
        r#"{"x": 1}"#,
    ]);
    let event = &response["event"];
    assert_eq!(event["resource"], "/files/{proxy+}");
    assert_eq!(event["pathParameters"], json!({"proxy": "a/b.txt"}));
    assert_eq!(event["body"], r#"{"x": 1}"#);
    assert_eq!(event["headers"]["Content-Type"], "application/json");
    assert_eq!(event["isBase64Encoded"], false);
    assert!(
        stderr.contains("is routed to `node`, not `echo`"),
        "{stderr}"
    );

    let (response, _) = local.invoke(&["item", "--event", "api:GET:/items/42"]);
    assert_eq!(response["statusCode"], 201);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], "42");
    assert_eq!(body["resource"], "/items/{id}");
}

#[test]
fn node_handlers_get_http_v2_sample_events() {
    if !need("node") {
        return;
    }
    let local = Local::new();
    let (response, stderr) = local.invoke(&[
        "node",
        "--event",
        "http:POST:/files/docs/readme.md",
        "--data",
        "plain text",
    ]);
    assert_eq!(response["statusCode"], 200);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["version"], "2.0");
    assert_eq!(body["routeKey"], "ANY /files/{proxy+}");
    assert_eq!(body["method"], "POST");
    assert_eq!(body["proxy"], "docs/readme.md");
    assert_eq!(body["body"], "plain text");
    assert_eq!(body["functionName"], "local-dev-node");
    assert_eq!(body["memoryLimitInMB"], "128");
    assert_eq!(body["stage"], "dev");
    assert!(body["remaining"].as_i64().unwrap() > 0);
    assert!(stderr.contains("log line from node"), "{stderr}");

    let (response, _) = local.invoke(&["node", "--event", "api:GET:/files/x"]);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["proxy"], "x");
}

#[test]
fn a_handler_that_raises_is_reported_as_lambda_reports_it() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let (code, stdout, stderr) = local.lade(&["invoke", "boom", "--local"]);
    assert_eq!(code, 1, "{stderr}");
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["errorMessage"], "no such item");
    assert_eq!(error["errorType"], "ValueError");
    let trace = error["stackTrace"].as_array().unwrap();
    // The handler's own frame, not the bootstrap's.
    assert_eq!(trace.len(), 1, "{trace:?}");
    assert!(trace[0].as_str().unwrap().contains("in boom"), "{trace:?}");
    assert!(
        stderr.contains("error: function `boom` failed: ValueError: no such item"),
        "{stderr}"
    );
}

/// A handler that cannot be loaded fails as Lambda's runtime fails it.
#[test]
fn a_handler_that_cannot_be_loaded_is_reported_as_lambda_reports_it() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    for (key, kind, message) in [
        (
            "no-handler",
            "Runtime.HandlerNotFound",
            "Handler 'nope' missing on module 'app'",
        ),
        (
            "no-module",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
    ] {
        let (code, stdout, stderr) = local.lade(&["invoke", key, "--local"]);
        assert_eq!(code, 1, "{stderr}");
        let error: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(error["errorType"], kind, "{key}");
        assert_eq!(error["errorMessage"], message, "{key}");
    }
}

#[test]
fn a_node_handler_that_throws_is_reported_as_lambda_reports_it() {
    if !need("node") {
        return;
    }
    let local = Local::new();
    let (code, stdout, stderr) = local.lade(&["invoke", "node-boom", "--local"]);
    assert_eq!(code, 1, "{stderr}");
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["errorType"], "TypeError");
    assert_eq!(error["errorMessage"], "bad input");
    // Lambda's Node.js runtime names the stack `trace`.
    assert_eq!(error["trace"][0], "TypeError: bad input");
}

#[test]
fn a_handler_past_its_timeout_is_killed() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let (code, stdout, stderr) = local.lade(&["invoke", "slow", "--local"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: function `slow` timed out after 1s, as Lambda would"),
        "{stderr}"
    );
    let error: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(error["errorType"], "Sandbox.Timedout");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 1.00 seconds"),
        "{error}"
    );
}

#[test]
fn invoke_reads_the_event_from_data_file() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    std::fs::write(local.dir.path().join("event.json"), r#"{"from": "file"}"#).unwrap();
    let (response, _) = local.invoke(&["echo", "--data-file", "event.json"]);
    assert_eq!(response["event"], json!({"from": "file"}));
}

#[test]
fn invoke_refuses_bad_input_with_a_clear_message() {
    let local = Local::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["invoke", "ecko", "--local"],
            "no function `ecko` in the manifest; did you mean `echo`?",
        ),
        (
            &["invoke", "echo", "--local", "--data", "{nope"],
            "bad --data: it is not JSON",
        ),
        (
            &["invoke", "echo", "--local", "--event", "api:GET"],
            "bad --event `api:GET`: expected api:METHOD:/path",
        ),
        (
            &["invoke", "echo", "--local", "--event", "missing.json"],
            "bad --event `missing.json`: it is not a readable file",
        ),
        (
            &["invoke", "java", "--local"],
            "function `java`: runtime `java21` cannot run locally",
        ),
        (
            &["invoke", "echo", "--local", "--data-file", "missing.json"],
            "bad --data-file: could not read missing.json",
        ),
    ];
    for (args, message) in cases {
        let (code, stdout, stderr) = local.lade(args);
        assert_eq!(code, 1, "lade {args:?}: {stderr}");
        assert!(stderr.contains(message), "lade {args:?}: {stderr}");
        assert_eq!(stdout, "", "lade {args:?}");
    }
}

#[test]
fn a_runtime_missing_from_the_path_names_what_to_install() {
    let local = Local::new();
    let empty = tempfile::tempdir().unwrap();
    let output = local
        .command(&["invoke", "node", "--local"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let (code, _, stderr) = output_of(output);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "function `node`: runtime `nodejs22.x` needs `node` on the PATH, and it is not \
             there: install Node.js (ideally 22)"
        ),
        "{stderr}"
    );
}

fn output_of(out: Output) -> (i32, String, String) {
    output(out)
}

/// References to resources resolve against the account when it can be read: a
/// function that is not deployed says so. (moto stands in for AWS here.)
#[test]
fn references_say_not_deployed_when_the_account_has_none() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let mut command = local.command(&["invoke", "echo", "--local"]);
    command.envs(support::moto().env());
    let (code, stdout, stderr) = output(command.output().unwrap());
    assert_eq!(code, 0, "{stderr}");
    let response: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        response["env"]["OTHER_ARN"],
        "<function:node.arn: not deployed>"
    );
    assert_eq!(response["env"]["URL"], "<api.url: not deployed>");
}

/// An unreachable AWS endpoint does not stop a local run: references become
/// placeholders, with a note.
#[test]
fn an_unreachable_account_is_not_an_error() {
    if !need("python3") {
        return;
    }
    let local = Local::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut command = local.command(&["invoke", "echo", "--local"]);
    command
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let (code, stdout, stderr) = output(command.output().unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("note: references to deployed resources are placeholders"),
        "{stderr}"
    );
    let response: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        response["env"]["OTHER_ARN"],
        "<function:node.arn: unknown, the account was not read>"
    );
}

/// A running `lade serve`, stopped when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/STAGE`, as printed.
    base: String,
    address: String,
}

impl Server {
    fn start(mut command: Command) -> Server {
        let mut child = command
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in `{line}`"))
            .to_string();
        let address = base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        // Keep reading the route lines so the pipe never fills.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server {
            child,
            base,
            address,
        }
    }

    /// Sends one request; returns status, headers (lowercased names) and body.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

#[test]
fn serve_answers_examples_hello() {
    if !need("python3") {
        return;
    }
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello/lade.yaml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_lade"));
    command
        .args(["serve", "-f", hello.to_str().unwrap()])
        .stdin(Stdio::null());
    offline(&mut command);
    let server = Server::start(command);
    assert!(server.base.ends_with("/dev"), "{}", server.base);
    let reply = server.get("/dev/hello");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), ["application/json"]);
    assert_eq!(reply.json(), json!({"message": "hello from lade"}));
    // Unknown routes, methods and stages answer as a REST API does.
    for (method, path) in [
        ("GET", "/dev/nope"),
        ("POST", "/dev/hello"),
        ("GET", "/hello"),
    ] {
        let reply = server.request(method, path, &[], b"");
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(
            reply.json(),
            json!({"message": "Missing Authentication Token"})
        );
    }
}

#[test]
fn serve_maps_events_and_responses_as_api_gateway_does() {
    if !need("python3") || !need("node") {
        return;
    }
    let local = Local::new();
    let server = Server::start(local.command(&["serve"]));

    let reply = server.get("/dev/items/42?color=red");
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("x-item"), ["42"]);
    assert_eq!(reply.header("set-cookie"), ["a=1", "b=2"]);
    assert_eq!(
        reply.json(),
        json!({"id": "42", "query": {"color": "red"}, "resource": "/items/{id}"})
    );

    // {proxy+} takes the rest of the path, for any method.
    let reply = server.request("DELETE", "/dev/files/a/b/c", &[], b"");
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["proxy"], "a/b/c");
    assert_eq!(body["method"], "DELETE");
    assert_eq!(body["version"], "1.0");

    // A POST body reaches the handler as text.
    let reply = server.request(
        "POST",
        "/dev/files/up",
        &[("Content-Type", "text/plain")],
        b"hi",
    );
    assert_eq!(reply.json()["body"], "hi");

    // isBase64Encoded: decoded for an Accept type in binary_media_types, else as text.
    let reply = server.request("GET", "/dev/binary", &[("Accept", "image/png")], b"");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"PNG!");
    let reply = server.request("GET", "/dev/binary", &[("Accept", "text/html")], b"");
    assert_eq!(reply.body, b"UE5HIQ==");

    // A handler that raises, or answers in a shape API Gateway refuses: 502.
    for path in ["/dev/boom", "/dev/bad", "/dev/slow"] {
        let reply = server.get(path);
        assert_eq!(reply.status, 502, "{path}");
        assert_eq!(
            reply.json(),
            json!({"message": "Internal server error"}),
            "{path}"
        );
    }

    // The handler runs in a fresh process per request: an edit applies at once.
    let app = local.path().join("py/app.py");
    let code = std::fs::read_to_string(&app).unwrap();
    std::fs::write(
        &app,
        code.replace("\"statusCode\": 201", "\"statusCode\": 202"),
    )
    .unwrap();
    assert_eq!(server.get("/dev/items/1").status, 202);
}

#[test]
fn serve_refuses_a_port_in_use() {
    let local = Local::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (code, _, stderr) = output(local.command(&["serve", "--port", &port]).output().unwrap());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("port {port} is already in use on 127.0.0.1")),
        "{stderr}"
    );
}

/// Once deployed, references take the account's live values, as `plan` reads them;
/// `${account}` is looked up too. (moto stands in for AWS.)
#[test]
fn references_take_live_values_once_deployed() {
    if !need("python3") {
        return;
    }
    use support::project::{Project, write};
    let project = Project::example("stages", "lstages");
    write(
        &project.path().join("src/app.py"),
        "import os\n\ndef web(event, context):\n    return {k: os.environ.get(k) for k in \
         ['WORKER_ARN', 'PUBLIC_URL', 'STAGE']}\n\ndef worker(event, context):\n    return {}\n",
    );
    project.ok(&["apply", "--yes"]);
    let outputs: Value = serde_json::from_str(&project.ok(&["outputs", "--json"])).unwrap();
    let response: Value = serde_json::from_str(&project.ok(&["invoke", "web", "--local"])).unwrap();
    let worker = project.physical("worker");
    assert!(
        response["WORKER_ARN"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":function:{worker}")),
        "{response}"
    );
    assert!(
        response["WORKER_ARN"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:lambda:us-east-1:"),
        "{response}"
    );
    assert_eq!(response["PUBLIC_URL"], outputs["api"]["url"]);
    assert_eq!(response["STAGE"], "dev");
    project.ok(&["destroy", "--yes"]);
}
