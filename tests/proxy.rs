//! The fault-injecting proxy (tests/support/proxy.rs) itself: it forwards faithfully,
//! each fault has the promised shape on the wire and is classified by the SDK as AWS's
//! own would be, the schedule repeats for a seed, and every request is recorded.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use support::proxy::{ALL_FAULTS, Fault, Faults, Moment, Proxy, Seen};
use support::{moto, unique};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn proxy(faults: Faults) -> Proxy {
    Proxy::start(moto().endpoint(), faults)
}

/// What came back for one raw request: status, headers (lowercase names), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one request signed (in form only: moto does not check signatures) for
/// `service`, over a fresh connection. `None` when the connection closed without an
/// answer.
fn raw(proxy: &Proxy, service: &str, method: &str, path: &str, body: &str) -> Option<Answer> {
    let address = proxy.endpoint().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let content_type = if body.is_empty() {
        "application/json"
    } else {
        "application/x-www-form-urlencoded; charset=utf-8"
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) if bytes.is_empty() => return None,
        Ok(_) => {}
        // A reset is a dropped connection too.
        Err(_) if bytes.is_empty() => return None,
        Err(error) => panic!("a half-read answer: {error}"),
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// Every request gets `fault`.
fn always(fault: Fault) -> Faults {
    Faults::seeded(1, 1.0).kinds([fault])
}

// ---- forwarding ----

#[tokio::test]
async fn sdk_calls_through_the_proxy_work_and_are_recorded() {
    let proxy = proxy(Faults::none());
    let config = proxy.sdk_config(1).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let apigateway = aws_sdk_apigateway::Client::new(&config);
    let name = unique("proxyrole");

    iam.create_role()
        .role_name(&name)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let role = iam.get_role().role_name(&name).send().await.unwrap();
    assert_eq!(role.role().unwrap().role_name(), name);
    lambda.list_functions().send().await.unwrap();
    let api = apigateway
        .create_rest_api()
        .name(&name)
        .send()
        .await
        .unwrap();
    let api_id = api.id().unwrap();
    apigateway
        .get_resources()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    apigateway
        .delete_rest_api()
        .rest_api_id(api_id)
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name(&name).send().await.unwrap();

    let seen: Vec<(String, String, String, bool)> = proxy
        .requests()
        .into_iter()
        .map(|s| (s.service, s.operation, s.name, s.mutating))
        .collect();
    let expected = [
        ("iam", "CreateRole", "CreateRole", true),
        ("iam", "GetRole", "GetRole", false),
        (
            "lambda",
            "GET /2015-03-31/functions",
            "ListFunctions",
            false,
        ),
        ("apigateway", "POST /restapis", "CreateRestApi", true),
        (
            "apigateway",
            "GET /restapis/{api}/resources",
            "GetResources",
            false,
        ),
        (
            "apigateway",
            "DELETE /restapis/{api}",
            "DeleteRestApi",
            true,
        ),
        ("iam", "DeleteRole", "DeleteRole", true),
    ]
    .map(|(service, operation, name, mutating)| {
        (service.into(), operation.into(), name.into(), mutating)
    });
    assert_eq!(seen, expected);
    assert_eq!(proxy.request_count(), expected.len());
    assert!(proxy.requests().iter().all(|s| s.fault.is_none()));
}

#[test]
fn paths_keep_their_query_and_rest_shapes_name_their_variables() {
    let proxy = proxy(Faults::none());
    let answer = raw(
        &proxy,
        "lambda",
        "GET",
        "/2015-03-31/functions/nosuch-fn/policy",
        "",
    )
    .unwrap();
    // Forwarded: moto's own answer for a missing function.
    assert_eq!(answer.status, 404, "{answer:?}");
    raw(
        &proxy,
        "iam",
        "POST",
        "/",
        "Action=ListRoles&Version=2010-05-08",
    )
    .unwrap();
    let seen = proxy.requests();
    assert_eq!(
        seen[0].operation,
        "GET /2015-03-31/functions/{function}/policy"
    );
    assert_eq!(seen[0].name, "GetPolicy");
    assert_eq!(seen[0].path, "/2015-03-31/functions/nosuch-fn/policy");
    assert_eq!(
        (seen[1].service.as_str(), seen[1].name.as_str()),
        ("iam", "ListRoles")
    );
}

// ---- each fault's shape on the wire ----

#[test]
fn lambda_throttling_is_a_429_too_many_requests_exception() {
    let proxy = proxy(always(Fault::Throttle));
    let answer = raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").unwrap();
    assert_eq!(answer.status, 429);
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"})
    );
}

#[test]
fn iam_throttling_is_a_400_throttling_error_document() {
    let proxy = proxy(always(Fault::Throttle));
    let answer = raw(
        &proxy,
        "iam",
        "POST",
        "/",
        "Action=ListRoles&Version=2010-05-08",
    )
    .unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(answer.header("content-type"), Some("text/xml"));
    assert!(
        answer.body.starts_with("<ErrorResponse")
            && answer.body.contains(
                "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>"
            ),
        "{}",
        answer.body
    );
}

#[test]
fn api_gateway_throttling_is_a_429_too_many_requests_exception() {
    let proxy = proxy(always(Fault::Throttle));
    let answer = raw(&proxy, "apigateway", "GET", "/restapis", "").unwrap();
    assert_eq!(answer.status, 429);
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    assert_eq!(answer.body, r#"{"message":"Too Many Requests"}"#);
}

#[test]
fn server_errors_are_500_and_503_in_the_services_format() {
    let proxy = proxy(always(Fault::Status500));
    let answer = raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").unwrap();
    assert_eq!(answer.status, 500);
    assert_eq!(answer.header("x-amzn-errortype"), Some("ServiceException"));

    proxy.set_faults(always(Fault::Status503));
    let answer = raw(&proxy, "apigateway", "GET", "/restapis", "").unwrap();
    assert_eq!(answer.status, 503);
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("ServiceUnavailableException")
    );
    let answer = raw(
        &proxy,
        "iam",
        "POST",
        "/",
        "Action=ListRoles&Version=2010-05-08",
    )
    .unwrap();
    assert_eq!(answer.status, 503);
    assert!(
        answer.body.contains("<Code>ServiceUnavailable</Code>"),
        "{}",
        answer.body
    );
}

#[test]
fn a_dropped_connection_has_no_answer_and_never_reaches_moto() {
    let proxy = proxy(always(Fault::Drop));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let log = answered.clone();
    proxy.on_request(move |_, moment| log.lock().unwrap().push(moment));
    assert!(raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").is_none());
    assert_eq!(*answered.lock().unwrap(), [Moment::BeforeForward]);
    assert_eq!(proxy.requests()[0].fault, Some(Fault::Drop));
}

#[test]
fn a_delayed_request_is_answered_by_moto() {
    let proxy = proxy(always(Fault::Delay(Duration::from_millis(50))));
    let moments = Arc::new(Mutex::new(Vec::new()));
    let log = moments.clone();
    proxy.on_request(move |seen, moment| log.lock().unwrap().push((seen.name.clone(), moment)));
    let answer = raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").unwrap();
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("\"Functions\""), "{}", answer.body);
    assert_eq!(
        *moments.lock().unwrap(),
        [
            ("ListFunctions".to_owned(), Moment::BeforeForward),
            ("ListFunctions".to_owned(), Moment::Answered),
        ]
    );
}

#[tokio::test]
async fn a_lost_response_means_moto_acted_but_the_caller_never_heard() {
    let proxy = proxy(Faults::none().first(|seen| seen.name == "CreateRole", Fault::LoseResponse));
    let moments = Arc::new(Mutex::new(Vec::new()));
    let log = moments.clone();
    proxy.on_request(move |seen, moment| log.lock().unwrap().push((seen.name.clone(), moment)));
    let iam = aws_sdk_iam::Client::new(&proxy.sdk_config(1).await);
    let name = unique("lostrole");

    let lost = iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect_err("the answer was lost");
    assert!(
        matches!(
            lost,
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        ),
        "a connection error, not {lost:?}"
    );
    // Yet the role exists: moto acted before the connection was closed.
    let found = iam.get_role().role_name(&name).send().await.unwrap();
    assert_eq!(found.role().unwrap().role_name(), name);
    assert_eq!(
        moments.lock().unwrap()[..2],
        [
            ("CreateRole".to_owned(), Moment::BeforeForward),
            ("CreateRole".to_owned(), Moment::Answered),
        ]
    );
    iam.delete_role().role_name(&name).send().await.unwrap();
}

// ---- how the SDK classifies each fault ----

#[tokio::test]
async fn the_sdk_reads_each_throttle_as_the_services_throttling_error() {
    let proxy = proxy(always(Fault::Throttle));
    let config = proxy.sdk_config(1).await;

    let lambda = aws_sdk_lambda::Client::new(&config);
    let error = lambda.list_functions().send().await.unwrap_err();
    assert_eq!(error.code(), Some("TooManyRequestsException"));
    assert!(
        matches!(
            error.as_service_error(),
            Some(aws_sdk_lambda::operation::list_functions::ListFunctionsError::TooManyRequestsException(e))
                if e.reason().map(|r| r.as_str()) == Some("CallerRateLimitExceeded")
        ),
        "{error:?}"
    );

    let iam = aws_sdk_iam::Client::new(&config);
    let error = iam.list_roles().send().await.unwrap_err();
    assert_eq!(error.code(), Some("Throttling"));
    assert_eq!(error.message(), Some("Rate exceeded"));

    let apigateway = aws_sdk_apigateway::Client::new(&config);
    let error = apigateway.get_rest_apis().send().await.unwrap_err();
    assert!(
        matches!(
            error.as_service_error(),
            Some(aws_sdk_apigateway::operation::get_rest_apis::GetRestApisError::TooManyRequestsException(_))
        ),
        "{error:?}"
    );

    let tagging = aws_sdk_resourcegroupstagging::Client::new(&config);
    let error = tagging.get_resources().send().await.unwrap_err();
    assert_eq!(error.code(), Some("ThrottledException"));
}

#[tokio::test]
async fn the_sdk_retries_one_fault_of_every_kind_and_succeeds() {
    for fault in ALL_FAULTS {
        let proxy = proxy(Faults::none().first(|_| true, fault));
        let lambda = aws_sdk_lambda::Client::new(&proxy.sdk_config(3).await);
        lambda
            .list_functions()
            .send()
            .await
            .unwrap_or_else(|error| panic!("{fault:?} was not retried: {error:?}"));
        let faults: Vec<Option<Fault>> = proxy.requests().iter().map(|s| s.fault).collect();
        let expected = match fault {
            // Forwarded and answered the first time.
            Fault::Delay(_) => vec![Some(fault)],
            _ => vec![Some(fault), None],
        };
        assert_eq!(faults, expected, "{fault:?}");
    }
}

#[tokio::test]
async fn a_dropped_connection_is_a_dispatch_failure_to_the_sdk() {
    let proxy = proxy(always(Fault::Drop));
    let lambda = aws_sdk_lambda::Client::new(&proxy.sdk_config(1).await);
    let error = lambda.list_functions().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        ),
        "{error:?}"
    );
}

// ---- the schedule ----

#[test]
fn the_schedule_repeats_for_a_seed_and_differs_for_another() {
    let schedule = |seed| -> Vec<Option<Fault>> {
        (0..400)
            .map(|n| Faults::seeded(seed, 0.15).random_fault(n))
            .collect()
    };
    assert_eq!(schedule(7), schedule(7));
    assert_ne!(schedule(7), schedule(8));
    let faults: Vec<Fault> = schedule(7).into_iter().flatten().collect();
    // About 15% of 400, and every kind drawn.
    assert!((30..=90).contains(&faults.len()), "{} faults", faults.len());
    for kind in ALL_FAULTS {
        assert!(faults.contains(&kind), "{kind:?} never drawn");
    }
    assert!((0..100).all(|n| Faults::none().random_fault(n).is_none()));
}

#[test]
fn the_same_seed_gives_the_same_faults_to_the_same_requests() {
    let run = |seed| -> Vec<Option<Fault>> {
        let proxy = proxy(Faults::seeded(seed, 0.5).kinds([Fault::Throttle, Fault::Status503]));
        for _ in 0..20 {
            raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").unwrap();
        }
        proxy.requests().iter().map(|s| s.fault).collect()
    };
    let first = run(42);
    assert_eq!(first, run(42));
    assert!(first.iter().any(Option::is_some) && first.iter().any(Option::is_none));
    assert_ne!(first, run(43));
}

#[test]
fn scripted_faults_hit_the_nth_matching_request_and_filters_limit_random_ones() {
    let is_list = |seen: &Seen| seen.name == "ListFunctions";
    let proxy = proxy(
        Faults::seeded(3, 1.0)
            .kinds([Fault::Status500])
            .only(|seen| seen.service == "iam")
            .nth(2, is_list, Fault::Throttle),
    );
    for _ in 0..3 {
        raw(&proxy, "lambda", "GET", "/2015-03-31/functions/", "").unwrap();
    }
    raw(
        &proxy,
        "iam",
        "POST",
        "/",
        "Action=ListRoles&Version=2010-05-08",
    )
    .unwrap();
    let faults: Vec<Option<Fault>> = proxy.requests().iter().map(|s| s.fault).collect();
    assert_eq!(
        faults,
        [None, Some(Fault::Throttle), None, Some(Fault::Status500)]
    );
}
