//! REST API extras from issue 14 (named stages), through the real binary against
//! moto, read back with aws-sdk-apigateway.

mod support;

use serde_json::Value;
use support::moto;
use support::project::Project;

const MANIFEST: &str = r#"project: {project}
defaults:
  runtime: python3.12
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    role: api
    environment:
      URL: ${api.url}
api:
  stage: v1
  routes:
    GET /list: list
"#;

async fn apigateway() -> aws_sdk_apigateway::Client {
    aws_sdk_apigateway::Client::new(&moto().sdk_config().await)
}

/// The stages of the API, by name, with their tags.
async fn stages(
    client: &aws_sdk_apigateway::Client,
    api_id: &str,
) -> Vec<(String, std::collections::HashMap<String, String>)> {
    let mut found: Vec<_> = client
        .get_stages()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap()
        .item()
        .iter()
        .map(|s| {
            (
                s.stage_name().unwrap_or_default().to_owned(),
                s.tags().cloned().unwrap_or_default(),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn outputs(project: &Project) -> Value {
    serde_json::from_str(&project.ok(&["outputs", "--json"])).unwrap()
}

#[tokio::test]
async fn a_named_stage_serves_the_api_and_moving_it_deletes_the_old_one() {
    let client = apigateway().await;
    let lambda = aws_sdk_lambda::Client::new(&moto().sdk_config().await);
    let project = Project::new("rstg");
    project.manifest(MANIFEST);
    project.ok(&["apply", "--yes"]);

    let out = outputs(&project);
    let api_id = out["api"]["id"].as_str().unwrap().to_owned();
    let url = out["api"]["url"].as_str().unwrap().to_owned();
    assert!(url.ends_with("/v1"), "{url}");
    assert_eq!(out["api"]["stage"], "v1");
    let v1 = stages(&client, &api_id).await;
    assert_eq!(v1.len(), 1, "{v1:?}");
    assert_eq!(v1[0].0, "v1", "not the lade stage `dev`");
    assert_eq!(v1[0].1["lade:project"], project.name, "the stage is tagged");
    assert_eq!(v1[0].1["lade:stage"], "dev");
    // `${api.url}` resolved to the named stage.
    let env = lambda
        .get_function_configuration()
        .function_name(project.physical("list"))
        .send()
        .await
        .unwrap();
    assert_eq!(env.environment().unwrap().variables().unwrap()["URL"], url);
    assert!(
        project.plan_steps().is_empty(),
        "{:?}",
        project.plan_steps()
    );

    // A stage made outside lade (no tags) is left alone.
    let deployment = client
        .get_deployments()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap()
        .items()[0]
        .id()
        .unwrap()
        .to_owned();
    client
        .create_stage()
        .rest_api_id(&api_id)
        .stage_name("manual")
        .deployment_id(&deployment)
        .send()
        .await
        .unwrap();

    project.edit(|text| text.replace("stage: v1", "stage: v2"));
    let steps = project.plan_steps();
    assert!(
        steps.iter().any(|(op, _)| op == "delete_stage"),
        "{steps:?}"
    );
    project.ok(&["apply", "--yes"]);
    let names: Vec<String> = stages(&client, &api_id)
        .await
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(names, ["manual", "v2"]);
    let out = outputs(&project);
    assert!(out["api"]["url"].as_str().unwrap().ends_with("/v2"));
    assert!(
        project.plan_steps().is_empty(),
        "{:?}",
        project.plan_steps()
    );

    project.ok(&["destroy", "--yes"]);
    let left = client.get_rest_api().rest_api_id(&api_id).send().await;
    assert!(left.is_err(), "the API is gone with its stages");
}
