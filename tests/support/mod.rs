//! Shared harness for integration tests: one moto server per test process.
//!
//! Tests reach moto through `AWS_ENDPOINT_URL` (or an explicit `SdkConfig` with the
//! same endpoint), exactly as lade reaches AWS. Every test uses its own project name
//! from [`unique`], so tests share the server and run in parallel.
//!
//! Set `LADE_TEST_ENDPOINT` to use a server that is already running.

#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::Credentials;

/// The region every test runs in.
pub const REGION: &str = "us-east-1";

/// How long moto may take to start answering.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);

/// A running moto server (or the one `LADE_TEST_ENDPOINT` names).
pub struct Moto {
    endpoint: String,
    /// The wrapper shell kills moto when this pipe closes, which the OS does when the
    /// test process exits, however it exits. Statics are never dropped, so it stays
    /// open until then.
    _lifeline: Option<Mutex<(Child, ChildStdin)>>,
}

/// The process-wide moto server, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| match std::env::var("LADE_TEST_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => Moto {
            endpoint,
            _lifeline: None,
        },
        _ => Moto::start(),
    })
}

impl Moto {
    /// A moto server of the caller's own, even when `LADE_TEST_ENDPOINT` names a shared
    /// one: for a test that changes the server's configuration (`/moto-api/config`),
    /// which would change it for every other test on a shared server. It stops when the
    /// test process exits.
    pub fn start() -> Moto {
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
        if !server.is_file() {
            panic!(
                "integration tests need moto: run scripts/test, which installs it into .venv/ \
                 ({} does not exist)",
                server.display()
            );
        }
        let port = free_port();
        // `read` returns when stdin closes, that is when this process is gone.
        let script = format!(
            "'{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
            server.display()
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "integration tests need moto: run scripts/test, which installs it into \
                     .venv/ (could not start bash for {}: {error})",
                    server.display()
                )
            });
        let stdin = child.stdin.take().expect("stdin is piped");
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while !answers(address) {
            if started.elapsed() > STARTUP_LIMIT {
                panic!(
                    "integration tests need moto: run scripts/test, which installs it into \
                     .venv/ ({} did not answer on {address} within {}s)",
                    server.display(),
                    STARTUP_LIMIT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            endpoint: format!("http://{address}"),
            _lifeline: Some(Mutex::new((child, stdin))),
        }
    }

    /// The URL lade should send every AWS request to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Environment for a `lade` child process: the endpoint, fake credentials and a
    /// region, and nothing that could reach a real profile, SSO cache or IMDS.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_SESSION_TOKEN", "testing".to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_DEFAULT_REGION", REGION.to_owned()),
            ("AWS_PROFILE", "default".to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// An `SdkConfig` for moto, built without reading or changing the process
    /// environment (tests run in parallel).
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .empty_test_environment()
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "lade-tests",
            ))
            .retry_config(RetryConfig::adaptive().with_max_attempts(3))
            .load()
            .await
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// Whether an HTTP server answers at `address`.
fn answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut status).is_ok() && status.starts_with(b"HTTP/")
}

/// A short lowercase name no other test (in this run or an earlier one against the
/// same server) uses: `<prefix><time><counter>`, e.g. `fn3k9x0`.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // Seconds within ~12 days plus the process id keep parallel runs apart.
    let stamp = (now.as_secs() % 1_000_000) * 1_000 + u64::from(std::process::id() % 1_000);
    format!("{prefix}{}{}", base36(stamp), base36(u64::from(count)))
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// A zip holding one Python module `app.py` with `body` as its source, for
/// `CreateFunction`/`UpdateFunctionCode`.
pub fn python_zip(body: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("app.py", SimpleFileOptions::default())
        .expect("start zip entry");
    writer.write_all(body.as_bytes()).expect("write zip entry");
    writer.finish().expect("finish zip").into_inner()
}

pub mod account;
pub mod project;
pub mod proxy;
pub mod small;
