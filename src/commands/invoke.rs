//! `lade invoke KEY --local`: run one handler here and print what it returns.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use serde_json::Value;

use super::local::{self, Project};
use super::{Exit, Ui};
use crate::aws::Stats;
use crate::cli::Common;
use crate::local::event::{self, Format, Request, RouteMatch, Sample};
use crate::local::run::{self, Outcome};
use crate::local::{NOT_LAMBDA, routes};

/// `lade invoke`'s own arguments.
pub struct Args {
    pub key: String,
    pub local: bool,
    pub data: Option<String>,
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
    if !args.local {
        bail!(
            "invoking the deployed function in Lambda is not available yet: add --local to run \
             the handler on this machine (`lade invoke {} --local`)",
            args.key
        );
    }
    // Bad input is refused before anything runs or reads AWS.
    let input = input(args)?;
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

fn input(args: &Args) -> anyhow::Result<Input> {
    let Some(spec) = &args.event else {
        let event = match &args.data {
            Some(data) => serde_json::from_str(data)
                .with_context(|| format!("bad --data: it is not JSON: `{data}`"))?,
            None => Value::Object(Default::default()),
        };
        return Ok(Input::Event(event));
    };
    if let Some(sample) = Sample::parse(spec).map_err(anyhow::Error::msg)? {
        return Ok(Input::Sample {
            sample,
            body: args.data.clone(),
        });
    }
    if args.data.is_some() {
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
