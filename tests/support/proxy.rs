//! A fault-injecting HTTP/1.1 proxy between lade and moto.
//!
//! [`Proxy::start`] listens on a free loopback port, on its own thread and tokio
//! runtime, and forwards every request to the upstream (moto) unless the schedule in
//! [`Faults`] says otherwise. lade reaches it through `AWS_ENDPOINT_URL`
//! ([`Proxy::env`]), exactly as it reaches AWS, so what it sees is what AWS's own
//! failures look like on the wire:
//!
//! - [`Fault::Throttle`]: each service's real throttling answer, so that the SDK
//!   classifies it as AWS's: Lambda `429` with `x-amzn-ErrorType:
//!   TooManyRequestsException`, IAM and STS (query protocol) `400` with an XML
//!   `Throttling` error, API Gateway `429` `TooManyRequestsException`, the tagging API
//!   (JSON 1.1) `400` `ThrottledException`;
//! - [`Fault::Status500`] and [`Fault::Status503`]: a server error in the service's
//!   own error format;
//! - [`Fault::Drop`]: the connection is closed without an answer, and the request
//!   never reaches moto;
//! - [`Fault::Delay`]: a pause, then the request is forwarded;
//! - [`Fault::LoseResponse`]: the request is forwarded, moto acts on it, and then the
//!   connection is closed instead of answering: the change happened, but lade never
//!   hears of it.
//!
//! The schedule is deterministic given the seed and the order in which requests
//! arrive: the fault of the n-th request is a function of the seed and n alone.
//! Every request is recorded ([`Proxy::requests`]) with its service (from the SigV4
//! credential scope), operation and fault.
//!
//! A lagging tagging index: [`Proxy::freeze_tag_index`] makes the tagging API's
//! `GetResources` answer from a snapshot taken at a moment the test chooses, as AWS's
//! eventually consistent index does for hours: it keeps listing functions deleted
//! since, with their old tags, and misses functions created or tagged since. Every
//! other request stays live.
//!
//! Two tools take the timing out of concurrency tests. [`Proxy::gate`] holds the
//! requests a filter accepts until a given number of them are held at once, so that
//! an overlap is certain instead of likely; [`Proxy::peak_in_flight`] counts the most
//! requests a filter accepts that were in the proxy at once (arrived, not yet
//! answered), which is what lade had in flight.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::{Notify, oneshot};

/// One request as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The service from the SigV4 credential scope: `lambda`, `iam`, `apigateway`,
    /// `sts`, `tagging`…; empty for an unsigned request.
    pub service: String,
    /// Best effort: IAM's and STS's `Action`, the JSON protocol's `X-Amz-Target`
    /// operation, and for REST services the method and the path's shape, e.g.
    /// `POST /2015-03-31/functions` or `PUT /restapis/{api}/resources/{resource}/methods/{method}`.
    pub operation: String,
    /// The AWS API operation, when the proxy knows the shape (`CreateRestApi`,
    /// `AddPermission`…); otherwise the same as `operation`.
    pub name: String,
    pub method: String,
    /// The path and query, as sent.
    pub path: String,
    /// Best effort: not a `Get`/`List`/`Describe` read.
    pub mutating: bool,
    /// The fault the schedule gave this request, if any.
    pub fault: Option<Fault>,
}

/// When [`Proxy::on_request`]'s hook is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The request arrived and its fault is decided (`Seen::fault`); nothing has been
    /// forwarded yet. Called for every request.
    BeforeForward,
    /// The upstream answered (so it has acted on the request), and the answer has not
    /// gone back yet. Called only for requests that were forwarded: no fault,
    /// [`Fault::Delay`] and [`Fault::LoseResponse`].
    Answered,
}

/// What the proxy does to one request instead of forwarding it faithfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's own throttling error.
    Throttle,
    /// HTTP 500 with the service's internal-error body.
    Status500,
    /// HTTP 503 with the service's unavailable body.
    Status503,
    /// Close the connection without answering; the request is not forwarded.
    Drop,
    /// Wait this long, then forward.
    Delay(Duration),
    /// Forward, let the upstream act, then close the connection instead of answering.
    LoseResponse,
}

/// Every kind of fault, with a short delay.
pub const ALL_FAULTS: [Fault; 6] = [
    Fault::Throttle,
    Fault::Status500,
    Fault::Status503,
    Fault::Drop,
    Fault::Delay(Duration::from_millis(300)),
    Fault::LoseResponse,
];

type Filter = Arc<dyn Fn(&Seen) -> bool + Send + Sync>;

/// A fault schedule: random faults at `rate` from a seed, and scripted faults for the
/// n-th request that matches a filter.
#[derive(Clone)]
pub struct Faults {
    seed: u64,
    rate: f64,
    kinds: Vec<Fault>,
    /// Random faults only for requests this accepts (all when `None`).
    only: Option<Filter>,
    /// `(filter, n, fault)`: the n-th matching request (1-based) gets `fault`. These
    /// come before the random schedule.
    scripted: Vec<(Filter, usize, Fault)>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("seed", &self.seed)
            .field("rate", &self.rate)
            .field("kinds", &self.kinds)
            .field("only", &self.only.is_some())
            .field("scripted", &self.scripted.len())
            .finish()
    }
}

impl Faults {
    /// Forward everything faithfully.
    pub fn none() -> Faults {
        Faults {
            seed: 0,
            rate: 0.0,
            kinds: ALL_FAULTS.to_vec(),
            only: None,
            scripted: Vec::new(),
        }
    }

    /// Each request gets a fault with probability `rate` (0.0..=1.0), of a kind drawn
    /// from [`ALL_FAULTS`], decided by `seed` and the request's position.
    pub fn seeded(seed: u64, rate: f64) -> Faults {
        assert!((0.0..=1.0).contains(&rate), "rate {rate} is not in 0..=1");
        Faults {
            seed,
            rate,
            ..Faults::none()
        }
    }

    /// Draw the random faults from `kinds` only.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = Fault>) -> Faults {
        self.kinds = kinds.into_iter().collect();
        assert!(!self.kinds.is_empty(), "no fault kinds to draw from");
        self
    }

    /// Give random faults only to requests that `filter` accepts; the position that
    /// decides a request's fault counts only those requests.
    pub fn only(mut self, filter: impl Fn(&Seen) -> bool + Send + Sync + 'static) -> Faults {
        self.only = Some(Arc::new(filter));
        self
    }

    /// The `n`-th request (counting from 1) that `filter` accepts gets `fault`,
    /// whatever the random schedule says.
    pub fn nth(
        mut self,
        n: usize,
        filter: impl Fn(&Seen) -> bool + Send + Sync + 'static,
        fault: Fault,
    ) -> Faults {
        assert!(n >= 1, "requests count from 1");
        self.scripted.push((Arc::new(filter), n, fault));
        self
    }

    /// The first request that `filter` accepts gets `fault`.
    pub fn first(
        self,
        filter: impl Fn(&Seen) -> bool + Send + Sync + 'static,
        fault: Fault,
    ) -> Faults {
        self.nth(1, filter, fault)
    }

    /// The random fault of the request at `position` (counting from 0) among those the
    /// schedule applies to. A pure function of the seed, the rate, the kinds and the
    /// position.
    pub fn random_fault(&self, position: u64) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let draw = splitmix64(self.seed ^ splitmix64(position.wrapping_add(1)));
        // The top 53 bits as a uniform number in [0, 1).
        let uniform = (draw >> 11) as f64 / (1u64 << 53) as f64;
        if uniform >= self.rate {
            return None;
        }
        let pick = splitmix64(draw) % self.kinds.len() as u64;
        Some(self.kinds[pick as usize])
    }
}

/// SplitMix64's output function: a well-mixed 64-bit hash of `x`.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The schedule in force and its counters since it was set.
struct Schedule {
    faults: Faults,
    /// Requests the random schedule has applied to.
    position: u64,
    /// Matches so far per scripted rule.
    matches: Vec<usize>,
}

impl Schedule {
    fn new(faults: Faults) -> Schedule {
        let matches = vec![0; faults.scripted.len()];
        Schedule {
            faults,
            position: 0,
            matches,
        }
    }

    fn decide(&mut self, seen: &Seen) -> Option<Fault> {
        let mut scripted = None;
        for (index, (filter, n, fault)) in self.faults.scripted.iter().enumerate() {
            if filter(seen) {
                self.matches[index] += 1;
                if self.matches[index] == *n && scripted.is_none() {
                    scripted = Some(*fault);
                }
            }
        }
        let eligible = self.faults.only.as_ref().is_none_or(|only| only(seen));
        let random = if eligible {
            let fault = self.faults.random_fault(self.position);
            self.position += 1;
            fault
        } else {
            None
        };
        scripted.or(random)
    }
}

type Hook = Arc<dyn Fn(&Seen, Moment) + Send + Sync>;

struct Shared {
    /// `http://host:port` of the upstream.
    upstream: String,
    schedule: Mutex<Schedule>,
    seen: Mutex<Vec<Seen>>,
    hooks: Mutex<Vec<Hook>>,
    /// `(index in seen, arrived)`: `true` when the request arrived, `false` when its
    /// answer went back (or its connection was dropped), in that order.
    flow: Mutex<Vec<(usize, bool)>>,
    gate: Mutex<Option<Arc<Gate>>>,
    tag_index: Mutex<TagIndex>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// The tagging API's `GetResources` answers, for [`Proxy::freeze_tag_index`].
#[derive(Default)]
struct TagIndex {
    /// The latest answer to each request body (filters and pagination token), kept
    /// while the index is live.
    answers: BTreeMap<Bytes, (StatusCode, HeaderMap, Bytes)>,
    frozen: bool,
    /// Requests answered from the snapshot.
    served: usize,
}

fn is_tag_query(seen: &Seen) -> bool {
    seen.service == "tagging" && seen.name == "GetResources"
}

/// A running proxy; stopped when dropped.
pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy in front of `upstream` (for example `support::moto().endpoint()`).
    pub fn start(upstream: &str, faults: Faults) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let address = listener.local_addr().expect("the listener's address");
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            schedule: Mutex::new(Schedule::new(faults)),
            seen: Mutex::new(Vec::new()),
            hooks: Mutex::new(Vec::new()),
            flow: Mutex::new(Vec::new()),
            gate: Mutex::new(None),
            tag_index: Mutex::new(TagIndex::default()),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let (stop, stopped) = oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{}", address.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the proxy");
                runtime.block_on(accept(listener, serving, stopped));
            })
            .expect("start the proxy thread");
        Proxy {
            address,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Like `Moto::env`, but pointing lade at the proxy.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = super::moto().env();
        for (key, value) in &mut env {
            if *key == "AWS_ENDPOINT_URL" {
                *value = self.endpoint();
            }
        }
        env
    }

    /// An `SdkConfig` like `Moto::sdk_config`, pointing at the proxy, with the SDK's
    /// standard retry and `max_attempts` tries per request (1: no retries). Not
    /// adaptive: its client-side rate limiter is shared by every client of a service
    /// in the process, so one test's throttles would slow the others down.
    pub async fn sdk_config(&self, max_attempts: u32) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .empty_test_environment()
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new(super::REGION))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "lade-tests",
            ))
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts),
            )
            .load()
            .await
    }

    /// Replaces the schedule; its counters start again from zero.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.schedule.lock().unwrap() = Schedule::new(faults);
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.seen.lock().unwrap().len()
    }

    /// Called for every request at [`Moment::BeforeForward`], and again at
    /// [`Moment::Answered`] when moto answered but before the answer goes back to
    /// lade. Crash tests use it to SIGKILL lade at an exact point (for example after
    /// moto created a role but before lade heard). It runs on the proxy's runtime:
    /// keep it quick.
    pub fn on_request(&self, hook: impl Fn(&Seen, Moment) + Send + Sync + 'static) {
        self.shared.hooks.lock().unwrap().push(Arc::new(hook));
    }
}

impl Proxy {
    /// From now on, each tagging-API `GetResources` request that was sent before is
    /// answered with the answer it got last, before this call, as AWS's lagging index
    /// would: what was deleted since is still listed (with the tags it had), and what
    /// was created or tagged since is not. A request never seen before is forwarded.
    pub fn freeze_tag_index(&self) {
        self.shared.tag_index.lock().unwrap().frozen = true;
    }

    /// How many `GetResources` requests the frozen index has answered.
    pub fn served_from_tag_index(&self) -> usize {
        self.shared.tag_index.lock().unwrap().served
    }
}

impl Proxy {
    /// Holds every request `filter` accepts (after its hooks, before forwarding)
    /// until `n` of them are held at once; `settle` later, the held ones and every
    /// later one go on. Those that arrive during `settle` are held too, so a client
    /// that sends more than `n` at once shows it in [`Proxy::peak_in_flight`]. If `n`
    /// never come, the held ones go on after a minute and [`Proxy::gate_opened`] is
    /// `Some(false)`: the test fails with a message instead of hanging.
    pub fn gate(
        &self,
        n: usize,
        settle: Duration,
        filter: impl Fn(&Seen) -> bool + Send + Sync + 'static,
    ) {
        let (open, _) = tokio::sync::watch::channel(None);
        *self.shared.gate.lock().unwrap() = Some(Arc::new(Gate {
            n,
            settle,
            filter: Box::new(filter),
            held: Mutex::new(0),
            open,
        }));
    }

    /// `Some(true)` once the gate saw its `n` requests held at once, `Some(false)` if
    /// it gave up waiting for them, `None` while it still waits (or without a gate).
    pub fn gate_opened(&self) -> Option<bool> {
        let gate = self.shared.gate.lock().unwrap().clone();
        gate.and_then(|gate| *gate.open.borrow())
    }

    /// The most requests that `filter` accepts that were in the proxy at once: arrived
    /// and not yet answered.
    pub fn peak_in_flight(&self, filter: impl Fn(&Seen) -> bool) -> usize {
        let seen = self.requests();
        let flow = self.shared.flow.lock().unwrap().clone();
        let (mut now, mut peak) = (0usize, 0usize);
        for (index, arrived) in flow {
            if !filter(&seen[index]) {
                continue;
            }
            if arrived {
                now += 1;
                peak = peak.max(now);
            } else {
                now -= 1;
            }
        }
        peak
    }
}

/// See [`Proxy::gate`].
struct Gate {
    n: usize,
    settle: Duration,
    filter: Box<dyn Fn(&Seen) -> bool + Send + Sync>,
    held: Mutex<usize>,
    /// `None` while holding; then whether the `n` came.
    open: tokio::sync::watch::Sender<Option<bool>>,
}

impl Gate {
    async fn pass(self: Arc<Self>) {
        let mut open = self.open.subscribe();
        if open.borrow().is_some() {
            return;
        }
        let held = {
            let mut held = self.held.lock().unwrap();
            *held += 1;
            *held
        };
        let (gate, pause, came) = if held == self.n {
            (self.clone(), self.settle, true)
        } else if held == 1 {
            (self.clone(), Duration::from_secs(60), false)
        } else {
            (self.clone(), Duration::MAX, false)
        };
        if pause != Duration::MAX {
            tokio::spawn(async move {
                tokio::time::sleep(pause).await;
                gate.open.send_if_modified(|open| {
                    let first = open.is_none();
                    if first {
                        *open = Some(came);
                    }
                    first
                });
            });
        }
        let _ = open.wait_for(Option::is_some).await;
    }
}

/// Records, when dropped, that a request's answer went back (or that it was dropped).
struct Leaving<'a>(&'a Shared, usize);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.flow.lock().unwrap().push((self.1, false));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(connection(stream, shared.clone()));
            }
        }
    }
}

/// Serves one client connection until it closes, or until a fault kills it: dropping
/// the connection future closes the socket without an answer.
async fn connection(stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    let kill = Arc::new(Notify::new());
    let service = {
        let kill = kill.clone();
        hyper::service::service_fn(move |request| handle(request, shared.clone(), kill.clone()))
    };
    let serving =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = serving => {}
        _ = kill.notified() => {}
    }
}

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
    kill: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(plain(StatusCode::BAD_REQUEST, "unreadable request body")),
    };
    let mut seen = describe(&parts.method, &parts.uri, &parts.headers, &body);
    let index;
    {
        // Decide and record under one lock, so that positions follow arrival order.
        let mut log = shared.seen.lock().unwrap();
        seen.fault = shared.schedule.lock().unwrap().decide(&seen);
        log.push(seen.clone());
        index = log.len() - 1;
        shared.flow.lock().unwrap().push((index, true));
    }
    let _leaving = Leaving(&shared, index);
    call_hooks(&shared, &seen, Moment::BeforeForward);
    let gate = shared.gate.lock().unwrap().clone();
    if let Some(gate) = gate.filter(|gate| (gate.filter)(&seen)) {
        gate.pass().await;
    }

    match seen.fault {
        Some(Fault::Throttle) => return Ok(throttle(&seen)),
        Some(Fault::Status500) => {
            return Ok(server_error(&seen, StatusCode::INTERNAL_SERVER_ERROR));
        }
        Some(Fault::Status503) => return Ok(server_error(&seen, StatusCode::SERVICE_UNAVAILABLE)),
        Some(Fault::Drop) => return hang_up(&kill).await,
        Some(Fault::Delay(pause)) => tokio::time::sleep(pause).await,
        Some(Fault::LoseResponse) | None => {}
    }

    let tag_query = is_tag_query(&seen);
    if tag_query {
        let mut index = shared.tag_index.lock().unwrap();
        let frozen = index.frozen;
        if let (true, Some((status, headers, answer))) = (frozen, index.answers.get(&body)) {
            let mut response = Response::new(Full::new(answer.clone()));
            *response.status_mut() = *status;
            *response.headers_mut() = headers.clone();
            index.served += 1;
            return Ok(response);
        }
    }
    let asked = body.clone();
    let response = match forward(&shared, parts, body).await {
        Ok(response) => response,
        Err(error) => {
            return Ok(plain(
                StatusCode::BAD_GATEWAY,
                &format!("the proxy could not reach {}: {error}", shared.upstream),
            ));
        }
    };
    if tag_query {
        let Ok(answer) = response.body().clone().collect().await;
        let mut index = shared.tag_index.lock().unwrap();
        if !index.frozen {
            let kept = (
                response.status(),
                response.headers().clone(),
                answer.to_bytes(),
            );
            index.answers.insert(asked, kept);
        }
    }
    call_hooks(&shared, &seen, Moment::Answered);
    if seen.fault == Some(Fault::LoseResponse) {
        return hang_up(&kill).await;
    }
    Ok(response)
}

fn call_hooks(shared: &Shared, seen: &Seen, moment: Moment) {
    let hooks = shared.hooks.lock().unwrap().clone();
    for hook in hooks {
        hook(seen, moment);
    }
}

/// Closes the connection without answering: the connection task drops the
/// connection (and with it the socket) as soon as it is told to.
async fn hang_up(kill: &Notify) -> Result<Response<Full<Bytes>>, Infallible> {
    kill.notify_one();
    std::future::pending().await
}

/// Headers that belong to one connection, not to the message.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            to.append(name.clone(), value.clone());
        }
    }
}

async fn forward(
    shared: &Shared,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut request = Request::builder()
        .method(parts.method)
        .uri(format!("{}{path}", shared.upstream))
        .body(Full::new(body))?;
    copy_headers(&parts.headers, request.headers_mut());
    let response = shared.client.request(request).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = parts.status;
    copy_headers(&parts.headers, answer.headers_mut());
    // The body is whole now; hyper sets its length.
    answer.headers_mut().remove(hyper::header::CONTENT_LENGTH);
    Ok(answer)
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    response(status, &[("content-type", "text/plain")], text.to_owned())
}

fn response(status: StatusCode, headers: &[(&str, &str)], body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    for (name, value) in headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    response
}

/// A request ID in AWS's format, unique within the process.
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("fa017000-0000-4000-8000-{n:012x}")
}

/// The query protocol's error document (IAM, STS).
fn query_error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response<Full<Bytes>> {
    let id = request_id();
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>{kind}</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
    );
    response(
        status,
        &[("content-type", "text/xml"), ("x-amzn-requestid", &id)],
        body,
    )
}

/// A REST-JSON error (Lambda, API Gateway): the code in `x-amzn-ErrorType`.
fn rest_json_error(status: StatusCode, code: &str, body: String) -> Response<Full<Bytes>> {
    let id = request_id();
    response(
        status,
        &[
            ("content-type", "application/json"),
            ("x-amzn-errortype", code),
            ("x-amzn-requestid", &id),
        ],
        body,
    )
}

/// A JSON 1.1 protocol error (the tagging API): the code in `__type`.
fn json_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    let id = request_id();
    response(
        status,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", &id),
        ],
        format!(r#"{{"__type":"{code}","Message":"{message}"}}"#),
    )
}

/// Each service's own throttling answer, as AWS documents it (Lambda and API
/// Gateway's `TooManyRequestsException`, the query protocol's `Throttling`, the
/// tagging API's `ThrottledException`).
fn throttle(seen: &Seen) -> Response<Full<Bytes>> {
    match seen.service.as_str() {
        "lambda" => rest_json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            r#"{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}"#
                .to_owned(),
        ),
        "apigateway" => rest_json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            r#"{"message":"Too Many Requests"}"#.to_owned(),
        ),
        "iam" | "sts" => query_error(
            StatusCode::BAD_REQUEST,
            "Sender",
            "Throttling",
            "Rate exceeded",
        ),
        _ => json_error(
            StatusCode::BAD_REQUEST,
            "ThrottledException",
            "Rate exceeded",
        ),
    }
}

/// A 500 or 503 in the service's error format, with its documented code where the
/// service models one (Lambda's `ServiceException`, IAM's `ServiceFailure`, API
/// Gateway's `ServiceUnavailableException`).
fn server_error(seen: &Seen, status: StatusCode) -> Response<Full<Bytes>> {
    let unavailable = status == StatusCode::SERVICE_UNAVAILABLE;
    match seen.service.as_str() {
        "lambda" => rest_json_error(
            status,
            "ServiceException",
            r#"{"Type":"Service","message":"Internal service error"}"#.to_owned(),
        ),
        "apigateway" => {
            let code = if unavailable {
                "ServiceUnavailableException"
            } else {
                "InternalFailure"
            };
            rest_json_error(
                status,
                code,
                r#"{"message":"Internal server error"}"#.to_owned(),
            )
        }
        "iam" | "sts" => {
            let code = if unavailable {
                "ServiceUnavailable"
            } else {
                "ServiceFailure"
            };
            query_error(status, "Receiver", code, "Internal failure, try again")
        }
        _ => {
            let code = if unavailable {
                "ServiceUnavailable"
            } else {
                "InternalServiceException"
            };
            json_error(status, code, "Internal failure, try again")
        }
    }
}

// ---- what a request is ----

fn describe(method: &hyper::Method, uri: &hyper::Uri, headers: &HeaderMap, body: &[u8]) -> Seen {
    let service = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(credential_service)
        .unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let target = headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .map(|target| target.rsplit('.').next().unwrap_or(target).to_owned());
    let action = form_value(body, "Action")
        .or_else(|| form_value(uri.query().unwrap_or("").as_bytes(), "Action"));
    let (operation, name, mutating) = if let Some(action) = action.or(target) {
        let read = ["Get", "List", "Describe"]
            .iter()
            .any(|prefix| action.starts_with(prefix));
        (action.clone(), action, !read)
    } else {
        let shape = path_shape(uri.path());
        let operation = format!("{method} {shape}");
        let name = rest_operation(method.as_str(), &shape)
            .map_or_else(|| operation.clone(), str::to_owned);
        let read = matches!(*method, hyper::Method::GET | hyper::Method::HEAD);
        (operation, name, !read)
    };
    Seen {
        service,
        operation,
        name,
        method: method.to_string(),
        path,
        mutating,
        fault: None,
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iam/aws4_request, …` → `iam`.
fn credential_service(authorization: &str) -> Option<String> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_owned)
}

/// The value of `key` in an `application/x-www-form-urlencoded` body or query.
fn form_value(form: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(form).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

/// The path with its variable segments named: a segment after a collection
/// (`functions`, `restapis`, `resources`…) is that collection's member.
fn path_shape(path: &str) -> String {
    const MEMBERS: &[(&str, &str)] = &[
        ("functions", "{function}"),
        ("policy", "{sid}"),
        ("tags", "{arn}"),
        ("restapis", "{api}"),
        ("resources", "{resource}"),
        ("methods", "{method}"),
        ("deployments", "{deployment}"),
        ("stages", "{stage}"),
        ("responses", "{status}"),
    ];
    let mut shape = Vec::new();
    let mut member: Option<&str> = None;
    for segment in path.split('/').skip(1) {
        match member.take() {
            Some(placeholder) if !segment.is_empty() => shape.push(placeholder),
            _ => {
                shape.push(segment);
                member = MEMBERS
                    .iter()
                    .find(|(collection, _)| *collection == segment)
                    .map(|(_, placeholder)| *placeholder);
            }
        }
    }
    format!("/{}", shape.join("/"))
}

/// The AWS operation for the REST shapes lade uses.
fn rest_operation(method: &str, shape: &str) -> Option<&'static str> {
    let routes: BTreeMap<(&str, &str), &str> = BTreeMap::from([
        // Lambda
        (("POST", "/2015-03-31/functions"), "CreateFunction"),
        (("GET", "/2015-03-31/functions/"), "ListFunctions"),
        (("GET", "/2015-03-31/functions"), "ListFunctions"),
        (("GET", "/2015-03-31/functions/{function}"), "GetFunction"),
        (
            ("DELETE", "/2015-03-31/functions/{function}"),
            "DeleteFunction",
        ),
        (
            ("GET", "/2015-03-31/functions/{function}/configuration"),
            "GetFunctionConfiguration",
        ),
        (
            ("PUT", "/2015-03-31/functions/{function}/configuration"),
            "UpdateFunctionConfiguration",
        ),
        (
            ("PUT", "/2015-03-31/functions/{function}/code"),
            "UpdateFunctionCode",
        ),
        (
            ("GET", "/2015-03-31/functions/{function}/policy"),
            "GetPolicy",
        ),
        (
            ("POST", "/2015-03-31/functions/{function}/policy"),
            "AddPermission",
        ),
        (
            ("DELETE", "/2015-03-31/functions/{function}/policy/{sid}"),
            "RemovePermission",
        ),
        (("GET", "/2017-03-31/tags/{arn}"), "ListTags"),
        (("POST", "/2017-03-31/tags/{arn}"), "TagResource"),
        (("DELETE", "/2017-03-31/tags/{arn}"), "UntagResource"),
        // API Gateway
        (("GET", "/restapis"), "GetRestApis"),
        (("POST", "/restapis"), "CreateRestApi"),
        (("GET", "/restapis/{api}"), "GetRestApi"),
        (("PATCH", "/restapis/{api}"), "UpdateRestApi"),
        (("DELETE", "/restapis/{api}"), "DeleteRestApi"),
        (("GET", "/restapis/{api}/resources"), "GetResources"),
        (
            ("POST", "/restapis/{api}/resources/{resource}"),
            "CreateResource",
        ),
        (
            ("GET", "/restapis/{api}/resources/{resource}"),
            "GetResource",
        ),
        (
            ("DELETE", "/restapis/{api}/resources/{resource}"),
            "DeleteResource",
        ),
        (
            (
                "PUT",
                "/restapis/{api}/resources/{resource}/methods/{method}",
            ),
            "PutMethod",
        ),
        (
            (
                "PATCH",
                "/restapis/{api}/resources/{resource}/methods/{method}",
            ),
            "UpdateMethod",
        ),
        (
            (
                "DELETE",
                "/restapis/{api}/resources/{resource}/methods/{method}",
            ),
            "DeleteMethod",
        ),
        (
            (
                "PUT",
                "/restapis/{api}/resources/{resource}/methods/{method}/integration",
            ),
            "PutIntegration",
        ),
        (("GET", "/restapis/{api}/deployments"), "GetDeployments"),
        (("POST", "/restapis/{api}/deployments"), "CreateDeployment"),
        (
            ("DELETE", "/restapis/{api}/deployments/{deployment}"),
            "DeleteDeployment",
        ),
        (("GET", "/restapis/{api}/stages/{stage}"), "GetStage"),
        (("PATCH", "/restapis/{api}/stages/{stage}"), "UpdateStage"),
    ]);
    routes.get(&(method, shape)).copied()
}
