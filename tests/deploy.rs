//! The whole CLI against moto: deploy, read back with the SDK directly (not through
//! lade's `live` module), change, remove, destroy. Each test uses its own project name,
//! so tests share one moto server and run in parallel.

mod support;

use serde_json::Value;
use support::project::{Project, write};
use support::{Moto, moto};

const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

fn full_manifest(list_memory: u32, with_get: bool) -> String {
    let get = if with_get {
        "  get:\n    source: ./get\n    handler: app.handler\n    runtime: python3.12\n    role: api\n"
    } else {
        ""
    };
    format!(
        r#"project: {{project}}
region: us-east-1
roles:
  api:
    managed_policies: [{BASIC}]
    policies:
      read-items:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: ["dynamodb:GetItem", "dynamodb:Query"]
            Resource: "*"
  worker: {{}}
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: api
    memory: {list_memory}
    timeout: 10
    description: Lists items
    architecture: arm64
    environment:
      TABLE: items
    tags:
      team: web
{get}  worker:
    source: ./worker
    handler: app.handler
    runtime: python3.13
    role: worker
"#
    )
}

struct Sdk {
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
}

async fn sdk(moto: &Moto) -> Sdk {
    let config = moto.sdk_config().await;
    Sdk {
        iam: aws_sdk_iam::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
    }
}

fn decode(document: &str) -> Value {
    let text = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

impl Sdk {
    async fn function(
        &self,
        name: &str,
    ) -> Option<aws_sdk_lambda::operation::get_function::GetFunctionOutput> {
        self.lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .ok()
    }

    async fn owned_roles(&self, project: &str) -> Vec<String> {
        let roles = self
            .iam
            .list_roles()
            .path_prefix(format!("/lade/{project}/"))
            .send()
            .await
            .unwrap();
        roles
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect()
    }

    async fn functions_of(&self, project: &str) -> Vec<String> {
        let all = self.lambda.list_functions().send().await.unwrap();
        all.functions()
            .iter()
            .filter_map(|f| f.function_name())
            .filter(|n| n.starts_with(&format!("{project}-")))
            .map(str::to_string)
            .collect()
    }
}

#[tokio::test]
async fn deploy_update_remove_and_destroy() {
    let sdk = sdk(moto()).await;
    let project = Project::new("life");
    project.manifest(&full_manifest(256, true));

    // 1. Deploy 2 roles and 3 functions, then read every field back with the SDK.
    let out = project.ok(&["apply", "--yes"]);
    assert!(
        out.contains("Apply complete: 5 added, 0 changed, 0 destroyed"),
        "{out}"
    );

    let api = sdk
        .iam
        .get_role()
        .role_name(project.physical("api"))
        .send()
        .await
        .unwrap();
    let api = api.role().unwrap();
    assert_eq!(api.path(), format!("/lade/{}/dev/", project.name));
    let trust = decode(api.assume_role_policy_document().unwrap());
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    let inline = sdk
        .iam
        .list_role_policies()
        .role_name(api.role_name())
        .send()
        .await
        .unwrap();
    assert_eq!(inline.policy_names(), ["read-items"]);
    let policy = sdk
        .iam
        .get_role_policy()
        .role_name(api.role_name())
        .policy_name("read-items")
        .send()
        .await
        .unwrap();
    let policy = decode(policy.policy_document());
    assert_eq!(
        policy["Statement"][0]["Action"],
        serde_json::json!(["dynamodb:GetItem", "dynamodb:Query"])
    );
    let attached = sdk
        .iam
        .list_attached_role_policies()
        .role_name(api.role_name())
        .send()
        .await
        .unwrap();
    let attached: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(attached, [BASIC]);
    let worker_role = sdk
        .iam
        .get_role()
        .role_name(project.physical("worker"))
        .send()
        .await
        .unwrap();
    let worker_inline = sdk
        .iam
        .list_role_policies()
        .role_name(project.physical("worker"))
        .send()
        .await
        .unwrap();
    assert!(worker_inline.policy_names().is_empty());

    let list = sdk
        .function(&project.physical("list"))
        .await
        .expect("list exists");
    let config = list.configuration().unwrap();
    assert_eq!(config.runtime().unwrap().as_str(), "python3.12");
    assert_eq!(config.handler(), Some("app.handler"));
    assert_eq!(config.memory_size(), Some(256));
    assert_eq!(config.timeout(), Some(10));
    assert_eq!(config.description(), Some("Lists items"));
    assert_eq!(config.role(), Some(api.arn()));
    assert_eq!(config.architectures()[0].as_str(), "arm64");
    let env = config.environment().unwrap().variables().unwrap();
    assert_eq!(env.get("TABLE").map(String::as_str), Some("items"));
    let tags = list.tags().unwrap();
    assert_eq!(tags.get("lade:project"), Some(&project.name));
    assert_eq!(tags.get("lade:stage").map(String::as_str), Some("dev"));
    assert_eq!(tags.get("team").map(String::as_str), Some("web"));
    let worker = sdk
        .function(&project.physical("worker"))
        .await
        .expect("worker exists");
    let worker = worker.configuration().unwrap();
    assert_eq!(worker.runtime().unwrap().as_str(), "python3.13");
    assert_eq!(worker.role(), worker_role.role().map(|r| r.arn()));
    assert_eq!(worker.memory_size(), Some(128), "Lambda's default memory");
    assert_eq!(worker.timeout(), Some(3), "Lambda's default timeout");
    assert!(sdk.function(&project.physical("get")).await.is_some());

    // 2. Plan again: no changes.
    assert_eq!(project.plan_steps(), []);
    assert!(project.ok(&["plan"]).contains("No changes."));

    // 3. Change a function's memory: exactly one configuration update.
    project.manifest(&full_manifest(512, true));
    assert_eq!(
        project.plan_steps(),
        [(
            "update_function_configuration".to_string(),
            project.physical("list")
        )]
    );
    project.ok(&["apply", "--yes"]);
    let list = sdk.function(&project.physical("list")).await.unwrap();
    assert_eq!(list.configuration().unwrap().memory_size(), Some(512));
    assert_eq!(project.plan_steps(), []);

    // 4. Change a source file: exactly one code update, no configuration call.
    let before = list
        .configuration()
        .unwrap()
        .code_sha256()
        .unwrap()
        .to_string();
    write(
        &project.path().join("worker/app.py"),
        "def handler(event, context):\n    return 'v2'\n",
    );
    assert_eq!(
        project.plan_steps(),
        [(
            "update_function_code".to_string(),
            project.physical("worker")
        )]
    );
    let applied = project.ok(&["apply", "--yes", "--json"]);
    let started: Vec<Value> = applied
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "started")
        .collect();
    assert_eq!(started.len(), 1, "{applied}");
    assert_eq!(
        started[0]["description"],
        format!("update code of function {}", project.physical("worker"))
    );
    let list_after = sdk.function(&project.physical("list")).await.unwrap();
    assert_eq!(
        list_after.configuration().unwrap().code_sha256(),
        Some(before.as_str()),
        "list untouched"
    );
    assert_eq!(project.plan_steps(), []);

    // 5. Remove a function: exactly that function is deleted.
    project.manifest(&full_manifest(512, false));
    assert_eq!(
        project.plan_steps(),
        [("delete_function".to_string(), project.physical("get"))]
    );
    project.ok(&["apply", "--yes"]);
    assert!(sdk.function(&project.physical("get")).await.is_none());
    assert!(sdk.function(&project.physical("list")).await.is_some());
    assert!(sdk.function(&project.physical("worker")).await.is_some());

    // 7. Destroy leaves nothing owned.
    let out = project.ok(&["destroy", "--yes"]);
    assert!(out.contains("0 added, 0 changed, 4 destroyed"), "{out}");
    assert_eq!(sdk.owned_roles(&project.name).await, Vec::<String>::new());
    assert_eq!(sdk.functions_of(&project.name).await, Vec::<String>::new());
    assert!(
        project
            .ok(&["destroy", "--yes"])
            .contains("Nothing to destroy."),
        "destroy is idempotent"
    );
}

#[tokio::test]
async fn a_function_lade_does_not_own_is_reported_and_left_alone() {
    let sdk = sdk(moto()).await;
    let project = Project::new("foreign");
    project.manifest(
        "project: {project}\nroles:\n  api: {}\nfunctions:\n  list:\n    source: ./list\n    handler: app.handler\n    runtime: python3.12\n    role: api\n",
    );
    // Someone else's function, with the name lade wants and no lade tags.
    let role = sdk
        .iam
        .create_role()
        .role_name(format!("{}-other", project.name))
        .assume_role_policy_document(
            lade::model::trust_policy(&[lade::model::DEFAULT_TRUST_SERVICE.to_string()].into())
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let zip = lade::package::build(&lade::model::Source::Dir {
        path: project.path().join("list"),
        exclude: vec![],
    })
    .unwrap();
    sdk.lambda
        .create_function()
        .function_name(project.physical("list"))
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("theirs.handler")
        .role(role.role().unwrap().arn())
        .memory_size(999)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(zip.bytes.to_vec().into())
                .build(),
        )
        .send()
        .await
        .unwrap();

    for args in [&["plan"][..], &["apply", "--yes"][..]] {
        let output = project.lade(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "function `{}`: it has no `lade:project` tag",
                project.physical("list")
            )),
            "{stderr}"
        );
    }
    let theirs = sdk.function(&project.physical("list")).await.unwrap();
    let theirs = theirs.configuration().unwrap();
    assert_eq!(theirs.handler(), Some("theirs.handler"));
    assert_eq!(theirs.memory_size(), Some(999));
    assert_eq!(
        sdk.owned_roles(&project.name).await,
        Vec::<String>::new(),
        "nothing was created"
    );
    // Destroy does not touch it either.
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.function(&project.physical("list")).await.is_some());
}

#[tokio::test]
async fn two_projects_in_one_account_do_not_see_each_other() {
    let sdk = sdk(moto()).await;
    let a = Project::new("iso-a");
    let b = Project::new("iso-b");
    let yaml = "project: {project}\nroles:\n  api: {}\nfunctions:\n  list:\n    source: ./list\n    handler: app.handler\n    runtime: python3.12\n    role: api\n";
    a.manifest(yaml);
    b.manifest(yaml);
    a.ok(&["apply", "--yes"]);
    b.ok(&["apply", "--yes"]);
    assert_eq!(a.plan_steps(), []);
    assert_eq!(b.plan_steps(), []);

    a.ok(&["destroy", "--yes"]);
    assert_eq!(sdk.functions_of(&a.name).await, Vec::<String>::new());
    assert_eq!(sdk.functions_of(&b.name).await, [b.physical("list")]);
    assert_eq!(sdk.owned_roles(&b.name).await, [b.physical("api")]);
    assert_eq!(b.plan_steps(), [], "b is intact");
    b.ok(&["destroy", "--yes"]);
}

#[test]
fn apply_without_a_terminal_or_yes_is_refused() {
    let project = Project::new("noyes");
    project.manifest(&full_manifest(128, true));
    let output = project.lade(&["apply"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("refusing to apply without confirmation"),
        "{stderr}"
    );
    assert!(stderr.contains("--yes"), "{stderr}");
}

#[test]
fn an_invalid_manifest_exits_1_before_any_aws_call() {
    let project = Project::new("invalid");
    project.manifest("project: {project}\nfunctions:\n  list:\n    source: ./list\n    handler: app.handler\n    runtime: python3.12\n    role: missing\n    memmory: 256\n");
    for args in [&["validate"][..], &["plan"][..], &["apply", "--yes"][..]] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lade"));
        // An endpoint nothing listens on: any AWS call would fail with a network error.
        command
            .args(args)
            .current_dir(project.path())
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        command
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "x")
            .env("AWS_SECRET_ACCESS_KEY", "x");
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stderr.contains("memmory"), "{args:?}: {stderr}");
        assert!(stderr.contains("missing"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("dispatch failure") && !stderr.contains("connect"),
            "{stderr}"
        );
    }
}
