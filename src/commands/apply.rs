//! `lade apply` and `lade destroy`: plan, confirm, execute, report.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};

use anyhow::bail;

use crate::apply::{self, Event, Inputs, Reporter};
use crate::cli::{Common, Run};
use crate::{diff, live, outputs, plan, render};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    Destroy,
}

pub async fn run(common: &Common, run: &Run, mode: Mode) -> anyhow::Result<()> {
    let verb = match mode {
        Mode::Apply => "apply",
        Mode::Destroy => "destroy",
    };
    // Refuse before touching AWS: nobody can answer the question.
    if !run.yes && !super::interactive() {
        bail!(
            "refusing to {verb} without confirmation: stdin is not a terminal. \
             Pass --yes to {verb} non-interactively (for example in CI)."
        );
    }
    let (desired, cloud) = super::load_and_connect(common).await?;
    let (inputs, plan) = match mode {
        Mode::Apply => {
            let artifacts = super::package_all(&desired)?;
            let live = super::read_live(&cloud, &desired).await?;
            let plan = plan::build(&desired, &live, &artifacts)?;
            let secrets = diff::env::secrets(&desired, &live);
            (Inputs { artifacts, secrets }, plan)
        }
        Mode::Destroy => {
            let live = live::read_names(&cloud, &desired.scope, &BTreeSet::new(), &BTreeSet::new())
                .await?;
            let plan = plan::destroy(&desired.scope, desired.region.clone(), &live)?;
            (Inputs::default(), plan)
        }
    };

    if !run.json {
        print!("{}", render::plan_text(&plan));
    }
    if plan.is_empty() {
        return Ok(());
    }
    if !run.yes && !confirm(&plan, verb)? {
        bail!("{verb} cancelled; nothing was changed");
    }

    let reporter: Box<dyn Reporter> = if run.json {
        Box::new(JsonLines)
    } else {
        Box::new(Lines)
    };
    let outcome = apply::execute(
        &plan,
        &inputs,
        &cloud,
        reporter.as_ref(),
        usize::from(run.parallelism),
    )
    .await;
    if !run.json {
        print!("\n{}", render::outcome_text(&plan, &outcome));
    }
    if !outcome.is_success() {
        bail!(
            "{verb} did not finish: {} step(s) failed",
            outcome.failed.len()
        );
    }
    if mode == Mode::Apply && desired.api.is_some() {
        let live = live::read(&cloud, &desired).await?;
        let region = cloud.region().unwrap_or_default();
        let outputs = outputs::collect(&live, &desired.scope.stage, &region);
        if run.json {
            let line = serde_json::json!({"event": "outputs", "outputs": outputs});
            println!("{line}");
        } else {
            print!("\n{}", outputs::text(&outputs));
        }
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

/// Prints one plain line per event.
struct Lines;

impl Reporter for Lines {
    fn report(&self, event: &Event) {
        if !matches!(event, Event::Started { .. }) {
            println!("{}", render::event_line(event));
        }
    }
}

/// Prints one JSON object per line per event.
struct JsonLines;

impl Reporter for JsonLines {
    fn report(&self, event: &Event) {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
}
