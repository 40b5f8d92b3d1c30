//! REST API routes against moto, through the real binary, read back with the SDK
//! directly (not through lade's `live` module).

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::moto;
use support::project::Project;

struct Sdk {
    apigw: aws_sdk_apigateway::Client,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
}

async fn sdk() -> Sdk {
    let config = moto().sdk_config().await;
    Sdk {
        apigw: aws_sdk_apigateway::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
    }
}

/// A route as deployed: `(method, path)` → the function its integration invokes.
type Routes = BTreeMap<(String, String), String>;

impl Sdk {
    /// The project's REST APIs, found by their tags.
    async fn apis(&self, project: &str) -> Vec<aws_sdk_apigateway::types::RestApi> {
        let apis = self.apigw.get_rest_apis().limit(500).send().await.unwrap();
        apis.items()
            .iter()
            .filter(|api| {
                api.tags()
                    .and_then(|t| t.get("lade:project"))
                    .map(String::as_str)
                    == Some(project)
            })
            .cloned()
            .collect()
    }

    async fn api_id(&self, project: &str) -> String {
        let apis = self.apis(project).await;
        assert_eq!(apis.len(), 1, "exactly one REST API for {project}");
        apis[0].id().unwrap().to_string()
    }

    /// Every resource path, and every route with the function it invokes.
    async fn routes(&self, api_id: &str) -> (Vec<String>, Routes) {
        let resources = self
            .apigw
            .get_resources()
            .rest_api_id(api_id)
            .limit(500)
            .send()
            .await
            .unwrap();
        let mut paths = Vec::new();
        let mut routes = BTreeMap::new();
        for resource in resources.items() {
            let path = resource.path().unwrap().to_string();
            paths.push(path.clone());
            for method in resource
                .resource_methods()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let integration = self
                    .apigw
                    .get_integration()
                    .rest_api_id(api_id)
                    .resource_id(resource.id().unwrap())
                    .http_method(&method)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(integration.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
                assert_eq!(
                    integration.http_method(),
                    Some("POST"),
                    "Lambda is always invoked with POST"
                );
                let uri = integration.uri().unwrap();
                let function = uri
                    .split(":function:")
                    .nth(1)
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap();
                assert!(
                    uri.starts_with("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:"),
                    "{uri}"
                );
                routes.insert((method, path.clone()), function.to_string());
            }
        }
        paths.sort();
        (paths, routes)
    }

    async fn deployments(&self, api_id: &str) -> Vec<String> {
        let deployments = self
            .apigw
            .get_deployments()
            .rest_api_id(api_id)
            .limit(500)
            .send()
            .await
            .unwrap();
        deployments
            .items()
            .iter()
            .filter_map(|d| d.id().map(str::to_string))
            .collect()
    }

    async fn stage_deployment(&self, api_id: &str) -> String {
        let stage = self
            .apigw
            .get_stage()
            .rest_api_id(api_id)
            .stage_name("dev")
            .send()
            .await
            .unwrap();
        stage.deployment_id().unwrap().to_string()
    }

    /// The statements of a function's resource policy.
    async fn statements(&self, function: &str) -> Vec<Value> {
        match self
            .lambda
            .get_policy()
            .function_name(function)
            .send()
            .await
        {
            Ok(policy) => {
                let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
                policy["Statement"].as_array().cloned().unwrap_or_default()
            }
            Err(_) => Vec::new(),
        }
    }
}

fn route(method: &str, path: &str) -> (String, String) {
    (method.to_string(), path.to_string())
}

#[tokio::test]
async fn crud_example_deploys_routes_permissions_and_a_stage() {
    let sdk = sdk().await;
    let project = Project::example("crud", "crud");
    let name = |key: &str| project.physical(key);

    // 1. Deploy: resources, methods and integrations point at the right functions.
    let out = project.ok(&["apply", "--yes"]);
    let api_id = sdk.api_id(&project.name).await;
    assert!(
        out.contains(&format!(
            "API URL: https://{api_id}.execute-api.us-east-1.amazonaws.com/dev"
        )),
        "{out}"
    );
    let (paths, routes) = sdk.routes(&api_id).await;
    assert_eq!(
        paths,
        ["/", "/admin", "/admin/{proxy+}", "/items", "/items/{id}"]
    );
    let expected: Routes = [
        (route("GET", "/items"), name("list-items")),
        (route("POST", "/items"), name("put-item")),
        (route("GET", "/items/{id}"), name("get-item")),
        (route("PUT", "/items/{id}"), name("put-item")),
        (route("DELETE", "/items/{id}"), name("delete-item")),
        (route("ANY", "/admin/{proxy+}"), name("admin")),
    ]
    .into();
    assert_eq!(routes, expected);
    let admin = sdk
        .apigw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let admin = admin
        .items()
        .iter()
        .find(|r| r.path() == Some("/admin/{proxy+}"))
        .unwrap();
    let method = sdk
        .apigw
        .get_method()
        .rest_api_id(&api_id)
        .resource_id(admin.id().unwrap())
        .http_method("ANY")
        .send()
        .await
        .unwrap();
    assert_eq!(method.authorization_type(), Some("AWS_IAM"));

    // Each permission is one statement, scoped to this API's execute-api ARN.
    for key in ["list-items", "get-item", "put-item", "delete-item", "admin"] {
        let statements = sdk.statements(&name(key)).await;
        assert_eq!(statements.len(), 1, "{key}: {statements:?}");
        let statement = &statements[0];
        assert_eq!(
            statement["Principal"]["Service"],
            "apigateway.amazonaws.com"
        );
        assert_eq!(statement["Action"], "lambda:InvokeFunction");
        let source = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
            .as_str()
            .unwrap();
        assert!(
            source.starts_with("arn:aws:execute-api:us-east-1:"),
            "{source}"
        );
        assert!(
            source.ends_with(&format!(":{api_id}/*")),
            "{source} is scoped to {api_id}"
        );
    }
    // The stage points at the newest (here: the only) deployment.
    let deployments = sdk.deployments(&api_id).await;
    assert_eq!(deployments.len(), 1);
    assert_eq!(sdk.stage_deployment(&api_id).await, deployments[0]);

    // 2. Plan again: no changes; a second apply adds no deployment.
    assert_eq!(project.plan_steps(), []);
    project.ok(&["apply", "--yes"]);
    assert_eq!(sdk.deployments(&api_id).await.len(), 1);
    assert_eq!(
        sdk.statements(&name("get-item")).await.len(),
        1,
        "the policy does not grow"
    );

    let first = sdk.deployments(&api_id).await;

    // 3. Retarget a route: one integration update, one deployment, the stage moves.
    // (put-item still serves PUT /items/{id}, so its permission stays.)
    project.edit(|text| text.replace("POST /items: put-item", "POST /items: get-item"));
    assert_eq!(
        project.plan_steps(),
        [
            ("put_integration".to_string(), String::new()),
            ("create_deployment".to_string(), String::new())
        ]
    );
    project.ok(&["apply", "--yes"]);
    let (_, routes) = sdk.routes(&api_id).await;
    assert_eq!(routes[&route("POST", "/items")], name("get-item"));
    let after = sdk.deployments(&api_id).await;
    assert_eq!(after.len(), 2);
    let new: Vec<&String> = after.iter().filter(|d| !first.contains(d)).collect();
    assert_eq!(new.len(), 1, "one new deployment");
    assert_eq!(
        &sdk.stage_deployment(&api_id).await,
        new[0],
        "the stage moved to it"
    );
    assert_eq!(sdk.statements(&name("put-item")).await.len(), 1);

    // 4. Remove a route: its method and the resource left empty, nothing else.
    project.edit(|text| {
        text.lines()
            .filter(|l| {
                !l.contains("ANY /admin")
                    && !l.contains("function: admin")
                    && !l.contains("authorization: AWS_IAM")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    });
    let mut steps: Vec<String> = project.plan_steps().into_iter().map(|(op, _)| op).collect();
    steps.sort();
    assert_eq!(
        steps,
        [
            "create_deployment",
            "delete_method",
            "delete_resource",
            "delete_resource",
            "remove_permission"
        ]
    );
    project.ok(&["apply", "--yes"]);
    let (paths, routes) = sdk.routes(&api_id).await;
    assert_eq!(paths, ["/", "/items", "/items/{id}"]);
    assert_eq!(routes.len(), 5);
    // `admin` is no longer routed: its statement goes.
    assert_eq!(sdk.statements(&name("admin")).await, Vec::<Value>::new());

    // 5. Add a route under an existing path: only the new resource and method.
    project.edit(|text| {
        text.replace(
            "    DELETE /items/{id}: delete-item\n",
            "    DELETE /items/{id}: delete-item\n    GET /items/{id}/history: get-item\n",
        )
    });
    let steps: Vec<String> = project.plan_steps().into_iter().map(|(op, _)| op).collect();
    assert_eq!(
        steps,
        [
            "create_resource",
            "put_method",
            "put_integration",
            "create_deployment"
        ]
    );
    project.ok(&["apply", "--yes"]);
    let (paths, routes) = sdk.routes(&api_id).await;
    assert_eq!(paths, ["/", "/items", "/items/{id}", "/items/{id}/history"]);
    assert_eq!(
        routes[&route("GET", "/items/{id}/history")],
        name("get-item")
    );
    assert_eq!(project.plan_steps(), []);

    // 6. Change a route's authorization: the method exists. AWS answers `PutMethod`
    // with 409 "Method already exists" and lade changes it with `UpdateMethod`, which
    // keeps the integration; moto lets the `PutMethod` through and drops the
    // integration (and has no `UpdateMethod`). The integration is put again after it,
    // so both converge: the route still reaches its function, and nothing is left to do.
    project.edit(|text| {
        text.replace(
            "    GET /items: list-items\n",
            "    GET /items:\n      function: list-items\n      authorization: AWS_IAM\n",
        )
    });
    let steps: Vec<String> = project.plan_steps().into_iter().map(|(op, _)| op).collect();
    assert_eq!(
        steps,
        ["put_method", "put_integration", "create_deployment"]
    );
    project.ok(&["apply", "--yes"]);
    let (_, routes) = sdk.routes(&api_id).await;
    assert_eq!(routes[&route("GET", "/items")], name("list-items"));
    assert_eq!(project.plan_steps(), []);

    // `lade outputs` reads the same from live state.
    let outputs: Value = serde_json::from_str(&project.ok(&["outputs", "--json"])).unwrap();
    assert_eq!(outputs["api"]["id"], api_id.as_str());
    assert_eq!(
        outputs["api"]["url"],
        format!("https://{api_id}.execute-api.us-east-1.amazonaws.com/dev")
    );
    assert_eq!(outputs["api"]["routes"].as_array().unwrap().len(), 6);

    // 6. Destroy deletes the REST API, the permissions, the functions and the roles.
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.apis(&project.name).await.is_empty());
    for key in ["list-items", "get-item", "put-item", "delete-item", "admin"] {
        assert!(
            sdk.lambda
                .get_function()
                .function_name(name(key))
                .send()
                .await
                .is_err(),
            "{key} is gone"
        );
    }
    let roles = sdk
        .iam
        .list_roles()
        .path_prefix(format!("/lade/{}/", project.name))
        .send()
        .await
        .unwrap();
    assert!(roles.roles().is_empty());
}

#[tokio::test]
async fn hello_example_answers_with_its_permission_in_place() {
    let sdk = sdk().await;
    let project = Project::example("hello", "hello");
    let out = project.ok(&["apply", "--yes"]);
    let api_id = sdk.api_id(&project.name).await;
    assert!(
        out.contains(&format!(
            "GET  https://{api_id}.execute-api.us-east-1.amazonaws.com/dev/hello"
        )),
        "{out}"
    );
    // The permission the classic script forgets.
    let statements = sdk.statements(&project.physical("hello")).await;
    assert_eq!(statements.len(), 1);
    assert_eq!(
        statements[0]["Sid"],
        format!("lade-api-{}-dev", project.name)
    );
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.apis(&project.name).await.is_empty());
}

/// Issue 19: seven route changes in a row on examples/hello. From the sixth apply on,
/// each apply prunes old deployments, which moto refuses for any deployment of a live
/// stage (real API Gateway only for one a stage or canary points at). Pruning is best
/// effort: every apply exits 0, a refused prune is reported as kept with its reason,
/// nothing fails, and the next apply is not blocked.
#[tokio::test]
async fn seven_route_changes_in_a_row_all_apply_and_report_what_pruning_kept() {
    let sdk = sdk().await;
    let project = Project::example("hello", "seven");
    project.ok(&["apply", "--yes"]);
    // Deployments there are: the first apply made one.
    let (mut live, mut pruned, mut kept) = (1usize, 0, 0);
    for i in 1..=7 {
        project.edit(|text| {
            text.replace(
                "    GET /hello: hello\n",
                &format!("    GET /hello: hello\n    GET /r{i}: hello\n"),
            )
        });
        let output = project.lade(&["apply", "--yes", "--json"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "apply {i}:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let events: Vec<Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let deletes: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["event"] == "started"
                    && e["description"]
                        .as_str()
                        .unwrap()
                        .starts_with("delete old deployment")
            })
            .collect();
        // Five stay with the new one: the stage's and the three newest others.
        assert_eq!(deletes.len(), live.saturating_sub(4), "apply {i}: {stdout}");
        assert!(
            !events.iter().any(|e| e["event"] == "failed"),
            "apply {i}: {stdout}"
        );
        for event in events.iter().filter(|e| e["event"] == "kept") {
            let reason = event["reason"].as_str().unwrap();
            assert!(reason.contains("DeleteDeployment"), "apply {i}: {reason}");
            kept += 1;
        }
        let done = events
            .iter()
            .filter(|e| {
                e["event"] == "succeeded"
                    && e["description"]
                        .as_str()
                        .unwrap()
                        .starts_with("delete old deployment")
            })
            .count();
        assert_eq!(
            done + events.iter().filter(|e| e["event"] == "kept").count(),
            deletes.len(),
            "apply {i}: each prune succeeded or was kept: {stdout}"
        );
        pruned += done;
        live = live + 1 - done;
        let summary = events.iter().find(|e| e["event"] == "summary").unwrap();
        assert_eq!(summary["result"], "complete", "apply {i}: {summary}");
        assert_eq!(
            summary["kept"].as_array().unwrap().len(),
            events.iter().filter(|e| e["event"] == "kept").count(),
            "apply {i}: {summary}"
        );
        assert!(events.iter().any(|e| e["event"] == "outputs"), "apply {i}");
    }
    assert!(pruned + kept >= 3, "the 5th, 6th and 7th change pruned");
    eprintln!("moto let lade prune {pruned} and kept {kept}");

    let api_id = sdk.api_id(&project.name).await;
    let (_, routes) = sdk.routes(&api_id).await;
    assert_eq!(routes.len(), 8, "{routes:?}");
    let deployments = sdk.deployments(&api_id).await;
    assert_eq!(deployments.len(), 8 - pruned, "{deployments:?}");
    assert!(deployments.contains(&sdk.stage_deployment(&api_id).await));
    // The text output says the same, and a plan after it all has nothing to do.
    project.edit(|text| text.replace("    GET /r7: hello\n", ""));
    let text = project.ok(&["apply", "--yes"]);
    assert!(text.contains("Apply complete: "), "{text}");
    if kept > 0 {
        assert!(text.contains("  kept: step "), "{text}");
        assert!(text.contains("~  delete old deployment "), "{text}");
    }
    let planned = project.lade(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        planned.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&planned.stdout)
    );
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.apis(&project.name).await.is_empty());
}
