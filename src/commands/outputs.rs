//! `lade outputs`: the API's URLs and the function URLs, from live state.

use std::sync::Arc;

use crate::aws::Stats;
use crate::cli::Common;
use crate::outputs;

pub async fn run(common: &Common, json: bool, stats: &Arc<Stats>) -> anyhow::Result<()> {
    let (desired, cloud) = super::load_and_connect(common, stats).await?;
    // Only the API and the function URLs: all that the outputs need.
    let live = crate::live::read_outputs(&cloud, &desired, &super::limits(common), true).await?;
    let outputs = outputs::collect(
        &live,
        desired.api_stage(),
        &cloud.region().unwrap_or_default(),
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        print!("{}", outputs::text(&outputs));
    }
    Ok(())
}
