//! Stages, variables, cross-references and secrets, through the real binary against
//! moto, read back with the SDK directly.

mod support;

use support::moto;
use support::project::Project;

const MANIFEST: &str = r#"project: {project}
stages:
  default: {params: {memory: 256}}
  prod: {params: {memory: 1024}}
defaults:
  runtime: python3.12
  environment:
    LOG_LEVEL: info
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    role: api
    memory: ${param:memory}
    environment:
      STAGE: ${stage}
      WORKER: ${function:worker.arn}
      URL: ${api.url}/list
      API_KEY: ${env:LADE_TEST_API_KEY}
  worker:
    source: ./worker
    handler: app.handler
    role: api
api:
  routes:
    GET /list: list
"#;

const CANARY: &str = "canary-4b1d-never-printed";

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&moto().sdk_config().await)
}

async fn config(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> Option<aws_sdk_lambda::types::FunctionConfiguration> {
    let function = lambda
        .get_function()
        .function_name(name)
        .send()
        .await
        .ok()?;
    function.configuration().cloned()
}

#[tokio::test]
async fn dev_and_prod_live_side_by_side_and_destroy_separately() {
    let lambda = lambda().await;
    let iam = aws_sdk_iam::Client::new(&moto().sdk_config().await);
    let project = Project::new("stg");
    project.manifest(MANIFEST);
    let key = [("LADE_TEST_API_KEY", CANARY)];
    project.ok_with(&["apply", "--yes"], &key);
    project.ok_with(&["apply", "--yes", "--stage", "prod"], &key);

    let name = |stage: &str, key: &str| format!("{}-{stage}-{key}", project.name);
    let dev = config(&lambda, &name("dev", "list"))
        .await
        .expect("dev list");
    let prod = config(&lambda, &name("prod", "list"))
        .await
        .expect("prod list");
    assert_eq!(dev.memory_size(), Some(256), "the default entry's param");
    assert_eq!(prod.memory_size(), Some(1024), "prod's own param");
    assert_ne!(dev.role(), prod.role(), "each stage has its own role");
    assert!(
        prod.role()
            .unwrap()
            .contains(&format!("/lade/{}/prod/", project.name))
    );
    for (stage, function) in [("dev", &dev), ("prod", &prod)] {
        let env = function.environment().unwrap().variables().unwrap();
        assert_eq!(env["STAGE"], stage);
        assert_eq!(env["LOG_LEVEL"], "info", "from defaults");
        assert_eq!(env["API_KEY"], CANARY, "Lambda gets the secret");
        // The cross-reference resolved to the real ARN of the same stage's worker.
        let worker = config(&lambda, &name(stage, "worker")).await.unwrap();
        assert_eq!(env["WORKER"], worker.function_arn().unwrap());
        assert!(env["URL"].starts_with("https://"), "{}", env["URL"]);
        assert!(env["URL"].ends_with(&format!(
            ".execute-api.us-east-1.amazonaws.com/{stage}/list"
        )));
    }
    let dev_url = dev.environment().unwrap().variables().unwrap()["URL"].clone();
    let prod_url = prod.environment().unwrap().variables().unwrap()["URL"].clone();
    assert_ne!(
        dev_url.split('.').next(),
        prod_url.split('.').next(),
        "each stage has its own API"
    );

    assert_eq!(project.plan_steps_with(&key), []);
    // Destroying dev leaves prod untouched.
    project.ok_with(&["destroy", "--yes"], &key);
    assert!(config(&lambda, &name("dev", "list")).await.is_none());
    assert!(config(&lambda, &name("prod", "list")).await.is_some());
    let prod_roles = iam
        .list_roles()
        .path_prefix(format!("/lade/{}/prod/", project.name))
        .send()
        .await
        .unwrap();
    assert_eq!(prod_roles.roles().len(), 1);
    let output = project.lade_with(&["plan", "--json", "--stage", "prod"], &key);
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["steps"], serde_json::json!([]), "prod is intact");
    project.ok_with(&["destroy", "--yes", "--stage", "prod"], &key);
}

#[tokio::test]
async fn changing_only_a_secret_is_one_masked_update() {
    let lambda = lambda().await;
    let project = Project::new("sec");
    project.manifest(MANIFEST);
    let deployed = project.lade_with(&["apply", "--yes"], &[("LADE_TEST_API_KEY", CANARY)]);
    assert!(deployed.status.success());
    let printed = [deployed.stdout, deployed.stderr].concat();
    assert!(
        !String::from_utf8_lossy(&printed).contains(CANARY),
        "the secret was printed"
    );

    let rotated = format!("{CANARY}-rotated");
    let key = [("LADE_TEST_API_KEY", rotated.as_str())];
    let steps = project.plan_steps_with(&key);
    assert_eq!(
        steps,
        [(
            "update_function_configuration".to_string(),
            project.physical("list")
        )]
    );
    let mut printed = Vec::new();
    for args in [
        &["plan"][..],
        &["plan", "--json"][..],
        &["apply", "--yes"][..],
    ] {
        let output = project.lade_with(args, &key);
        assert!(output.status.success(), "{args:?}");
        printed.extend(output.stdout);
        printed.extend(output.stderr);
    }
    let printed = String::from_utf8_lossy(&printed);
    assert!(printed.contains("(sensitive value changed)"), "{printed}");
    assert!(
        !printed.contains(CANARY),
        "a secret was printed:\n{printed}"
    );
    let list = config(&lambda, &project.physical("list")).await.unwrap();
    assert_eq!(
        list.environment().unwrap().variables().unwrap()["API_KEY"],
        rotated
    );
    project.ok_with(&["destroy", "--yes"], &key);
}

#[test]
fn an_undefined_env_variable_fails_validation_before_any_aws_call() {
    let project = Project::new("undef");
    project.manifest(MANIFEST);
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lade"));
    // An endpoint nothing listens on: any AWS call would fail with a network error.
    command
        .args(["plan"])
        .current_dir(project.path())
        .env_remove("LADE_TEST_API_KEY")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x");
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("LADE_TEST_API_KEY"), "{stderr}");
    assert!(
        stderr.contains("lade.yaml:"),
        "points at the line: {stderr}"
    );
    assert!(
        !stderr.contains("dispatch failure"),
        "no AWS call was made: {stderr}"
    );
}
