//! `lade plan`: show what apply would do, and optionally save it.

use anyhow::Context as _;

use super::Exit;
use crate::cli::{Common, PlanFormat, PlanOptions};
use crate::{plan, render};

pub async fn run(common: &Common, options: &PlanOptions) -> anyhow::Result<Exit> {
    let (desired, cloud) = super::load_and_connect(common).await?;
    let artifacts = super::package_all(&desired)?;
    let live = super::read_live(&cloud, &desired).await?;
    let plan = plan::build(&desired, &live, &artifacts)?;
    let format = if options.json {
        PlanFormat::Json
    } else {
        options.format
    };
    match format {
        PlanFormat::Text => print!("{}", render::plan_text(&plan)),
        PlanFormat::Json => print!("{}", render::plan_json(&plan)),
        PlanFormat::Markdown => print!("{}", render::plan_text(&plan)),
    }
    if let Some(path) = &options.out {
        std::fs::write(path, render::plan_json(&plan))
            .with_context(|| format!("could not save the plan to {}", path.display()))?;
        if format == PlanFormat::Text {
            println!(
                "\nSaved the plan to {0}. Apply exactly it with `lade apply {0}`.",
                path.display()
            );
        }
    }
    Ok(if options.detailed_exitcode && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Success
    })
}
