//! `lade outputs`: the API's URLs, from live state.

use crate::cli::Common;
use crate::outputs;

pub async fn run(common: &Common, json: bool) -> anyhow::Result<()> {
    let (desired, cloud) = super::load_and_connect(common).await?;
    let live = super::read_live(&cloud, &desired).await?;
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
