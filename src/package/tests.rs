//! Tests that build whole packages through [`build`] and [`build_all`]: determinism,
//! excludes, symbolic links, `.zip` sources, limits, the parallel writer and the
//! cache. Tests of one file's own logic (patterns, limits, messages) sit in that file.

use std::fs::{self, File};
use std::io::{Cursor, Read, Write};
use std::time::{Duration, SystemTime};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use super::*;

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
    let expected =
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(artifact.bytes.as_slice()));
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
