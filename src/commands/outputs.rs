//! `lade outputs`: the API's URLs, from live state.

use crate::cli::Common;
use crate::outputs;

pub async fn run(common: &Common, json: bool) -> anyhow::Result<()> {
    let desired = super::load(common)?;
    let (cloud, live) = super::read_live(&desired).await?;
    let outputs = outputs::collect(
        &live,
        &desired.scope.stage,
        &cloud.region().unwrap_or_default(),
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        print!("{}", outputs::text(&outputs));
    }
    Ok(())
}
