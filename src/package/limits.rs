//! Lambda's size limits on a package, and the checks against them.
//!
//! This file owns comparing a size with a limit and the error that says so. It never
//! measures anything itself: the directory walk and the `.zip` reader pass in the sizes
//! they know, before compressing or reading more than they must.

use std::path::Path;

use super::{MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES, PackageError};

/// The size limits a package is checked against. Tests inject small ones.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) zipped: u64,
    pub(super) unzipped: u64,
}

impl Limits {
    pub(super) const LAMBDA: Limits = Limits {
        zipped: MAX_ZIPPED_BYTES,
        unzipped: MAX_UNZIPPED_BYTES,
    };

    pub(super) fn check_zipped(self, path: &Path, size: u64) -> Result<(), PackageError> {
        if size > self.zipped {
            return Err(PackageError::ZippedTooLarge {
                path: path.to_path_buf(),
                size,
                limit: self.zipped,
            });
        }
        Ok(())
    }

    pub(super) fn check_unzipped(self, path: &Path, size: u64) -> Result<(), PackageError> {
        if size > self.unzipped {
            return Err(PackageError::UnzippedTooLarge {
                path: path.to_path_buf(),
                size,
                limit: self.unzipped,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_allow_exactly_the_limit_and_refuse_one_byte_more() {
        // Two bytes under 50 MiB: the largest zip whose base64 fits in a request.
        assert_eq!(MAX_ZIPPED_BYTES, 50 * 1024 * 1024 - 2);
        assert!(crate::limits::base64_len(MAX_ZIPPED_BYTES) < crate::limits::CODE_REQUEST_BYTES);
        assert!(
            crate::limits::base64_len(MAX_ZIPPED_BYTES + 1) >= crate::limits::CODE_REQUEST_BYTES
        );
        assert_eq!(MAX_UNZIPPED_BYTES, 250 * 1024 * 1024);
        let path = Path::new("src");
        let limits = Limits::LAMBDA;
        assert!(limits.check_zipped(path, MAX_ZIPPED_BYTES).is_ok());
        assert!(limits.check_unzipped(path, MAX_UNZIPPED_BYTES).is_ok());

        let message = limits
            .check_zipped(path, MAX_ZIPPED_BYTES + 1)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "the package for `src` is 52,428,799 bytes (50.0 MB) zipped, over Lambda's limit of \
             52,428,798 bytes (50.0 MB) for a direct upload (the request carries it as base64, \
             and must be smaller than 69,905,067 bytes); add files the function does not need \
             at run time (tests, docs, build tools) to its `exclude:`, or move large \
             dependencies into a Lambda layer"
        );
        let message = limits
            .check_unzipped(path, 300 * 1024 * 1024)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "the package for `src` is 314,572,800 bytes (300.0 MB) unzipped, over Lambda's \
             unzipped limit of 262,144,000 bytes (250.0 MB), which counts the function's layers \
             too; add files the function does not need at run time (tests, docs, build tools) \
             to its `exclude:`, or ship the function as a container image"
        );
    }
}
