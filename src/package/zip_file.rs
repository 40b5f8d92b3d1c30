//! A `.zip` source: read byte for byte, and checked before it is used.
//!
//! This file owns refusing a ready zip that Lambda would refuse: one that is missing,
//! not a zip, unreadable, empty, or over the size limits (read from its central
//! directory, without decompressing anything). It never changes, re-sorts or re-zips
//! the archive: the bytes uploaded are the bytes of the file.

use std::fs;
use std::io::{self, Cursor};
use std::path::Path;

use zip::ZipArchive;

use super::PackageError;
use super::limits::Limits;

/// The signatures a zip file starts with: a local file header, or the end of central
/// directory record of an archive with no entries.
const ZIP_SIGNATURES: [&[u8; 4]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];

pub(super) fn read_zip(path: &Path, limits: Limits) -> Result<Vec<u8>, PackageError> {
    let io_err = |source: io::Error| {
        if source.kind() == io::ErrorKind::NotFound {
            PackageError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            PackageError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(PackageError::NotAZip {
            path: path.to_path_buf(),
        });
    }
    // Checked before reading, so an oversized file is never loaded.
    limits.check_zipped(path, meta.len())?;
    let bytes = fs::read(path).map_err(io_err)?;
    if !ZIP_SIGNATURES.iter().any(|sig| bytes.starts_with(*sig)) {
        return Err(PackageError::NotAZip {
            path: path.to_path_buf(),
        });
    }
    limits.check_zipped(path, bytes.len() as u64)?;

    let archive = ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|source| {
        PackageError::CorruptZip {
            path: path.to_path_buf(),
            source,
        }
    })?;
    if archive.is_empty() {
        return Err(PackageError::EmptyZip {
            path: path.to_path_buf(),
        });
    }
    // The central directory's sizes; entries are not decompressed.
    let mut unzipped = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_data(index)
            .map_err(|source| PackageError::CorruptZip {
                path: path.to_path_buf(),
                source,
            })?;
        unzipped = unzipped.saturating_add(entry.size());
    }
    limits.check_unzipped(path, unzipped)?;
    Ok(bytes)
}
