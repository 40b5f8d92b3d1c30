//! Runs a function's handler once, in a fresh child process, as Lambda would.
//!
//! The child is the local interpreter running an embedded bootstrap (`bootstrap.py`
//! or `bootstrap.mjs`, written to a temporary directory) from the function's source
//! directory, or from a `.zip` source unpacked to a temporary directory. A fresh
//! process per call means code changes are picked up at the next call, with no file
//! watcher. The event goes to the child's stdin; the outcome comes back in a result
//! file; whatever the handler prints (its stdout and stderr) goes to lade's stderr,
//! as Lambda sends it to the function's logs.
//!
//! The child's environment is lade's own (so PATH, virtualenvs and your AWS
//! credentials reach it), plus what Lambda sets (`AWS_LAMBDA_FUNCTION_NAME`,
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `LAMBDA_TASK_ROOT`, `_HANDLER`, ...), plus the
//! function's environment from the manifest, which wins. After the timeout the child
//! is killed and the outcome is [`Outcome::TimedOut`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use super::runtime::{Language, LocalRuntime};
use crate::model::Source;

const BOOTSTRAP_PY: &str = include_str!("bootstrap.py");
const BOOTSTRAP_JS: &str = include_str!("bootstrap.mjs");

/// Everything needed to run one function's handler locally.
#[derive(Debug, Clone)]
pub struct Handler {
    /// The manifest key.
    pub key: String,
    /// The physical name, as in Lambda.
    pub name: String,
    pub runtime: LocalRuntime,
    /// `file.function`, as in the manifest.
    pub handler: String,
    pub source: Source,
    pub memory: i32,
    /// The function's timeout.
    pub timeout: Duration,
    /// The resolved environment from the manifest.
    pub environment: BTreeMap<String, String>,
    /// The region the function would run in, when known.
    pub region: Option<String>,
    /// The context's invoked function ARN: the live one, or a placeholder.
    pub arn: String,
}

/// How one call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler returned this response.
    Returned(Value),
    /// The handler raised, or could not be loaded: Lambda's error payload
    /// (`errorMessage`, `errorType`, and `stackTrace` or, for Node.js, `trace`).
    Raised(Value),
    /// The handler was still running after `after` and was killed.
    TimedOut { after: Duration, payload: Value },
    /// The process ended without an answer (it exited, or crashed).
    Exited { status: String, payload: Value },
}

impl Outcome {
    /// What Lambda would return as the invocation's payload.
    pub fn payload(&self) -> &Value {
        match self {
            Outcome::Returned(payload)
            | Outcome::Raised(payload)
            | Outcome::TimedOut { payload, .. }
            | Outcome::Exited { payload, .. } => payload,
        }
    }
}

/// Runs `handler` once with `event`, killing it after `limit` (its timeout, or less).
pub async fn invoke(handler: &Handler, event: &Value, limit: Duration) -> anyhow::Result<Outcome> {
    let scratch = tempfile::Builder::new()
        .prefix("lade-local-")
        .tempdir()
        .context("could not create a temporary directory for the handler")?;
    let task_root = task_root(&handler.source, scratch.path())?;
    let (bootstrap_name, bootstrap) = match handler.runtime.language {
        Language::Python => ("bootstrap.py", BOOTSTRAP_PY),
        Language::Node => ("bootstrap.mjs", BOOTSTRAP_JS),
    };
    let bootstrap_path = scratch.path().join(bootstrap_name);
    std::fs::write(&bootstrap_path, bootstrap).context("could not write the bootstrap")?;
    let result_path = scratch.path().join("result.json");
    let request_id = request_id();
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(limit)
        .as_millis();

    let mut command = tokio::process::Command::new(&handler.runtime.program);
    command
        .arg(&bootstrap_path)
        .current_dir(&task_root)
        .envs(lambda_environment(handler, &task_root))
        .env("LADE_RESULT_FILE", &result_path)
        .env("LADE_REQUEST_ID", &request_id)
        .env("LADE_DEADLINE_MS", deadline_ms.to_string())
        .env("LADE_INVOKED_FUNCTION_ARN", &handler.arn)
        .envs(&handler.environment)
        .stdin(Stdio::piped())
        .stdout(stderr()?)
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command.spawn().with_context(|| {
        format!(
            "could not start {} for function `{}`",
            handler.runtime.program.display(),
            handler.key
        )
    })?;
    let mut stdin = child.stdin.take().context("the child's stdin is piped")?;
    let event_text = serde_json::to_vec(event)?;
    // A handler that never reads its stdin still gets its event: the pipe's buffer
    // holds small events, and a failed write (it exited) is reported by its outcome.
    let feed = async move {
        let _ = stdin.write_all(&event_text).await;
        drop(stdin);
    };
    let wait = async {
        let (status, ()) = tokio::join!(child.wait(), feed);
        status
    };
    let status = match tokio::time::timeout(limit, wait).await {
        Ok(status) => status.context("could not wait for the handler's process")?,
        Err(_) => {
            let _ = child.kill().await;
            return Ok(Outcome::TimedOut {
                after: limit,
                payload: json!({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": format!(
                        "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                        limit.as_secs_f64()
                    ),
                }),
            });
        }
    };
    let result = std::fs::read(&result_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    Ok(match result {
        Some(mut result) if result.get("ok").is_some() => Outcome::Returned(result["ok"].take()),
        Some(mut result) if result.get("error").is_some() => {
            Outcome::Raised(result["error"].take())
        }
        _ => {
            let status = match status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            Outcome::Exited {
                payload: json!({
                    "errorType": "Runtime.ExitError",
                    "errorMessage": format!(
                        "RequestId: {request_id} Error: Runtime exited with error: {status}"
                    ),
                }),
                status,
            }
        }
    })
}

/// Where the handler's code is: the source directory itself, or a zip unpacked into
/// `scratch`.
fn task_root(source: &Source, scratch: &Path) -> anyhow::Result<PathBuf> {
    match source {
        Source::Dir { path, .. } => std::path::absolute(path)
            .with_context(|| format!("could not resolve {}", path.display())),
        Source::Zip { path } => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("could not open {}", path.display()))?;
            let mut archive = zip::ZipArchive::new(file)
                .with_context(|| format!("{} is not a zip file", path.display()))?;
            let root = scratch.join("task");
            // `extract` refuses entries that would land outside `root`.
            archive
                .extract(&root)
                .with_context(|| format!("could not unpack {}", path.display()))?;
            Ok(root)
        }
    }
}

/// The variables Lambda's runtime sets for every function.
fn lambda_environment(handler: &Handler, task_root: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("AWS_LAMBDA_FUNCTION_NAME".into(), handler.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            handler.memory.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", handler.name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME".into(),
            "local/[$LATEST]lade".into(),
        ),
        (
            "AWS_EXECUTION_ENV".into(),
            format!("AWS_Lambda_{}", handler.runtime.runtime),
        ),
        ("LAMBDA_TASK_ROOT".into(), task_root.display().to_string()),
        ("_HANDLER".into(), handler.handler.clone()),
        // Keep the source tree free of __pycache__, and print as it happens.
        ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ("PYTHONUNBUFFERED".into(), "1".into()),
    ];
    if let Some(region) = &handler.region {
        env.push(("AWS_REGION".into(), region.clone()));
        env.push(("AWS_DEFAULT_REGION".into(), region.clone()));
    }
    env
}

/// lade's stderr, for the child's stdout: the handler's prints are logs.
fn stderr() -> anyhow::Result<Stdio> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let fd = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .context("could not share stderr with the handler")?;
        Ok(Stdio::from(fd))
    }
    #[cfg(not(unix))]
    {
        Ok(Stdio::inherit())
    }
}

/// A random request ID in Lambda's format (a version 4 UUID).
pub fn request_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(id, request_id());
    }
}
