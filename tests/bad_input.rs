//! The bad-input catalogue: every way a manifest (or what it points at) can be wrong,
//! run through the real binary, as a person would meet it.
//!
//! Each case is one file in `tests/bad-manifests/` (its first line says what it
//! shows), or, when it cannot be a small static file (50 MB, binary, a directory, a
//! symlink loop, an oversized package), is generated below into a temp dir. For each
//! case, every command that reads the manifest (`plan`, `validate`, `apply --yes`,
//! `destroy --yes`; `plan` and `apply --yes` for packaging errors, which only they
//! meet) must
//!
//! - exit with code 1,
//! - print the same message, snapshotted once per case in
//!   `tests/bad-manifests/snapshots/` (review them by eye: they are the product),
//! - send **no request** to AWS: each command runs against its own counting proxy in
//!   front of moto, and the proxy must have seen nothing (DESIGN.md, invariant 8),
//! - and stay within a memory limit ([`MEMORY_LIMIT`], set on the child with
//!   `setrlimit`), so an alias bomb that expanded, or a 50 MB manifest read whole,
//!   would fail the case instead of passing slowly.
//!
//! A valid manifest through the same harness does make requests, so the zero is not
//! vacuous.
//!
//! Linux only: RLIMIT_DATA counts every private writable mapping (large allocations
//! included) from Linux 4.7 on; other systems count less, or nothing.

#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::proxy::{Faults, Proxy};

/// The most memory (RLIMIT_DATA: heap and private writable mappings) a `lade` child may
/// use. A whole valid `plan` needs less than 6 MB of it; reading a 50 MB manifest
/// whole, or expanding an alias bomb, needs more ([`the_memory_limit_bites`]).
const MEMORY_LIMIT: u64 = 32 * MIB;

const MIB: u64 = 1024 * 1024;

/// Which commands meet the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meets {
    /// A manifest error: every command that reads the manifest.
    Loading,
    /// A packaging error: only the commands that build packages (`validate` looks at
    /// no file contents, and `destroy` uploads nothing).
    Packaging,
}

impl Meets {
    fn commands(self) -> &'static [&'static [&'static str]] {
        match self {
            Meets::Loading => &[
                &["plan"],
                &["validate"],
                &["apply", "--yes"],
                &["destroy", "--yes"],
            ],
            Meets::Packaging => &[&["plan"], &["apply", "--yes"]],
        }
    }
}

/// One bad input: a project directory (with `src/app.py` and usually `lade.yaml`) and
/// the extra arguments that point lade at it.
struct Case {
    name: String,
    /// What the case shows, for the snapshot's description.
    about: String,
    dir: tempfile::TempDir,
    args: Vec<String>,
    meets: Meets,
    /// RLIMIT_DATA for the child.
    memory: u64,
    /// A thread feeding a FIFO, stopped after the case.
    feeder: Option<Feeder>,
}

impl Case {
    /// A project directory with `src/app.py`, and `manifest` as `lade.yaml`.
    fn new(name: &str, about: &str, manifest: &[u8]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/app.py"),
            "def handler(event, context):\n    return 'ok'\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("lade.yaml"), manifest).unwrap();
        Case {
            name: name.to_owned(),
            about: about.to_owned(),
            dir,
            args: Vec::new(),
            meets: Meets::Loading,
            memory: MEMORY_LIMIT,
            feeder: None,
        }
    }

    /// A case from `tests/bad-manifests/<file>`.
    fn file(path: &Path) -> Case {
        let text = std::fs::read_to_string(path).unwrap();
        let about = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .unwrap_or_else(|| panic!("{} starts with a `# what it shows` line", path.display()));
        let name = path.file_stem().unwrap().to_str().unwrap();
        Case::new(name, about, text.as_bytes())
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn args(mut self, args: &[&str]) -> Case {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    fn packaging(mut self) -> Case {
        self.meets = Meets::Packaging;
        self
    }

    /// A higher memory limit, for a case that must really zip a large file.
    fn memory(mut self, bytes: u64) -> Case {
        self.memory = bytes;
        self
    }

    /// Runs every command the case meets, each through its own proxy, and checks the
    /// exit code, the request count and that they all say the same; returns what they
    /// said.
    fn run(mut self) -> Outcome {
        let mut stderr: Option<(String, String)> = None;
        let mut problems = Vec::new();
        for command in self.meets.commands() {
            let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
            let output = lade(self.path(), command, &self.args, &proxy, self.memory);
            let shown = command.join(" ");
            let text = String::from_utf8_lossy(&output.stderr)
                .replace(&format!("{}/", self.path().display()), "[TEMP]/")
                .replace(&self.path().display().to_string(), "[TEMP]");
            if output.status.code() != Some(1) {
                problems.push(format!(
                    "`lade {shown}` exited with {:?}, not 1 (a signal or abort means it ran out of memory or crashed):\n{text}",
                    output.status
                ));
            }
            if !text.ends_with('\n') {
                problems.push(format!(
                    "`lade {shown}` did not end its message with a newline"
                ));
            }
            let requests = proxy.request_count();
            if requests != 0 {
                problems.push(format!(
                    "`lade {shown}` sent {requests} request(s) to AWS: {:?}",
                    proxy.requests()
                ));
            }
            match &stderr {
                None => stderr = Some((shown, text)),
                Some((first, said)) if *said != text => problems.push(format!(
                    "`lade {shown}` said something else than `lade {first}`:\n{text}"
                )),
                Some(_) => {}
            }
        }
        if let Some(feeder) = self.feeder.take() {
            feeder.stop();
        }
        Outcome {
            name: self.name,
            about: self.about,
            stderr: stderr.map(|(_, text)| text).unwrap_or_default(),
            problems,
        }
    }
}

struct Outcome {
    name: String,
    about: String,
    stderr: String,
    problems: Vec<String>,
}

/// Runs `lade <command> <args>` in `dir` through `proxy`, within `memory` bytes.
fn lade(
    dir: &Path,
    command: &[&str],
    args: &[String],
    proxy: &Proxy,
    memory: u64,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lade"));
    child
        .args(command)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("LADE_STAGE")
        .env("NO_COLOR", "1")
        .envs(proxy.env());
    limit_memory(&mut child, memory);
    child.output().unwrap()
}

/// Sets RLIMIT_DATA on the child: past it, allocations fail and lade aborts, which
/// the case reports as a crash.
fn limit_memory(command: &mut Command, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: the closure runs in the forked child before exec, and only calls
    // setrlimit, which is async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Runs the cases on a few threads, then checks and snapshots each; reports every
/// failing case, not just the first.
fn check(cases: Vec<Case>) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let queue = std::sync::Mutex::new(cases.into_iter().collect::<Vec<_>>());
    let mut outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().unwrap().pop();
                        match next {
                            Some(case) => done.push(case.run()),
                            None => return done,
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));

    let mut failed = Vec::new();
    for outcome in &outcomes {
        for problem in &outcome.problems {
            failed.push(format!("{}: {problem}", outcome.name));
        }
        let snapshot = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => "bad-manifests/snapshots",
                prepend_module_to_snapshot => false,
                description => outcome.about.as_str(),
                omit_expression => true,
            }, {
                insta::assert_snapshot!(outcome.name.as_str(), outcome.stderr);
            });
        });
        if snapshot.is_err() {
            failed.push(format!(
                "{}: the message differs from its snapshot",
                outcome.name
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} problem(s):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// Every file in `tests/bad-manifests/`.
#[test]
fn static_catalogue() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the catalogue has at least 40 files");
    check(files.iter().map(|f| Case::file(f)).collect());
}

/// What cannot be a small static file: sizes, bytes that are not text, the file
/// system's odd corners.
#[test]
fn generated_manifests() {
    let mut cases = vec![
        Case::new("80-empty-file", "Empty: a manifest of zero bytes.", b""),
        fifty_megabytes(),
        Case::new(
            "82-manifest-is-dev-zero",
            "Size: a device that never ends (`/dev/zero`) is read only up to the limit.",
            b"",
        )
        .args(&["-f", "/dev/zero"]),
        endless_pipe(),
        Case::new(
            "84-binary-junk",
            "Binary junk: bytes that are not text at all.",
            &junk(4096),
        ),
        Case::new(
            "85-not-utf8",
            "Encoding: Latin-1 text, not UTF-8 (an `é` as the single byte 0xE9).",
            b"project: shop\nfunctions:\n  api:\n    description: caf\xe9 menu\n",
        ),
        Case::new(
            "86-utf16",
            "Encoding: UTF-16 text with a byte order mark, as some editors save it.",
            &utf16("project: shop\n"),
        ),
        Case::new(
            "87-manifest-is-a-directory",
            "Paths: a directory given as the manifest.",
            b"",
        )
        .args(&["-f", "src"]),
        Case::new(
            "88-manifest-does-not-exist",
            "Paths: a manifest path that does not exist.",
            b"",
        )
        .args(&["-f", "nowhere.yaml"]),
        Case::new(
            "91-invalid-stage-override",
            "Names: a `--stage` that is not a valid stage name; there is no line to point at.",
            valid("shop").as_bytes(),
        )
        .args(&["--stage", "Prod"]),
        Case::new(
            "92-var-file-does-not-exist",
            "Paths: a `--var-file` that does not exist.",
            valid("shop").as_bytes(),
        )
        .args(&["--var-file", "vars.yaml"]),
        Case::new(
            "93-crlf-line-endings",
            "Line endings: a Windows (CRLF) file still gets the right line and a clean quote.",
            b"project: shop\r\nfunctions:\r\n  api:\r\n    source: ./src\r\n    handler: app.handler\r\n    runtime: python3.12\r\n    role: arn:aws:iam::123456789012:role/existing\r\n    memory: 64\r\n",
        ),
    ];
    cases.push(manifest_symlink_loop());
    cases.push(source_symlink_loop());
    cases.push(symlink_loop_inside_source());
    check(cases);
}

/// Packages Lambda would refuse, refused before any upload, and cheaply: sizes come
/// from metadata where they can.
#[test]
fn oversized_packages() {
    check(vec![
        unzipped_over_250_mb(),
        zipped_over_50_mb(),
        zip_file_over_50_mb(),
        zip_file_unzipping_over_250_mb(),
    ]);
}

/// The zero above is not vacuous: a valid manifest through the same harness (proxy,
/// memory limit) does reach AWS.
#[test]
fn a_valid_manifest_does_reach_aws() {
    // With a role of its own: a role ARN that does not exist fails the plan (a check
    // against the account, after the manifest validated).
    let manifest = valid(&support::unique("bad")).replace(
        "role: arn:aws:iam::123456789012:role/existing",
        "role: app\nroles:\n  app: {}",
    );
    let case = Case::new("valid", "", manifest.as_bytes());
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    let output = lade(case.path(), &["plan"], &[], &proxy, MEMORY_LIMIT);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        proxy.request_count() > 0,
        "a plan reads the account, so the proxy sees requests"
    );
}

/// The limit is real: under it, lade cannot even hold a 50 MB file it has to read
/// (the zipped-over-50-MB case, which must read the file to zip it), and says so.
#[test]
fn the_memory_limit_bites() {
    let case = zipped_over_50_mb();
    let proxy = Proxy::start(support::moto().endpoint(), Faults::none());
    let output = lade(case.path(), &["plan"], &[], &proxy, MEMORY_LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("out of memory"),
        "{:?}\n{stderr}",
        output.status
    );
    assert_eq!(proxy.request_count(), 0);
}

/// A manifest that loads; cases break it some other way.
const VALID: &str = "project: {project}
functions:
  api:
    source: ./src
    handler: app.handler
    runtime: python3.12
    role: arn:aws:iam::123456789012:role/existing
";

fn valid(project: &str) -> String {
    VALID.replace("{project}", project)
}

/// 50 MB of real YAML: a valid manifest followed by comment lines.
fn fifty_megabytes() -> Case {
    let case = Case::new(
        "81-manifest-50-mb",
        "Size: a 50 MB manifest is refused by its size, before it is read.",
        b"",
    );
    let mut text = valid("shop");
    let line = "# padding padding padding padding padding padding padding padding\n";
    text.reserve(50 * MIB as usize);
    while text.len() < 50 * MIB as usize {
        text.push_str(line);
    }
    std::fs::write(case.path().join("lade.yaml"), text).unwrap();
    case
}

/// A FIFO fed forever, like `lade plan -f <(yes)`.
fn endless_pipe() -> Case {
    let mut case = Case::new(
        "83-manifest-is-an-endless-pipe",
        "Size: a pipe that never ends is read only up to the limit.",
        b"",
    )
    .args(&["-f", "pipe.yaml"]);
    let fifo = case.path().join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo {}", fifo.display());
    case.feeder = Some(Feeder::start(fifo));
    case
}

/// Writes comment lines into a FIFO for as long as anyone reads it, reopening it for
/// each reader.
struct Feeder {
    fifo: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Feeder {
    fn start(fifo: PathBuf) -> Feeder {
        use std::io::Write as _;
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (fifo, stop) = (fifo.clone(), stop.clone());
            move || {
                let line = b"# endless\n".repeat(4096);
                while !stop.load(Ordering::SeqCst) {
                    // Blocks until a reader opens the FIFO; writing fails (EPIPE: Rust
                    // ignores SIGPIPE) once it closes its end.
                    let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&fifo) else {
                        return;
                    };
                    while pipe.write_all(&line).is_ok() {}
                }
            }
        });
        Feeder { fifo, stop, thread }
    }

    /// Stops the writer: a non-blocking open for reading wakes it if it waits for a
    /// reader, and closing that end makes its next write fail.
    fn stop(self) {
        use std::os::unix::fs::OpenOptionsExt as _;
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Again until it is gone: it may have been just about to open the FIFO.
        while !self.thread.is_finished() {
            let reader = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.fifo);
            drop(reader);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        self.thread.join().unwrap();
    }
}

/// Deterministic bytes that are not text and do not compress: xorshift64, eight bytes
/// a step (quick even unoptimised).
fn junk(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

fn manifest_symlink_loop() -> Case {
    let case = Case::new(
        "89-manifest-is-a-symlink-loop",
        "Paths: the manifest is a symbolic link that points to itself.",
        b"",
    )
    .args(&["-f", "loop.yaml"]);
    std::os::unix::fs::symlink("loop.yaml", case.path().join("loop.yaml")).unwrap();
    case
}

fn source_symlink_loop() -> Case {
    let case = Case::new(
        "90-source-is-a-symlink-loop",
        "Sources: `source` is a symbolic link that points to itself.",
        valid("shop").replace("./src", "./loop").as_bytes(),
    );
    std::os::unix::fs::symlink("loop", case.path().join("loop")).unwrap();
    case
}

fn symlink_loop_inside_source() -> Case {
    let case = Case::new(
        "94-symlink-loop-inside-source",
        "Sources: a link inside the source directory leads back to the directory itself.",
        valid("shop").as_bytes(),
    )
    .packaging();
    std::os::unix::fs::symlink(".", case.path().join("src/back")).unwrap();
    case
}

/// A sparse file: its size is on record, and not a byte of it is written or read.
fn unzipped_over_250_mb() -> Case {
    let case = Case::new(
        "95-package-over-250-mb-unzipped",
        "Package size: files adding up to over 250 MB, refused from their sizes before anything is read or zipped.",
        valid("shop").as_bytes(),
    )
    .packaging();
    let file = std::fs::File::create(case.path().join("src/data.bin")).unwrap();
    file.set_len(251 * MIB).unwrap();
    case
}

/// Incompressible bytes just over 50 MB: zipped, then refused before any upload.
fn zipped_over_50_mb() -> Case {
    let case = Case::new(
        "96-package-over-50-mb-zipped",
        "Package size: a directory that zips to over 50 MB, refused after zipping, before any upload.",
        valid("shop").as_bytes(),
    )
    .packaging()
    // Zipping reads the file whole and holds its compressed copy: about 2 × 50 MB.
    .memory(512 * MIB);
    std::fs::write(
        case.path().join("src/random.bin"),
        junk((50 * MIB + MIB / 2) as usize),
    )
    .unwrap();
    case
}

/// A sparse `.zip` over 50 MB: refused by its size before it is read.
fn zip_file_over_50_mb() -> Case {
    let case = Case::new(
        "97-zip-source-over-50-mb",
        "Package size: a ready `.zip` over 50 MB, refused by its size before it is read.",
        valid("shop").replace("./src", "./bundle.zip").as_bytes(),
    )
    .packaging();
    let path = case.path().join("bundle.zip");
    std::fs::write(&path, b"PK\x03\x04").unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(51 * MIB)
        .unwrap();
    case
}

/// A small `.zip` whose entry inflates to 260 MB (zeros compress about 1000:1).
fn zip_file_unzipping_over_250_mb() -> Case {
    use std::io::Write as _;
    let case = Case::new(
        "98-zip-source-over-250-mb-unzipped",
        "Package size: a small `.zip` that would unzip to over 250 MB, refused from its directory of sizes.",
        valid("shop").replace("./src", "./bundle.zip").as_bytes(),
    )
    .packaging();
    let file = std::fs::File::create(case.path().join("bundle.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file(
        "zeros.bin",
        zip::write::SimpleFileOptions::default().large_file(true),
    )
    .unwrap();
    let chunk = vec![0u8; MIB as usize];
    for _ in 0..260 {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap();
    case
}
