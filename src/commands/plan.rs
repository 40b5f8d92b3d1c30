//! `lade plan`: show what apply would do, and optionally save it.

use std::sync::Arc;

use anyhow::Context as _;

use super::{Exit, Ui};
use crate::aws::Stats;
use crate::cli::{Common, GraphFormat, PlanFormat, PlanOptions};
use crate::{plan, render};

/// Loads the manifest, reads the account and builds the plan.
async fn make(common: &Common, stats: &Arc<Stats>) -> anyhow::Result<plan::Plan> {
    let (desired, cloud) = super::load_and_connect(common, stats).await?;
    let artifacts = super::package_all(&common.file, &desired)?;
    let mut live = super::read_live(&cloud, &desired, common).await?;
    let mut plan = super::build_owned(&cloud, &desired, &mut live, common, |live| {
        plan::build(&desired, live, &artifacts)
    })
    .await?;
    super::describe_code(&mut plan, &common.file, &artifacts);
    Ok(plan)
}

pub async fn run(
    common: &Common,
    options: &PlanOptions,
    ui: &Ui,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    let plan = make(common, stats).await?;
    let format = if options.json {
        PlanFormat::Json
    } else {
        options.format
    };
    match format {
        _ if options.explain => print!("{}", render::explain::plan(&plan)),
        PlanFormat::Text => ui.plan(&render::plan_text(&plan)),
        PlanFormat::Json => print!("{}", render::plan_json(&plan)),
        PlanFormat::Markdown => print!("{}", render::markdown::plan(&plan)),
    }
    if let Some(path) = &options.out {
        // Where the manifest is, for `lade apply PLAN` from any directory.
        let mut saved = plan.clone();
        saved.manifest = Some(super::saved::record(&common.file, path)?);
        std::fs::write(path, render::plan_json(&saved))
            .with_context(|| format!("could not save the plan to {}", path.display()))?;
        if format == PlanFormat::Text {
            ui.say(&format!(
                "\nSaved the plan to {0}. Apply exactly it with `lade apply {0}`.\n",
                path.display()
            ));
        }
    }
    Ok(if options.detailed_exitcode && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// `lade graph`: the plan's DAG.
pub async fn graph(
    common: &Common,
    format: GraphFormat,
    stats: &Arc<Stats>,
) -> anyhow::Result<Exit> {
    let plan = make(common, stats).await?;
    match format {
        GraphFormat::Mermaid => print!("{}", render::graph::mermaid(&plan)),
        GraphFormat::Dot => print!("{}", render::graph::dot(&plan)),
    }
    Ok(Exit::Success)
}
