//! `lade validate`: check the manifest offline.

use crate::cli::Common;

pub fn run(common: &Common) -> anyhow::Result<()> {
    let desired = super::load(common)?;
    println!(
        "{} is valid: project {}, stage {}, {} role(s), {} function(s).",
        common.file.display(),
        desired.scope.project,
        desired.scope.stage,
        desired.roles.len(),
        desired.functions.len()
    );
    Ok(())
}
