//! `lade serve`: the manifest's REST API, answered on this machine.
//!
//! Each request under `/<stage>/` is matched to a route as a REST API matches it
//! ([`super::routes`]), sent to its function's handler as a REST API (payload format
//! 1.0) proxy event in a fresh process ([`super::run`], so code changes apply to the
//! next request), and the handler's answer is mapped to HTTP as API Gateway maps it
//! ([`super::response`]). API Gateway's own answers are kept: 403 `Missing
//! Authentication Token` for a path or method without a route (and outside the
//! stage), 502 `Internal server error` when the handler raises, times out, exits or
//! answers in a shape API Gateway refuses, 504 when it runs past the REST API's 29 s
//! integration timeout, and 413 for a body over API Gateway's 10 MB.
//!
//! Each request is logged on stderr with its route, status and reason for any error.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request as HttpRequest, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::event::{self, ApiContext, Request, RouteMatch};
use super::response::{self, HttpResponse};
use super::routes;
use super::run::{self, Handler, Outcome};
use crate::model::Route;

/// A REST API's integration timeout: it answers 504 after this, whatever the
/// function's own timeout.
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// API Gateway's largest request payload.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// What the server answers with.
#[derive(Debug)]
pub struct App {
    pub routes: Vec<Route>,
    /// By function key: every function a route targets.
    pub handlers: BTreeMap<String, Handler>,
    /// The event's API fields; `domain` is replaced by each request's `Host`.
    pub api: ApiContext,
    /// When the API stops waiting for a handler: [`INTEGRATION_TIMEOUT`].
    pub integration_timeout: Duration,
}

/// Answers requests on `listener` until the process ends.
pub async fn serve(listener: TcpListener, app: Arc<App>) -> anyhow::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("lade serve: could not accept a connection: {error}");
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(&app, peer, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    app: &App,
    peer: SocketAddr,
    request: HttpRequest<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let target = request.uri().path().to_string();
    let (answer, note) = answer(app, peer, request).await;
    eprintln!(
        "{method} {target} -> {} ({} ms){}",
        answer.status,
        started.elapsed().as_millis(),
        note.map(|note| format!(": {note}")).unwrap_or_default()
    );
    let mut response = Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    response
        .body(Full::new(Bytes::from(answer.body)))
        .unwrap_or_else(|_| {
            let fallback = HttpResponse::internal_error();
            let mut response = Response::new(Full::new(Bytes::from(fallback.body)));
            *response.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            response
        })
}

/// The answer to one request, and what the log line says about it.
async fn answer(
    app: &App,
    peer: SocketAddr,
    request: HttpRequest<Incoming>,
) -> (HttpResponse, Option<String>) {
    let (parts, body) = request.into_parts();
    let stage_prefix = format!("/{}", app.api.stage);
    let full_path = parts.uri.path();
    let path = match full_path.strip_prefix(&stage_prefix) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => {
            return (
                HttpResponse::missing_token(),
                Some(format!("not under the stage, {stage_prefix}/")),
            );
        }
    };
    let Some(matched) = routes::find(&app.routes, parts.method.as_str(), path) else {
        return (HttpResponse::missing_token(), Some("no route".into()));
    };
    let Some(handler) = app.handlers.get(&matched.route.function) else {
        return (
            HttpResponse::internal_error(),
            Some(format!("no handler for `{}`", matched.route.function)),
        );
    };
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return (
                HttpResponse::message(400, "Bad Request"),
                Some(format!("could not read the body: {error}")),
            );
        }
    };
    if body.len() > MAX_BODY {
        return (
            HttpResponse::message(413, "Request Entity Too Large"),
            Some("the body is over API Gateway's 10 MB".into()),
        );
    }
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let api = ApiContext {
        domain: header("host").unwrap_or_default().to_string(),
        ..app.api.clone()
    };
    let local = Request {
        method: parts.method.as_str().to_string(),
        path: path.to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body: body.to_vec(),
        source_ip: peer.ip().to_string(),
    };
    let route = RouteMatch {
        method: matched.route.method.clone(),
        resource: matched.route.path.clone(),
        params: matched.params,
    };
    let event = event::rest_v1(&local, &route, &api, &run::request_id());
    let limit = handler.timeout.min(app.integration_timeout);
    let key = &handler.key;
    match run::invoke(handler, &event, limit).await {
        Ok(Outcome::Returned(payload)) => {
            match response::rest_v1(&payload, header("accept"), &app.api.binary_media_types) {
                Ok(answer) => (answer, Some(format!("`{key}`"))),
                Err(reason) => (
                    HttpResponse::internal_error(),
                    Some(format!(
                        "`{key}`: malformed Lambda proxy response: {reason}"
                    )),
                ),
            }
        }
        Ok(Outcome::Raised(payload)) => (
            HttpResponse::internal_error(),
            Some(format!(
                "`{key}` raised {}: {}",
                payload["errorType"].as_str().unwrap_or("an error"),
                payload["errorMessage"].as_str().unwrap_or_default()
            )),
        ),
        Ok(Outcome::TimedOut { after, .. }) if after < handler.timeout => (
            HttpResponse::endpoint_timeout(),
            Some(format!(
                "`{key}` ran past the REST API's {}s integration timeout",
                after.as_secs()
            )),
        ),
        Ok(Outcome::TimedOut { after, .. }) => (
            HttpResponse::internal_error(),
            Some(format!(
                "`{key}` timed out after {}s, as Lambda would",
                after.as_secs()
            )),
        ),
        Ok(Outcome::Exited { status, .. }) => (
            HttpResponse::internal_error(),
            Some(format!("`{key}` exited without answering ({status})")),
        ),
        Err(error) => (
            HttpResponse::internal_error(),
            Some(format!("`{key}`: {error:#}")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::{Read as _, Write as _};

    use super::*;
    use crate::local::runtime;
    use crate::model::{Authorization, Source};

    /// One request to `address`; the status and the body.
    fn get(address: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let status = reply.split(' ').nth(1).unwrap().parse().unwrap();
        let body = reply
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        (status, body)
    }

    /// A handler that outlives the REST API's integration timeout gets 504, not the
    /// 502 of a function timeout. (The server takes the 29 s as a field so this test
    /// can shorten it; the command always passes [`INTEGRATION_TIMEOUT`].)
    #[tokio::test]
    async fn a_handler_past_the_integration_timeout_answers_504() {
        let path = std::env::var_os("PATH");
        let Ok(python) = runtime::find("python3.12", path.as_deref()) else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI needs python3"
            );
            return;
        };
        let source = tempfile::tempdir().unwrap();
        std::fs::write(
            source.path().join("app.py"),
            "import time\n\ndef handler(event, context):\n    time.sleep(30)\n",
        )
        .unwrap();
        let handler = Handler {
            key: "slow".into(),
            name: "p-dev-slow".into(),
            runtime: python,
            handler: "app.handler".into(),
            source: Source::Dir {
                path: source.path().to_path_buf(),
                exclude: vec![],
            },
            memory: 128,
            timeout: Duration::from_secs(60),
            environment: BTreeMap::new(),
            region: None,
            arn: "<function:slow.arn: not deployed>".into(),
        };
        let app = App {
            routes: vec![Route {
                method: "GET".into(),
                path: "/slow".into(),
                function: "slow".into(),
                authorization: Authorization::None,
                api_key_required: false,
                authorizer: None,
                scopes: Vec::new(),
            }],
            handlers: BTreeMap::from([("slow".to_string(), handler)]),
            api: ApiContext {
                api_id: "local".into(),
                account_id: "000000000000".into(),
                stage: "dev".into(),
                domain: String::new(),
                binary_media_types: BTreeSet::new(),
            },
            integration_timeout: Duration::from_secs(1),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Arc::new(app)));
        let (status, body) = tokio::task::spawn_blocking(move || get(address, "/dev/slow"))
            .await
            .unwrap();
        assert_eq!(status, 504);
        assert_eq!(body, r#"{"message":"Endpoint request timed out"}"#);
    }
}
