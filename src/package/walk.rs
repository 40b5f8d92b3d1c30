//! The files a directory source puts in its package: walking the tree, following
//! symbolic links, leaving excluded paths out, and naming each entry.
//!
//! This file owns which files go in, under which names, in which order, with which
//! execute bit and size: the [`Entry`] list, sorted by name. It never reads a file's
//! content (the zip writer and the cache key do) and never decides what a pattern
//! matches (that is `exclude.rs`).

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use super::PackageError;
use super::exclude::Excludes;

/// One file to package.
pub(super) struct Entry {
    /// Relative to the source root, `/`-separated: the entry's name in the zip.
    pub(super) name: String,
    /// Where to read it (the link's path, for a followed link).
    pub(super) path: PathBuf,
    pub(super) executable: bool,
    pub(super) size: u64,
}

/// Walks `root` and returns the files to package, sorted by name.
pub(super) fn collect(root: &Path, excludes: &Excludes) -> Result<Vec<Entry>, PackageError> {
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
