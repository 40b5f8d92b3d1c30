//! The commands: each reads its arguments, runs the pipeline and prints the result.
//!
//! This is the only place that prints and the only place that maps outcomes to exit
//! codes: 0 for success (including "no changes"), 1 for any error (a usage error
//! included), and 2 only for "changes" from `plan --detailed-exitcode`.
//!
//! How output looks (colour, quiet, live progress, `-v` logs) is decided once here,
//! in [`Ui`] and [`logging::init`], before any command runs.

mod apply;
mod completions;
mod interrupt;
mod invoke;
mod local;
mod logging;
mod outputs;
mod plan;
mod progress;
mod reporters;
mod saved;
mod serve;
mod stats;
mod ui;
mod validate;
mod zips;

pub use ui::Ui;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::aws::{AwsCloud, Stats};
use crate::cli::{Cli, Command, Common, PlanFormat};
use crate::cloud::{AccountApi, Limits};
use crate::model::{Artifact, Desired};
use crate::{live, manifest, package};

/// How a command that succeeded ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `plan --detailed-exitcode` found changes.
    Changes,
}

/// Parses the command line and runs it; returns the process's exit code.
///
/// clap exits 2 on a usage error (an unknown flag, subcommand or value, a missing
/// subcommand). lade keeps 2 for "there are changes" (`plan --detailed-exitcode`,
/// which the GitHub Action reads as `has_changes=true`), so a usage error exits 1 here,
/// as Terraform's do; clap's message is printed unchanged. `--help` and `--version`
/// print to stdout and exit 0.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::{CommandFactory as _, FromArgMatches as _};
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|matches| {
            let mut cli = Cli::from_arg_matches(&matches)?;
            cli.file_given = matches.subcommand().is_some_and(|(_, sub)| {
                sub.try_get_raw("file").is_ok_and(|raw| raw.is_some())
                    && sub.value_source("file") == Some(clap::parser::ValueSource::CommandLine)
            });
            Ok(cli)
        });
    match parsed {
        Ok(cli) => run(cli),
        Err(error) => {
            // Help and version go to stdout; errors (with the usage) to stderr.
            let _ = error.print();
            if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// Runs a parsed command line and returns the process's exit code.
pub fn run(cli: Cli) -> ExitCode {
    logging::init(cli.output.verbose);
    let ui = Ui::new(&cli.output);
    // Every AWS request of the command is counted here, for `--stats`.
    let counted = Arc::new(Stats::default());
    let json = match &cli.command {
        Command::Plan { options, .. } => options.json || options.format == PlanFormat::Json,
        Command::Apply { run, .. } | Command::Destroy { run, .. } => run.json,
        Command::Outputs { json, .. } => *json,
        _ => false,
    };
    let aws = &counted;
    let result = match cli.command {
        Command::Validate { common } => validate::run(&common, &ui).map(|()| Exit::Success),
        Command::Plan { common, options } => with_runtime(plan::run(&common, &options, &ui, aws)),
        Command::Apply {
            mut common,
            saved,
            run,
        } => {
            // A saved plan knows its manifest, unless -f names one.
            let located = match &saved {
                Some(path) if !cli.file_given => apply::read_saved(path)
                    .and_then(|plan| saved::locate(&plan, path))
                    .map(|file| common.file = file),
                _ => Ok(()),
            };
            located.and_then(|()| {
                with_runtime(apply::run(
                    &common,
                    &run,
                    apply::Mode::Apply(saved),
                    &ui,
                    aws,
                ))
            })
        }
        Command::Graph { common, format } => with_runtime(plan::graph(&common, format, aws)),
        Command::Outputs { common, json } => {
            with_runtime(outputs::run(&common, json, aws)).map(|()| Exit::Success)
        }
        Command::Destroy {
            common,
            explain: true,
            ..
        } => with_runtime(apply::explain_destroy(&common, aws)),
        Command::Destroy { common, run, .. } => {
            with_runtime(apply::run(&common, &run, apply::Mode::Destroy, &ui, aws))
        }
        Command::Package { common, keys, out } => {
            zips::run(&common, &keys, &out).map(|()| Exit::Success)
        }
        Command::Completions { shell } => completions::run(shell).map(|()| Exit::Success),
        Command::Invoke {
            common,
            key,
            local,
            data,
            data_file,
            event,
        } => with_runtime(invoke::run(
            &common,
            &invoke::Args {
                key,
                local,
                data,
                data_file,
                event,
            },
            &ui,
            aws,
        )),
        Command::Serve { common, port, host } => {
            with_runtime(serve::run(&common, &host, port, &ui, aws))
        }
    };
    // Printed whether the command succeeded or not: a failed apply is when it helps most.
    if cli.output.stats {
        stats::print(&counted.report(), json);
    }
    match result {
        Ok(Exit::Success) => ExitCode::SUCCESS,
        Ok(Exit::Changes) => ExitCode::from(2),
        Err(error) => {
            if let Some(diagnostics) = error.downcast_ref::<manifest::Diagnostics>() {
                eprintln!("{diagnostics}");
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
        // Runtimes are checked against today's date (UTC).
        today: None,
    }
}

/// Loads and validates the manifest offline, then connects to AWS, counting every
/// request into `stats`; when the manifest uses `${account}`, looks the account up and
/// resolves the manifest again with it.
async fn load_and_connect(
    common: &Common,
    stats: &Arc<Stats>,
) -> anyhow::Result<(Desired, AwsCloud)> {
    let desired = load(common)?;
    let cloud =
        AwsCloud::from_env_with(desired.region.as_deref(), stats.clone(), &settings(common)).await;
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
/// taken from the zip cache in `.lade/cache/` next to the manifest (see
/// `package::Cache`), whatever the working directory. Where it is makes no
/// difference to what is deployed, since entries are keyed by the content of the
/// files, and packaging always leaves `.lade` directories out.
fn package_all(
    manifest: &std::path::Path,
    desired: &Desired,
) -> anyhow::Result<BTreeMap<String, Artifact>> {
    let cache = package::Cache::next_to(manifest);
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
                // The zip travels as base64 in a request that also holds the
                // configuration and the tags, each counted at its longest here.
                let config =
                    crate::limits::longest_config(desired, function, desired.region.as_deref());
                let tags = crate::limits::longest_tags(desired, function);
                let request = crate::limits::base64_len(artifact.size())
                    + crate::limits::create_request_overhead(&function.name, &config, &tags);
                if request >= crate::limits::CODE_REQUEST_BYTES {
                    errors.push(format!(
                        "function `{}`: its package is {} bytes, {} in base64; with its configuration and tags the CreateFunction request would be {request} bytes, and Lambda takes less than {}; leave files out with `exclude:`, or move large dependencies into a Lambda layer",
                        function.key,
                        artifact.size(),
                        crate::limits::base64_len(artifact.size()),
                        crate::limits::CODE_REQUEST_BYTES,
                    ));
                    continue;
                }
                if let Err(reason) =
                    package::handler::check(&artifact.bytes, &function.runtime, &function.handler)
                {
                    errors.push(format!("function `{}`: {reason}", function.key));
                    continue;
                }
                if let Some(listing) = package::listing::listing(&artifact.bytes) {
                    cache.keep_listing(&artifact.sha256, &listing);
                }
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

/// Records in `plan` which files each of its code uploads adds, removes or modifies,
/// against the listing kept when the deployed package was built (see
/// `package::listing`).
fn describe_code(
    plan: &mut crate::plan::Plan,
    manifest: &std::path::Path,
    artifacts: &BTreeMap<String, Artifact>,
) {
    use crate::diff::{Field, FieldValue};
    use crate::package::listing::{CodeFiles, listing};
    let cache = package::Cache::next_to(manifest);
    for change in &plan.changes {
        let (Some(key), Some(field)) = (
            &change.key,
            change.fields.iter().find(|f| f.field == Field::Code),
        ) else {
            continue;
        };
        let Some(new) = artifacts.get(key).and_then(|a| listing(&a.bytes)) else {
            continue;
        };
        let old = match &field.old {
            Some(FieldValue::Code { sha256, .. }) => Some(cache.listing(sha256)),
            _ => None,
        };
        plan.code_files.insert(
            key.clone(),
            CodeFiles::compare(&new, old.as_ref().map(Option::as_ref)),
        );
    }
}

/// Reads what the project and stage own, within `--parallelism`.
async fn read_live(
    cloud: &AwsCloud,
    desired: &Desired,
    common: &Common,
) -> anyhow::Result<crate::model::Live> {
    live::read_with(cloud, desired, &limits(common))
        .await
        .context("could not read the live state from AWS")
}

/// Plans with `build` from `live`, after confirming with a consistent read that lade
/// owns every existing function the plan changes or deletes (`live::confirm_owned`:
/// the tagging index that `live` found them with lags); when that changed what is
/// live, plans again, until every function the plan touches is confirmed.
async fn build_owned(
    cloud: &AwsCloud,
    desired: &Desired,
    live: &mut crate::model::Live,
    common: &Common,
    build: impl Fn(&crate::model::Live) -> Result<crate::plan::Plan, crate::plan::PlanError>,
) -> anyhow::Result<crate::plan::Plan> {
    let wanted = desired.function_names();
    loop {
        let plan = build(live)?;
        let touched = plan.touched_functions();
        let changed = live::confirm_owned(
            cloud,
            &desired.scope,
            &wanted,
            live,
            &touched,
            &limits(common),
        )
        .await
        .context("could not confirm who owns the functions the plan changes")?;
        if !changed {
            return Ok(plan);
        }
    }
}

/// The bounds `--parallelism` sets, over the defaults.
fn limits(common: &Common) -> Limits {
    Limits::from_settings(&common.parallelism)
}

/// How the adapter waits and paces, from the flags: the role propagation deadline, the
/// per-attempt timeout, and the rates of `limits`.
fn settings(common: &Common) -> crate::aws::Settings {
    crate::aws::Settings {
        patience: crate::aws::Patience {
            role_propagation: common.role_propagation_timeout,
            throttle_deadline: common.throttle_timeout,
            ..Default::default()
        },
        timeouts: crate::aws::Timeouts {
            attempt: common.request_timeout,
            ..Default::default()
        },
        rates: Some(limits(common).rates),
    }
}

/// Whether a person is at the terminal to answer a question.
fn interactive() -> bool {
    std::io::stdin().is_terminal()
}
