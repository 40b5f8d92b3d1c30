//! Why a package could not be built: [`PackageError`], one variant per problem, each
//! message naming the path and saying what to do next.
//!
//! This file owns the wording users read and the byte sizes in it. It never decides
//! when a problem occurs: the walk, the zip writer, the size limits and the `.zip`
//! reader do, and build these values.

use std::io;
use std::path::PathBuf;

/// Why a package could not be built. Every message names the path and says what to
/// do next.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The `source:` path does not exist.
    #[error(
        "source `{}` does not exist: check the function's `source:` in lade.yaml",
        path.display()
    )]
    NotFound { path: PathBuf },

    /// A directory source is a file that is not a zip, or something else.
    #[error(
        "source `{}` is not a directory: point `source:` at a directory to zip, or at a ready .zip file",
        path.display()
    )]
    NotADirectory { path: PathBuf },

    /// A file or directory could not be read.
    #[error("cannot read `{}`: {source}; check that it exists and that you may read it", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A symbolic link whose target cannot be reached: it is missing, or the chain of
    /// links loops.
    #[error(
        "`{}` is a symbolic link that cannot be followed ({source}): it points to something \
         that does not exist, or to a chain of links that loops; fix or remove the link, or \
         add it to the function's `exclude:`",
        path.display()
    )]
    BrokenSymlink {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A directory link that points back to one of its own ancestors, so the walk would
    /// never end.
    #[error(
        "`{}` is a symbolic link loop: it leads back to `{}`; remove the link, or add it to \
         the function's `exclude:`",
        path.display(),
        ancestor.display()
    )]
    SymlinkLoop { path: PathBuf, ancestor: PathBuf },

    /// Something that is neither a regular file nor a directory (a socket, FIFO or
    /// device) and so cannot be packaged.
    #[error(
        "`{}` is not a regular file (a socket, FIFO or device?); remove it, or add it to the \
         function's `exclude:`",
        path.display()
    )]
    NotAFile { path: PathBuf },

    /// A file name that is not valid UTF-8, which a zip entry name must be.
    #[error(
        "`{}` has a name that is not valid UTF-8, which a zip cannot store portably; rename \
         it, or add it to the function's `exclude:`",
        path.display()
    )]
    NonUtf8Name { path: PathBuf },

    /// An `exclude:` pattern that is not a valid glob.
    #[error(
        "exclude pattern `{pattern}` for `{}` is not valid: {reason}; fix it in the \
         function's `exclude:` in lade.yaml",
        path.display()
    )]
    InvalidExclude {
        path: PathBuf,
        pattern: String,
        reason: String,
    },

    /// A directory with no files to package once excludes are applied. Lambda rejects an
    /// empty package.
    #[error(
        "`{}` has no files to package after excludes, and Lambda rejects an empty package; \
         check the function's `source:` and `exclude:`",
        path.display()
    )]
    EmptyDir { path: PathBuf },

    /// A `.zip` source with no entries. Lambda rejects an empty package.
    #[error(
        "`{}` is an empty zip, and Lambda rejects an empty package; rebuild it with the \
         function's files, or point `source:` at a directory and let lade zip it",
        path.display()
    )]
    EmptyZip { path: PathBuf },

    /// A `.zip` source that does not start with a zip signature.
    #[error(
        "`{}` is not a zip file (it does not start with a zip signature); rebuild it as a \
         zip, or point `source:` at a directory and let lade zip it",
        path.display()
    )]
    NotAZip { path: PathBuf },

    /// A `.zip` source whose central directory cannot be read.
    #[error(
        "`{}` starts like a zip but cannot be read as one ({source}); rebuild the archive, or \
         point `source:` at a directory and let lade zip it",
        path.display()
    )]
    CorruptZip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    /// Writing the zip failed. It is built in memory, so this is unexpected.
    #[error("could not write the zip for `{}`: {source}; this is a bug in lade, please report it", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    /// The zip is larger than Lambda accepts in a direct upload.
    #[error(
        "the package for `{}` is {} zipped, over Lambda's limit of {} for a direct upload \
         (the request carries it as base64, and must be smaller than 69,905,067 bytes); add files the function does not need at run time (tests, docs, build tools) to its \
         `exclude:`, or move large dependencies into a Lambda layer",
        path.display(),
        human(*size),
        human(*limit)
    )]
    ZippedTooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },

    /// The files add up to more than Lambda accepts unzipped.
    #[error(
        "the package for `{}` is {} unzipped, over Lambda's unzipped limit of {}, which counts \
         the function's layers too; add files the function does not need at run time (tests, \
         docs, build tools) to its `exclude:`, or ship the function as a container image",
        path.display(),
        human(*size),
        human(*limit)
    )]
    UnzippedTooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
}

/// `1234567` → `1,234,567 bytes (1.2 MB)`, with MB meaning MiB as Lambda's limits do.
pub(super) fn human(bytes: u64) -> String {
    let digits = bytes.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!(
        "{grouped} bytes ({:.1} MB)",
        bytes as f64 / (1024.0 * 1024.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::{MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES};

    /// Everything a person can read from this module, in one place.
    #[test]
    fn messages_name_the_path_and_the_next_step() {
        let api = || PathBuf::from("functions/api");
        let zip = || PathBuf::from("dist/api.zip");
        let all = [
            PackageError::NotFound { path: api() },
            PackageError::NotADirectory { path: api() },
            PackageError::Io {
                path: api().join("app.py"),
                source: io::Error::other("permission denied"),
            },
            PackageError::BrokenSymlink {
                path: api().join("lib.py"),
                source: io::Error::other("no such file"),
            },
            PackageError::SymlinkLoop {
                path: api().join("pkg/up"),
                ancestor: api(),
            },
            PackageError::NotAFile {
                path: api().join("debug.sock"),
            },
            PackageError::NonUtf8Name {
                path: api().join("caf\u{FFFD}.py"),
            },
            PackageError::InvalidExclude {
                path: api(),
                pattern: "src/[a-".into(),
                reason: "unclosed character class; missing ']'".into(),
            },
            PackageError::EmptyDir { path: api() },
            PackageError::EmptyZip { path: zip() },
            PackageError::NotAZip { path: zip() },
            PackageError::CorruptZip {
                path: zip(),
                source: zip::result::ZipError::InvalidArchive("Could not find EOCD".into()),
            },
            PackageError::ZippedTooLarge {
                path: api(),
                size: 60_000_000,
                limit: MAX_ZIPPED_BYTES,
            },
            PackageError::UnzippedTooLarge {
                path: zip(),
                size: 300_000_000,
                limit: MAX_UNZIPPED_BYTES,
            },
        ];
        let text: Vec<String> = all.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            text,
            [
                "source `functions/api` does not exist: check the function's `source:` in lade.yaml",
                "source `functions/api` is not a directory: point `source:` at a directory to zip, or at a ready .zip file",
                "cannot read `functions/api/app.py`: permission denied; check that it exists and that you may read it",
                "`functions/api/lib.py` is a symbolic link that cannot be followed (no such file): it points to something that does not exist, or to a chain of links that loops; fix or remove the link, or add it to the function's `exclude:`",
                "`functions/api/pkg/up` is a symbolic link loop: it leads back to `functions/api`; remove the link, or add it to the function's `exclude:`",
                "`functions/api/debug.sock` is not a regular file (a socket, FIFO or device?); remove it, or add it to the function's `exclude:`",
                "`functions/api/caf\u{FFFD}.py` has a name that is not valid UTF-8, which a zip cannot store portably; rename it, or add it to the function's `exclude:`",
                "exclude pattern `src/[a-` for `functions/api` is not valid: unclosed character class; missing ']'; fix it in the function's `exclude:` in lade.yaml",
                "`functions/api` has no files to package after excludes, and Lambda rejects an empty package; check the function's `source:` and `exclude:`",
                "`dist/api.zip` is an empty zip, and Lambda rejects an empty package; rebuild it with the function's files, or point `source:` at a directory and let lade zip it",
                "`dist/api.zip` is not a zip file (it does not start with a zip signature); rebuild it as a zip, or point `source:` at a directory and let lade zip it",
                "`dist/api.zip` starts like a zip but cannot be read as one (invalid Zip archive: Could not find EOCD); rebuild the archive, or point `source:` at a directory and let lade zip it",
                "the package for `functions/api` is 60,000,000 bytes (57.2 MB) zipped, over Lambda's limit of 52,428,798 bytes (50.0 MB) for a direct upload (the request carries it as base64, and must be smaller than 69,905,067 bytes); add files the function does not need at run time (tests, docs, build tools) to its `exclude:`, or move large dependencies into a Lambda layer",
                "the package for `dist/api.zip` is 300,000,000 bytes (286.1 MB) unzipped, over Lambda's unzipped limit of 262,144,000 bytes (250.0 MB), which counts the function's layers too; add files the function does not need at run time (tests, docs, build tools) to its `exclude:`, or ship the function as a container image",
            ]
        );
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human(0), "0 bytes (0.0 MB)");
        assert_eq!(human(999), "999 bytes (0.0 MB)");
        assert_eq!(human(1000), "1,000 bytes (0.0 MB)");
        assert_eq!(human(52_428_800), "52,428,800 bytes (50.0 MB)");
    }
}
