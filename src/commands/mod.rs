//! The commands: each reads its arguments, runs the pipeline and prints the result.
//!
//! This is the only place that prints and the only place that maps outcomes to exit
//! codes: 0 for success (including "no changes"), 1 for any error.

mod apply;
mod outputs;
mod plan;
mod validate;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use crate::aws::AwsCloud;
use crate::cli::{Cli, Command, Common};
use crate::cloud::Cloud;
use crate::model::{Artifact, Desired};
use crate::{live, manifest, package};

/// How a command that succeeded ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `plan --detailed-exitcode` found changes.
    Changes,
}

/// Runs a parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Validate { common } => validate::run(&common).map(|()| Exit::Success),
        Command::Plan { common, options } => with_runtime(plan::run(&common, &options)),
        Command::Apply { common, saved, run } => {
            with_runtime(apply::run(&common, &run, apply::Mode::Apply(saved)))
        }
        Command::Graph { common, format } => with_runtime(plan::graph(&common, format)),
        Command::Outputs { common, json } => {
            with_runtime(outputs::run(&common, json)).map(|()| Exit::Success)
        }
        Command::Destroy { common, run } => {
            with_runtime(apply::run(&common, &run, apply::Mode::Destroy))
        }
    };
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Changes) => ExitCode::from(2),
        Err(error) => {
            if let Some(diagnostics) = error.downcast_ref::<manifest::Diagnostics>() {
                eprint!("{diagnostics}");
            } else {
                eprintln!("error: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn with_runtime<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?
        .block_on(future)
}

/// Loads and validates the manifest; no AWS call.
fn load(common: &Common) -> anyhow::Result<Desired> {
    Ok(manifest::load(&common.file, &load_options(common))?)
}

/// How to resolve the manifest's variables: flags, the environment, and the region
/// from the environment for `${region}` when the manifest names none.
fn load_options(common: &Common) -> manifest::LoadOptions {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| env.get(*name).filter(|v| !v.is_empty()).cloned());
    manifest::LoadOptions {
        stage: common.stage.clone(),
        vars: common.vars.clone(),
        secret_vars: common.secret_vars.clone(),
        var_files: common.var_files.clone(),
        env,
        region,
        account: None,
    }
}

/// Loads and validates the manifest offline, then connects to AWS; when the manifest
/// uses `${account}`, looks the account up and resolves the manifest again with it.
async fn load_and_connect(common: &Common) -> anyhow::Result<(Desired, AwsCloud)> {
    let desired = load(common)?;
    let cloud = AwsCloud::from_env(desired.region.as_deref()).await;
    if !desired.uses_account {
        return Ok((desired, cloud));
    }
    let account = cloud
        .account_id()
        .await
        .context("could not look up the AWS account for `${account}`")?;
    let options = manifest::LoadOptions {
        account: Some(account),
        ..load_options(common)
    };
    Ok((manifest::load(&common.file, &options)?, cloud))
}

/// Builds every function's package, reporting all failures together.
///
/// Functions that share a `source:` are packaged once, and an unchanged tree is
/// taken from the zip cache in `.lade/cache/` (see `package::Cache`). The cache sits
/// in the working directory, which is the manifest's directory for the usual
/// `lade plan`; where it is makes no difference to what is deployed, since entries
/// are keyed by the content of the files.
fn package_all(desired: &Desired) -> anyhow::Result<BTreeMap<String, Artifact>> {
    let cache = package::Cache::new(std::path::Path::new(".lade").join("cache"));
    let functions: Vec<_> = desired.functions.values().collect();
    let sources: Vec<_> = functions.iter().map(|f| &f.source).collect();
    let mut artifacts = BTreeMap::new();
    let mut errors = Vec::new();
    for (function, result) in functions
        .iter()
        .zip(package::build_all(&sources, Some(&cache)))
    {
        match result {
            Ok(artifact) => {
                artifacts.insert(function.key.clone(), artifact);
            }
            Err(error) => errors.push(format!("function `{}`: {error}", function.key)),
        }
    }
    if !errors.is_empty() {
        bail!("could not package the code:\n  {}", errors.join("\n  "));
    }
    Ok(artifacts)
}

/// Reads what the project and stage own.
async fn read_live(cloud: &AwsCloud, desired: &Desired) -> anyhow::Result<crate::model::Live> {
    live::read(cloud, desired)
        .await
        .context("could not read the live state from AWS")
}

/// Whether a person is at the terminal to answer a question.
fn interactive() -> bool {
    std::io::stdin().is_terminal()
}
