//! Reads `lade.yaml` into the validated `Desired` model. (Stub: being written.)

use std::path::Path;

use crate::model::Desired;

/// Every problem found in a manifest, each pointing at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<String>);

/// Loads, validates and resolves the manifest at `path`.
pub fn load(_path: &Path, _stage: Option<&str>) -> Result<Desired, Diagnostics> {
    todo!()
}
impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.join("\n"))
    }
}
impl std::error::Error for Diagnostics {}
