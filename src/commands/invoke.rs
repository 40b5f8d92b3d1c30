//! `lade invoke KEY`: invoke the deployed function in Lambda and print its response,
//! status and log tail; with `--local`, run one handler here and print what it
//! returns. Both take the event the same way (`--data`, `--data-file`, `--event`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::local::{self, Project};
use super::{Exit, Ui};
use crate::aws::Stats;
use crate::cli::Common;
use crate::cloud::{Invocation, LambdaApi as _, NotOurs};
use crate::local::event::{self, Format, Request, RouteMatch, Sample};
use crate::local::run::{self, Outcome};
use crate::local::{NOT_LAMBDA, routes};

/// `lade invoke`'s own arguments.
pub struct Args {
    pub key: String,
    pub local: bool,
    pub data: Option<String>,
    pub data_file: Option<PathBuf>,
    pub event: Option<String>,
}

/// Where the event comes from.
enum Input {
    Event(Value),
    Sample {
        sample: Sample,
        body: Option<String>,
    },
}

pub async fn run(
    common: &Common,
    args: &Args,
    ui: &Ui,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    // Bad input is refused before anything runs or reads AWS.
    let input = input(args)?;
    if !args.local {
        return remote(common, args, input, ui, stats).await;
    }
    let project = local::load(common, ui, stats, |desired| {
        desired
            .functions
            .get(&args.key)
            .is_some_and(local::has_refs)
    })
    .await?;
    let function = local::function(&project.desired, &args.key)?;
    let handler = local::handler(&project, function)?;
    let event = match input {
        Input::Event(event) => event,
        Input::Sample { sample, body } => sample_event(&project, ui, &args.key, &sample, body),
    };

    local::note(ui, NOT_LAMBDA);
    if let Some(note) = &handler.runtime.note {
        local::note(ui, note);
    }
    let outcome = run::invoke(&handler, &event, handler.timeout).await?;
    println!("{}", serde_json::to_string_pretty(outcome.payload())?);
    let key = &args.key;
    match outcome {
        Outcome::Returned(_) => Ok(Exit::Success),
        Outcome::Raised(payload) => bail!(
            "function `{key}` failed: {}: {}",
            payload["errorType"].as_str().unwrap_or("Error"),
            payload["errorMessage"].as_str().unwrap_or_default()
        ),
        Outcome::TimedOut { after, .. } => bail!(
            "function `{key}` timed out after {}s, as Lambda would (its timeout: in the manifest)",
            after.as_secs()
        ),
        Outcome::Exited { status, .. } => {
            bail!("function `{key}` exited without answering ({status})")
        }
    }
}

/// `--data`, or what `--data-file` holds (`-`: stdin).
fn data(args: &Args) -> anyhow::Result<Option<String>> {
    let Some(path) = &args.data_file else {
        return Ok(args.data.clone());
    };
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("bad --data-file -: could not read stdin")
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("bad --data-file: could not read {}", path.display()))
    }?;
    Ok(Some(text))
}

fn input(args: &Args) -> anyhow::Result<Input> {
    let data = data(args)?;
    let Some(spec) = &args.event else {
        let event = match &data {
            Some(data) => serde_json::from_str(data)
                .with_context(|| format!("bad --data: it is not JSON: `{data}`"))?,
            None => Value::Object(Default::default()),
        };
        return Ok(Input::Event(event));
    };
    if let Some(sample) = Sample::parse(spec).map_err(anyhow::Error::msg)? {
        return Ok(Input::Sample { sample, body: data });
    }
    if data.is_some() {
        bail!(
            "--data and --event {spec} both give the event: use one (with a sample such as \
             --event api:POST:/items, --data is the body)"
        );
    }
    let text = std::fs::read_to_string(spec).with_context(|| {
        format!(
            "bad --event `{spec}`: it is not a readable file, nor a sample such as \
             api:GET:/items/42 or http:GET:/items/42"
        )
    })?;
    let event = serde_json::from_str(&text)
        .with_context(|| format!("bad --event: {spec} does not hold JSON"))?;
    Ok(Input::Event(event))
}

/// Invokes the deployed function with `input`, once it is confirmed to be this
/// project's and stage's; prints its response to stdout, and its status and log tail to
/// stderr.
async fn remote(
    common: &Common,
    args: &Args,
    input: Input,
    ui: &Ui,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    let key = &args.key;
    let event = match input {
        Input::Event(event) => event,
        Input::Sample { .. } => bail!(
            "sample events (--event api:... or http:...) are built for --local only: give \
             the deployed function its event with --data, --data-file or --event FILE"
        ),
    };
    let (desired, cloud) = super::load_and_connect(common, stats).await?;
    let function = local::function(&desired, key)?;
    let name = &function.name;
    let scope = &desired.scope;
    // A consistent read of the function and its tags, not the tagging index, which
    // lags: lade invokes only what it owns.
    let live = cloud
        .get_function(name)
        .await
        .with_context(|| format!("could not read function {name}"))?;
    let Some(live) = live else {
        bail!(
            "function `{key}` is not deployed: there is no function {name} in this account \
             and region (project {} stage {}); run `lade apply` first",
            scope.project,
            scope.stage
        );
    };
    if !scope.owns_tags(&live.tags) {
        let error = crate::cloud::CloudError::NotOwned {
            kind: crate::model::ResourceKind::Function,
            name: name.clone(),
            reason: NotOurs::tags(&live.tags, &scope.ownership_tags()),
        };
        bail!("refusing to invoke it: {error}");
    }
    let payload = serde_json::to_vec(&event)?;
    let invocation = cloud
        .invoke(name, payload)
        .await
        .with_context(|| format!("could not invoke function {name}"))?;
    let shown = show(key, name, &invocation);
    println!("{}", shown.stdout);
    if !ui.quiet {
        eprint!("{}", shown.stderr);
    }
    match shown.failed {
        Some(error) => Err(anyhow::anyhow!(error)),
        None => Ok(Exit::Success),
    }
}

/// What `lade invoke` prints of one invocation, and its error when the function failed.
struct Shown {
    /// The response: pretty JSON when it is JSON, else as it came.
    stdout: String,
    /// The status, the version that ran, and the log tail, each line ending in `\n`.
    stderr: String,
    failed: Option<String>,
}

fn show(key: &str, name: &str, invocation: &Invocation) -> Shown {
    let stdout = match serde_json::from_slice::<Value>(&invocation.payload) {
        Ok(json) => serde_json::to_string_pretty(&json)
            .unwrap_or_else(|_| String::from_utf8_lossy(&invocation.payload).into_owned()),
        Err(_) => String::from_utf8_lossy(&invocation.payload).into_owned(),
    };
    let mut stderr = format!("status: {}", invocation.status);
    if let Some(version) = &invocation.executed_version {
        stderr.push_str(&format!(" (version {version})"));
    }
    if let Some(error) = &invocation.function_error {
        stderr.push_str(&format!(", function error: {error}"));
    }
    stderr.push('\n');
    match invocation.log_tail.as_deref().map(str::trim_end) {
        Some(tail) if !tail.is_empty() => {
            stderr.push_str("log tail:\n");
            for line in tail.lines() {
                stderr.push_str(&format!("  {line}\n"));
            }
        }
        _ => stderr.push_str("log tail: (none)\n"),
    }
    let failed = invocation.function_error.as_ref().map(|kind| {
        let payload = serde_json::from_slice::<Value>(&invocation.payload).unwrap_or_default();
        match (
            payload["errorType"].as_str(),
            payload["errorMessage"].as_str(),
        ) {
            (Some(kind), Some(message)) => {
                format!("function `{key}` ({name}) failed: {kind}: {message}")
            }
            _ => format!("function `{key}` ({name}) failed ({kind} error)"),
        }
    });
    Shown {
        stdout,
        stderr,
        failed,
    }
}

/// The sample API Gateway event `sample` names, routed by the manifest's `api:`.
fn sample_event(
    project: &Project,
    ui: &Ui,
    key: &str,
    sample: &Sample,
    body: Option<String>,
) -> Value {
    let routes = project
        .desired
        .api
        .as_ref()
        .map(|api| api.routes.as_slice())
        .unwrap_or_default();
    let route = match routes::find(routes, &sample.method, &sample.path) {
        Some(matched) => {
            if matched.route.function != key {
                local::note(
                    ui,
                    &format!(
                        "note: {} {} is routed to `{}`, not `{key}`; sending its event to \
                         `{key}` anyway",
                        sample.method, sample.path, matched.route.function
                    ),
                );
            }
            RouteMatch {
                method: matched.route.method.clone(),
                resource: matched.route.path.clone(),
                params: matched.params,
            }
        }
        None => {
            local::note(
                ui,
                &format!(
                    "note: no route of the manifest's api matches {} {}; the event has no \
                     path parameters and `{}` as its resource",
                    sample.method, sample.path, sample.path
                ),
            );
            RouteMatch {
                method: sample.method.clone(),
                resource: sample.path.clone(),
                params: Default::default(),
            }
        }
    };
    let domain = match (project.deployed.api_id(), &project.desired.region) {
        (Some(id), Some(region)) => crate::arn::invoke_url(&id, region, "")
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string(),
        _ => "localhost".to_string(),
    };
    let api = local::api_context(project, &domain);
    let mut headers = vec![
        ("Accept".to_string(), "*/*".to_string()),
        ("Host".to_string(), domain),
        ("User-Agent".to_string(), "lade".to_string()),
    ];
    if let Some(body) = &body {
        let json = serde_json::from_str::<Value>(body).is_ok();
        let kind = if json {
            "application/json"
        } else {
            "text/plain"
        };
        headers.push(("Content-Type".to_string(), kind.to_string()));
    }
    let request = Request {
        method: sample.method.clone(),
        path: sample.path.clone(),
        query: sample.query.clone(),
        headers,
        body: body.unwrap_or_default().into_bytes(),
        source_ip: "127.0.0.1".to_string(),
    };
    let request_id = run::request_id();
    match sample.format {
        Format::RestV1 => event::rest_v1(&request, &route, &api, &request_id),
        Format::HttpV2 => event::http_v2(&request, &route, &api, &request_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(payload: &str, error: Option<&str>, tail: Option<&str>) -> Invocation {
        Invocation {
            status: 200,
            payload: payload.as_bytes().to_vec(),
            function_error: error.map(str::to_owned),
            log_tail: tail.map(str::to_owned),
            executed_version: Some("$LATEST".into()),
        }
    }

    #[test]
    fn a_response_prints_as_json_with_the_status_and_the_log_tail() {
        let shown = show(
            "hello",
            "p-dev-hello",
            &invocation(r#"{"ok":true}"#, None, Some("START\nhi\nEND\n")),
        );
        assert_eq!(shown.stdout, "{\n  \"ok\": true\n}");
        assert_eq!(
            shown.stderr,
            "status: 200 (version $LATEST)\nlog tail:\n  START\n  hi\n  END\n"
        );
        assert_eq!(shown.failed, None);
    }

    #[test]
    fn a_function_error_fails_with_its_type_and_message() {
        let shown = show(
            "hello",
            "p-dev-hello",
            &invocation(
                r#"{"errorType":"KeyError","errorMessage":"'name'"}"#,
                Some("Unhandled"),
                None,
            ),
        );
        assert_eq!(
            shown.failed.as_deref(),
            Some("function `hello` (p-dev-hello) failed: KeyError: 'name'")
        );
        assert!(shown.stderr.contains("function error: Unhandled"));
        assert!(shown.stderr.contains("log tail: (none)"));
        let odd = show("h", "n", &invocation("oops", Some("Handled"), None));
        assert_eq!(odd.stdout, "oops");
        assert_eq!(
            odd.failed.as_deref(),
            Some("function `h` (n) failed (Handled error)")
        );
    }
}
