//! `lade serve`: the manifest's API on this machine.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use super::local;
use super::{Exit, Ui};
use crate::aws::Stats;
use crate::cli::Common;
use crate::local::NOT_LAMBDA;
use crate::local::serve::{self, App};

pub async fn run(
    common: &Common,
    host: &str,
    port: u16,
    ui: &Ui,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    let project = local::load(common, ui, stats, |desired| {
        desired.api.as_ref().is_some_and(|api| {
            api.routes.iter().any(|route| {
                desired
                    .functions
                    .get(&route.function)
                    .is_some_and(local::has_refs)
            })
        })
    })
    .await?;
    let Some(api) = &project.desired.api else {
        bail!(
            "the manifest has no `api:` section, so there is nothing to serve; run a function \
             with `lade invoke KEY --local`"
        );
    };
    // Every routed function that can run here; the others are named, and answer 502.
    let mut handlers = BTreeMap::new();
    for route in &api.routes {
        if handlers.contains_key(&route.function) {
            continue;
        }
        let function = local::function(&project.desired, &route.function)?;
        match local::handler(&project, function) {
            Ok(handler) => {
                if let Some(note) = &handler.runtime.note {
                    local::note(ui, note);
                }
                handlers.insert(route.function.clone(), handler);
            }
            Err(error) => eprintln!("warning: {error:#}; its routes answer 502"),
        }
    }
    if handlers.is_empty() {
        bail!("no function behind the API can run on this machine (see above)");
    }

    let listener =
        tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
                    "port {port} is already in use on {host}: stop what uses it, or pick another \
                 port with --port (0 picks a free one)"
                ),
                _ => {
                    anyhow::Error::new(error).context(format!("could not listen on {host}:{port}"))
                }
            })?;
    let address = listener
        .local_addr()
        .context("could not read the address it listens on")?;
    let stage = &project.desired.scope.stage;
    let base = format!("http://{address}/{stage}");
    local::note(ui, NOT_LAMBDA);
    local::note(
        ui,
        "note: each request runs its handler in a fresh process, so code changes apply at \
         the next request; restart lade serve after editing the manifest. Ctrl-C stops it.",
    );
    println!("Serving {} at {base}", project.desired.scope.api_name());
    for route in &api.routes {
        println!(
            "  {:<7} {base}{}  -> {}",
            route.method, route.path, route.function
        );
    }
    let app = App {
        routes: api.routes.clone(),
        handlers,
        api: local::api_context(&project, &address.to_string()),
        integration_timeout: serve::INTEGRATION_TIMEOUT,
    };
    // Ctrl-C ends it as a success: stopping is how a server is meant to end. The
    // handlers' processes die with their requests (`kill_on_drop`).
    tokio::select! {
        served = serve::serve(listener, Arc::new(app)) => served?,
        _ = tokio::signal::ctrl_c() => eprintln!("lade serve: stopped"),
    }
    Ok(Exit::Success)
}
