//! What a package holds, file by file, so that a plan can say which files a code
//! change adds, removes or modifies.
//!
//! Lambda reports only the deployed package's hash (`CodeSha256`), not its files.
//! Each time lade builds a package it keeps the package's listing (entry names and
//! CRC-32s) in `.lade/cache/listings/`, named by that hash; a later plan that finds
//! the same hash deployed compares the listings. A package built elsewhere (another
//! machine, a CI runner, by hand) has no listing here, and the plan says so.

use std::collections::BTreeMap;
use std::fs;
use std::io::Cursor;

use serde::{Deserialize, Serialize};
use zip::ZipArchive;

use super::Cache;

/// A package's files: entry name → CRC-32 of its content.
pub type Listing = BTreeMap<String, u32>;

/// The files of the zip `bytes` (directories left out); `None` if it is not a zip.
pub fn listing(bytes: &[u8]) -> Option<Listing> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut files = Listing::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).ok()?;
        if !entry.is_dir() {
            files.insert(entry.name().ok()?.into_owned(), entry.crc32());
        }
    }
    Some(files)
}

/// How a code change changes the package's files, as far as lade can know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "known", rename_all = "snake_case")]
pub enum CodeFiles {
    /// A new function: every file of its package.
    New { files: Vec<String> },
    /// Against the deployed package, whose listing lade kept when it built it.
    Changed {
        added: Vec<String>,
        removed: Vec<String>,
        modified: Vec<String>,
    },
    /// The deployed package was not built here: only its hash is known. `files` is
    /// how many the new package has.
    OnlyNew { files: usize },
}

impl CodeFiles {
    /// From the new package's listing and the deployed one's, if known; `None` for a
    /// function that has no package yet.
    pub fn compare(new: &Listing, old: Option<Option<&Listing>>) -> CodeFiles {
        match old {
            None => CodeFiles::New {
                files: new.keys().cloned().collect(),
            },
            Some(None) => CodeFiles::OnlyNew { files: new.len() },
            Some(Some(old)) => CodeFiles::Changed {
                added: new
                    .keys()
                    .filter(|k| !old.contains_key(*k))
                    .cloned()
                    .collect(),
                removed: old
                    .keys()
                    .filter(|k| !new.contains_key(*k))
                    .cloned()
                    .collect(),
                modified: new
                    .iter()
                    .filter(|(k, crc)| old.get(*k).is_some_and(|c| c != *crc))
                    .map(|(k, _)| k.clone())
                    .collect(),
            },
        }
    }
}

impl Cache {
    fn listing_path(&self, code_sha256: &str) -> std::path::PathBuf {
        // Base64 has `/`: the URL-safe alphabet makes it a file name.
        let name = code_sha256.replace('/', "_").replace('+', "-");
        self.dir().join("listings").join(name)
    }

    /// Keeps `listing` as the files of the package whose `CodeSha256` is
    /// `code_sha256`. Best effort, like the rest of the cache.
    pub fn keep_listing(&self, code_sha256: &str, listing: &Listing) {
        let path = self.listing_path(code_sha256);
        if path.exists() {
            return;
        }
        let text: String = listing
            .iter()
            .map(|(name, crc)| format!("{crc:08x} {name}\n"))
            .collect();
        let Some(dir) = path.parent() else { return };
        let temporary = dir.join(format!(".listing.{}.tmp", std::process::id()));
        let kept = fs::create_dir_all(dir)
            .and_then(|()| fs::write(&temporary, text))
            .and_then(|()| fs::rename(&temporary, &path));
        if kept.is_err() {
            let _ = fs::remove_file(&temporary);
        }
    }

    /// The listing kept for the package whose `CodeSha256` is `code_sha256`.
    pub fn listing(&self, code_sha256: &str) -> Option<Listing> {
        let text = fs::read_to_string(self.listing_path(code_sha256)).ok()?;
        text.lines()
            .map(|line| {
                let (crc, name) = line.split_once(' ')?;
                Some((name.to_owned(), u32::from_str_radix(crc, 16).ok()?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_added_removed_and_modified_files() {
        let old = Listing::from([("a.py".into(), 1), ("b.py".into(), 2), ("c.py".into(), 3)]);
        let new = Listing::from([("a.py".into(), 1), ("b.py".into(), 9), ("d.py".into(), 4)]);
        assert_eq!(
            CodeFiles::compare(&new, Some(Some(&old))),
            CodeFiles::Changed {
                added: vec!["d.py".into()],
                removed: vec!["c.py".into()],
                modified: vec!["b.py".into()],
            }
        );
        assert_eq!(
            CodeFiles::compare(&new, Some(None)),
            CodeFiles::OnlyNew { files: 3 }
        );
        assert_eq!(
            CodeFiles::compare(&new, None),
            CodeFiles::New {
                files: vec!["a.py".into(), "b.py".into(), "d.py".into()]
            }
        );
    }

    #[test]
    fn a_listing_kept_reads_back_by_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let listing = Listing::from([("app.py".into(), 0xdead_beef), ("lib/x y.py".into(), 7)]);
        cache.keep_listing("ab+/cd==", &listing);
        assert_eq!(cache.listing("ab+/cd=="), Some(listing));
        assert_eq!(cache.listing("other="), None);
    }
}
