//! The content cache in `.lade/cache/`: zips built before, kept by the hash of what
//! went into them, so an unchanged tree is not compressed again on the next run.
//!
//! This file owns the cache's key (every file's name, mode, size and content, and the
//! encoder's fingerprint), its files on disk, and their atomic writes. It never decides
//! what goes in a zip or how it is written (it hashes the [`Entry`] list the walk gives
//! and the writer's own options), and a failure in it is never an error: the cache is
//! best effort.

use std::fs::{self, File};
use std::io::{self, Cursor, Read as _, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::{ZipArchive, ZipWriter};

use super::walk::Entry;
use super::writer::entry_options;
use super::{DEFLATE_LEVEL, PackageError};

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
    pub(super) fn get(&self, key: &str, entries: usize) -> Option<Vec<u8>> {
        let bytes = fs::read(self.path(key)).ok()?;
        let archive = ZipArchive::new(Cursor::new(bytes.as_slice())).ok()?;
        (archive.len() == entries).then_some(())?;
        drop(archive);
        Some(bytes)
    }

    /// Stores `bytes` under `key`; failures are ignored (see the type's docs).
    pub(super) fn put(&self, key: &str, bytes: &[u8]) {
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
pub(super) fn cache_key(entries: &[Entry]) -> Result<String, PackageError> {
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
