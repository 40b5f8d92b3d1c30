//! HTTP APIs (API Gateway v2) against moto: lade's read, plan and apply through
//! `AwsCloud`, and what the account holds read back with `aws-sdk-apigatewayv2` and
//! `aws-sdk-lambda`, not through lade.
//!
//! The manifest's `api: {type: http}` is built here as the model (`Desired`) the
//! loader gives; each test works in its own project, so tests share one moto server.
//!
//! moto 5.2.5's API Gateway v2 has no `GetAuthorizers` (it answers 500), which lade's
//! read sends for an API whose manifest has authorizers: the authorizer test reads
//! back with `GetAuthorizer` by ID and cannot plan again; the other tests use no
//! authorizer. The engine tests (tests/http_engine.rs) plan again with authorizers.
//! It has no `CreateDeployment`, `GetDeployments` or `UpdateStage` either: lade's stages use auto-deploy, which AWS documents as publishing
//! every change by itself, so lade needs none of them (a live stage without
//! auto-deploy would get `UpdateStage`, which moto cannot show). moto neither
//! validates route keys, integration URIs nor authorizer URIs as AWS does.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use lade::apply;
use lade::aws::AwsCloud;
use lade::diff::Action;
use lade::model::*;
use lade::plan::address::Address;
use lade::plan::{self, Plan};
use support::{moto, python_zip, unique};

const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf";

struct Project {
    desired: Desired,
    artifacts: BTreeMap<String, Artifact>,
}

fn project(name: &str) -> Project {
    let scope = Scope {
        project: name.to_string(),
        stage: "dev".into(),
    };
    let role = Role {
        key: "api".into(),
        name: scope.physical_name("api"),
        path: scope.iam_path(),
        trust_services: BTreeSet::from([DEFAULT_TRUST_SERVICE.to_string()]),
        managed_policies: BTreeSet::from([BASIC.to_string()]),
        inline_policies: BTreeMap::new(),
        boundary: None,
    };
    let keys = ["list", "get", "admin", "fallback", "auth"];
    let functions = keys.map(|key| Function {
        key: key.into(),
        name: scope.physical_name(key),
        source: Source::Zip {
            path: PathBuf::from(format!("{key}.zip")),
        },
        handler: "app.handler".into(),
        runtime: "python3.12".into(),
        role: RoleRef::Key("api".into()),
        memory: 128,
        timeout: 3,
        environment: BTreeMap::new(),
        description: String::new(),
        architecture: Architecture::X86_64,
        tags: BTreeMap::new(),
        rules: Vec::new(),
        event_sources: Vec::new(),
        url: None,
        notifications: Vec::new(),
        subscriptions: Vec::new(),
    });
    let zip = python_zip("def handler(event, context):\n    return {'statusCode': 200}\n");
    let artifacts = keys
        .iter()
        .map(|key| {
            (
                key.to_string(),
                Artifact {
                    sha256: lade::cloud::memory::code_sha256(&zip),
                    bytes: Arc::new(zip.clone()),
                },
            )
        })
        .collect();
    let mut desired = Desired {
        scope: scope.clone(),
        region: None,
        roles: BTreeMap::from([("api".to_string(), role)]),
        functions: functions.into_iter().map(|f| (f.key.clone(), f)).collect(),
        api: None,
        uses_account: false,
        today: lade::runtimes::date(2026, 12, 2),
    };
    let mut api = http_api(&scope);
    api.authorizers.clear();
    for route in &mut api.routes {
        route.authorizer = None;
        route.scopes.clear();
    }
    desired.api = Some(api);
    Project { desired, artifacts }
}

/// [`project`] with the JWT and Lambda authorizers of [`http_api`].
fn project_with_authorizers(name: &str) -> Project {
    let mut project = project(name);
    project.desired.api = Some(http_api(&project.desired.scope));
    project
}

fn route(method: &str, path: &str, function: &str) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        authorization: Authorization::None,
        api_key_required: false,
        authorizer: None,
        scopes: Vec::new(),
    }
}

/// Five routes (a path parameter, `{proxy+}`, `ANY`, `$default`), a JWT authorizer with
/// scopes and a Lambda authorizer, and CORS.
fn http_api(scope: &Scope) -> Api {
    let mut routes = vec![
        route("GET", "/items", "list"),
        route("POST", "/items", "list"),
        route("GET", "/items/{id}", "get"),
        route("ANY", "/admin/{proxy+}", "admin"),
        route("$default", "", "fallback"),
    ];
    routes[1].authorizer = Some("users".into());
    routes[1].scopes = vec!["items/write".into()];
    routes[3].authorizer = Some("custom".into());
    Api {
        settings: ApiSettings {
            name: scope.api_name(),
            description: String::new(),
            endpoint: Endpoint::Regional,
            binary_media_types: BTreeSet::new(),
        },
        routes,
        protocol: ApiProtocol::Http,
        stage: "$default".into(),
        cors: Some(Cors {
            allow_origins: vec!["https://shop.example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["content-type".into()],
            max_age: 600,
            ..Cors::default()
        }),
        authorizers: BTreeMap::from([
            (
                "users".to_string(),
                Authorizer::Jwt {
                    issuer: ISSUER.into(),
                    audience: vec!["my-client-id".into()],
                    identity_source: vec!["$request.header.Authorization".into()],
                },
            ),
            (
                "custom".to_string(),
                Authorizer::Lambda {
                    function: "auth".into(),
                    payload: LambdaPayload::Request,
                    identity_source: vec!["$request.header.Authorization".into()],
                    ttl: 300,
                },
            ),
        ]),
    }
}

async fn cloud() -> AwsCloud {
    AwsCloud::new(&moto().sdk_config().await)
}

struct Silent;
impl apply::Reporter for Silent {
    fn report(&self, _: &apply::Event) {}
}

async fn plan_of(cloud: &AwsCloud, project: &Project) -> Plan {
    let live = lade::live::read(cloud, &project.desired).await.unwrap();
    plan::build(&project.desired, &live, &project.artifacts).unwrap()
}

async fn apply_plan(cloud: &AwsCloud, project: &Project, plan: &Plan) {
    let inputs = apply::Inputs {
        artifacts: project.artifacts.clone(),
        secrets: Default::default(),
    };
    let outcome = apply::execute(plan, &inputs, cloud, &Silent, &Default::default()).await;
    assert!(outcome.is_success(), "apply failed: {outcome:?}");
}

async fn converge(cloud: &AwsCloud, project: &Project) -> Plan {
    let plan = plan_of(cloud, project).await;
    apply_plan(cloud, project, &plan).await;
    plan
}

async fn v2() -> aws_sdk_apigatewayv2::Client {
    aws_sdk_apigatewayv2::Client::new(&moto().sdk_config().await)
}

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&moto().sdk_config().await)
}

/// The HTTP APIs tagged for `project`, read with the SDK.
async fn apis_of(project: &str) -> Vec<aws_sdk_apigatewayv2::types::Api> {
    let apis = v2().await.get_apis().send().await.unwrap();
    apis.items()
        .iter()
        .filter(|a| {
            a.tags()
                .and_then(|t| t.get("lade:project"))
                .map(String::as_str)
                == Some(project)
        })
        .cloned()
        .collect()
}

/// The statements of a function's resource policy: sid → `AWS:SourceArn`.
async fn statements(function: &str) -> BTreeMap<String, String> {
    let Ok(policy) = lambda()
        .await
        .get_policy()
        .function_name(function)
        .send()
        .await
    else {
        return BTreeMap::new();
    };
    let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_string(),
                s["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn call_names(plan: &Plan) -> Vec<&'static str> {
    let mut calls: Vec<_> = plan.steps.iter().map(|s| s.op.api_call()).collect();
    calls.sort();
    calls
}

#[tokio::test]
async fn five_routes_with_cors_are_made_and_replan_clean() {
    let name = unique("http");
    let project = project(&name);
    let cloud = cloud().await;
    converge(&cloud, &project).await;

    let apis = apis_of(&name).await;
    assert_eq!(apis.len(), 1, "one HTTP API for the project and stage");
    let api = &apis[0];
    let id = api.api_id().unwrap();
    let cors = api.cors_configuration().unwrap();
    assert_eq!(cors.allow_origins(), ["https://shop.example.com"]);
    assert_eq!(cors.max_age(), Some(600));
    let client = v2().await;

    let routes = client.get_routes().api_id(id).send().await.unwrap();
    let routes: BTreeMap<&str, _> = routes
        .items()
        .iter()
        .map(|r| (r.route_key().unwrap(), r))
        .collect();
    assert_eq!(
        routes.keys().copied().collect::<Vec<_>>(),
        [
            "$default",
            "ANY /admin/{proxy+}",
            "GET /items",
            "GET /items/{id}",
            "POST /items"
        ]
    );
    let integrations = client.get_integrations().api_id(id).send().await.unwrap();
    let integrations: BTreeMap<&str, _> = integrations
        .items()
        .iter()
        .map(|i| (i.integration_id().unwrap(), i))
        .collect();
    assert_eq!(integrations.len(), 4, "one integration per function");
    for integration in integrations.values() {
        assert_eq!(
            integration.integration_type().unwrap().as_str(),
            "AWS_PROXY"
        );
        assert_eq!(integration.payload_format_version(), Some("2.0"));
    }
    let target = |key: &str| {
        let id = routes[key]
            .target()
            .unwrap()
            .strip_prefix("integrations/")
            .unwrap();
        integrations[id].integration_uri().unwrap().to_string()
    };
    assert_eq!(
        target("GET /items"),
        target("POST /items"),
        "shared per function"
    );
    assert!(target("GET /items/{id}").ends_with(&format!(":function:{name}-dev-get")));

    assert_eq!(
        routes["POST /items"].authorization_type().unwrap().as_str(),
        "NONE"
    );
    let stages = client.get_stages().api_id(id).send().await.unwrap();
    assert_eq!(stages.items().len(), 1);
    assert_eq!(stages.items()[0].stage_name(), Some("$default"));
    assert_eq!(stages.items()[0].auto_deploy(), Some(true));

    let account = "123456789012";
    for key in ["list", "get", "admin", "fallback"] {
        let function = format!("{name}-dev-{key}");
        assert_eq!(
            statements(&function).await,
            BTreeMap::from([(
                format!("lade-http-{name}-dev"),
                format!("arn:aws:execute-api:us-east-1:{account}:{id}/*")
            )]),
            "{function}"
        );
    }
    let again = plan_of(&cloud, &project).await;
    assert!(
        again.is_empty(),
        "second plan is not empty: {:?}",
        again.changes
    );
}

#[tokio::test]
async fn lambda_and_jwt_authorizers_with_scoped_permissions() {
    let name = unique("http");
    let project = project_with_authorizers(&name);
    let cloud = cloud().await;
    converge(&cloud, &project).await;
    let id = apis_of(&name).await[0].api_id().unwrap().to_string();
    let id = id.as_str();
    let account = "123456789012";
    let client = v2().await;
    let routes = client.get_routes().api_id(id).send().await.unwrap();
    let routes: BTreeMap<&str, _> = routes
        .items()
        .iter()
        .map(|r| (r.route_key().unwrap(), r))
        .collect();
    // moto has no GetAuthorizers: each is read by the ID its route holds.
    let authorizer = |key: &str| {
        let client = client.clone();
        let authorizer_id = routes[key].authorizer_id().unwrap().to_string();
        async move {
            client
                .get_authorizer()
                .api_id(id)
                .authorizer_id(authorizer_id)
                .send()
                .await
                .unwrap()
        }
    };
    let users = authorizer("POST /items").await;
    assert_eq!(users.name(), Some("users"));
    assert_eq!(users.authorizer_type().unwrap().as_str(), "JWT");
    assert_eq!(users.jwt_configuration().unwrap().issuer(), Some(ISSUER));
    assert_eq!(
        users.jwt_configuration().unwrap().audience(),
        ["my-client-id"]
    );
    assert_eq!(
        routes["POST /items"].authorization_type().unwrap().as_str(),
        "JWT"
    );
    assert_eq!(
        routes["POST /items"].authorization_scopes(),
        ["items/write"]
    );
    let custom = authorizer("ANY /admin/{proxy+}").await;
    assert_eq!(custom.name(), Some("custom"));
    assert_eq!(custom.authorizer_type().unwrap().as_str(), "REQUEST");
    assert_eq!(custom.authorizer_payload_format_version(), Some("2.0"));
    assert_eq!(custom.enable_simple_responses(), Some(true));
    assert_eq!(custom.authorizer_result_ttl_in_seconds(), Some(300));
    assert!(
        custom
            .authorizer_uri()
            .unwrap()
            .ends_with(&format!(":function:{name}-dev-auth/invocations"))
    );
    assert_eq!(
        routes["ANY /admin/{proxy+}"]
            .authorization_type()
            .unwrap()
            .as_str(),
        "CUSTOM"
    );
    assert_eq!(
        routes["GET /items"].authorization_type().unwrap().as_str(),
        "NONE"
    );
    assert_eq!(
        statements(&format!("{name}-dev-auth")).await,
        BTreeMap::from([(
            format!("lade-auth-{name}-dev-custom"),
            format!(
                "arn:aws:execute-api:us-east-1:{account}:{id}/authorizers/{}",
                custom.authorizer_id().unwrap()
            )
        )])
    );
}

#[tokio::test]
async fn retarget_add_remove_are_exactly_those_changes() {
    let name = unique("http");
    let mut project = project(&name);
    let cloud = cloud().await;
    converge(&cloud, &project).await;

    let api = project.desired.api.as_mut().unwrap();
    api.routes[2].function = "list".into();
    api.routes.retain(|r| r.method != "$default");
    api.routes.push(route("DELETE", "/items/{id}", "get"));
    let plan = plan_of(&cloud, &project).await;
    let routes: Vec<(String, &str)> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.address, Address::HttpRoute(_)))
        .map(|c| (c.name.clone(), c.action.symbol()))
        .collect();
    assert_eq!(
        routes,
        [
            ("GET /items/{id}".to_string(), "~"),
            ("DELETE /items/{id}".to_string(), "+"),
            ("$default".to_string(), "-"),
        ]
    );
    assert_eq!(
        call_names(&plan),
        [
            "CreateRoute",
            "DeleteIntegration",
            "DeleteRoute",
            "RemovePermission",
            "UpdateRoute"
        ]
    );
    apply_plan(&cloud, &project, &plan).await;

    let id = apis_of(&name).await[0].api_id().unwrap().to_string();
    let client = v2().await;
    let routes = client.get_routes().api_id(&id).send().await.unwrap();
    let keys: BTreeSet<&str> = routes
        .items()
        .iter()
        .map(|r| r.route_key().unwrap())
        .collect();
    assert!(keys.contains("DELETE /items/{id}") && !keys.contains("$default"));
    let integrations = client.get_integrations().api_id(&id).send().await.unwrap();
    assert_eq!(integrations.items().len(), 3);
    assert!(statements(&format!("{name}-dev-fallback")).await.is_empty());
    assert!(plan_of(&cloud, &project).await.is_empty());
}

#[tokio::test]
async fn rest_to_http_is_planned_as_a_replace_and_converges() {
    let name = unique("http");
    let mut project = project(&name);
    let api = project.desired.api.as_mut().unwrap();
    api.protocol = ApiProtocol::Rest;
    api.stage = "dev".into();
    api.cors = None;
    api.routes.retain(|r| r.method != "$default");
    let cloud = cloud().await;
    converge(&cloud, &project).await;
    let sdk = aws_sdk_apigateway::Client::new(&moto().sdk_config().await);
    let rest_of = |apis: &aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput| {
        apis.items()
            .iter()
            .filter(|a| a.name() == Some(format!("{name}-dev").as_str()))
            .count()
    };
    assert_eq!(rest_of(&sdk.get_rest_apis().send().await.unwrap()), 1);

    let project = self::project(&name);
    let plan = plan_of(&cloud, &project).await;
    let http = plan
        .changes
        .iter()
        .find(|c| c.address == Address::HttpApi)
        .unwrap();
    assert!(
        matches!(&http.action, Action::Replace { of } if of.contains("REST API")),
        "{:?}",
        http.action
    );
    apply_plan(&cloud, &project, &plan).await;
    assert_eq!(
        rest_of(&sdk.get_rest_apis().send().await.unwrap()),
        0,
        "the REST API is gone"
    );
    assert_eq!(apis_of(&name).await.len(), 1);
    let list = statements(&format!("{name}-dev-list")).await;
    assert_eq!(
        list.keys().collect::<Vec<_>>(),
        [&format!("lade-http-{name}-dev")],
        "only the HTTP API's statement is left"
    );
    assert!(plan_of(&cloud, &project).await.is_empty());
}

#[tokio::test]
async fn destroy_leaves_nothing_owned() {
    let name = unique("http");
    let project = project(&name);
    let cloud = cloud().await;
    converge(&cloud, &project).await;
    let live = lade::live::read_names(
        &cloud,
        &project.desired.scope,
        &project.desired.role_names(),
        &project.desired.function_names(),
        &project.desired.rule_buses(),
    )
    .await
    .unwrap();
    let plan = plan::destroy(&project.desired.scope, None, &live).unwrap();
    assert!(plan.steps.iter().any(|s| s.op.api_call() == "DeleteApi"));
    let outcome = apply::execute(
        &plan,
        &apply::Inputs::default(),
        &cloud,
        &Silent,
        &Default::default(),
    )
    .await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(apis_of(&name).await.is_empty(), "no HTTP API is left");
    let functions = lambda().await.list_functions().send().await.unwrap();
    assert!(
        !functions.functions().iter().any(|f| f
            .function_name()
            .unwrap_or_default()
            .starts_with(&format!("{name}-"))),
        "no function is left"
    );
}
