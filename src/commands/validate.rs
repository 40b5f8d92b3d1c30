//! `lade validate`: check the manifest offline.

use super::Ui;
use crate::cli::Common;

pub fn run(common: &Common, ui: &Ui) -> anyhow::Result<()> {
    let desired = super::load(common)?;
    ui.say(&format!(
        "{} is valid: project {}, stage {}, {} role(s), {} function(s).\n",
        common.file.display(),
        desired.scope.project,
        desired.scope.stage,
        desired.roles.len(),
        desired.functions.len()
    ));
    Ok(())
}
