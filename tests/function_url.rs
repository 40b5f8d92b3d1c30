//! Function URLs against moto: a URL without auth and with CORS, its public statements,
//! a CORS change, auth switched to IAM, the URL removed, and destroy. Everything is
//! read back with the SDK (aws-sdk-lambda), not through lade.
//!
//! moto differs from AWS here, and the tests follow AWS:
//! - moto keeps `FunctionUrlAuthType` and `InvokedViaFunctionUrl` as keys of the
//!   statement it stores, where AWS turns them into the conditions
//!   `lambda:FunctionUrlAuthType` and `lambda:InvokedViaFunctionUrl`; lade finds its
//!   statements by their fixed ids, so only the ids and actions are asserted;
//! - moto's `UpdateFunctionUrlConfig` ignores `InvokeMode` and an empty `Cors` (AWS
//!   sets the one and clears the other), so the tests change CORS fields, not remove
//!   them;
//! - moto cannot invoke the URL (no Docker), so that it answers is not tested here.

mod support;

use aws_sdk_lambda::types::FunctionUrlAuthType;
use serde_json::Value;
use support::project::Project;
use support::{Moto, moto};

fn manifest(url: &str, with_caller: bool) -> String {
    let caller = if with_caller {
        "  list:\n    source: ./list\n    handler: app.handler\n    runtime: python3.12\n    role: basic\n    environment:\n      WORKER_URL: ${function:worker.url}\n"
    } else {
        ""
    };
    format!(
        "project: {{project}}\nregion: us-east-1\nroles:\n  basic: {{}}\nfunctions:\n  worker:\n    source: ./worker\n    handler: app.handler\n    runtime: python3.12\n    role: basic\n{url}{caller}"
    )
}

fn url(auth: &str, origin: &str) -> String {
    format!(
        "    url:\n      auth: {auth}\n      cors: {{allow_origins: [\"{origin}\"], allow_methods: [GET], max_age: 300}}\n"
    )
}

async fn lambda(moto: &Moto) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&moto.sdk_config().await)
}

/// The statement ids in the function's resource policy.
async fn sids(lambda: &aws_sdk_lambda::Client, function: &str) -> Vec<(String, String)> {
    let Ok(policy) = lambda.get_policy().function_name(function).send().await else {
        return Vec::new();
    };
    let policy: Value = serde_json::from_str(policy.policy().unwrap_or("{}")).unwrap();
    let mut found: Vec<(String, String)> = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap_or_default().to_string(),
                s["Action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn ops(project: &Project) -> Vec<String> {
    project.plan_steps().into_iter().map(|(op, _)| op).collect()
}

#[tokio::test]
async fn a_url_deploys_replans_clean_changes_cors_switches_auth_goes_and_is_destroyed() {
    let moto = moto();
    let lambda = lambda(moto).await;
    let project = Project::new("furl");
    let worker = project.physical("worker");
    let list = project.physical("list");

    // 1. A URL without auth, with CORS and the two public statements; the caller's
    //    environment holds the URL, and apply prints it.
    project.manifest(&manifest(&url("none", "*"), true));
    let out = project.ok(&["apply", "--yes"]);
    let config = lambda
        .get_function_url_config()
        .function_name(&worker)
        .send()
        .await
        .expect("the URL exists");
    let address = config.function_url().to_string();
    assert!(address.starts_with("https://"), "{address}");
    assert!(out.contains(&address), "apply prints the URL: {out}");
    assert_eq!(config.auth_type(), &FunctionUrlAuthType::None);
    let cors = config.cors().expect("CORS");
    assert_eq!(cors.allow_origins(), ["*"]);
    assert_eq!(cors.allow_methods(), ["GET"]);
    assert_eq!(cors.max_age(), Some(300));
    assert_eq!(
        sids(&lambda, &worker).await,
        [
            (
                "lade-url-public".to_string(),
                "lambda:InvokeFunctionUrl".to_string()
            ),
            (
                "lade-url-public-invoke".to_string(),
                "lambda:InvokeFunction".to_string()
            ),
        ]
    );
    let caller = lambda
        .get_function_configuration()
        .function_name(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(
        caller.environment().unwrap().variables().unwrap()["WORKER_URL"],
        address
    );
    let tags = lambda
        .list_tags()
        .resource(config.function_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().unwrap().get("lade:url").map(String::as_str),
        Some("1")
    );
    let outputs = project.ok(&["outputs"]);
    assert!(outputs.contains(&address), "{outputs}");

    // 2. Plan again: nothing to do.
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 3. Another origin is one update of the URL, in place: the same address.
    project.manifest(&manifest(&url("none", "https://example.com"), true));
    assert_eq!(ops(&project), ["update_function_url_config"]);
    project.ok(&["apply", "--yes"]);
    let config = lambda
        .get_function_url_config()
        .function_name(&worker)
        .send()
        .await
        .unwrap();
    assert_eq!(
        config.cors().unwrap().allow_origins(),
        ["https://example.com"]
    );
    assert_eq!(config.function_url(), address);

    // 4. Auth IAM: the public statements go first, then the URL needs auth.
    project.manifest(&manifest(&url("iam", "https://example.com"), true));
    assert_eq!(
        ops(&project),
        [
            "remove_url_permission",
            "remove_url_permission",
            "update_function_url_config"
        ]
    );
    project.ok(&["apply", "--yes"]);
    let config = lambda
        .get_function_url_config()
        .function_name(&worker)
        .send()
        .await
        .unwrap();
    assert_eq!(config.auth_type(), &FunctionUrlAuthType::AwsIam);
    assert!(sids(&lambda, &worker).await.is_empty());
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 5. No `url:` (and no reference to it): the URL and its mark are gone.
    project.manifest(&manifest("", false));
    let steps = ops(&project);
    assert!(
        steps.contains(&"delete_function_url_config".to_string()),
        "{steps:?}"
    );
    project.ok(&["apply", "--yes"]);
    let gone = lambda
        .get_function_url_config()
        .function_name(&worker)
        .send()
        .await;
    assert!(gone.is_err(), "{gone:?}");
    assert!(sids(&lambda, &worker).await.is_empty());
    let arn = config.function_arn().to_string();
    let tags = lambda.list_tags().resource(&arn).send().await.unwrap();
    assert!(!tags.tags().unwrap().contains_key("lade:url"));
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 6. A URL again, then destroy: found by its mark, deleted before its function.
    project.manifest(&manifest("    url: true\n", false));
    project.ok(&["apply", "--yes"]);
    assert_eq!(sids(&lambda, &worker).await.len(), 2);
    project.ok(&["destroy", "--yes"]);
    let function = lambda.get_function().function_name(&worker).send().await;
    assert!(function.is_err(), "the function is gone: {function:?}");
    let url = lambda
        .get_function_url_config()
        .function_name(&worker)
        .send()
        .await;
    assert!(url.is_err(), "{url:?}");
}
