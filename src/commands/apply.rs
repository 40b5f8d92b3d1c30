//! `lade apply` and `lade destroy`: plan, confirm, execute, report.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

use super::progress::Progress;
use super::reporters::{JsonLines, Lines};
use super::{Exit, Ui};

use crate::apply::{self, Inputs, Reporter, Silent};
use crate::aws::Stats;
use crate::cli::{Common, Run};
use crate::render::colour;
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
        Mode::Apply(_) => "apply",
        Mode::Destroy => "destroy",
    };
    // Refuse before touching AWS: nobody can answer the question.
    if !run.yes && !super::interactive() {
        bail!(
            "refusing to {verb} without confirmation: stdin is not a terminal. \
             Pass --yes to {verb} non-interactively (for example in CI)."
        );
    }
    let (desired, cloud) = super::load_and_connect(common, stats).await?;
    let limits = super::limits(common);
    let (inputs, plan) = match &mode {
        Mode::Apply(saved) => {
            let artifacts = super::package_all(&common.file, &desired)?;
            let live = super::read_live(&cloud, &desired, common).await?;
            let secrets = diff::env::secrets(&desired, &live);
            let inputs = Inputs { artifacts, secrets };
            let plan = match saved {
                None => plan::build(&desired, &live, &inputs.artifacts)?,
                Some(path) => {
                    let plan = read_saved(path)?;
                    check_saved(&plan, path, &desired, &live, &inputs)?;
                    plan
                }
            };
            (inputs, plan)
        }
        Mode::Destroy => {
            let live = live::read_names(&cloud, &desired.scope, &BTreeSet::new(), &BTreeSet::new())
                .await?;
            let plan = plan::destroy(&desired.scope, desired.region.clone(), &live)?;
            (Inputs::default(), plan)
        }
    };

    if !run.json {
        ui.plan(&render::plan_text(&plan));
    }
    if plan.is_empty() {
        return Ok(Exit::Success);
    }
    if !run.yes && !confirm(&plan, verb)? {
        bail!("{verb} cancelled; nothing was changed");
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
    let outcome = apply::execute(&plan, &inputs, &cloud, reporter.as_ref(), &limits).await;
    // The spinners must be finished and gone before the summary prints below them.
    drop(reporter);
    if !run.json {
        let text = render::outcome_text(&plan, &outcome);
        if ui.colour {
            ui.say(&format!("\n{}", colour::paint_outcome(&text)));
        } else {
            ui.say(&format!("\n{text}"));
        }
    }
    if !outcome.is_success() {
        bail!(
            "{verb} did not finish: {} step(s) failed",
            outcome.failed.len()
        );
    }
    if matches!(mode, Mode::Apply(_)) && desired.api.is_some() {
        // Only the API: its URLs are all the outputs need.
        let live = live::read_api_only(&cloud, &desired.scope, &limits).await?;
        let region = cloud.region().unwrap_or_default();
        let outputs = outputs::collect(&live, &desired.scope.stage, &region);
        if run.json {
            let line = serde_json::json!({"event": "outputs", "outputs": outputs});
            println!("{line}");
        } else {
            ui.say(&format!("\n{}", outputs::text(&outputs)));
        }
    }
    Ok(Exit::Success)
}

/// Reads a plan saved with `lade plan --out`.
fn read_saved(path: &Path) -> anyhow::Result<plan::Plan> {
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
/// matches the account, the sources or the sensitive values.
fn check_saved(
    plan: &plan::Plan,
    path: &Path,
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
    let reasons = plan::fingerprint::stale(plan, live, inputs);
    if !reasons.is_empty() {
        bail!(
            "plan is stale: nothing was changed. Since {} was made:\n  - {}\nRun `lade plan` again.",
            path.display(),
            reasons.join("\n  - ")
        );
    }
    Ok(())
}

fn confirm(plan: &plan::Plan, verb: &str) -> anyhow::Result<bool> {
    let summary = plan.summary();
    let count = summary.add + summary.change + summary.destroy;
    print!(
        "\n{} {count} change(s) to project {} stage {}? [y/N] ",
        if verb == "apply" {
            "Apply"
        } else {
            "Destroy with"
        },
        plan.scope.project,
        plan.scope.stage
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
