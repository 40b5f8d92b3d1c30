//! Deployment packages: the zip a function's `source` becomes, and its `CodeSha256`.
//!
//! This module owns turning a [`Source`] into an [`Artifact`]: zipping a directory
//! deterministically, or taking a ready `.zip` as it is, hashing the bytes exactly as
//! Lambda reports `CodeSha256`, and refusing packages Lambda would refuse (empty, or
//! over its size limits) before anything is uploaded. It does not upload, compare
//! hashes with live functions (that is `diff`), resolve `source:` paths against the
//! manifest (that is `manifest`), or build anything (no `pip install`, no `cargo
//! build`): it packages the files that are there.
//!
//! # Determinism
//!
//! The same tree gives byte-identical zips on any machine and at any time, so equal
//! hashes mean "no code update" (DESIGN.md, invariant 3). Each entry is written the
//! same way whatever the file system says:
//!
//! - entries are sorted by their path relative to the source root, with `/`
//!   separators, in byte order (`B.txt` < `a-b/c` < `a.txt` < `a/b.txt`); directories
//!   get no entry of their own;
//! - every timestamp is 1980-01-01 00:00:00 (the zip epoch), and no extra fields are
//!   written, so there are no extended timestamps, uid or gid;
//! - the "made by" system is always Unix, and the mode is `0o755` when the file has any
//!   execute bit and `0o644` otherwise (on systems without execute bits, always
//!   `0o644`);
//! - every entry is deflated at level [`DEFLATE_LEVEL`], and the archive has no
//!   comment.
//!
//! The compressed bytes come from the deflate encoder locked in `Cargo.lock` (zlib-rs
//! through flate2). Its output does not depend on the CPU, but a new encoder version
//! may compress differently, which changes every hash once and causes one code
//! update per function. The pinned-hash test (in `tests.rs`) fails when that happens, so it is
//! a choice made on purpose and not a surprise.
//!
//! # Speed
//!
//! Each file is read once, whole, and compressed straight from those bytes. A tree of
//! more than [`PARALLEL_MIN_FILES`] files or [`PARALLEL_MIN_BYTES`] bytes is
//! compressed on every core: each file becomes a one-entry zip of its own, written
//! with exactly the options above, and those entries are then copied raw (no second
//! deflate) into the archive in sorted order. Deflate's output for a file depends only
//! on that file, so the result is byte-identical to compressing one file after the
//! other, and a test checks it.
//!
//! Work is skipped when it cannot change the result:
//!
//! - within one run, functions that share a `source:` (with the same `exclude:`) are
//!   packaged once and share the [`Artifact`] ([`build_all`]);
//! - across runs, a directory's zip is kept in a [`Cache`] (`.lade/cache/`), keyed
//!   by the SHA-256 of every included file's name, mode, size and content (plus the
//!   encoder's fingerprint). Content, not timestamps: copies keep file times (`cp -p`,
//!   `rsync -a`, `tar -x`, `touch -r`) and an edit within the file system's timestamp
//!   granularity keeps the old one, so a key of sizes and mtimes could serve a stale
//!   zip; hashing is sound and still far cheaper than deflate. A zip source is read as
//!   it is and never cached.
//!
//! # What goes in
//!
//! Regular files, found by walking the directory and following symbolic links (to
//! files and to directories). A linked file is stored under the link's path, with
//! the target's content and mode. A link that cannot be followed, a directory link
//! that loops back to one of its ancestors, and anything that is not a regular file
//! (socket, FIFO, device) is an error, unless it is excluded.
//!
//! Always excluded: anything named `.git` (the directory, or the file a worktree or
//! submodule has), `__pycache__` directories, `.lade` directories (lade's own cache,
//! which sits next to the manifest and so often inside a `source: .`), `*.pyc` files
//! and `.DS_Store` files, at any depth. The manifest's `exclude:` patterns come on
//! top; see `Excludes` (in `exclude.rs`) for how they match.
//!
//! # Layout
//!
//! - `mod.rs` (here): the public API, [`build`] and [`build_all`], the hash, and
//!   `zip_dir`, which puts the pieces below together for a directory;
//! - `walk.rs`: the files that go in, with symbolic links followed;
//! - `exclude.rs`: the default and manifest excludes;
//! - `writer.rs`: the deterministic zip writer, serial and parallel;
//! - `zip_file.rs`: a ready `.zip` source, checked and taken as it is;
//! - `limits.rs`: Lambda's size limits;
//! - `handler.rs`: whether a function's handler names a file the package holds;
//! - `cache.rs`: the content cache in `.lade/cache/`;
//! - `error.rs`: [`PackageError`], every message a person reads from here;
//! - `tests.rs`: the tests that build whole packages.

mod cache;
mod error;
mod exclude;
pub mod handler;
mod limits;
pub mod listing;
mod walk;
mod writer;
mod zip_file;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::model::{Artifact, Source};

pub use cache::Cache;
pub use error::PackageError;

use cache::cache_key;
use exclude::Excludes;
use limits::Limits;
use walk::collect;
use writer::{zip_parallel, zip_serial};
use zip_file::read_zip;

/// The largest zip Lambda takes in a direct upload (`CreateFunction`,
/// `UpdateFunctionCode`). Lambda's "50 MB" is a limit on the request, which carries
/// the zip as base64: it must be smaller than
/// [`CODE_REQUEST_BYTES`](crate::limits::CODE_REQUEST_BYTES) (69,905,067), so the zip
/// alone is at most 52,428,798 bytes, two bytes short of 50 MiB. The rest of the
/// request (configuration and tags) is counted per function, once it is known
/// ([`crate::limits::create_request_overhead`]).
pub const MAX_ZIPPED_BYTES: u64 = (crate::limits::CODE_REQUEST_BYTES - 1) / 4 * 3;
/// Lambda's limit on the unzipped size of a function's code, layers included: 250 MB
/// (MiB).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// The one deflate level every entry is compressed at (zlib's default: a good balance
/// of size and speed). Changing it changes every hash.
pub const DEFLATE_LEVEL: i64 = 6;

/// Builds the deployment package for `source` and its base64 SHA-256.
///
/// A directory is zipped deterministically (see the module docs); a `.zip` file is
/// taken byte for byte. Both are checked against Lambda's size limits
/// ([`MAX_ZIPPED_BYTES`], [`MAX_UNZIPPED_BYTES`]) and refused when empty.
pub fn build(source: &Source) -> Result<Artifact, PackageError> {
    build_with_limits(source, Limits::LAMBDA)
}

fn build_with_limits(source: &Source, limits: Limits) -> Result<Artifact, PackageError> {
    build_with(source, limits, None)
}

fn build_with(
    source: &Source,
    limits: Limits,
    cache: Option<&Cache>,
) -> Result<Artifact, PackageError> {
    let bytes = match source {
        Source::Dir { path, exclude } => zip_dir(path, exclude, limits, cache)?,
        Source::Zip { path } => read_zip(path, limits)?,
    };
    Ok(Artifact {
        sha256: code_sha256(&bytes),
        bytes: Arc::new(bytes),
    })
}

/// Builds the package of each of `sources`, building equal sources only once.
///
/// Result `i` is for `sources[i]`. Functions that share a `source:` (and `exclude:`)
/// share one [`Artifact`], bytes and all, and one error when it fails. With a
/// `cache`, a directory whose files are unchanged since a zip was cached is not
/// compressed again (see [`Cache`]).
pub fn build_all(
    sources: &[&Source],
    cache: Option<&Cache>,
) -> Vec<Result<Artifact, Arc<PackageError>>> {
    // A handful of distinct sources at most, so a linear search is the simplest map.
    let mut built: Vec<(&Source, Result<Artifact, Arc<PackageError>>)> = Vec::new();
    sources
        .iter()
        .map(|&source| {
            if let Some((_, result)) = built.iter().find(|(seen, _)| *seen == source) {
                return result.clone();
            }
            let result = build_with(source, Limits::LAMBDA, cache).map_err(Arc::new);
            built.push((source, result.clone()));
            result
        })
        .collect()
}

/// The base64 (standard alphabet, padded) SHA-256 of `bytes`: Lambda's `CodeSha256`.
fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// A tree with more files than this, or more bytes, is compressed on several threads.
const PARALLEL_MIN_FILES: usize = 64;
/// See [`PARALLEL_MIN_FILES`].
const PARALLEL_MIN_BYTES: u64 = 4 * 1024 * 1024;

fn zip_dir(
    root: &Path,
    exclude: &[String],
    limits: Limits,
    cache: Option<&Cache>,
) -> Result<Vec<u8>, PackageError> {
    let excludes = Excludes::new(root, exclude)?;
    let entries = collect(root, &excludes)?;
    if entries.is_empty() {
        return Err(PackageError::EmptyDir {
            path: root.to_path_buf(),
        });
    }
    // Checked before compressing anything: the sum is known from the metadata.
    let unzipped = entries
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.size));
    limits.check_unzipped(root, unzipped)?;

    let cached = match cache {
        Some(cache) => {
            let key = cache_key(&entries)?;
            if let Some(bytes) = cache.get(&key, entries.len()) {
                limits.check_zipped(root, bytes.len() as u64)?;
                return Ok(bytes);
            }
            Some((cache, key))
        }
        None => None,
    };

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bytes =
        if threads > 1 && (entries.len() > PARALLEL_MIN_FILES || unzipped > PARALLEL_MIN_BYTES) {
            zip_parallel(root, &entries, threads)?
        } else {
            zip_serial(root, &entries)?
        };
    limits.check_zipped(root, bytes.len() as u64)?;
    if let Some((cache, key)) = cached {
        cache.put(&key, &bytes);
    }
    Ok(bytes)
}
