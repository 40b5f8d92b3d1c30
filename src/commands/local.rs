//! What `lade invoke --local` and `lade serve` share: the manifest, what is deployed
//! (read only when it can be), and the handlers to run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use super::Ui;

use crate::aws::{AwsCloud, Stats};
use crate::cli::Common;
use crate::cloud::AccountApi as _;
use crate::local::environment::{self, Deployed};
use crate::local::event::ApiContext;
use crate::local::run::Handler;
use crate::local::runtime;
use crate::model::{Desired, Function};
use crate::{live, manifest};

/// How long a local run waits for AWS to answer before going on without it: a local
/// run must not hang, or fail, because the network or the account is unreachable. Long
/// enough for `plan`'s reads of a large project at AWS's paced rates.
const READ_PATIENCE: Duration = Duration::from_secs(10);

/// The manifest, resolved as `plan` resolves it, and what is deployed of it.
pub struct Project {
    pub desired: Desired,
    pub deployed: Deployed,
}

/// Loads the manifest offline; then, when `wants_live(desired)` and AWS is configured,
/// reads the account as `plan` does (and looks the account up for `${account}`), giving
/// up with a note on stderr when AWS does not answer.
pub async fn load(
    common: &Common,
    ui: &Ui,
    stats: &Arc<Stats>,
    wants_live: impl Fn(&Desired) -> bool,
) -> anyhow::Result<Project> {
    let note = |text: &str| note(ui, text);
    let mut desired = super::load(common)?;
    let wanted = wants_live(&desired);
    if !wanted && !desired.uses_account {
        return Ok(Project {
            desired,
            deployed: Deployed::Unknown("not needed".into()),
        });
    }
    let env: BTreeMap<String, String> = std::env::vars().collect();
    if !environment::aws_configured(&env) {
        let reason = "no AWS credentials, profile or endpoint are configured".to_string();
        if wanted {
            note(&format!(
                "note: references to deployed resources are placeholders: {reason}"
            ));
        }
        return Ok(Project {
            desired,
            deployed: Deployed::Unknown(reason),
        });
    }
    let cloud = AwsCloud::from_env_counting(desired.region.as_deref(), stats.clone()).await;
    if desired.uses_account {
        match tokio::time::timeout(READ_PATIENCE, cloud.account_id()).await {
            Ok(Ok(account)) => {
                let options = manifest::LoadOptions {
                    account: Some(account),
                    ..super::load_options(common)
                };
                desired = manifest::load(&common.file, &options)?;
            }
            Ok(Err(error)) => note(&format!(
                "note: `${{account}}` is 000000000000: could not look the account up ({error})"
            )),
            Err(_) => note(&format!(
                "note: `${{account}}` is 000000000000: AWS did not answer within {}s",
                READ_PATIENCE.as_secs()
            )),
        }
    }
    if !wanted {
        return Ok(Project {
            desired,
            deployed: Deployed::Unknown("not needed".into()),
        });
    }
    let limits = super::limits(common);
    let read = live::read_with(&cloud, &desired, &limits);
    let deployed = match tokio::time::timeout(READ_PATIENCE, read).await {
        Ok(Ok(live)) => Deployed::Read(Box::new(live)),
        Ok(Err(error)) => Deployed::Unknown(format!("could not read the account: {error}")),
        Err(_) => Deployed::Unknown(format!(
            "AWS did not answer within {}s",
            READ_PATIENCE.as_secs()
        )),
    };
    if let Deployed::Unknown(reason) = &deployed {
        note(&format!(
            "note: references to deployed resources are placeholders: {reason}"
        ));
    }
    Ok(Project { desired, deployed })
}

/// Prints a line about the local run on stderr, unless `--quiet`.
pub fn note(ui: &Ui, text: &str) {
    if !ui.quiet {
        eprintln!("{text}");
    }
}

/// Whether `function`'s environment refers to other resources.
pub fn has_refs(function: &Function) -> bool {
    function
        .environment
        .values()
        .any(|value| value.refs().next().is_some())
}

/// The function with `key`, or an error that suggests the closest key.
pub fn function<'a>(desired: &'a Desired, key: &str) -> anyhow::Result<&'a Function> {
    if let Some(function) = desired.functions.get(key) {
        return Ok(function);
    }
    let keys: Vec<&str> = desired.functions.keys().map(String::as_str).collect();
    let hint = match manifest::suggest(key, keys.iter().copied()) {
        Some(close) => format!("; did you mean `{close}`?"),
        None if keys.is_empty() => "; the manifest has no functions".to_string(),
        None => format!("; the functions are {}", keys.join(", ")),
    };
    bail!("no function `{key}` in the manifest{hint}")
}

/// What it takes to run `function` here, or why it cannot run here.
pub fn handler(project: &Project, function: &Function) -> anyhow::Result<Handler> {
    let path = std::env::var_os("PATH");
    let runtime = runtime::find(&function.runtime, path.as_deref())
        .map_err(|error| anyhow::anyhow!("function `{}`: {error}", function.key))?;
    let deployed = &project.deployed;
    let region = project
        .desired
        .region
        .clone()
        .or_else(|| deployed.live().and_then(|live| live.region.clone()))
        .or_else(|| {
            ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .iter()
                .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        });
    Ok(Handler {
        key: function.key.clone(),
        name: function.name.clone(),
        runtime,
        handler: function.handler.clone(),
        source: function.source.clone(),
        memory: function.memory,
        timeout: Duration::from_secs(u64::try_from(function.timeout).unwrap_or(3)),
        environment: environment::resolve(&project.desired, function, deployed),
        region,
        arn: deployed
            .function_arn(&project.desired, &function.key)
            .unwrap_or_else(|| deployed.placeholder(&format!("function:{}.arn", function.key))),
    })
}

/// The API fields of an event: the deployed API's when known, else local stand-ins.
pub fn api_context(project: &Project, domain: &str) -> ApiContext {
    let deployed = &project.deployed;
    ApiContext {
        api_id: deployed.api_id().unwrap_or_else(|| "local".into()),
        account_id: deployed
            .account_id()
            .unwrap_or_else(|| "000000000000".into()),
        stage: project.desired.scope.stage.clone(),
        domain: domain.to_string(),
        binary_media_types: project
            .desired
            .api
            .as_ref()
            .map(|api| api.settings.binary_media_types.clone())
            .unwrap_or_default(),
    }
}
