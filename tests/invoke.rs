//! `lade invoke KEY`: the deployed function invoked in Lambda, the smoke test a CI
//! deploy job runs after `apply` (examples/github/deploy.yml).
//!
//! moto runs a Lambda function in Docker, which is not available here, so this test
//! uses moto's no-Docker Lambda (`{"lambda": {"use_docker": false}}` posted to
//! `/moto-api/config`, moto 5's `awslambda_simple`). That backend runs no code: it
//! answers every invocation with the request's payload (or "Simple Lambda happy path
//! OK" for an empty one), with status 200, no `LogResult` and never a `FunctionError`.
//! Real Lambda runs the handler and returns what it returns, the base64 log tail and,
//! when it raises, `FunctionError`; lade's handling of those is tested on
//! `commands::invoke::tests` (`show`). The setting is global to a moto server and
//! swaps its whole Lambda backend, so this test runs its own server, never the
//! shared one.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::Output;

use support::Moto;
use support::project::{Project, write};

const MANIFEST: &str = r#"project: {project}
roles:
  basic: {}
functions:
  hello:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: basic
"#;

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Switches `moto` to its no-Docker Lambda.
fn without_docker(moto: &Moto) {
    let address = moto.endpoint().trim_start_matches("http://");
    let body = r#"{"lambda": {"use_docker": false}}"#;
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST /moto-api/config HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.0 201") || answer.starts_with("HTTP/1.1 201"),
        "{answer}"
    );
    assert!(answer.contains(r#""use_docker": false"#), "{answer}");
}

#[tokio::test]
async fn invoke_calls_the_deployed_function_and_refuses_what_is_not_lades() {
    let moto = Moto::start();
    without_docker(&moto);
    let lambda = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    let project = Project::new("invk");
    project.manifest(MANIFEST);
    let lade = |args: &[&str]| project.command(args, moto.env()).output().unwrap();

    // Not deployed yet: a clear error, exit 1.
    let early = lade(&["invoke", "hello"]);
    assert_eq!(early.status.code(), Some(1), "{}", text(&early));
    assert!(text(&early).contains("is not deployed"), "{}", text(&early));

    let applied = lade(&["apply", "--yes"]);
    assert!(applied.status.success(), "{}", text(&applied));

    // --data: the event. moto's no-Docker Lambda answers with the event itself.
    let invoked = lade(&["invoke", "hello", "--data", r#"{"name": "Ada"}"#]);
    assert!(invoked.status.success(), "{}", text(&invoked));
    let response: serde_json::Value = serde_json::from_slice(&invoked.stdout).unwrap();
    assert_eq!(response, serde_json::json!({"name": "Ada"}));
    let stderr = String::from_utf8_lossy(&invoked.stderr);
    assert!(stderr.contains("status: 200"), "{stderr}");

    // --data-file: the same, from a file.
    write(&project.path().join("event.json"), r#"{"from": "file"}"#);
    let invoked = lade(&["invoke", "hello", "--data-file", "event.json"]);
    assert!(invoked.status.success(), "{}", text(&invoked));
    let response: serde_json::Value = serde_json::from_slice(&invoked.stdout).unwrap();
    assert_eq!(response, serde_json::json!({"from": "file"}));

    // Bad input is refused before any request.
    let bad = lade(&["invoke", "hello", "--data", "{not json"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad).contains("bad --data"), "{}", text(&bad));
    let typo = lade(&["invoke", "helo"]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        text(&typo).contains("did you mean `hello`"),
        "{}",
        text(&typo)
    );

    // A function under the manifest's name that is not lade's is not invoked.
    let theirs = project.physical("theirs");
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
    let role = iam
        .get_role()
        .role_name(project.physical("basic"))
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    lambda
        .create_function()
        .function_name(&theirs)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("app.handler")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(support::python_zip("def handler(e, c):\n    return 1\n").into())
                .build(),
        )
        .send()
        .await
        .unwrap();
    project.edit(|t| {
        t + "  theirs:\n    source: ./get\n    handler: app.handler\n    runtime: python3.12\n    role: basic\n"
    });
    let refused = lade(&["invoke", "theirs"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("refusing to invoke it"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains(&theirs), "{}", text(&refused));
}
