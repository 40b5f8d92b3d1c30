//! The adapter against scripted HTTP replies, for what moto cannot show: updates in
//! progress, functions that take time to become Active, throttling and denied access,
//! and the places where moto's API Gateway and Lambda permissions differ from AWS.
//! Everything moto can show is tested against moto in `tests/aws_adapter.rs` and
//! `tests/aws_apigateway.rs`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_lambda::config::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use serde_json::{Value, json};

use super::{AwsCloud, Patience};
use crate::cloud::{
    CloudError, FunctionConfig, LambdaApi, MethodSettings, NewApi, NewFunction, RestApiApi,
};
use crate::model::{ApiSettings, Architecture, Authorization, Endpoint};

/// One HTTP reply: status, Lambda's error type (if an error) and JSON body.
#[derive(Debug)]
struct Reply(u16, Option<&'static str>, &'static str);

/// Answers requests from a script, in order, and records `METHOD /path` of each.
#[derive(Debug, Clone, Default)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<String>>>,
    /// The body of each request, in the same order as `seen`.
    bodies: Arc<Mutex<Vec<String>>>,
}

impl HttpConnector for Script {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let path = request
            .uri()
            .split("amazonaws.com")
            .last()
            .unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default();
        let line = format!("{} {path}", request.method());
        self.seen.lock().unwrap().push(line.clone());
        let body = request.body().bytes().unwrap_or_default();
        self.bodies
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(body).into_owned());
        let Reply(status, error_type, body) = self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unscripted request: {line}"));
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::from(body),
        );
        response
            .headers_mut()
            .insert("content-type", "application/json");
        if let Some(error_type) = error_type {
            response
                .headers_mut()
                .insert("x-amzn-errortype", error_type);
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}

/// An adapter whose every request is answered by `replies`, with quick retries.
async fn scripted(replies: Vec<Reply>) -> (AwsCloud, Script) {
    let script = Script::default();
    script.replies.lock().unwrap().extend(replies);
    let connector = script.clone();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .http_client(http_client_fn(move |_, _| {
            SharedHttpConnector::new(connector.clone())
        }))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .load()
        .await;
    let cloud = AwsCloud::new(&config).with_patience(Patience {
        retry_deadline: Duration::from_secs(10),
        role_propagation: Duration::from_secs(10),
        throttle_deadline: Duration::from_millis(200),
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        wait_limit: Duration::from_secs(10),
        poll_interval: Duration::from_millis(10),
        not_found_grace: Duration::from_millis(300),
        read_back: Duration::from_millis(300),
    });
    (cloud, script)
}

fn seen(script: &Script) -> Vec<String> {
    script.seen.lock().unwrap().clone()
}

const FUNCTION: &str = "/2015-03-31/functions/f";
const UPDATED: &str =
    r#"{"Configuration":{"FunctionName":"f","State":"Active","LastUpdateStatus":"Successful"}}"#;

fn config() -> FunctionConfig {
    FunctionConfig {
        handler: "app.handler".to_owned(),
        runtime: "python3.12".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        memory: 128,
        timeout: 3,
        environment: Default::default(),
        description: String::new(),
    }
}

#[tokio::test]
async fn an_update_in_progress_is_waited_for_then_retried() {
    let (cloud, script) = scripted(vec![
        Reply(
            409,
            Some("ResourceConflictException"),
            r#"{"message":"The operation cannot be performed at this time. An update is in progress for resource: f"}"#,
        ),
        Reply(200, None, UPDATED),
        Reply(200, None, r#"{"FunctionName":"f"}"#),
        Reply(200, None, UPDATED),
    ])
    .await;
    cloud
        .update_function_configuration("f", &config())
        .await
        .unwrap();
    assert_eq!(
        seen(&script),
        [
            format!("PUT {FUNCTION}/configuration"),
            format!("GET {FUNCTION}"),
            format!("PUT {FUNCTION}/configuration"),
            format!("GET {FUNCTION}"),
        ]
    );
}

#[tokio::test]
async fn create_returns_once_the_function_is_active() {
    let pending = r#"{"Configuration":{"FunctionName":"f","State":"Pending"}}"#;
    let active = r#"{"Configuration":{"FunctionName":"f","State":"Active"}}"#;
    let (cloud, script) = scripted(vec![
        Reply(
            201,
            None,
            r#"{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","State":"Pending"}"#,
        ),
        Reply(200, None, pending),
        Reply(200, None, active),
    ])
    .await;
    let function = NewFunction {
        name: "f".to_owned(),
        config: config(),
        architecture: Architecture::X86_64,
        zip: Arc::new(b"PK".to_vec()),
        tags: Default::default(),
    };
    let arn = cloud.create_function(&function).await.unwrap();
    assert_eq!(arn, "arn:aws:lambda:us-east-1:123456789012:function:f");
    assert_eq!(
        seen(&script),
        [
            "POST /2015-03-31/functions".to_owned(),
            format!("GET {FUNCTION}"),
            format!("GET {FUNCTION}"),
        ]
    );
}

fn not_found() -> Reply {
    Reply(
        404,
        Some("ResourceNotFoundException"),
        r#"{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:f"}"#,
    )
}

fn new_function() -> NewFunction {
    NewFunction {
        name: "f".to_owned(),
        config: config(),
        architecture: Architecture::X86_64,
        zip: Arc::new(b"PK".to_vec()),
        tags: Default::default(),
    }
}

/// Lambda's other APIs can briefly not find a function `CreateFunction` just made
/// (moto never lags, so only a scripted answer shows it).
#[tokio::test]
async fn a_new_function_briefly_not_found_is_waited_for() {
    let active = r#"{"Configuration":{"FunctionName":"f","State":"Active"}}"#;
    let (cloud, script) = scripted(vec![
        Reply(
            201,
            None,
            r#"{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","State":"Pending"}"#,
        ),
        not_found(),
        Reply(200, None, active),
    ])
    .await;
    cloud.create_function(&new_function()).await.unwrap();
    assert_eq!(seen(&script).len(), 3);
}

/// The same for `AddPermission` right after the create.
#[tokio::test]
async fn add_permission_waits_out_a_function_briefly_not_found() {
    let (cloud, script) = scripted(vec![
        // GetPolicy: no function (or no policy) yet.
        not_found(),
        not_found(),
        not_found(),
        Reply(201, None, r#"{"Statement":"{}"}"#),
    ])
    .await;
    cloud
        .add_permission(
            "f",
            "lade-api",
            crate::arn::API_GATEWAY_PRINCIPAL,
            "arn:aws:execute-api:us-east-1:1:a1/*",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        seen(&script),
        [
            format!("GET {FUNCTION}/policy"),
            format!("POST {FUNCTION}/policy"),
            format!("GET {FUNCTION}/policy"),
            format!("POST {FUNCTION}/policy"),
        ]
    );
}

/// "Does not have permissions" (a policy Lambda needs, still propagating) is retried
/// like "cannot be assumed", as Terraform's provider does.
#[tokio::test]
async fn a_role_without_its_permissions_yet_is_retried() {
    let (cloud, script) = scripted(vec![
        Reply(
            400,
            Some("InvalidParameterValueException"),
            r#"{"Type":"User","message":"The provided execution role does not have permissions to call CreateNetworkInterface on EC2"}"#,
        ),
        Reply(
            201,
            None,
            r#"{"FunctionName":"f","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","State":"Active"}"#,
        ),
        Reply(200, None, r#"{"Configuration":{"FunctionName":"f","State":"Active"}}"#),
    ])
    .await;
    cloud.create_function(&new_function()).await.unwrap();
    assert_eq!(
        seen(&script)[..2],
        ["POST /2015-03-31/functions", "POST /2015-03-31/functions"]
    );
}

#[tokio::test]
async fn a_failed_update_is_reported_with_lambdas_reason() {
    let failed = r#"{"Configuration":{"FunctionName":"f","LastUpdateStatus":"Failed","LastUpdateStatusReason":"bad layer"}}"#;
    let (cloud, _) = scripted(vec![
        Reply(200, None, r#"{"FunctionName":"f"}"#),
        Reply(200, None, failed),
    ])
    .await;
    let result = cloud.update_function_configuration("f", &config()).await;
    assert_eq!(
        result,
        Err(CloudError::Service {
            operation: "GetFunction".to_owned(),
            message: "function f failed to finish updating: bad layer".to_owned(),
        })
    );
}

fn throttled() -> Reply {
    Reply(
        429,
        Some("TooManyRequestsException"),
        r#"{"message":"Rate exceeded"}"#,
    )
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_then_reported_as_a_timeout() {
    let (cloud, script) = scripted(vec![throttled(), throttled(), throttled()]).await;
    // No time left to send it again after the SDK's three attempts.
    let cloud = cloud.with_patience(Patience {
        throttle_deadline: Duration::ZERO,
        ..Patience::default()
    });
    let result = cloud.get_function("f").await;
    let Err(CloudError::Timeout {
        attempts, message, ..
    }) = result
    else {
        panic!("expected a timeout, got {result:?}");
    };
    assert_eq!(attempts, 3);
    assert_eq!(seen(&script).len(), 3, "the SDK retries throttling itself");
    assert!(
        message.starts_with("GetFunction was throttled (TooManyRequestsException: Rate exceeded)"),
        "{message}"
    );
}

/// Several pipelines sharing an account share its quotas: a request still throttled
/// after the SDK's attempts is sent again, within the throttle deadline.
#[tokio::test]
async fn a_request_throttled_past_the_sdks_attempts_is_sent_again() {
    let (cloud, script) = scripted(vec![
        throttled(),
        throttled(),
        throttled(),
        Reply(200, None, UPDATED),
    ])
    .await;
    let cloud = cloud.with_patience(Patience {
        throttle_deadline: Duration::from_secs(30),
        first_delay: Duration::from_millis(10),
        ..Patience::default()
    });
    assert!(cloud.get_function("f").await.unwrap().is_some());
    assert_eq!(
        seen(&script).len(),
        4,
        "three SDK attempts, then one more send"
    );
}

#[tokio::test]
async fn throttling_that_clears_is_invisible() {
    let (cloud, _) = scripted(vec![
        throttled(),
        Reply(
            404,
            Some("ResourceNotFoundException"),
            r#"{"message":"Function not found: f"}"#,
        ),
    ])
    .await;
    assert_eq!(cloud.get_function("f").await, Ok(None));
}

#[tokio::test]
async fn denied_access_names_the_operation() {
    let (cloud, _) = scripted(vec![Reply(
        403,
        Some("AccessDeniedException"),
        r#"{"message":"User is not authorized to perform: lambda:DeleteFunction"}"#,
    )])
    .await;
    let result = cloud.delete_function("f").await;
    let Err(CloudError::AccessDenied(message)) = result else {
        panic!("expected AccessDenied, got {result:?}");
    };
    assert!(
        message.starts_with(
            "DeleteFunction: AccessDeniedException: User is not authorized to perform: \
             lambda:DeleteFunction"
        ),
        "{message}"
    );
}

/// An answer that is no AWS error (a proxy's page) shows its status and the start of
/// its body; a 403 is said to be a permission problem.
#[tokio::test]
async fn an_answer_that_is_no_aws_error_shows_its_status_and_body() {
    let (cloud, _) = scripted(vec![Reply(
        403,
        None,
        "<html>\n<body>Request blocked by the corporate proxy</body></html>",
    )])
    .await;
    let result = cloud.delete_function("f").await;
    let Err(CloudError::AccessDenied(message)) = result else {
        panic!("expected AccessDenied, got {result:?}");
    };
    assert!(
        message.starts_with(
            "DeleteFunction: HTTP 403 with a body that is not an AWS error: <html> <body>Request \
             blocked by the corporate proxy</body></html>; HTTP 403 is a permission problem"
        ),
        "{message}"
    );
}

// ---- API Gateway ----
//
// On the wire API Gateway lists collections under `item` (the SDK calls it `items`).

/// The JSON body of the `index`th request.
fn body(script: &Script, index: usize) -> Value {
    serde_json::from_str(&script.bodies.lock().unwrap()[index]).expect("a JSON body")
}

fn api_settings() -> ApiSettings {
    ApiSettings {
        name: "shop-dev".to_owned(),
        description: "the shop".to_owned(),
        endpoint: Endpoint::Regional,
        binary_media_types: ["image/png".to_owned()].into(),
    }
}

#[tokio::test]
async fn create_rest_api_sends_every_setting_and_finds_the_root_when_not_told() {
    let (cloud, script) = scripted(vec![
        // No rootResourceId in the answer.
        Reply(201, None, r#"{"id":"a1","name":"shop-dev"}"#),
        Reply(
            200,
            None,
            r#"{"item":[{"id":"r9","parentId":"x","pathPart":"y","path":"/y"},{"id":"r0","path":"/"}]}"#,
        ),
    ])
    .await;
    let api = NewApi {
        settings: api_settings(),
        tags: [("lade:project".to_owned(), "shop".to_owned())].into(),
    };
    let created = cloud.create_rest_api(&api).await.unwrap();
    assert_eq!(
        (created.id.as_str(), created.root_resource_id.as_str()),
        ("a1", "r0")
    );
    assert_eq!(
        seen(&script),
        ["POST /restapis", "GET /restapis/a1/resources"]
    );
    assert_eq!(
        body(&script, 0),
        json!({
            "name": "shop-dev",
            "description": "the shop",
            "endpointConfiguration": {"types": ["REGIONAL"]},
            "binaryMediaTypes": ["image/png"],
            "tags": {"lade:project": "shop"},
        })
    );
}

#[tokio::test]
async fn update_rest_api_patches_binary_media_types_by_path() {
    let (cloud, script) = scripted(vec![Reply(200, None, r#"{"id":"a1"}"#)]).await;
    let to = ApiSettings {
        binary_media_types: ["application/pdf".to_owned()].into(),
        ..api_settings()
    };
    cloud
        .update_rest_api("a1", &api_settings(), &to)
        .await
        .unwrap();
    assert_eq!(seen(&script), ["PATCH /restapis/a1"]);
    assert_eq!(
        body(&script, 0),
        json!({"patchOperations": [
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "add", "path": "/binaryMediaTypes/application~1pdf"},
        ]})
    );
}

#[tokio::test]
async fn an_update_to_the_same_settings_sends_no_request() {
    let (cloud, script) = scripted(vec![]).await;
    cloud
        .update_rest_api("a1", &api_settings(), &api_settings())
        .await
        .unwrap();
    assert_eq!(seen(&script), Vec::<String>::new());
}

#[tokio::test]
async fn put_method_on_an_existing_method_updates_it_in_place() {
    let (cloud, script) = scripted(vec![
        Reply(
            409,
            Some("ConflictException"),
            r#"{"message":"Method already exists for this resource"}"#,
        ),
        Reply(
            200,
            None,
            r#"{"httpMethod":"GET","authorizationType":"AWS_IAM"}"#,
        ),
    ])
    .await;
    let method = MethodSettings {
        http_method: "GET".to_owned(),
        authorization: Authorization::AwsIam,
        api_key_required: true,
    };
    cloud.put_method("a1", "r1", &method).await.unwrap();
    assert_eq!(
        seen(&script),
        [
            "PUT /restapis/a1/resources/r1/methods/GET",
            "PATCH /restapis/a1/resources/r1/methods/GET",
        ]
    );
    assert_eq!(
        body(&script, 0),
        json!({"authorizationType": "AWS_IAM", "apiKeyRequired": true})
    );
    assert_eq!(
        body(&script, 1),
        json!({"patchOperations": [
            {"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"},
            {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
        ]})
    );
}

#[tokio::test]
async fn a_resource_created_concurrently_is_found_after_the_conflict() {
    // The plan found no such resource, so the first request is the create; the
    // conflict is the reason to read the resources.
    let (cloud, script) = scripted(vec![
        Reply(
            409,
            Some("ConflictException"),
            r#"{"message":"Another resource with the same parent already has this name: items"}"#,
        ),
        Reply(
            200,
            None,
            r#"{"item":[{"id":"root","path":"/"},{"id":"r1","parentId":"root","pathPart":"items","path":"/items"}]}"#,
        ),
    ])
    .await;
    let id = cloud.create_resource("a1", "root", "items").await.unwrap();
    assert_eq!(id, "r1");
    assert_eq!(
        seen(&script),
        [
            "POST /restapis/a1/resources/root",
            "GET /restapis/a1/resources",
        ]
    );
}

#[tokio::test]
async fn a_throttled_delete_rest_api_is_retried_past_the_sdks_attempts() {
    // DeleteRestApi's quota is one call every 30 s per account: the SDK's three
    // attempts (in this config) are all throttled, and lade sends it again.
    let (cloud, script) = scripted(vec![
        Reply(200, None, r#"{"id":"a1"}"#),
        throttled(),
        throttled(),
        throttled(),
        Reply(202, None, ""),
    ])
    .await;
    cloud.delete_rest_api("a1").await.unwrap();
    assert_eq!(
        seen(&script),
        [
            "GET /restapis/a1",
            "DELETE /restapis/a1",
            "DELETE /restapis/a1",
            "DELETE /restapis/a1",
            "DELETE /restapis/a1",
        ]
    );
}

#[tokio::test]
async fn an_old_deployment_is_deleted_and_a_gone_one_is_fine() {
    let (cloud, script) = scripted(vec![
        Reply(202, None, ""),
        Reply(
            404,
            Some("NotFoundException"),
            r#"{"message":"Invalid Deployment identifier specified"}"#,
        ),
    ])
    .await;
    cloud.delete_deployment("a1", "d1").await.unwrap();
    cloud.delete_deployment("a1", "d1").await.unwrap();
    assert_eq!(
        seen(&script),
        [
            "DELETE /restapis/a1/deployments/d1",
            "DELETE /restapis/a1/deployments/d1"
        ]
    );
}

// ---- Lambda permissions ----

const POLICY: &str = "/2015-03-31/functions/f/policy";

/// GetPolicy's answer with one API Gateway statement `sid` for `source_arn`.
fn policy(sid: &str, source_arn: &str) -> Reply {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
        }],
    });
    let body = json!({"Policy": document.to_string(), "RevisionId": "1"}).to_string();
    Reply(200, None, Box::leak(body.into_boxed_str()))
}

fn no_policy() -> Reply {
    Reply(
        404,
        Some("ResourceNotFoundException"),
        r#"{"message":"The resource you requested does not exist."}"#,
    )
}

#[tokio::test]
async fn a_statement_for_another_source_is_replaced() {
    let (cloud, script) = scripted(vec![
        policy("lade", "arn:aws:execute-api:us-east-1:123456789012:old/*"),
        Reply(204, None, ""),
        Reply(201, None, r#"{"Statement":"{}"}"#),
    ])
    .await;
    cloud
        .add_permission(
            "f",
            "lade",
            crate::arn::API_GATEWAY_PRINCIPAL,
            "arn:aws:execute-api:us-east-1:123456789012:new/*",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        seen(&script),
        [
            format!("GET {POLICY}"),
            format!("DELETE {POLICY}/lade"),
            format!("POST {POLICY}"),
        ]
    );
    assert_eq!(
        body(&script, 2),
        json!({
            "StatementId": "lade",
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": "arn:aws:execute-api:us-east-1:123456789012:new/*",
        })
    );
}

#[tokio::test]
async fn a_statement_added_concurrently_is_read_again_and_kept() {
    let source = "arn:aws:execute-api:us-east-1:123456789012:abc/*";
    let (cloud, script) = scripted(vec![
        no_policy(),
        Reply(
            409,
            Some("ResourceConflictException"),
            r#"{"message":"The statement id (lade) provided already exists. Please specify a new statement id, or remove the existing statement."}"#,
        ),
        policy("lade", source),
    ])
    .await;
    cloud
        .add_permission("f", "lade", crate::arn::API_GATEWAY_PRINCIPAL, source, None)
        .await
        .unwrap();
    assert_eq!(
        seen(&script),
        [
            format!("GET {POLICY}"),
            format!("POST {POLICY}"),
            format!("GET {POLICY}"),
        ]
    );
}

#[tokio::test]
async fn a_permission_waits_for_an_update_in_progress() {
    let (cloud, script) = scripted(vec![
        no_policy(),
        Reply(
            409,
            Some("ResourceConflictException"),
            r#"{"message":"The operation cannot be performed at this time. An update is in progress for resource: f"}"#,
        ),
        Reply(200, None, UPDATED),
        no_policy(),
        Reply(201, None, r#"{"Statement":"{}"}"#),
    ])
    .await;
    cloud
        .add_permission(
            "f",
            "lade",
            crate::arn::API_GATEWAY_PRINCIPAL,
            "arn:aws:execute-api:us-east-1:123456789012:abc/*",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        seen(&script),
        [
            format!("GET {POLICY}"),
            format!("POST {POLICY}"),
            format!("GET {FUNCTION}"),
            format!("GET {POLICY}"),
            format!("POST {POLICY}"),
        ]
    );
}

// ---- --stats: what the interceptor counts ----

#[tokio::test]
async fn stats_count_sdk_retries_lade_retries_and_waiter_polls() {
    let (cloud, _) = scripted(vec![
        // The SDK retries a throttled request itself: one request, two attempts.
        Reply(
            429,
            Some("TooManyRequestsException"),
            r#"{"message":"Rate exceeded"}"#,
        ),
        // Then an update in progress: a waiter poll and lade's own retry.
        Reply(
            409,
            Some("ResourceConflictException"),
            r#"{"message":"An update is in progress for resource: f"}"#,
        ),
        Reply(200, None, UPDATED),
        Reply(200, None, r#"{"FunctionName":"f"}"#),
        // The final wait for LastUpdateStatus=Successful.
        Reply(200, None, UPDATED),
    ])
    .await;
    cloud
        .update_function_configuration("f", &config())
        .await
        .unwrap();
    let report = cloud.stats();
    let update = report.get("lambda", "UpdateFunctionConfiguration").unwrap();
    // Two requests (the first one attempted twice), the second sent by lade's retry.
    assert_eq!(
        (
            update.requests,
            update.attempts,
            update.retries,
            update.errors
        ),
        (2, 3, 2, 1)
    );
    let polls = report.get("lambda", "GetFunction").unwrap();
    assert_eq!((polls.requests, polls.waits, polls.retries), (2, 2, 0));
    assert_eq!(report.total.requests, 4);
    assert_eq!(report.total.attempts, 5);
}

#[tokio::test]
async fn listing_pages_until_every_wanted_function_is_seen() {
    let page = |names: &[&str], next: Option<&str>| {
        let functions: Vec<Value> = names
            .iter()
            .map(|n| json!({"FunctionName": n, "CodeSha256": format!("sha-{n}"), "Architectures": ["arm64"]}))
            .collect();
        let body = json!({"Functions": functions, "NextMarker": next}).to_string();
        Reply(200, None, Box::leak(body.into_boxed_str()))
    };
    let (cloud, script) = scripted(vec![
        page(&["a", "b"], Some("m1")),
        page(&["c", "d"], Some("m2")),
        // Never asked for: "d" was the last wanted one.
        page(&["e"], None),
    ])
    .await;
    let wanted = ["b", "d"].map(str::to_owned).into();
    let listing = cloud.list_functions(&wanted).await.unwrap();
    assert!(listing.complete);
    let listed = listing.functions;
    let names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    assert_eq!(listed[1].code_sha256, "sha-b");
    assert_eq!(listed[1].architecture, Architecture::Arm64);
    assert_eq!(seen(&script).len(), 2);
    assert_eq!(
        cloud
            .stats()
            .get("lambda", "ListFunctions")
            .unwrap()
            .requests,
        2
    );
}

#[tokio::test]
async fn listing_stops_after_two_pages_and_says_it_is_incomplete() {
    let page = |names: &[&str], next: Option<&str>| {
        let functions: Vec<Value> = names
            .iter()
            .map(|n| json!({"FunctionName": n, "CodeSha256": "x", "Architectures": ["x86_64"]}))
            .collect();
        let body = json!({"Functions": functions, "NextMarker": next}).to_string();
        Reply(200, None, Box::leak(body.into_boxed_str()))
    };
    let (cloud, script) = scripted(vec![
        page(&["a"], Some("m1")),
        page(&["b"], Some("m2")),
        // Never asked for: after two pages the caller asks for "z" by name.
        page(&["z"], None),
    ])
    .await;
    let wanted = ["b", "z"].map(str::to_owned).into();
    let listing = cloud.list_functions(&wanted).await.unwrap();
    assert!(!listing.complete, "z may be on a later page");
    let names: Vec<&str> = listing.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(seen(&script).len(), 2);

    // The last page read is complete even if a wanted name was not on it.
    let (cloud, _) = scripted(vec![page(&["a"], None)]).await;
    let listing = cloud.list_functions(&wanted).await.unwrap();
    assert!(listing.complete, "the one page was the last");
}

// ---- function URLs ----

fn public_url() -> crate::model::UrlSettings {
    crate::model::UrlSettings {
        auth: crate::model::UrlAuth::None,
        cors: Some(crate::model::Cors {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["GET".into()],
            ..Default::default()
        }),
        invoke_mode: crate::model::InvokeMode::Buffered,
    }
}

#[tokio::test]
async fn a_url_that_exists_already_is_set_instead() {
    use crate::cloud::FunctionUrlApi;
    const URL: &str = r#"{"FunctionUrl":"https://x.lambda-url.us-east-1.on.aws/","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","AuthType":"NONE","CreationTime":"t","LastModifiedTime":"t"}"#;
    let (cloud, script) = scripted(vec![
        Reply(
            409,
            Some("ResourceConflictException"),
            r#"{"message":"Failed to create function url config for [functionArn = f]. Error message:  FunctionUrlConfig exists for this Lambda function"}"#,
        ),
        Reply(200, None, URL),
    ])
    .await;
    let url = cloud.create_function_url("f", &public_url()).await.unwrap();
    assert_eq!(url, "https://x.lambda-url.us-east-1.on.aws/");
    assert_eq!(
        seen(&script),
        [
            "POST /2021-10-31/functions/f/url",
            "PUT /2021-10-31/functions/f/url"
        ]
    );
    let update = body(&script, 1);
    assert_eq!(update["AuthType"], "NONE");
    assert_eq!(update["InvokeMode"], "BUFFERED");
    assert_eq!(update["Cors"]["AllowOrigins"], json!(["*"]));
}

#[tokio::test]
async fn an_update_without_cors_sends_an_empty_cors_to_clear_it() {
    use crate::cloud::FunctionUrlApi;
    const URL: &str = r#"{"FunctionUrl":"https://x.lambda-url.us-east-1.on.aws/","FunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","AuthType":"AWS_IAM","CreationTime":"t","LastModifiedTime":"t"}"#;
    let (cloud, script) = scripted(vec![Reply(200, None, URL)]).await;
    let mut settings = public_url();
    settings.auth = crate::model::UrlAuth::Iam;
    settings.cors = None;
    cloud.update_function_url("f", &settings).await.unwrap();
    let update = body(&script, 0);
    assert_eq!(update["AuthType"], "AWS_IAM");
    assert_eq!(update["Cors"], json!({}));
}

#[tokio::test]
async fn the_public_statements_carry_the_url_conditions_aws_documents() {
    use crate::cloud::FunctionUrlApi;
    use crate::model::PublicStatement;
    let (cloud, script) = scripted(vec![
        no_policy(),
        Reply(201, None, r#"{"Statement":"{}"}"#),
        no_policy(),
        Reply(201, None, r#"{"Statement":"{}"}"#),
    ])
    .await;
    cloud
        .add_url_permission("f", PublicStatement::InvokeFunctionUrl)
        .await
        .unwrap();
    cloud
        .add_url_permission("f", PublicStatement::InvokeFunction)
        .await
        .unwrap();
    let url = body(&script, 1);
    assert_eq!(url["StatementId"], "lade-url-public");
    assert_eq!(url["Action"], "lambda:InvokeFunctionUrl");
    assert_eq!(url["Principal"], "*");
    assert_eq!(url["FunctionUrlAuthType"], "NONE");
    let invoke = body(&script, 3);
    assert_eq!(invoke["StatementId"], "lade-url-public-invoke");
    assert_eq!(invoke["Action"], "lambda:InvokeFunction");
    assert_eq!(invoke["Principal"], "*");
    assert_eq!(invoke["InvokedViaFunctionUrl"], true);
}
