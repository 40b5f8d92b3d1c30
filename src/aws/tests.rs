//! The adapter against scripted HTTP replies, for what moto cannot show: updates in
//! progress, functions that take time to become Active, throttling and denied access.
//! Everything moto can show is tested against moto in `tests/aws_adapter.rs`.

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

use super::{AwsCloud, Patience};
use crate::cloud::{Cloud, CloudError, FunctionConfig, NewFunction};
use crate::model::Architecture;

/// One HTTP reply: status, Lambda's error type (if an error) and JSON body.
#[derive(Debug)]
struct Reply(u16, Option<&'static str>, &'static str);

/// Answers requests from a script, in order, and records `METHOD /path` of each.
#[derive(Debug, Clone, Default)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<String>>>,
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
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        wait_limit: Duration::from_secs(10),
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
