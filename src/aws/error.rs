//! Every SDK call goes through [`AwsCloud::call`], which turns the SDK's error into an
//! [`AwsError`]: the operation, AWS's error code and message. Callers decide on the
//! code (`NoSuchEntity` on a delete is success, for example); everything they do not
//! handle becomes a [`CloudError`] through one `From`, which adds what to do next.
//!
//! `call` is also where `-v` sees every request: it logs one `tracing` event per call
//! with the service, operation, duration and outcome (AWS's error code, never its
//! message or any body, which can echo secrets). The SDK's own retries of throttling
//! and transient faults happen inside the call, under its span; `-vv` shows them.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use tracing::Instrument as _;

use super::AwsCloud;
use crate::cloud::CloudError;

/// Codes that mean the caller lacks a permission.
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

/// Codes that mean the credentials themselves are missing, wrong or expired.
const BAD_CREDENTIALS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
];

/// Codes that mean AWS throttled the request. The SDK already retried these with
/// backoff, so reaching lade means its attempt budget ran out. AWS throttles
/// before acting, so a throttled request changed nothing.
pub(super) const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
];

/// Codes that mean the request itself is wrong: a value AWS does not accept. Another
/// attempt with the same input fails the same way. (Codes that a re-run can resolve,
/// such as a conflict, a missing resource or a quota, are not here.)
const REFUSED_INPUT: &[&str] = &[
    "ValidationError",
    "ValidationException",
    "InvalidParameterValueException",
    "InvalidParameterException",
    "InvalidRequestContentException",
    "InvalidInput",
    "MalformedPolicyDocument",
    "MalformedPolicyDocumentException",
    "RequestEntityTooLargeException",
    "BadRequestException",
];

/// One failed SDK call, reduced to what lade decides on.
#[derive(Debug, Clone)]
pub(super) struct AwsError {
    /// The AWS API operation, e.g. `CreateFunction`.
    pub operation: &'static str,
    /// AWS's error code, e.g. `NoSuchEntity`; `None` when no response arrived.
    pub code: Option<String>,
    /// AWS's message, or the whole error chain when there is no service error.
    pub message: String,
    /// The request never got an answer (network, DNS, endpoint, timeout).
    unreachable: bool,
    /// No attempt was answered within its timeout: the timeout, as the SDK tells it.
    timed_out: Option<String>,
    /// AWS may have acted on the request: the answer was lost (the connection
    /// dropped, it timed out, it could not be read) or was a server error (5xx).
    ambiguous: bool,
    /// The HTTP status of AWS's answer, when there was one.
    status: Option<u16>,
    /// How long the call took, the SDK's own retries included.
    elapsed: Duration,
    /// The SDK's attempt budget for each send.
    max_attempts: u32,
    /// How many times lade sent the request (more than one after throttling).
    sends: u32,
}

impl AwsError {
    /// Whether AWS answered with this error code.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn is_any(&self, codes: &[&str]) -> bool {
        codes.iter().any(|code| self.is(code))
    }

    /// An error with AWS's `code` and `message`, for unit tests of classifiers.
    #[cfg(test)]
    pub fn for_test(code: &str, message: &str) -> Self {
        AwsError {
            operation: "Test",
            code: Some(code.to_owned()),
            message: message.to_owned(),
            unreachable: false,
            timed_out: None,
            ambiguous: false,
            status: Some(400),
            elapsed: Duration::ZERO,
            max_attempts: 1,
            sends: 1,
        }
    }

    /// Whether AWS throttled the request (and the SDK's own retries ran out).
    pub fn is_throttled(&self) -> bool {
        self.is_any(THROTTLED)
    }

    /// Whether AWS may have carried out the request although lade did not hear so: no
    /// answer arrived, or a server error (5xx). After a non-idempotent create, read
    /// what AWS did before trying again (`once.rs`).
    pub fn is_ambiguous(&self) -> bool {
        self.ambiguous
    }

    /// Names what the call was about, for messages whose AWS text does not (API
    /// Gateway's "Invalid Rest API Id specified", for one).
    pub fn about(mut self, subject: impl fmt::Display) -> Self {
        self.message = format!("{} ({subject})", self.message);
        self
    }

    /// What to do about it, when that is obvious from the code.
    fn hint(&self) -> Option<&'static str> {
        let hint = match self.code.as_deref()? {
            "DeleteConflict" => {
                "delete the role's inline policies and detach its managed policies first"
            }
            "LimitExceeded" | "LimitExceededException" => {
                "an account quota is reached: remove unused resources or ask AWS for a higher quota"
            }
            "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => {
                "check the policy document in the manifest"
            }
            "RequestEntityTooLargeException" => {
                "the zip is larger than Lambda accepts in a direct upload (50 MB): make the package smaller"
            }
            "CodeStorageExceededException" => {
                "the account's Lambda code storage is full: delete old function versions"
            }
            "InvalidParameterValueException" if self.message.contains("cannot be assumed") => {
                "check that the role exists and trusts lambda.amazonaws.com"
            }
            "PolicyLengthExceededException" => {
                "the function's resource policy is full (20 KB): remove permissions it no longer needs"
            }
            "NotFoundException" if self.message.contains("Rest API") => {
                "the REST API does not exist; it may have been deleted outside lade: run `lade plan` again"
            }
            "BadRequestException" if self.message.contains("Active stages") => {
                "a stage still points at this deployment: point the stage at another deployment \
                 (or delete the stage) first"
            }
            _ => return None,
        };
        Some(hint)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<AwsError> for CloudError {
    fn from(error: AwsError) -> Self {
        let operation = error.operation;
        if error.is_any(ACCESS_DENIED) {
            return CloudError::AccessDenied(format!(
                "{operation}: {error}; grant this permission to the identity lade runs as"
            ));
        }
        if error.is_any(BAD_CREDENTIALS) {
            return CloudError::AccessDenied(format!(
                "{operation}: {error}; check the AWS credentials (profile, AWS_ACCESS_KEY_ID, \
                 or `aws sso login`)"
            ));
        }
        if error.is_any(THROTTLED) {
            return CloudError::Timeout {
                attempts: error.max_attempts * error.sends.max(1),
                seconds: error.elapsed.as_secs(),
                message: format!(
                    "{operation} was throttled ({error}) until its deadline: other clients in \
                     the account may be using its quota; run with less concurrency or try again \
                     later"
                ),
            };
        }
        if error.code.is_none() && error.status == Some(403) {
            return CloudError::AccessDenied(format!(
                "{operation}: {error}; HTTP 403 is a permission problem: the identity lade runs \
                 as, a service control policy, a VPC endpoint policy or a proxy on the way \
                 refused the request"
            ));
        }
        let message = if let Some(timeout) = &error.timed_out {
            format!(
                "no answer within the request timeout ({timeout}), after up to {} attempts over {}s; \
                 check the network and AWS_ENDPOINT_URL, or allow longer with --request-timeout",
                error.max_attempts,
                error.elapsed.as_secs()
            )
        } else if error.unreachable {
            format!(
                "{error}; check the network, AWS_REGION and AWS_ENDPOINT_URL (and the \
                 credentials, if the error mentions them)"
            )
        } else if let (None, Some(500..)) = (&error.code, error.status) {
            // The status is in the message already.
            format!("{error}; AWS failed on its side and retrying did not help: try again later")
        } else if let Some(status @ 500..) = error.status {
            format!(
                "{error} (HTTP {status}); AWS failed on its side and retrying did not help: \
                 try again later"
            )
        } else if let Some(hint) = error.hint() {
            format!("{error}; {hint}")
        } else {
            error.to_string()
        };
        if error.refuses_input() {
            return CloudError::Refused {
                operation: operation.to_owned(),
                message,
            };
        }
        CloudError::Service {
            operation: operation.to_owned(),
            message,
        }
    }
}

impl AwsError {
    /// Whether AWS refused the request's input, so that only other input can succeed.
    fn refuses_input(&self) -> bool {
        let four_xx = self.status.is_some_and(|s| (400..500).contains(&s));
        four_xx
            && self.is_any(REFUSED_INPUT)
            // A new role that Lambda cannot assume yet: time fixes that, not input.
            && !self.message.contains("cannot be assumed")
            // A deployment a stage still points at: a later plan fixes that.
            && !self.message.contains("Active stages")
    }
}

/// How long a start of an unparsable answer's body an error shows.
const BODY_START: usize = 160;

/// An answer with `status` whose `body` is not an AWS error: the status and the start
/// of the body, on one line.
fn unparsed(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    let mut start: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(BODY_START)
        .collect();
    if line.chars().count() > BODY_START {
        start.push('…');
    }
    if start.is_empty() {
        format!("HTTP {status} with an empty body, not an AWS error")
    } else {
        format!("HTTP {status} with a body that is not an AWS error: {start}")
    }
}

impl AwsCloud {
    /// Sends one SDK request, built by `request`, and classifies its failure.
    ///
    /// Before each send the request waits for its place in its service's and
    /// operation's rate buckets (`pace.rs`). A request still throttled after the SDK's
    /// own retries is built and sent again, after a pause, until
    /// [`Patience::throttle_deadline`](super::Patience::throttle_deadline): AWS
    /// throttles before acting, so sending it again is safe for every operation.
    ///
    /// The request is paced under its operation's name, or under the name
    /// [`pace::paced_as`](super::pace::paced_as) set around it.
    pub(super) async fn call<T, E, F, Fut>(
        &self,
        operation: &'static str,
        mut request: F,
    ) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        let service = service_of::<E>();
        let paced = super::pace::service_named(service);
        let pace_as = super::pace::pace_name(operation);
        let started = Instant::now();
        let mut sends: u32 = 0;
        let mut pause = self.patience.first_delay;
        loop {
            sends += 1;
            if let Some(paced) = paced {
                let waited = self.pacer.ready(paced, pace_as).await;
                if waited >= Duration::from_millis(1) {
                    tracing::trace!(%service, %operation, waited_ms = waited.as_millis(), "paced");
                }
            }
            let attempt_started = Instant::now();
            let sent = request().instrument(tracing::debug_span!("aws", %service, %operation));
            let result = if sends > 1 {
                // A repeat: `--stats` counts it as a retry.
                super::stats::attempt(sends, sent).await
            } else {
                sent.await
            }
            .map_err(|error| self.classify(operation, &error, started.elapsed()));
            let ms = attempt_started.elapsed().as_millis();
            match &result {
                Ok(_) => tracing::debug!(%service, %operation, ms, outcome = %"ok", "aws call"),
                Err(error) => tracing::debug!(
                    %service,
                    %operation,
                    ms,
                    outcome = %"error",
                    code = %error.code.as_deref().unwrap_or("none"),
                    max_attempts = error.max_attempts,
                    "aws call"
                ),
            }
            match result {
                Err(error) if error.is_throttled() => {
                    let left = self
                        .patience
                        .throttle_deadline
                        .saturating_sub(started.elapsed());
                    if left.is_zero() {
                        let mut error = error;
                        error.sends = sends;
                        return Err(error);
                    }
                    let pause_now = pause.min(left);
                    tracing::debug!(
                        %service,
                        %operation,
                        sends,
                        delay_ms = pause_now.as_millis(),
                        "still throttled after the SDK's retries; sending again"
                    );
                    tokio::time::sleep(pause_now).await;
                    pause = (pause * 2).min(self.patience.max_delay);
                }
                other => return other,
            }
        }
    }

    /// Reduces an SDK error to an [`AwsError`]; `elapsed` is how long the call took.
    pub(super) fn classify<E>(
        &self,
        operation: &'static str,
        error: &SdkError<E, HttpResponse>,
        elapsed: Duration,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + Error + Send + Sync + 'static,
    {
        let unreachable = matches!(
            error,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
        );
        let timed_out = match error {
            SdkError::TimeoutError(_) => Some(attempt_timeout(&chain(error))),
            _ => None,
        };
        let status = match error {
            SdkError::ServiceError(failure) => Some(failure.raw().status().as_u16()),
            SdkError::ResponseError(failure) => Some(failure.raw().status().as_u16()),
            _ => None,
        };
        let ambiguous = match error {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => true,
            SdkError::ResponseError(_) => true,
            SdkError::ServiceError(failure) => failure.raw().status().is_server_error(),
            // Never sent.
            _ => false,
        };
        let (code, message) = match (error.code(), error) {
            (Some(code), _) => (
                Some(code.to_owned()),
                error.message().unwrap_or_default().to_owned(),
            ),
            // An answer whose body is no AWS error (a proxy's HTML page, say): the
            // parser's complaint about it helps nobody; its status and the start of
            // its body do.
            (None, SdkError::ServiceError(failure)) => {
                let raw = failure.raw();
                (
                    None,
                    unparsed(
                        raw.status().as_u16(),
                        raw.body().bytes().unwrap_or_default(),
                    ),
                )
            }
            (None, _) => (None, chain(error)),
        };
        AwsError {
            operation,
            code,
            message,
            unreachable,
            timed_out,
            ambiguous,
            status,
            elapsed,
            max_attempts: self.max_attempts,
            sends: 1,
        }
    }
}

/// The timeout in the SDK's "… occurred after 1s" (`1s`), or the whole text.
fn attempt_timeout(text: &str) -> String {
    text.rsplit_once("occurred after ")
        .map(|(_, after)| after.split_whitespace().next().unwrap_or(after).to_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// An error and its sources, each told once, joined by ": ", e.g. "dispatch failure:
/// other: client error (SendRequest): connection closed before message completed".
/// Unlike the SDK's `DisplayErrorContext`, it leaves out the `Debug` form of the whole
/// error, which is no message for a person.
pub(super) fn chain(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        // A wrapper often repeats its source's text; say it once.
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// The AWS service an operation belongs to, from the SDK crate that defines its error
/// type: `aws_sdk_lambda::operation::get_function::GetFunctionError` is `lambda`. (The
/// operation name alone is ambiguous: Lambda, API Gateway and the tagging API each
/// have a `GetResources`-like name.)
fn service_of<E>() -> &'static str {
    let path = std::any::type_name::<E>();
    let krate = path.split("::").next().unwrap_or(path);
    krate.strip_prefix("aws_sdk_").unwrap_or(krate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_comes_from_the_sdk_crate() {
        assert_eq!(
            service_of::<aws_sdk_lambda::operation::get_function::GetFunctionError>(),
            "lambda"
        );
        assert_eq!(
            service_of::<aws_sdk_iam::operation::list_roles::ListRolesError>(),
            "iam"
        );
    }

    fn error(code: &str, message: &str) -> AwsError {
        AwsError {
            operation: "CreateFunction",
            code: Some(code.to_owned()),
            message: message.to_owned(),
            unreachable: false,
            timed_out: None,
            ambiguous: false,
            status: Some(400),
            elapsed: Duration::from_secs(7),
            max_attempts: 8,
            sends: 1,
        }
    }

    #[test]
    fn access_denied_names_the_operation_and_aws_message() {
        let cloud: CloudError = error("AccessDeniedException", "no lambda:CreateFunction").into();
        let CloudError::AccessDenied(message) = cloud else {
            panic!("expected AccessDenied, got {cloud:?}");
        };
        assert!(
            message.starts_with("CreateFunction: AccessDeniedException: no lambda:CreateFunction")
        );
    }

    #[test]
    fn expired_credentials_are_access_denied_with_a_hint() {
        let cloud: CloudError = error("ExpiredTokenException", "token expired").into();
        assert!(matches!(&cloud, CloudError::AccessDenied(m) if m.contains("aws sso login")));
    }

    #[test]
    fn throttling_that_outlasts_the_sdk_retries_is_a_timeout() {
        let cloud: CloudError = error("TooManyRequestsException", "Rate exceeded").into();
        assert_eq!(
            cloud,
            CloudError::Timeout {
                attempts: 8,
                seconds: 7,
                message: "CreateFunction was throttled (TooManyRequestsException: Rate exceeded) \
                          until its deadline: other clients in the account may be using its \
                          quota; run with less concurrency or try again later"
                    .to_owned(),
            }
        );
    }

    #[test]
    fn other_errors_keep_code_and_message_and_add_a_hint_when_obvious() {
        let cloud: CloudError = error("DeleteConflict", "must detach all policies first").into();
        assert_eq!(
            cloud,
            CloudError::Service {
                operation: "CreateFunction".to_owned(),
                message: "DeleteConflict: must detach all policies first; delete the role's \
                          inline policies and detach its managed policies first"
                    .to_owned(),
            }
        );
        let plain: CloudError = error("ServiceException", "boom").into();
        assert_eq!(plain.to_string(), "CreateFunction: ServiceException: boom");
    }

    #[test]
    fn an_api_gateway_error_names_its_subject_and_what_to_do() {
        let gone: CloudError = error("NotFoundException", "Invalid Rest API Id specified")
            .about("REST API abc123")
            .into();
        assert_eq!(
            gone.to_string(),
            "CreateFunction: NotFoundException: Invalid Rest API Id specified (REST API abc123); \
             the REST API does not exist; it may have been deleted outside lade: run `lade plan` \
             again"
        );
        let active: CloudError = error(
            "BadRequestException",
            "Active stages pointing to this deployment must be moved or deleted",
        )
        .into();
        assert!(
            active
                .to_string()
                .ends_with("point the stage at another deployment (or delete the stage) first"),
            "{active}"
        );
        assert!(error("TooManyRequestsException", "slow down").is_throttled());
        assert!(!error("ConflictException", "exists").is_throttled());
    }

    #[test]
    fn a_refused_input_is_told_apart_from_what_a_rerun_fixes() {
        let refused = CloudError::from(error("InvalidParameterValueException", "bad handler"));
        assert!(matches!(refused, CloudError::Refused { .. }), "{refused:?}");
        for (code, message) in [
            (
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda.",
            ),
            ("ResourceConflictException", "An update is in progress"),
            (
                "BadRequestException",
                "Active stages pointing to this deployment must be moved or deleted",
            ),
        ] {
            let other = CloudError::from(error(code, message));
            assert!(matches!(other, CloudError::Service { .. }), "{other:?}");
        }
    }

    #[test]
    fn a_server_error_that_outlasted_the_retries_says_so() {
        let mut failure = error("ServiceUnavailable", "Service unavailable");
        failure.status = Some(503);
        failure.ambiguous = true;
        assert_eq!(
            CloudError::from(failure).to_string(),
            "CreateFunction: ServiceUnavailable: Service unavailable (HTTP 503); AWS failed on \
             its side and retrying did not help: try again later"
        );
    }

    /// Regression (found through the fault proxy): a dropped connection was reported
    /// with the SDK error's whole `Debug` form, `(DispatchFailure(DispatchFailure {
    /// source: ConnectorError { kind: … } }))`, after its message.
    #[test]
    fn an_error_chain_is_told_without_debug_dumps_or_repeats() {
        #[derive(Debug)]
        struct Layer(&'static str, Option<Box<Layer>>);
        impl fmt::Display for Layer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl Error for Layer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                self.1
                    .as_deref()
                    .map(|layer| layer as &(dyn Error + 'static))
            }
        }
        let closed = Layer("connection closed before message completed", None);
        let repeated = Layer(
            "connection closed before message completed",
            Some(Box::new(closed)),
        );
        let client = Layer("client error (SendRequest)", Some(Box::new(repeated)));
        let top = Layer("dispatch failure", Some(Box::new(client)));
        assert_eq!(
            chain(&top),
            "dispatch failure: client error (SendRequest): connection closed before message \
             completed"
        );
    }
}
