//! The HTTP API (API Gateway v2) kind against the in-memory cloud: what a plan
//! creates, in which order, that a second plan is empty, that a change is exactly the
//! calls it needs, that `rest` → `http` is a replacement, and that destroy leaves
//! nothing. (tests/http_api.rs runs the adapter against moto.)

use std::collections::{BTreeMap, BTreeSet};

use lade::cloud::memory::MemoryCloud;
use lade::diff::Action;
use lade::model::*;
use lade::plan::address::Address;
use lade::plan::{HttpApiOp, LambdaOp, Op, Plan};

mod fixtures;
use fixtures::*;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf";

fn desired() -> Desired {
    let roles = [role("api", &[BASIC], &[])];
    let functions = [
        function("list", "api"),
        function("get", "api"),
        function("admin", "api"),
        function("fallback", "api"),
        function("auth", "api"),
    ];
    desired_of(roles, functions, None)
}

fn http_route(method: &str, path: &str, function: &str) -> Route {
    route(method, path, function)
}

/// Five routes: a path parameter, `{proxy+}`, `ANY` and `$default`; a JWT authorizer
/// with scopes on one, a Lambda authorizer on another; CORS.
fn with_http(mut desired: Desired) -> Desired {
    let mut routes = vec![
        http_route("GET", "/items", "list"),
        http_route("POST", "/items", "list"),
        http_route("GET", "/items/{id}", "get"),
        http_route("ANY", "/admin/{proxy+}", "admin"),
        http_route("$default", "", "fallback"),
    ];
    routes[1].authorizer = Some("users".into());
    routes[1].scopes = vec!["items/write".into()];
    routes[3].authorizer = Some("custom".into());
    desired.api = Some(Api {
        settings: ApiSettings {
            name: "shop-dev".into(),
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
    });
    desired
}

fn the_http_api(cloud: &MemoryCloud) -> LiveHttpApi {
    let account = cloud.snapshot();
    assert_eq!(account.http_apis.len(), 1, "exactly one HTTP API");
    account.http_apis.into_values().next().unwrap()
}

fn calls(plan: &Plan) -> Vec<&'static str> {
    let mut calls: Vec<_> = plan.steps.iter().map(|s| s.op.api_call()).collect();
    calls.sort();
    calls
}

fn position(plan: &Plan, want: impl Fn(&Op) -> bool) -> usize {
    plan.steps.iter().position(|s| want(&s.op)).expect("step")
}

fn depends(plan: &Plan, step: usize, on: usize) -> bool {
    let mut stack = vec![step];
    while let Some(s) = stack.pop() {
        if plan.steps[s].depends_on.contains(&on) {
            return true;
        }
        stack.extend(&plan.steps[s].depends_on);
    }
    false
}

#[tokio::test]
async fn cold_apply_builds_the_http_api_and_converges() {
    let cloud = MemoryCloud::new();
    let desired = with_http(desired());
    let artifacts = artifacts(&desired);
    let plan = converge(&cloud, &desired, &artifacts).await;

    let api_step = position(&plan, |op| op.api_call() == "CreateApi");
    let route_step = position(
        &plan,
        |op| matches!(op, Op::HttpApi(HttpApiOp::CreateHttpRoute { route, .. }) if route.key == "POST /items"),
    );
    let jwt_step = position(
        &plan,
        |op| matches!(op, Op::HttpApi(HttpApiOp::CreateHttpAuthorizer { name, .. }) if name == "users"),
    );
    assert!(depends(&plan, route_step, api_step));
    assert!(
        depends(&plan, route_step, jwt_step),
        "a route waits for its authorizer"
    );
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.op.api_call() == "CreateDeployment"),
        "auto-deploy: no deployment"
    );

    let account = cloud.snapshot();
    let api = the_http_api(&cloud);
    assert_eq!(api.tags["lade:project"], "shop");
    assert_eq!(api.settings.cors.as_ref().unwrap().max_age, 600);
    let keys: Vec<&str> = api.routes.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "$default",
            "ANY /admin/{proxy+}",
            "GET /items",
            "GET /items/{id}",
            "POST /items"
        ]
    );
    // One integration per function, Lambda proxy at payload 2.0.
    assert_eq!(api.integrations.len(), 4);
    for integration in api.integrations.values() {
        assert_eq!(integration.kind, "AWS_PROXY");
        assert_eq!(integration.payload_format, "2.0");
    }
    let list_arn = &account.functions["shop-dev-list"].arn;
    let list_integration = api.integration_for(list_arn).unwrap();
    for key in ["GET /items", "POST /items"] {
        assert_eq!(
            api.routes[key].target.as_deref(),
            Some(format!("integrations/{}", list_integration.id).as_str())
        );
    }
    let users = &api.authorizers["users"];
    assert_eq!(users.settings.route_auth_kind(), "JWT");
    assert_eq!(api.routes["POST /items"].auth.kind, "JWT");
    assert_eq!(
        api.routes["POST /items"].auth.authorizer_id.as_ref(),
        Some(&users.id)
    );
    assert_eq!(api.routes["POST /items"].auth.scopes, ["items/write"]);
    let custom = &api.authorizers["custom"];
    assert_eq!(api.routes["ANY /admin/{proxy+}"].auth.kind, "CUSTOM");
    match &custom.settings {
        HttpAuthorizerSettings::Lambda {
            ttl,
            payload_format,
            simple_responses,
            uri,
            ..
        } => {
            assert_eq!(
                (*ttl, payload_format.as_str(), *simple_responses),
                (300, "2.0", true)
            );
            assert!(uri.contains(&account.functions["shop-dev-auth"].arn));
        }
        other => panic!("not a Lambda authorizer: {other:?}"),
    }
    assert_eq!(api.routes["GET /items"].auth.kind, "NONE");
    assert!(api.stages["$default"].auto_deploy);
    // Scoped permissions: the API's for each routed function, the authorizer's own.
    for function in [
        "shop-dev-list",
        "shop-dev-get",
        "shop-dev-admin",
        "shop-dev-fallback",
    ] {
        let statements = &account.permissions[function];
        assert_eq!(statements.len(), 1, "{function}");
        assert_eq!(statements[0].sid, "lade-http-shop-dev");
        assert_eq!(
            statements[0].source_arn.as_deref(),
            Some(format!("arn:aws:execute-api:us-east-1:123456789012:{}/*", api.id).as_str())
        );
    }
    let auth = &account.permissions["shop-dev-auth"];
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].sid, "lade-auth-shop-dev-custom");
    assert_eq!(
        auth[0].source_arn.as_deref(),
        Some(
            format!(
                "arn:aws:execute-api:us-east-1:123456789012:{}/authorizers/{}",
                api.id, custom.id
            )
            .as_str()
        )
    );

    cloud.clear_calls();
    let again = plan_for(&cloud, &desired, &artifacts).await;
    assert!(
        again.is_empty(),
        "second plan is not empty: {:?}",
        again.changes
    );
    assert_eq!(cloud.mutations(), Vec::<String>::new());
}

#[tokio::test]
async fn retarget_add_and_remove_are_exactly_those_changes() {
    let cloud = MemoryCloud::new();
    let mut desired = with_http(desired());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    let api = desired.api.as_mut().unwrap();
    api.routes[2].function = "list".into(); // GET /items/{id} → list
    api.routes.retain(|r| r.key() != "$default"); // remove
    api.routes.push(http_route("DELETE", "/items/{id}", "get")); // add
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    let routes: Vec<(String, String)> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.address, Address::HttpRoute(_)))
        .map(|c| (c.name.clone(), c.action.symbol().to_string()))
        .collect();
    assert_eq!(
        routes,
        [
            ("GET /items/{id}".to_string(), "~".to_string()),
            ("DELETE /items/{id}".to_string(), "+".to_string()),
            ("$default".to_string(), "-".to_string()),
        ]
    );
    assert_eq!(
        calls(&plan),
        [
            "CreateRoute",
            "DeleteIntegration",
            "DeleteRoute",
            "RemovePermission",
            "UpdateRoute"
        ],
        "the fallback's integration and permission go with its route; nothing else changes"
    );
    converge(&cloud, &desired, &artifacts).await;
    let api = the_http_api(&cloud);
    assert!(!api.routes.contains_key("$default"));
    assert_eq!(api.integrations.len(), 3);
    assert!(cloud.snapshot().permissions["shop-dev-fallback"].is_empty());
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn an_authorization_change_updates_that_route_only() {
    let cloud = MemoryCloud::new();
    let mut desired = with_http(desired());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    let api = desired.api.as_mut().unwrap();
    api.routes[0].authorizer = Some("users".into());
    api.routes[0].scopes = vec!["items/read".into()];
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(calls(&plan), ["UpdateRoute"]);
    converge(&cloud, &desired, &artifacts).await;
    assert_eq!(
        the_http_api(&cloud).routes["GET /items"].auth.scopes,
        ["items/read"]
    );
}

#[tokio::test]
async fn rest_to_http_is_a_replacement_that_converges() {
    let cloud = MemoryCloud::new();
    let mut desired = with_http(desired());
    desired.api.as_mut().unwrap().protocol = ApiProtocol::Rest;
    desired.api.as_mut().unwrap().stage = "dev".into();
    desired.api.as_mut().unwrap().authorizers.clear();
    desired
        .api
        .as_mut()
        .unwrap()
        .routes
        .retain(|r| r.method != "$default");
    for route in &mut desired.api.as_mut().unwrap().routes {
        route.authorizer = None;
        route.scopes.clear();
    }
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;
    assert_eq!(cloud.snapshot().apis.len(), 1);

    let desired = with_http(self::desired());
    let plan = plan_for(&cloud, &desired, &artifacts).await;
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
    let create = position(&plan, |op| op.api_call() == "CreateApi");
    let delete = position(&plan, |op| op.api_call() == "DeleteRestApi");
    assert!(
        depends(&plan, delete, create),
        "the new API is made before the old one goes"
    );
    converge(&cloud, &desired, &artifacts).await;
    let account = cloud.snapshot();
    assert!(account.apis.is_empty(), "the REST API is gone");
    assert_eq!(account.http_apis.len(), 1);
    assert!(
        account
            .permissions
            .values()
            .flatten()
            .all(|p| p.sid != "lade-api-shop-dev"),
        "the REST API's statements are gone"
    );
    assert!(plan_for(&cloud, &desired, &artifacts).await.is_empty());
}

#[tokio::test]
async fn removing_the_api_and_destroy_leave_nothing_owned() {
    let cloud = MemoryCloud::new();
    let mut desired = with_http(desired());
    let artifacts = artifacts(&desired);
    converge(&cloud, &desired, &artifacts).await;

    desired.api = None;
    let plan = plan_for(&cloud, &desired, &artifacts).await;
    assert_eq!(
        calls(&plan),
        [
            "DeleteApi",
            "RemovePermission",
            "RemovePermission",
            "RemovePermission",
            "RemovePermission",
            "RemovePermission"
        ],
        "the API takes its parts with it"
    );
    converge(&cloud, &desired, &artifacts).await;
    let account = cloud.snapshot();
    assert!(account.http_apis.is_empty());
    assert!(account.permissions.values().all(Vec::is_empty));

    let desired = with_http(self::desired());
    converge(&cloud, &desired, &artifacts).await;
    let engine = Engine::new(&cloud, &desired);
    let live = engine.read().await;
    let plan = engine.destroy(&live);
    assert!(
        plan.steps.iter().any(|s| s.op.api_call() == "DeleteApi"),
        "destroy deletes the HTTP API"
    );
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s.op, Op::Lambda(LambdaOp::RemovePermission { .. }))),
        "functions take their policies with them"
    );
    let outcome = engine.no_inputs().apply(&plan).await.outcome;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        cloud.snapshot(),
        lade::cloud::memory::Account {
            counter: cloud.snapshot().counter,
            ..Default::default()
        }
    );
}
