//! `lade apply` prints the outputs (the API's URL, its routes, the function URLs) after
//! every successful apply, a no-op one included, as Terraform prints its outputs on
//! "0 added, 0 changed": a CI job that applies an unchanged manifest still reads the
//! URL it smoke-tests from there.

mod support;

use serde_json::Value;

use support::moto;
use support::project::Project;

const MANIFEST: &str = r#"project: {project}
roles:
  api: {}
functions:
  list:
    source: ./list
    handler: app.handler
    runtime: python3.12
    role: api
    url: {}
api:
  routes:
    GET /items: list
"#;

#[tokio::test]
async fn a_no_op_apply_still_prints_the_outputs() {
    let apigateway = aws_sdk_apigateway::Client::new(&moto().sdk_config().await);
    let project = Project::new("noopout");
    project.manifest(MANIFEST);
    let first = project.ok(&["apply", "--yes"]);
    assert!(first.contains("API URL: "), "{first}");

    // The API's id, read back with the SDK, is in the URL the no-op apply prints.
    let apis = apigateway.get_rest_apis().send().await.unwrap();
    let id = apis
        .items()
        .iter()
        .find(|api| {
            api.name() == Some(project.physical("api").as_str()) || {
                api.tags()
                    .and_then(|t| t.get("lade:project"))
                    .is_some_and(|p| *p == project.name)
            }
        })
        .and_then(|api| api.id())
        .expect("the API exists")
        .to_string();

    let again = project.ok(&["apply", "--yes"]);
    assert!(again.contains("No changes"), "{again}");
    assert!(again.contains("API URL: "), "{again}");
    assert!(again.contains(&id), "the URL names API {id}:\n{again}");
    assert!(again.contains("/dev/items"), "the route's URL:\n{again}");
    assert!(again.contains("Function URLs:"), "{again}");

    // With --json: one `outputs` event, and nothing else but it.
    let json = project.ok(&["apply", "--yes", "--json"]);
    let events: Vec<Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{json}");
    assert_eq!(events[0]["event"], "outputs");
    let url = events[0]["outputs"]["api"]["url"].as_str().unwrap();
    assert!(url.contains(&id), "{url}");
    assert_eq!(
        events[0]["outputs"]["function_urls"][0]["function"],
        project.physical("list").as_str(),
        "{json}"
    );

    project.ok(&["destroy", "--yes"]);
}

#[test]
fn a_no_op_destroy_prints_no_outputs() {
    let project = Project::new("noopdes");
    project.manifest(MANIFEST);
    let out = project.ok(&["destroy", "--yes"]);
    assert!(out.contains("Nothing to destroy"), "{out}");
    assert!(!out.contains("API URL"), "{out}");
}
