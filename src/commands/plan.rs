//! `lade plan`: show what apply would do.

use crate::cli::Common;
use crate::{plan, render};

pub async fn run(common: &Common, json: bool) -> anyhow::Result<()> {
    let desired = super::load(common)?;
    let artifacts = super::package_all(&desired)?;
    let (_cloud, live) = super::read_live(&desired).await?;
    let plan = plan::build(&desired, &live, &artifacts)?;
    if json {
        print!("{}", render::plan_json(&plan));
    } else {
        print!("{}", render::plan_text(&plan));
    }
    Ok(())
}
