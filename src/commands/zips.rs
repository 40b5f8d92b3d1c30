//! `lade package`: write the zips lade uploads, for running `--explain`'s commands by
//! hand. Offline: no AWS call.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::cli::Common;

/// Builds the package of each function `keys` names (every function when none),
/// exactly as `plan` and `apply` build it, and writes it to `<dir>/<key>.zip`. Prints
/// each file with its size and `CodeSha256`.
pub fn run(common: &Common, keys: &[String], dir: &Path) -> anyhow::Result<()> {
    let desired = super::load(common)?;
    let unknown: Vec<&String> = keys
        .iter()
        .filter(|k| !desired.functions.contains_key(*k))
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&String> = desired.functions.keys().collect();
        bail!(
            "no function {} in {} (its functions: {})",
            unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            common.file.display(),
            known
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let artifacts = super::package_all(&common.file, &desired)?;
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    for (key, artifact) in &artifacts {
        if !keys.is_empty() && !keys.contains(key) {
            continue;
        }
        let path = dir.join(format!("{key}.zip"));
        std::fs::write(&path, artifact.bytes.as_slice())
            .with_context(|| format!("could not write {}", path.display()))?;
        println!(
            "{}  {} bytes  CodeSha256 {}",
            path.display(),
            artifact.size(),
            artifact.sha256
        );
    }
    Ok(())
}
