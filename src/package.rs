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
//! update per function. The pinned-hash test below fails when that happens, so it is
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
//! and `.DS_Store` files, at any depth. The manifest's `exclude:` patterns come on top; see [`Excludes`] for how
//! they match.

use std::fs::{self, File};
use std::io::{self, Cursor, Read as _, Write as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use sha2::{Digest, Sha256};
use walkdir::WalkDir;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use crate::model::{Artifact, Source};

/// Lambda's limit on a zip uploaded directly with `CreateFunction`/`UpdateFunctionCode`:
/// 50 MB (MiB, in fact).
pub const MAX_ZIPPED_BYTES: u64 = 52_428_800;
/// Lambda's limit on the unzipped size of a function's code, layers included: 250 MB
/// (MiB).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// The one deflate level every entry is compressed at (zlib's default: a good balance
/// of size and speed). Changing it changes every hash.
pub const DEFLATE_LEVEL: i64 = 6;

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
        "the package for `{}` is {} zipped, over Lambda's limit of {} for a direct upload; \
         add files the function does not need at run time (tests, docs, build tools) to its \
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

/// Builds the deployment package for `source` and its base64 SHA-256.
///
/// A directory is zipped deterministically (see the module docs); a `.zip` file is
/// taken byte for byte. Both are checked against Lambda's size limits
/// ([`MAX_ZIPPED_BYTES`], [`MAX_UNZIPPED_BYTES`]) and refused when empty.
pub fn build(source: &Source) -> Result<Artifact, PackageError> {
    build_with_limits(source, Limits::LAMBDA)
}

/// The size limits a package is checked against. Tests inject small ones.
#[derive(Debug, Clone, Copy)]
struct Limits {
    zipped: u64,
    unzipped: u64,
}

impl Limits {
    const LAMBDA: Limits = Limits {
        zipped: MAX_ZIPPED_BYTES,
        unzipped: MAX_UNZIPPED_BYTES,
    };

    fn check_zipped(self, path: &Path, size: u64) -> Result<(), PackageError> {
        if size > self.zipped {
            return Err(PackageError::ZippedTooLarge {
                path: path.to_path_buf(),
                size,
                limit: self.zipped,
            });
        }
        Ok(())
    }

    fn check_unzipped(self, path: &Path, size: u64) -> Result<(), PackageError> {
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

/// One file to package.
struct Entry {
    /// Relative to the source root, `/`-separated: the entry's name in the zip.
    name: String,
    /// Where to read it (the link's path, for a followed link).
    path: PathBuf,
    executable: bool,
    size: u64,
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

/// The options every entry is written with; only the mode varies.
fn entry_options(entry: &Entry) -> SimpleFileOptions {
    let mode = if entry.executable { 0o755 } else { 0o644 };
    SimpleFileOptions::DEFAULT
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(DateTime::DEFAULT)
        .system(System::Unix)
        .large_file(false)
        .unix_permissions(mode)
}

/// Reads a whole file: one allocation of its size, and no other copy of it.
fn read_entry(entry: &Entry) -> Result<Vec<u8>, PackageError> {
    fs::read(&entry.path).map_err(|source| PackageError::Io {
        path: entry.path.clone(),
        source,
    })
}

fn write_error(root: &Path) -> impl Fn(zip::result::ZipError) -> PackageError + '_ {
    move |source| PackageError::Write {
        path: root.to_path_buf(),
        source,
    }
}

/// Compresses each file in turn, straight from its bytes into the archive.
fn zip_serial(root: &Path, entries: &[Entry]) -> Result<Vec<u8>, PackageError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in entries {
        add_entry(&mut zip, root, entry, &read_entry(entry)?)?;
    }
    Ok(zip.finish().map_err(write_error(root))?.into_inner())
}

/// One file compressed on its own, as a zip with that single entry, written exactly
/// as [`zip_serial`] writes it.
fn zip_one(root: &Path, entry: &Entry) -> Result<Vec<u8>, PackageError> {
    // Read first: a file too large for memory is then an error (`fs::read` reserves
    // fallibly), not an abort in the allocation below.
    let content = read_entry(entry)?;
    // Deflate rarely grows data; the headers need well under 1 KiB.
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(content.len() / 2 + 1024)));
    add_entry(&mut zip, root, entry, &content)?;
    drop(content);
    Ok(zip.finish().map_err(write_error(root))?.into_inner())
}

/// Writes `content`, the bytes of `entry`, to `zip` with the entry's options.
fn add_entry(
    zip: &mut ZipWriter<Cursor<Vec<u8>>>,
    root: &Path,
    entry: &Entry,
    content: &[u8],
) -> Result<(), PackageError> {
    zip.start_file(entry.name.as_str(), entry_options(entry))
        .map_err(write_error(root))?;
    zip.write_all(content).map_err(|source| PackageError::Io {
        path: entry.path.clone(),
        source,
    })
}

/// Compresses files on `threads` threads, and copies each compressed entry into the
/// archive in sorted order as soon as it and those before it are ready.
///
/// The entries are copied raw (no second deflate), with the same name, options, CRC
/// and sizes, so the archive is byte-identical to [`zip_serial`]'s; a test holds us to
/// that. Workers take files in order, so few finished entries wait at a time, and
/// memory stays near the size of the zip itself.
fn zip_parallel(root: &Path, entries: &[Entry], threads: usize) -> Result<Vec<u8>, PackageError> {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::mpsc;

    let write_err = write_error(root);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<(usize, Result<Vec<u8>, PackageError>)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(entries.len()) {
            let sender = sender.clone();
            let (next, failed) = (&next, &failed);
            scope.spawn(move || {
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(entry) = entries.get(index) else {
                        break;
                    };
                    let one = zip_one(root, entry);
                    if one.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if sender.send((index, one)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);

        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let mut waiting = BTreeMap::new();
        let mut written = 0;
        let result = (|| {
            for (index, one) in &receiver {
                waiting.insert(index, one?);
                while let Some(one) = waiting.remove(&written) {
                    let mut single = ZipArchive::new(Cursor::new(one)).map_err(&write_err)?;
                    let file = single.by_index_raw(0).map_err(&write_err)?;
                    zip.raw_copy_file(file).map_err(&write_err)?;
                    written += 1;
                }
            }
            Ok(())
        })();
        if let Err(error) = result {
            // Stop the workers early; their remaining results are dropped.
            failed.store(true, Ordering::Relaxed);
            drop(receiver);
            return Err(error);
        }
        // Every worker sent every entry it took, and they took them all, unless one
        // failed, in which case its error came through above.
        debug_assert_eq!(written, entries.len());
        Ok(zip.finish().map_err(&write_err)?.into_inner())
    })
}

/// Walks `root` and returns the files to package, sorted by name.
fn collect(root: &Path, excludes: &Excludes) -> Result<Vec<Entry>, PackageError> {
    match fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(PackageError::NotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(PackageError::NotFound {
                path: root.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(PackageError::Io {
                path: root.to_path_buf(),
                source,
            });
        }
    }

    let walk = WalkDir::new(root)
        .min_depth(1)
        .follow_links(true)
        // Sorted so that, of several problems, the same one is reported every time.
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !excludes.is_excluded(&matched_name(root, e.path()), e.file_type().is_dir())
        });

    let mut entries = Vec::new();
    for item in walk {
        let entry = match item {
            Ok(entry) => entry,
            Err(err) => {
                // Errors bypass `filter_entry`, so an excluded path must be let go here.
                if let Some(path) = err.path()
                    && excludes
                        .is_excluded(&matched_name(root, path), err.loop_ancestor().is_some())
                {
                    continue;
                }
                return Err(walk_error(root, err));
            }
        };
        let path = entry.path();
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let name = relative_name(root, path)?;
        if !file_type.is_file() {
            return Err(PackageError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let meta = entry.metadata().map_err(|err| walk_error(root, err))?;
        entries.push(Entry {
            name,
            path: path.to_path_buf(),
            executable: is_executable(&meta),
            size: meta.len(),
        });
    }
    entries.sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(entries)
}

/// Turns walkdir's error into one that says what the path is and what to do.
fn walk_error(root: &Path, err: walkdir::Error) -> PackageError {
    let path = err.path().unwrap_or(root).to_path_buf();
    if let Some(ancestor) = err.loop_ancestor() {
        return PackageError::SymlinkLoop {
            ancestor: ancestor.to_path_buf(),
            path,
        };
    }
    let is_link = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    let source = err
        .into_io_error()
        .unwrap_or_else(|| io::Error::other("unreadable directory entry"));
    if is_link {
        PackageError::BrokenSymlink { path, source }
    } else {
        PackageError::Io { path, source }
    }
}

/// `path` relative to `root`, `/`-separated, as the zip entry name.
fn relative_name(root: &Path, path: &Path) -> Result<String, PackageError> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut name = String::new();
    for component in relative.components() {
        let Component::Normal(part) = component else {
            continue;
        };
        let Some(part) = part.to_str() else {
            return Err(PackageError::NonUtf8Name {
                path: path.to_path_buf(),
            });
        };
        if !name.is_empty() {
            name.push('/');
        }
        name.push_str(part);
    }
    Ok(name)
}

/// The name exclude patterns are matched against: as [`relative_name`], but a name
/// that is not UTF-8 is matched in its lossy form, so that it can still be excluded.
fn matched_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

/// Which paths under a source directory stay out of the package.
///
/// Patterns follow `.gitignore`'s rules, matched against the path relative to the
/// source root with `/` separators (`src/app.py`), case-sensitively:
///
/// - a pattern without a `/` matches a name at any depth: `*.md` excludes `README.md`
///   and `docs/guide.md`; `node_modules` excludes every directory of that name;
/// - a pattern with a `/` is anchored at the source root: `tests/**` excludes
///   everything under the top-level `tests`, not `src/tests`; a leading `/` or `./`
///   only anchors (`/setup.py` is the top-level one only);
/// - `*` and `?` never cross a `/`; `**` matches any number of directories; `[abc]`,
///   `{a,b}` and `\` escapes work as in `globset`;
/// - a trailing `/` matches directories only (`build/`);
/// - excluding a directory excludes everything in it;
/// - `!` (re-including) is not supported.
#[derive(Debug)]
struct Excludes {
    /// Patterns that match files and directories.
    any: GlobSet,
    /// Patterns that match directories only.
    dirs: GlobSet,
}

impl Excludes {
    /// Always excluded, whatever the manifest says.
    const DEFAULT_ANY: [&str; 3] = ["**/.git", "**/*.pyc", "**/.DS_Store"];
    const DEFAULT_DIRS: [&str; 2] = ["**/__pycache__", "**/.lade"];

    fn new(root: &Path, patterns: &[String]) -> Result<Self, PackageError> {
        let invalid = |pattern: &str, reason: String| PackageError::InvalidExclude {
            path: root.to_path_buf(),
            pattern: pattern.to_string(),
            reason,
        };
        let mut any = GlobSetBuilder::new();
        let mut dirs = GlobSetBuilder::new();
        for glob in Self::DEFAULT_ANY {
            any.add(compile(glob).map_err(|e| invalid(glob, e.kind().to_string()))?);
        }
        for glob in Self::DEFAULT_DIRS {
            dirs.add(compile(glob).map_err(|e| invalid(glob, e.kind().to_string()))?);
        }
        for pattern in patterns {
            let (glob, dir_only) = normalize(pattern).map_err(|reason| invalid(pattern, reason))?;
            let compiled = compile(&glob).map_err(|e| invalid(pattern, e.kind().to_string()))?;
            if dir_only {
                dirs.add(compiled);
            } else {
                any.add(compiled);
            }
        }
        let any = any.build().map_err(|e| invalid("", e.to_string()))?;
        let dirs = dirs.build().map_err(|e| invalid("", e.to_string()))?;
        Ok(Excludes { any, dirs })
    }

    /// Whether the path `name` (relative, `/`-separated) stays out. A directory that is
    /// excluded is not walked, so its contents need no check of their own.
    fn is_excluded(&self, name: &str, is_dir: bool) -> bool {
        self.any.is_match(name) || (is_dir && self.dirs.is_match(name))
    }
}

/// Rewrites a user pattern into the glob that implements the rules on [`Excludes`];
/// the flag says whether it matches directories only.
fn normalize(pattern: &str) -> Result<(String, bool), String> {
    if pattern.starts_with('!') {
        return Err(
            "`!` (re-including a path) is not supported; narrow the other patterns \
                    instead"
                .to_string(),
        );
    }
    let mut glob = pattern;
    let dir_only = glob.ends_with('/');
    glob = glob.trim_end_matches('/');
    let anchored = glob.starts_with('/') || glob.starts_with("./");
    glob = glob.trim_start_matches("./").trim_start_matches('/');
    if glob.is_empty() {
        return Err("it matches no path".to_string());
    }
    let glob = if anchored || glob.contains('/') {
        glob.to_string()
    } else {
        format!("**/{glob}")
    };
    Ok((glob, dir_only))
}

fn compile(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        // Fixed rather than the platform's default, so a manifest means the same
        // everywhere.
        .backslash_escape(true)
        .build()
}

/// The signatures a zip file starts with: a local file header, or the end of central
/// directory record of an archive with no entries.
const ZIP_SIGNATURES: [&[u8; 4]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];

fn read_zip(path: &Path, limits: Limits) -> Result<Vec<u8>, PackageError> {
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

/// Zips built before, kept on disk by the hash of what went into them, so an
/// unchanged source tree is not compressed again on the next run.
///
/// The key is the SHA-256 of, for every file that goes in (in entry order): its
/// entry name, its mode as stored (`0o755` or `0o644`), its size and the SHA-256 of
/// its content; plus lade's version, [`DEFLATE_LEVEL`] and a fingerprint of the zip
/// writer and deflate encoder (the hash of a small zip built with them at run time).
/// So the key changes whenever anything that could change the zip changes: a file's
/// content, name or execute bit, a file added or removed (or excluded), or the
/// encoder. Reading and hashing every file is sound whatever the file system's
/// timestamps say (copies that preserve mtimes, clocks that go back, edits within
/// one timestamp tick), which a key made of sizes and mtimes would not be, and
/// SHA-256 runs about 20 times faster than deflate at level 6. The price: on a miss,
/// files are read twice (the second time from the page cache).
///
/// Entries are written atomically (a temporary file, then a rename), and one that
/// does not read back as a zip with the expected number of entries is ignored, so
/// a crash or two processes at once cannot poison it. The cache is best effort: a
/// failure to read or write it only costs the compression. Nothing is ever evicted;
/// deleting the directory is always safe.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
    }

    /// `.lade/cache/` in the directory of the manifest at `manifest`.
    pub fn next_to(manifest: &Path) -> Self {
        let dir = manifest.parent().unwrap_or(Path::new(""));
        Cache::new(dir.join(".lade").join("cache"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.zip"))
    }

    /// The cached zip for `key`, if there is one that reads back with `entries`
    /// entries.
    fn get(&self, key: &str, entries: usize) -> Option<Vec<u8>> {
        let bytes = fs::read(self.path(key)).ok()?;
        let archive = ZipArchive::new(Cursor::new(bytes.as_slice())).ok()?;
        (archive.len() == entries).then_some(())?;
        drop(archive);
        Some(bytes)
    }

    /// Stores `bytes` under `key`; failures are ignored (see the type's docs).
    fn put(&self, key: &str, bytes: &[u8]) {
        let _ = self.try_put(key, bytes);
    }

    fn try_put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        // Keeps the cache out of version control even without a .gitignore entry.
        if let Some(lade_dir) = self.dir.parent()
            && lade_dir.file_name() == Some(std::ffi::OsStr::new(".lade"))
        {
            let ignore = lade_dir.join(".gitignore");
            if !ignore.exists() {
                fs::write(ignore, "# Written by lade: a cache, safe to delete.\n*\n")?;
            }
        }
        let temporary = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let written =
            fs::write(&temporary, bytes).and_then(|()| fs::rename(&temporary, self.path(key)));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }
}

/// The cache key of a tree (see [`Cache`]), as lowercase hex.
fn cache_key(entries: &[Entry]) -> Result<String, PackageError> {
    let mut key = Sha256::new();
    key.update(b"lade package cache v1\0");
    key.update(env!("CARGO_PKG_VERSION").as_bytes());
    key.update([0, DEFLATE_LEVEL as u8]);
    key.update(encoder_fingerprint());
    let mut buffer = vec![0u8; 256 * 1024];
    for entry in entries {
        let mut file = File::open(&entry.path).map_err(|source| PackageError::Io {
            path: entry.path.clone(),
            source,
        })?;
        let mut content = Sha256::new();
        let mut size = 0u64;
        loop {
            let read = match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(PackageError::Io {
                        path: entry.path.clone(),
                        source,
                    });
                }
            };
            content.update(&buffer[..read]);
            size += read as u64;
        }
        key.update((entry.name.len() as u64).to_le_bytes());
        key.update(entry.name.as_bytes());
        key.update([u8::from(entry.executable)]);
        key.update(size.to_le_bytes());
        key.update(content.finalize());
    }
    Ok(key
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// The SHA-256 of a small zip built exactly as packages are: it changes when the zip
/// writer or the deflate encoder writes anything differently.
fn encoder_fingerprint() -> [u8; 32] {
    static FINGERPRINT: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *FINGERPRINT.get_or_init(|| {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        // Text with repeats and with noise, so both matching and literals show.
        let mut probe = Vec::new();
        for i in 0u32..2048 {
            probe.extend_from_slice(b"def handler(event, context): return ");
            probe.extend_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
        }
        for (name, executable) in [("a.py", false), ("bin/run", true)] {
            let entry = Entry {
                name: name.to_string(),
                path: PathBuf::new(),
                executable,
                size: probe.len() as u64,
            };
            let written = zip
                .start_file(name, entry_options(&entry))
                .and_then(|()| zip.write_all(&probe).map_err(Into::into));
            if written.is_err() {
                return [0; 32];
            }
        }
        zip.finish()
            .map(|out| Sha256::digest(out.into_inner()).into())
            .unwrap_or([0; 32])
    })
}

/// `1234567` → `1,234,567 bytes (1.2 MB)`, with MB meaning MiB as Lambda's limits do.
fn human(bytes: u64) -> String {
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
    use std::io::{Read, Write};
    use std::time::{Duration, SystemTime};

    /// Writes `files` (relative path, content, mode) under `root`.
    fn write_tree(root: &Path, files: &[(&str, &[u8], u32)]) {
        for (name, content, mode) in files {
            let path = root.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, content).unwrap();
            set_mode(&path, *mode);
        }
    }

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(not(unix))]
    fn set_mode(_path: &Path, _mode: u32) {}

    fn dir(path: &Path, exclude: &[&str]) -> Source {
        Source::Dir {
            path: path.to_path_buf(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn names(artifact: &Artifact) -> Vec<String> {
        let archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect()
    }

    fn error(source: &Source) -> String {
        match build(source) {
            Ok(_) => panic!("expected an error for {source:?}"),
            Err(e) => e.to_string(),
        }
    }

    const TREE: &[(&str, &[u8], u32)] = &[
        ("a.txt", b"a dot txt\n", 0o644),
        ("a/b.txt", b"nested\n", 0o600),
        ("B.txt", b"upper case sorts first\n", 0o644),
        ("a-b/c", b"dash\n", 0o644),
        ("bin/run", b"#!/bin/sh\necho hi\n", 0o755),
        ("empty", b"", 0o644),
    ];

    #[test]
    fn same_tree_gives_same_bytes_whatever_the_order_mtimes_and_read_bits() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        write_tree(one.path(), TREE);
        let mut shuffled = TREE.to_vec();
        shuffled.reverse();
        shuffled.swap(0, 2);
        write_tree(two.path(), &shuffled);
        // Same content, different details that must not show.
        set_mode(&two.path().join("a/b.txt"), 0o644);
        set_mode(&two.path().join("bin/run"), 0o700);
        for (i, (name, _, _)) in TREE.iter().enumerate() {
            let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i as u64);
            let new = SystemTime::now() - Duration::from_secs(i as u64);
            File::options()
                .write(true)
                .open(one.path().join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
            File::options()
                .write(true)
                .open(two.path().join(name))
                .unwrap()
                .set_modified(new)
                .unwrap();
        }

        let first = build(&dir(one.path(), &[])).unwrap();
        let second = build(&dir(two.path(), &[])).unwrap();
        assert_eq!(first.bytes, second.bytes);
        assert_eq!(first.sha256, second.sha256);
    }

    #[test]
    fn entries_carry_nothing_from_the_machine() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        File::options()
            .write(true)
            .open(root.path().join("a.txt"))
            .unwrap()
            .set_modified(SystemTime::now())
            .unwrap();
        let artifact = build(&dir(root.path(), &[])).unwrap();
        let mut archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        assert_eq!(archive.comment(), b"");
        for i in 0..archive.len() {
            let file = archive.by_index(i).unwrap();
            let name = file.name().unwrap().into_owned();
            assert_eq!(file.last_modified(), Some(DateTime::DEFAULT), "{name}");
            assert_eq!(file.extra_data_fields().count(), 0, "{name}");
            // No extra field and no comment, read from the raw headers as well.
            let bytes = artifact.bytes.as_slice();
            let u16_at = |at: u64| {
                let at = at as usize;
                u16::from_le_bytes([bytes[at], bytes[at + 1]])
            };
            assert_eq!(
                u16_at(file.header_start() + 28),
                0,
                "{name}: local extra length"
            );
            let central = file.central_header_start();
            assert_eq!(u16_at(central + 30), 0, "{name}: central extra length");
            assert_eq!(u16_at(central + 32), 0, "{name}: comment length");
            // "Made by" Unix (3), whatever the host.
            assert_eq!(bytes[central as usize + 5], 3, "{name}: made by");
            assert_eq!(file.system(), System::Unix, "{name}");
            assert_eq!(file.compression(), CompressionMethod::Deflated, "{name}");
            assert!(file.is_file(), "{name}");
        }
    }

    /// Pins the exact bytes a known tree gives. If this fails, packaging changed: every
    /// deployed function would see a new `CodeSha256` and get a code update. Accept the
    /// new hash only on purpose (a deliberate format change or an encoder upgrade), and
    /// say so in the changelog.
    #[cfg(unix)]
    #[test]
    fn known_tree_gives_pinned_hash() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let artifact = build(&dir(root.path(), &[])).unwrap();
        assert_eq!(
            artifact.sha256,
            "L/5osZOP8PssvHLHZQtl5PDzAOe0Ao9wyNuDhlEU+1s="
        );
    }

    #[cfg(unix)]
    #[test]
    fn exec_bit_is_kept_and_other_modes_are_normalised() {
        let root = tempfile::tempdir().unwrap();
        write_tree(
            root.path(),
            &[
                ("run", b"#!/bin/sh\n", 0o755),
                ("owner-exec", b"#!/bin/sh\n", 0o700),
                ("other-exec", b"x", 0o641),
                ("private", b"x", 0o600),
                ("plain", b"x", 0o644),
                ("world-writable", b"x", 0o666),
            ],
        );
        let artifact = build(&dir(root.path(), &[])).unwrap();
        let mut archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        let mode = |archive: &mut ZipArchive<_>, name: &str| {
            archive.by_name(name).unwrap().unix_mode().unwrap()
        };
        // 0o100000 is S_IFREG: a regular file.
        assert_eq!(mode(&mut archive, "run"), 0o100755);
        assert_eq!(mode(&mut archive, "owner-exec"), 0o100755);
        assert_eq!(mode(&mut archive, "other-exec"), 0o100755);
        assert_eq!(mode(&mut archive, "private"), 0o100644);
        assert_eq!(mode(&mut archive, "plain"), 0o100644);
        assert_eq!(mode(&mut archive, "world-writable"), 0o100644);
    }

    #[test]
    fn entries_are_sorted_by_path_bytes_with_no_directory_entries() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let artifact = build(&dir(root.path(), &[])).unwrap();
        assert_eq!(
            names(&artifact),
            ["B.txt", "a-b/c", "a.txt", "a/b.txt", "bin/run", "empty"]
        );
    }

    #[test]
    fn content_survives_the_round_trip() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let artifact = build(&dir(root.path(), &[])).unwrap();
        let mut archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        for (name, content, _) in TREE {
            let mut read = Vec::new();
            archive
                .by_name(name)
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(&read, content, "{name}");
        }
    }

    #[test]
    fn default_and_manifest_excludes_are_honoured() {
        let root = tempfile::tempdir().unwrap();
        write_tree(
            root.path(),
            &[
                ("app.py", b"x", 0o644),
                (".git/config", b"x", 0o644),
                ("vendor/.git", b"gitdir: /home/me/elsewhere\n", 0o644),
                ("pkg/__pycache__/mod.cpython-312.pyc", b"x", 0o644),
                ("pkg/mod.py", b"x", 0o644),
                ("pkg/old.pyc", b"x", 0o644),
                (".DS_Store", b"x", 0o644),
                ("pkg/.DS_Store", b"x", 0o644),
                (".lade/cache/0123.zip", b"x", 0o644),
                (".lade/.gitignore", b"*\n", 0o644),
                ("README.md", b"x", 0o644),
                ("docs/guide.md", b"x", 0o644),
                ("tests/test_app.py", b"x", 0o644),
                ("tests/data/big.bin", b"x", 0o644),
                ("src/tests/keep.py", b"x", 0o644),
                ("build/out", b"x", 0o644),
                (
                    "pkg/build",
                    b"a file, kept: `build/` is for directories",
                    0o644,
                ),
            ],
        );
        let artifact = build(&dir(root.path(), &["*.md", "tests/**", "build/"])).unwrap();
        assert_eq!(
            names(&artifact),
            ["app.py", "pkg/build", "pkg/mod.py", "src/tests/keep.py"]
        );
    }

    #[test]
    fn exclude_patterns_match_like_gitignore() {
        // (pattern, path, is a directory, excluded)
        let cases: &[(&str, &str, bool, bool)] = &[
            ("*.md", "README.md", false, true),
            ("*.md", "docs/deep/guide.md", false, true),
            ("*.md", "README.mdx", false, false),
            ("docs/*.md", "docs/guide.md", false, true),
            ("docs/*.md", "docs/deep/guide.md", false, false),
            ("docs/**/*.md", "docs/deep/guide.md", false, true),
            ("tests/**", "tests/a.py", false, true),
            ("tests/**", "tests/x/y/a.py", false, true),
            ("tests/**", "src/tests/a.py", false, false),
            ("tests", "tests", true, true),
            ("tests", "src/tests", true, true),
            ("/tests", "src/tests", true, false),
            ("/tests", "tests", true, true),
            ("./setup.py", "setup.py", false, true),
            ("./setup.py", "pkg/setup.py", false, false),
            ("build/", "build", true, true),
            ("build/", "build", false, false),
            ("node_modules", "web/node_modules", true, true),
            ("*.test.?s", "a/b.test.js", false, true),
            ("{a,b}.txt", "b.txt", false, true),
            ("Makefile", "makefile", false, false),
        ];
        let root = Path::new("root");
        for &(pattern, path, is_dir, excluded) in cases {
            let excludes = Excludes::new(root, &[pattern.to_string()]).unwrap();
            assert_eq!(
                excludes.is_excluded(path, is_dir),
                excluded,
                "pattern `{pattern}` on `{path}` (dir: {is_dir})"
            );
        }
    }

    #[test]
    fn invalid_exclude_patterns_are_refused() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        let message = error(&dir(root.path(), &["src/[a-"]));
        assert!(message.contains("exclude pattern `src/[a-`"), "{message}");
        assert!(
            message.contains("fix it in the function's `exclude:`"),
            "{message}"
        );
        let message = error(&dir(root.path(), &["!keep.md"]));
        assert!(message.contains("not supported"), "{message}");
        let message = error(&dir(root.path(), &["/"]));
        assert!(message.contains("matches no path"), "{message}");
    }

    #[test]
    fn sha256_is_lambdas_code_sha256_encoding() {
        // Known vectors, as `openssl dgst -sha256 -binary | base64` prints them.
        assert_eq!(
            code_sha256(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            code_sha256(b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );

        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let artifact = build(&dir(root.path(), &[])).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(artifact.bytes.as_slice()));
        assert_eq!(artifact.sha256, expected);
        assert_eq!(artifact.sha256.len(), 44);
    }

    /// A zip made by another tool: current timestamps, stored, and an extended timestamp.
    fn foreign_zip() -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .with_extended_timestamp(Some(1_700_000_000), None, None)
            .unwrap();
        zip.start_file("z/last.py", options.clone()).unwrap();
        zip.write_all(b"print('z')\n").unwrap();
        zip.start_file("a/first.py", options).unwrap();
        zip.write_all(b"print('a')\n").unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zip_source_passes_through_byte_for_byte() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("code.zip");
        let original = foreign_zip();
        fs::write(&path, &original).unwrap();
        let artifact = build(&Source::Zip { path }).unwrap();
        assert_eq!(*artifact.bytes, original);
        assert_eq!(artifact.sha256, code_sha256(&original));
        // Not re-sorted either.
        assert_eq!(names(&artifact), ["z/last.py", "a/first.py"]);
    }

    #[test]
    fn a_zip_source_that_is_not_a_zip_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("code.zip");
        fs::write(&path, b"def handler(event, context): pass\n").unwrap();
        let message = error(&Source::Zip { path: path.clone() });
        assert!(
            message.contains(&format!("`{}` is not a zip file", path.display())),
            "{message}"
        );
        assert!(message.contains("rebuild it as a zip"), "{message}");

        // Right signature, nothing after it.
        fs::write(&path, b"PK\x03\x04garbage").unwrap();
        let message = error(&Source::Zip { path: path.clone() });
        assert!(
            message.contains("starts like a zip but cannot be read"),
            "{message}"
        );

        let message = error(&Source::Zip {
            path: root.path().to_path_buf(),
        });
        assert!(message.contains("is not a zip file"), "{message}");
    }

    #[test]
    fn an_empty_zip_source_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("empty.zip");
        let empty = ZipWriter::new(Cursor::new(Vec::new()))
            .finish()
            .unwrap()
            .into_inner();
        assert!(empty.starts_with(b"PK\x05\x06"));
        fs::write(&path, &empty).unwrap();
        let message = error(&Source::Zip { path: path.clone() });
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("is an empty zip"), "{message}");
        assert!(
            message.contains("Lambda rejects an empty package"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_source_is_a_clear_error() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("nope");
        let message = error(&dir(&path, &[]));
        assert_eq!(
            message,
            format!(
                "source `{}` does not exist: check the function's `source:` in lade.yaml",
                path.display()
            )
        );
        let zip_path = root.path().join("nope.zip");
        let message = error(&Source::Zip {
            path: zip_path.clone(),
        });
        assert!(message.contains(&format!("source `{}` does not exist", zip_path.display())));
    }

    #[test]
    fn a_file_given_as_a_directory_is_a_clear_error() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("app.py");
        fs::write(&path, b"x").unwrap();
        let message = error(&dir(&path, &[]));
        assert!(message.contains("is not a directory"), "{message}");
    }

    #[test]
    fn an_empty_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("only/dirs")).unwrap();
        let message = error(&dir(root.path(), &[]));
        assert!(message.contains(&format!(
            "`{}` has no files to package",
            root.path().display()
        )));
        assert!(
            message.contains("Lambda rejects an empty package"),
            "{message}"
        );

        // Empty once the excludes are applied.
        write_tree(
            root.path(),
            &[(".DS_Store", b"x", 0o644), ("notes.md", b"x", 0o644)],
        );
        let message = error(&dir(root.path(), &["*.md"]));
        assert!(
            message.contains("has no files to package after excludes"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_to_files_and_directories_are_followed() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        write_tree(outside.path(), &[("shared/util.py", b"shared\n", 0o755)]);
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        symlink(
            outside.path().join("shared/util.py"),
            root.path().join("util.py"),
        )
        .unwrap();
        symlink(outside.path().join("shared"), root.path().join("lib")).unwrap();
        let artifact = build(&dir(root.path(), &[])).unwrap();
        assert_eq!(names(&artifact), ["app.py", "lib/util.py", "util.py"]);
        let mut archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        let mut file = archive.by_name("util.py").unwrap();
        assert_eq!(file.unix_mode(), Some(0o100755));
        let mut content = String::new();
        file.read_to_string(&mut content).unwrap();
        assert_eq!(content, "shared\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_a_clear_error() {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("pkg/mod.py", b"x", 0o644)]);
        symlink("..", root.path().join("pkg/up")).unwrap();
        let message = error(&dir(root.path(), &[]));
        let link = root.path().join("pkg/up");
        assert!(
            message.contains(&format!("`{}` is a symbolic link loop", link.display())),
            "{message}"
        );
        assert!(
            message.contains("add it to the function's `exclude:`"),
            "{message}"
        );

        // And excluding it is indeed the way out.
        let artifact = build(&dir(root.path(), &["pkg/up"])).unwrap();
        assert_eq!(names(&artifact), ["pkg/mod.py"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_itself_or_to_nothing_is_a_clear_error() {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        symlink("missing.py", root.path().join("dangling.py")).unwrap();
        let message = error(&dir(root.path(), &[]));
        let link = root.path().join("dangling.py");
        assert!(
            message.contains(&format!(
                "`{}` is a symbolic link that cannot be followed",
                link.display()
            )),
            "{message}"
        );

        fs::remove_file(&link).unwrap();
        symlink("self", root.path().join("self")).unwrap();
        let message = error(&dir(root.path(), &[]));
        assert!(
            message.contains("self` is a symbolic link that cannot be followed"),
            "{message}"
        );

        // An excluded broken link is not looked at.
        let artifact = build(&dir(root.path(), &["self"])).unwrap();
        assert_eq!(names(&artifact), ["app.py"]);
    }

    #[test]
    fn limits_allow_exactly_the_limit_and_refuse_one_byte_more() {
        assert_eq!(MAX_ZIPPED_BYTES, 50 * 1024 * 1024);
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
            "the package for `src` is 52,428,801 bytes (50.0 MB) zipped, over Lambda's limit of \
             52,428,800 bytes (50.0 MB) for a direct upload; add files the function does not \
             need at run time (tests, docs, build tools) to its `exclude:`, or move large \
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

    #[test]
    fn a_directory_over_the_limits_is_refused() {
        let root = tempfile::tempdir().unwrap();
        // Incompressible enough that the zip is bigger than 600 bytes.
        let noise: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        write_tree(
            root.path(),
            &[("a.bin", &noise, 0o644), ("b.txt", b"hello", 0o644)],
        );

        let unzipped = Limits {
            zipped: u64::MAX,
            unzipped: 1004,
        };
        let err = build_with_limits(&dir(root.path(), &[]), unzipped).unwrap_err();
        assert!(
            matches!(
                err,
                PackageError::UnzippedTooLarge {
                    size: 1005,
                    limit: 1004,
                    ..
                }
            ),
            "{err}"
        );
        let fits = Limits {
            zipped: u64::MAX,
            unzipped: 1005,
        };
        assert!(build_with_limits(&dir(root.path(), &[]), fits).is_ok());

        let zipped = Limits {
            zipped: 600,
            unzipped: u64::MAX,
        };
        let err = build_with_limits(&dir(root.path(), &[]), zipped).unwrap_err();
        assert!(
            matches!(err, PackageError::ZippedTooLarge { limit: 600, .. }),
            "{err}"
        );
        // Excluding the big file is the advice, and it works.
        assert!(build_with_limits(&dir(root.path(), &["*.bin"]), zipped).is_ok());
    }

    #[test]
    fn a_zip_over_the_limits_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("code.zip");
        let bytes = foreign_zip();
        fs::write(&path, &bytes).unwrap();
        let source = Source::Zip { path: path.clone() };
        let size = bytes.len() as u64;

        let err = build_with_limits(
            &source,
            Limits {
                zipped: size - 1,
                unzipped: u64::MAX,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, PackageError::ZippedTooLarge { size: s, .. } if s == size),
            "{err}"
        );

        // Two entries of 11 bytes each, read from the central directory.
        let err = build_with_limits(
            &source,
            Limits {
                zipped: size,
                unzipped: 21,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, PackageError::UnzippedTooLarge { size: 22, .. }),
            "{err}"
        );
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(
            build_with_limits(
                &source,
                Limits {
                    zipped: size,
                    unzipped: 22
                }
            )
            .is_ok()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_is_a_clear_error_unless_excluded() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        let socket = root.path().join("debug.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let message = error(&dir(root.path(), &[]));
        assert!(
            message.contains(&format!("`{}` is not a regular file", socket.display())),
            "{message}"
        );
        let artifact = build(&dir(root.path(), &["*.sock"])).unwrap();
        assert_eq!(names(&artifact), ["app.py"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_name_that_is_not_utf8_is_a_clear_error() {
        use std::os::unix::ffi::OsStrExt;
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        let bad = root.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
        fs::write(&bad, b"x").unwrap();
        let message = error(&dir(root.path(), &[]));
        assert!(
            message.contains("has a name that is not valid UTF-8"),
            "{message}"
        );
        assert!(message.contains("caf"), "{message}");
        let artifact = build(&dir(root.path(), &["caf*.py"])).unwrap();
        assert_eq!(names(&artifact), ["app.py"]);
    }

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
                "the package for `functions/api` is 60,000,000 bytes (57.2 MB) zipped, over Lambda's limit of 52,428,800 bytes (50.0 MB) for a direct upload; add files the function does not need at run time (tests, docs, build tools) to its `exclude:`, or move large dependencies into a Lambda layer",
                "the package for `dist/api.zip` is 300,000,000 bytes (286.1 MB) unzipped, over Lambda's unzipped limit of 262,144,000 bytes (250.0 MB), which counts the function's layers too; add files the function does not need at run time (tests, docs, build tools) to its `exclude:`, or ship the function as a container image",
            ]
        );
    }

    /// A tree big enough to be compressed in parallel: many small files in nested
    /// directories, a few large ones (repetitive and noisy), an executable and an
    /// empty file.
    fn big_tree(root: &Path) {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut noise = |len: usize| -> Vec<u8> {
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    b"abcdefgh \n"[(state % 10) as usize]
                })
                .collect()
        };
        for i in 0..150 {
            let name = format!("pkg{}/mod{i:03}.py", i % 7);
            let content = format!("def f{i}():\n    return {i}\n").repeat(i % 13 + 1);
            write_tree(root, &[(&name, content.as_bytes(), 0o644)]);
        }
        for i in 0..3 {
            let content = noise(1_500_000 + i * 7);
            write_tree(root, &[(&format!("data/blob{i}.bin"), &content, 0o644)]);
        }
        let repeated = b"0123456789".repeat(300_000);
        write_tree(
            root,
            &[
                ("data/zeros.txt", &repeated, 0o600),
                ("bin/bootstrap", b"#!/bin/sh\nexec python3 app.py\n", 0o755),
                ("empty", b"", 0o644),
            ],
        );
    }

    #[test]
    fn parallel_and_serial_builds_give_identical_bytes() {
        let root = tempfile::tempdir().unwrap();
        big_tree(root.path());
        let entries = collect(root.path(), &Excludes::new(root.path(), &[]).unwrap()).unwrap();
        assert!(entries.len() > PARALLEL_MIN_FILES);
        let serial = zip_serial(root.path(), &entries).unwrap();
        for threads in [2, 3, 8] {
            let parallel = zip_parallel(root.path(), &entries, threads).unwrap();
            assert!(parallel == serial, "{threads} threads differ from one");
        }
        // `build` picks the parallel path for this tree (on a machine with more than one
        // core), and its zip is still the serial one.
        let artifact = build(&dir(root.path(), &[])).unwrap();
        assert!(*artifact.bytes == serial);
        let mut archive = ZipArchive::new(Cursor::new(artifact.bytes.as_slice())).unwrap();
        assert_eq!(
            archive.by_name("bin/bootstrap").unwrap().unix_mode(),
            Some(0o100755)
        );
        let mut blob = Vec::new();
        archive
            .by_name("data/blob2.bin")
            .unwrap()
            .read_to_end(&mut blob)
            .unwrap();
        assert_eq!(blob, fs::read(root.path().join("data/blob2.bin")).unwrap());
    }

    #[test]
    fn a_parallel_build_reports_an_unreadable_file() {
        let root = tempfile::tempdir().unwrap();
        big_tree(root.path());
        let mut entries = collect(root.path(), &Excludes::new(root.path(), &[]).unwrap()).unwrap();
        entries[40].path = root.path().join("gone.py");
        let err = zip_parallel(root.path(), &entries, 2).unwrap_err();
        assert!(
            matches!(&err, PackageError::Io { path, .. } if path.ends_with("gone.py")),
            "{err}"
        );
    }

    #[test]
    fn functions_that_share_a_source_are_packaged_once() {
        let root = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let other = tempfile::tempdir().unwrap();
        write_tree(other.path(), &[("app.py", b"other", 0o644)]);
        let shared = dir(root.path(), &[]);
        let excluded = dir(root.path(), &["*.txt"]);
        let elsewhere = dir(other.path(), &[]);
        let missing = dir(&root.path().join("missing"), &[]);
        let sources = [
            &shared, &elsewhere, &shared, &excluded, &shared, &missing, &missing,
        ];
        let results = build_all(&sources, None);
        let artifact = |i: usize| results[i].as_ref().unwrap();
        // The same allocation: built once, not built three times the same.
        assert!(Arc::ptr_eq(&artifact(0).bytes, &artifact(2).bytes));
        assert!(Arc::ptr_eq(&artifact(0).bytes, &artifact(4).bytes));
        assert_eq!(*artifact(0), build(&shared).unwrap());
        // Different excludes or directories are different packages.
        assert_ne!(artifact(0).sha256, artifact(3).sha256);
        assert_eq!(*artifact(1), build(&elsewhere).unwrap());
        let (Err(one), Err(two)) = (&results[5], &results[6]) else {
            panic!("a missing source must fail");
        };
        assert!(Arc::ptr_eq(one, two));
        assert!(one.to_string().contains("does not exist"), "{one}");
    }

    /// Builds `source` through `cache` and says whether the zip came from it, by
    /// planting a different (valid) zip with as many entries under every key first.
    fn build_through(cache: &Cache, source: &Source) -> (Artifact, bool) {
        let planted = |bytes: &[u8]| {
            let count = ZipArchive::new(Cursor::new(bytes)).unwrap().len();
            let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
            for i in 0..count {
                zip.start_file(format!("planted{i}"), SimpleFileOptions::DEFAULT)
                    .unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        if let Ok(listing) = fs::read_dir(cache.dir()) {
            for file in listing {
                let path = file.unwrap().path();
                let bytes = fs::read(&path).unwrap();
                fs::write(&path, planted(&bytes)).unwrap();
            }
        }
        let artifact = build_all(&[source], Some(cache)).pop().unwrap().unwrap();
        let hit = names(&artifact).iter().all(|n| n.starts_with("planted"));
        (artifact, hit)
    }

    #[test]
    fn the_cache_serves_an_unchanged_tree_and_misses_any_change() {
        let root = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let source = dir(root.path(), &[]);
        let cache = Cache::next_to(&work.path().join("lade.yaml"));
        assert_eq!(cache.dir(), work.path().join(".lade/cache"));

        let (first, hit) = build_through(&cache, &source);
        assert!(!hit);
        assert_eq!(
            first,
            build(&source).unwrap(),
            "a cached build is the same zip"
        );
        assert_eq!(fs::read_dir(cache.dir()).unwrap().count(), 1);
        let ignore = fs::read_to_string(work.path().join(".lade/.gitignore")).unwrap();
        assert!(ignore.ends_with("*\n"), "{ignore}");
        let (_, hit) = build_through(&cache, &source);
        assert!(hit, "an unchanged tree comes from the cache");

        // Each change is a miss, and then the fresh zip is served.
        let file = root.path().join("a/b.txt");
        let mtime = fs::metadata(&file).unwrap().modified().unwrap();
        type Change<'a> = (&'a str, Box<dyn Fn() + 'a>);
        let changes: Vec<Change> = vec![
            (
                "the content, with the same size and mtime",
                Box::new(|| {
                    fs::write(&file, b"NESTED\n").unwrap();
                    File::options()
                        .write(true)
                        .open(&file)
                        .unwrap()
                        .set_modified(mtime)
                        .unwrap();
                }),
            ),
            #[cfg(unix)]
            ("the execute bit", Box::new(|| set_mode(&file, 0o744))),
            (
                "the name",
                Box::new(|| fs::rename(&file, root.path().join("a/c.txt")).unwrap()),
            ),
            (
                "a new file",
                Box::new(|| write_tree(root.path(), &[("new.py", b"x", 0o644)])),
            ),
            (
                "a removed file",
                Box::new(|| fs::remove_file(root.path().join("empty")).unwrap()),
            ),
        ];
        for (what, change) in changes {
            change();
            let (artifact, hit) = build_through(&cache, &source);
            assert!(!hit, "a change to {what} must miss the cache");
            assert_eq!(artifact, build(&source).unwrap(), "after {what}");
            let (_, hit) = build_through(&cache, &source);
            assert!(hit, "after {what}, the new zip is cached");
        }
    }

    #[test]
    fn a_damaged_cache_entry_is_ignored_and_replaced() {
        let root = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        write_tree(root.path(), TREE);
        let source = dir(root.path(), &[]);
        let cache = Cache::new(work.path().join("cache"));
        let expected = build(&source).unwrap();
        build_all(&[&source], Some(&cache)).pop().unwrap().unwrap();
        let entry = fs::read_dir(cache.dir())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        for damage in [
            &b"not a zip"[..],
            &expected.bytes[..expected.bytes.len() / 2],
        ] {
            fs::write(&entry, damage).unwrap();
            let artifact = build_all(&[&source], Some(&cache)).pop().unwrap().unwrap();
            assert_eq!(artifact, expected);
            assert!(fs::read(&entry).unwrap() == *expected.bytes);
        }
        // A cache that cannot be written costs only the compression.
        let blocked = Cache::new(root.path().join("app.py/cache"));
        write_tree(root.path(), &[("app.py", b"x", 0o644)]);
        assert!(build_all(&[&source], Some(&blocked))[0].is_ok());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human(0), "0 bytes (0.0 MB)");
        assert_eq!(human(999), "999 bytes (0.0 MB)");
        assert_eq!(human(1000), "1,000 bytes (0.0 MB)");
        assert_eq!(human(52_428_800), "52,428,800 bytes (50.0 MB)");
    }
}
