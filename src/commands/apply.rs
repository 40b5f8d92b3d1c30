//! `lade apply` and `lade destroy`: plan, confirm, execute, report.
//!
//! Ctrl-C: before execution it cancels and nothing is changed; during execution the
//! first one lets the steps in flight finish and starts no other, the second stops at
//! once (see `interrupt.rs` and `apply::execute_with`). Either way the exit code is 1
//! and the summary says what remains, which a re-run of the command finishes.

use std::io::{BufRead, Write};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

use super::interrupt;
use super::progress::Progress;
use super::reporters::{JsonLines, Lines};
use super::{Exit, Ui};

use crate::apply::{self, Inputs, Interrupt, Reporter, Silent, Stop};
use crate::aws::{AwsCloud, Stats};
use crate::cli::{Common, Run};
use crate::model::Desired;
use crate::render::{Verb, colour};
use crate::{diff, live, outputs, plan, render};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Plan and apply; or, with a saved plan's path, apply exactly that plan.
    Apply(Option<PathBuf>),
    Destroy,
}

pub async fn run(
    common: &Common,
    run: &Run,
    mode: Mode,
    ui: &Ui,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    let verb = match mode {
        Mode::Apply(_) => Verb::Apply,
        Mode::Destroy => Verb::Destroy,
    };
    let command = verb.command();
    // A saved plan is not confirmed again: it was the review, as with `terraform apply
    // PLANFILE`. Any other apply or destroy asks, unless --yes.
    let ask = !run.yes && !matches!(mode, Mode::Apply(Some(_)));
    // Refuse before touching AWS: nobody can answer the question.
    if ask && !super::interactive() {
        bail!(
            "refusing to {command} without confirmation: stdin is not a terminal. \
             Pass --yes to {command} non-interactively (for example in CI)."
        );
    }
    // From the first AWS request on, Ctrl-C is handled here (see `interrupt.rs`).
    let interrupt = Interrupt::new();
    let _listener = interrupt::listen(&interrupt);
    let prepared = until_interrupted(&interrupt, prepare(common, &mode, stats)).await;
    let Some(prepared) = prepared else {
        bail!("{command} cancelled; nothing was changed");
    };
    let (desired, cloud, inputs, plan) = prepared?;
    let limits = super::limits(common);

    if !run.json {
        if mode == Mode::Destroy && plan.is_empty() {
            // Not "matches the manifest": a destroy compares with nothing.
            ui.plan(&format!(
                "Nothing to destroy. Project {} stage {} owns nothing in this account.\n",
                plan.scope.project, plan.scope.stage
            ));
        } else {
            ui.plan(&render::plan_text(&plan));
        }
    }
    if plan.is_empty() {
        // As Terraform prints its outputs on "0 added, 0 changed": a no-op apply in CI
        // is still where the job reads the API's URL from.
        if matches!(mode, Mode::Apply(_)) {
            print_outputs(&desired, &cloud, &limits, &interrupt, run, ui, command).await?;
        }
        return Ok(Exit::Success);
    }
    if ask && !confirm(&plan, verb, &interrupt).await? {
        bail!("{command} cancelled; nothing was changed");
    }
    // A Ctrl-C that came after the answer but before the first step.
    if interrupt.level() > Stop::Running {
        bail!("{command} cancelled; nothing was changed");
    }

    // JSON when asked for; nothing when quiet; spinners at a terminal; else log lines.
    let reporter: Box<dyn Reporter> = if run.json {
        Box::new(JsonLines)
    } else if ui.quiet {
        Box::new(Silent)
    } else if ui.live {
        Box::new(Progress::new(ui.colour))
    } else {
        Box::new(Lines { colour: ui.colour })
    };
    let outcome = apply::execute_with(
        &plan,
        &inputs,
        &cloud,
        reporter.as_ref(),
        &limits,
        &interrupt,
    )
    .await;
    // The spinners must be finished and gone before the summary prints below them.
    drop(reporter);
    if run.json {
        println!("{}", render::outcome_json(&outcome, verb));
    } else {
        let text = render::outcome_text(&plan, &outcome, verb);
        if ui.colour {
            ui.say(&format!("\n{}", colour::paint_outcome(&text)));
        } else {
            ui.say(&format!("\n{text}"));
        }
    }
    if outcome.interrupted {
        if outcome.is_success() {
            bail!("{command} interrupted after every step had finished; nothing remains to do");
        }
        bail!(
            "{command} interrupted: {} of {} step(s) done; run `lade {command}` again to finish",
            outcome.succeeded.len(),
            plan.steps.len()
        );
    }
    if !outcome.is_success() {
        bail!(
            "{command} did not finish: {} step(s) failed",
            outcome.failed.len()
        );
    }
    if matches!(mode, Mode::Apply(_)) {
        print_outputs(&desired, &cloud, &limits, &interrupt, run, ui, command).await?;
    }
    Ok(Exit::Success)
}

/// Reads and prints the outputs (the API's URL, its routes, the function URLs), when
/// the manifest has any: as text, or as one `outputs` JSON event line with `--json`.
async fn print_outputs(
    desired: &Desired,
    cloud: &AwsCloud,
    limits: &crate::cloud::Limits,
    interrupt: &Interrupt,
    run: &Run,
    ui: &Ui,
    command: &str,
) -> anyhow::Result<()> {
    let has_urls = desired.functions.values().any(|f| f.url.is_some());
    if desired.api.is_none() && !has_urls {
        return Ok(());
    }
    // Only the API and the function URLs: all that the outputs need.
    let read = live::read_outputs(cloud, desired, limits, desired.api.is_some());
    let Some(live) = until_interrupted(interrupt, read).await else {
        bail!(
            "interrupted while reading the outputs; the {command} is complete, and \
             `lade outputs` prints them"
        );
    };
    let live = live?;
    let region = cloud.region().unwrap_or_default();
    let outputs = outputs::collect(&live, desired.api_stage(), &region);
    if run.json {
        let line = serde_json::json!({"event": "outputs", "outputs": outputs});
        println!("{line}");
    } else {
        ui.say(&format!("\n{}", outputs::text(&outputs)));
    }
    Ok(())
}

/// `lade destroy --explain`: the destroy plan as a lesson; nothing is deleted.
pub async fn explain_destroy(common: &Common, stats: &Arc<Stats>) -> anyhow::Result<Exit> {
    let (_, _, _, plan) = prepare(common, &Mode::Destroy, stats).await?;
    print!("{}", render::explain::destroy(&plan));
    Ok(Exit::Success)
}

/// Everything before the first change: the manifest, the packages, the live state and
/// the plan (or the checked saved plan).
async fn prepare(
    common: &Common,
    mode: &Mode,
    stats: &Arc<Stats>,
) -> anyhow::Result<(Desired, AwsCloud, Inputs, plan::Plan)> {
    let (desired, cloud) = super::load_and_connect(common, stats).await?;
    let (inputs, plan) = match mode {
        Mode::Apply(saved) => {
            let artifacts = super::package_all(&common.file, &desired)?;
            let mut live = super::read_live(&cloud, &desired, common).await?;
            let plan = match saved {
                None => {
                    let mut plan =
                        super::build_owned(&cloud, &desired, &mut live, common, |live| {
                            plan::build(&desired, live, &artifacts)
                        })
                        .await?;
                    super::describe_code(&mut plan, &common.file, &artifacts);
                    plan
                }
                Some(path) => {
                    let plan = read_saved(path)?;
                    // Confirmed again now: a function that is no longer lade's changes
                    // the fingerprints, and the saved plan is stale.
                    live::confirm_owned(
                        &cloud,
                        &desired.scope,
                        &desired.function_names(),
                        &mut live,
                        &plan.touched_functions(),
                        &super::limits(common),
                    )
                    .await
                    .context("could not confirm who owns the functions the plan changes")?;
                    plan
                }
            };
            let secrets = diff::env::secrets(&desired, &live);
            let inputs = Inputs { artifacts, secrets };
            if let Some(path) = saved {
                check_saved(&plan, path, &common.file, &desired, &live, &inputs)?;
            }
            (inputs, plan)
        }
        Mode::Destroy => {
            // The manifest's names too: the tagging index lags, and a function an
            // apply created seconds ago may not be in it yet (`live` then finds it by
            // name). Names someone else holds do not matter to a destroy.
            let mut live = live::read_names(
                &cloud,
                &desired.scope,
                &desired.role_names(),
                &desired.function_names(),
                &desired.rule_buses(),
            )
            .await?;
            let plan = super::build_owned(&cloud, &desired, &mut live, common, |live| {
                plan::destroy(&desired.scope, desired.region.clone(), live)
            })
            .await?;
            (Inputs::default(), plan)
        }
    };
    Ok((desired, cloud, inputs, plan))
}

/// `work`'s result, or `None` if Ctrl-C came first (or came while it finished).
async fn until_interrupted<T>(interrupt: &Interrupt, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        () = interrupt.reached(Stop::Finishing) => None,
        done = work => (interrupt.level() == Stop::Running).then_some(done),
    }
}

/// Reads a plan saved with `lade plan --out`.
pub(super) fn read_saved(path: &Path) -> anyhow::Result<plan::Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the saved plan {}", path.display()))?;
    let version: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan saved by `lade plan --out`",
            path.display()
        )
    })?;
    let found = version
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(plan::FORMAT_VERSION)) {
        bail!(
            "{} has plan format {}, but this lade reads format {}; make the plan again with this lade",
            path.display(),
            found.map_or("(none)".to_string(), |v| v.to_string()),
            plan::FORMAT_VERSION
        );
    }
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan saved by `lade plan --out`",
            path.display()
        )
    })
}

/// Refuses a saved plan that is for another project or stage, or that no longer
/// matches the account, the manifest, the sources or the sensitive values.
fn check_saved(
    plan: &plan::Plan,
    path: &Path,
    manifest: &Path,
    desired: &crate::model::Desired,
    live: &crate::model::Live,
    inputs: &Inputs,
) -> anyhow::Result<()> {
    if plan.scope != desired.scope {
        bail!(
            "{} is a plan for project {} stage {}, but the manifest is for project {} stage {}",
            path.display(),
            plan.scope.project,
            plan.scope.stage,
            desired.scope.project,
            desired.scope.stage
        );
    }
    let mut reasons = plan::fingerprint::stale(plan, live, inputs);
    reasons.extend(super::saved::changed(plan, manifest)?);
    if !reasons.is_empty() {
        bail!(
            "plan is stale: nothing was changed. Since {} was made:\n  - {}\nRun `lade plan` again.",
            path.display(),
            reasons.join("\n  - ")
        );
    }
    Ok(())
}

/// Asks at the terminal; `false` unless the answer is yes. Ctrl-C at the prompt is a no.
async fn confirm(plan: &plan::Plan, verb: Verb, interrupt: &Interrupt) -> anyhow::Result<bool> {
    let summary = plan.summary();
    let count = summary.add + summary.change + summary.destroy;
    print!(
        "\n{} {count} change(s) to project {} stage {}? [y/N] ",
        match verb {
            Verb::Apply => "Apply",
            Verb::Destroy => "Destroy with",
        },
        plan.scope.project,
        plan.scope.stage
    );
    std::io::stdout().flush()?;
    // A thread of its own, not the runtime's blocking pool: a read of the terminal
    // cannot be cancelled, and the process must be free to exit without waiting for it.
    let (answered, answer) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line).map(|_| line);
        let _ = answered.send(read);
    });
    let Some(answer) = until_interrupted(interrupt, answer).await else {
        // The terminal echoed `^C` on the prompt's line.
        println!();
        return Ok(false);
    };
    let answer = answer
        .context("the confirmation prompt stopped")?
        .context("could not read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
