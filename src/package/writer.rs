//! The deterministic zip writer: the bytes of an archive for a sorted list of files,
//! compressed on one thread or on several, byte-identical either way.
//!
//! This file owns how an entry is written (the options that make a zip the same on any
//! machine, listed in the module docs of `package`) and how the parallel writer copies
//! single-entry zips raw into the archive in order. It never chooses which files go in
//! (that is `walk.rs`), whether to go parallel (that is `zip_dir` in `mod.rs`), or
//! whether a zip is cached (that is `cache.rs`), and it checks no size limit.

use std::fs;
use std::io::{Cursor, Write as _};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use super::walk::Entry;
use super::{DEFLATE_LEVEL, PackageError};

/// The options every entry is written with; only the mode varies.
pub(super) fn entry_options(entry: &Entry) -> SimpleFileOptions {
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
pub(super) fn zip_serial(root: &Path, entries: &[Entry]) -> Result<Vec<u8>, PackageError> {
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
pub(super) fn zip_parallel(
    root: &Path,
    entries: &[Entry],
    threads: usize,
) -> Result<Vec<u8>, PackageError> {
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
