//! `lade plan`: show what apply would do.

use crate::cli::Common;
use crate::{plan, render};

pub async fn run(common: &Common, json: bool) -> anyhow::Result<()> {
    let (desired, cloud) = super::load_and_connect(common).await?;
    let artifacts = super::package_all(&desired)?;
    let live = super::read_live(&cloud, &desired).await?;
    let plan = plan::build(&desired, &live, &artifacts)?;
    if json {
        print!("{}", render::plan_json(&plan));
    } else {
        print!("{}", render::plan_text(&plan));
    }
    Ok(())
}
