//! Deterministic deployment packages. (Stub: being written.)

use crate::model::{Artifact, Source};

/// Why a package could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{0}")]
    Io(String),
}

/// Builds the zip for `source`.
pub fn build(_source: &Source) -> Result<Artifact, PackageError> {
    todo!()
}
