//! docs/tutorial.md works as written: its shell blocks run in order against moto, in
//! a copy of examples/hello, with `lade` (the binary cargo built) and the `aws` CLI on
//! the PATH, and each `console` block's output excerpt is found in what its commands
//! print.
//!
//! Every ```` ```sh ```` and ```` ```console ```` block must be preceded by a marker
//! comment, so that none is left out by accident:
//!
//! - `<!-- tutorial-test: run -->` runs it; `run; exit 2` (or `exit nonzero`) expects
//!   that exit from the block (`sh`) or its last command (`console`), and 0 otherwise;
//! - `<!-- tutorial-test: file NAME -->` writes the block to NAME (the deploy script);
//! - `<!-- tutorial-test: skip (reason) -->` does not run it, and must say why.
//!
//! In a `console` block, `$ ` starts a command and the lines after it are its output
//! (stdout and stderr together): each must appear, in order, in the actual output,
//! where `…` stands for anything within a line. The text's moto endpoint
//! (`http://127.0.0.1:5000`) is replaced by this test's moto.
//!
//! Without moto or the `aws` CLI the test fails (with CI=true as elsewhere): it never
//! skips.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::moto;

/// The endpoint the tutorial tells students to start moto on.
const TEXT_ENDPOINT: &str = "http://127.0.0.1:5000";

#[derive(Debug, PartialEq)]
enum Expect {
    Code(i32),
    Nonzero,
}

#[derive(Debug)]
enum Marker {
    Run(Expect),
    File(String),
    Skip,
}

#[derive(Debug)]
struct Block {
    line: usize,
    console: bool,
    marker: Marker,
    body: String,
}

/// The `sh` and `console` blocks of `text`, each with the marker before it.
fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut marker: Option<(usize, String)> = None;
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if let Some(rest) = line.trim().strip_prefix("<!-- tutorial-test:") {
            let rest = rest.trim_end_matches("-->").trim().to_owned();
            marker = Some((n + 1, rest));
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                marker = None;
            }
            continue;
        };
        let info = info.trim();
        let mut body = String::new();
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        if info != "sh" && info != "console" {
            marker = None;
            continue;
        }
        let (_, words) = marker.take().unwrap_or_else(|| {
            panic!("docs/tutorial.md:{}: a ```{info} block without a `<!-- tutorial-test: … -->` marker", n + 1)
        });
        let marker = if let Some(reason) = words.strip_prefix("skip") {
            assert!(
                reason.trim().starts_with('(') && reason.trim().len() > 4,
                "docs/tutorial.md:{}: a skipped block says why: {words}",
                n + 1
            );
            Marker::Skip
        } else if let Some(name) = words.strip_prefix("file ") {
            Marker::File(name.trim().to_owned())
        } else if let Some(rest) = words.strip_prefix("run") {
            let expect = match rest.trim().strip_prefix(';').map(str::trim) {
                None => Expect::Code(0),
                Some("exit nonzero") => Expect::Nonzero,
                Some(code) => Expect::Code(
                    code.strip_prefix("exit ")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or_else(|| panic!("docs/tutorial.md:{}: {words}", n + 1)),
                ),
            };
            Marker::Run(expect)
        } else {
            panic!("docs/tutorial.md:{}: unknown marker {words:?}", n + 1)
        };
        blocks.push(Block {
            line: n + 1,
            console: info == "console",
            marker,
            body,
        });
    }
    blocks
}

/// A `console` block's commands, each with the output lines the text shows for it.
fn console(body: &str) -> Vec<(String, Vec<String>)> {
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    for line in body.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            commands.push((command.to_owned(), Vec::new()));
        } else if !line.trim().is_empty() {
            let (_, output) = commands
                .last_mut()
                .unwrap_or_else(|| panic!("output before any command: {line}"));
            output.push(line.to_owned());
        }
    }
    commands
}

/// Whether `expected` (with `…` for anything within a line) is `actual`'s line.
fn line_matches(expected: &str, actual: &str) -> bool {
    let mut rest = actual;
    for part in expected.split('…').map(str::trim).filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Asserts that every expected line appears in `actual`, in order.
fn assert_shows(block: &Block, command: &str, expected: &[String], actual: &str) {
    let mut lines = actual.lines();
    for want in expected {
        assert!(
            lines.any(|line| line_matches(want, line)),
            "docs/tutorial.md:{}: `{command}` does not print, in this order, the line\n  {want}\n\
             It printed:\n{actual}",
            block.line
        );
    }
}

struct Lab {
    dir: tempfile::TempDir,
    path: String,
    /// The shell state (exports) one block leaves for the next.
    state: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("examples").join("hello"), dir.path());
        let lade = PathBuf::from(env!("CARGO_BIN_EXE_lade"));
        let mut path = vec![lade.parent().unwrap().to_path_buf()];
        // The pinned aws CLI v1 that scripts/bench installs, then moto's venv.
        path.push(root().join(".venv").join("bench-awscli").join("bin"));
        path.push(root().join(".venv").join("bin"));
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(path).unwrap().into_string().unwrap();
        let state = dir.path().join(".tutorial-state");
        std::fs::write(&state, "").unwrap();
        Lab { dir, path, state }
    }

    /// Runs `script` with `bash -euo pipefail` in the lab, after the state earlier
    /// blocks left, and saves the state it leaves. Returns the exit code and the
    /// output, stdout and stderr interleaved.
    fn run(&self, script: &str) -> (i32, String) {
        let script = script.replace(TEXT_ENDPOINT, moto().endpoint());
        let wrapped = format!(
            "exec 2>&1\nsource '{state}'\nset -euo pipefail\n{script}\nexport -p > '{state}'\n",
            state = self.state.display()
        );
        let output = Command::new("bash")
            .arg("-c")
            .arg(wrapped)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.dir.path())
            .env("LANG", "C.UTF-8")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .output()
            .unwrap_or_else(|error| panic!("this test runs the tutorial with bash: {error}"));
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn check(block: &Block, command: &str, expect: &Expect, code: i32, output: &str) {
    let ok = match expect {
        Expect::Code(want) => code == *want,
        Expect::Nonzero => code != 0,
    };
    assert!(
        ok,
        "docs/tutorial.md:{}: `{command}` exited {code}, the text expects {expect:?}:\n{output}",
        block.line
    );
}

#[test]
fn the_tutorial_runs_as_written_against_moto() {
    let version = Command::new("bash")
        .arg("-c")
        .arg("aws --version")
        .env("PATH", Lab::new().path)
        .output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs the aws CLI (`pip install awscli`): {version:?}"
    );

    let text = std::fs::read_to_string(root().join("docs").join("tutorial.md")).unwrap();
    let blocks = blocks(&text);
    let lab = Lab::new();
    let mut ran = 0;
    for block in &blocks {
        match &block.marker {
            Marker::Skip => {}
            Marker::File(name) => std::fs::write(lab.dir.path().join(name), &block.body).unwrap(),
            Marker::Run(expect) if !block.console => {
                let (code, output) = lab.run(&block.body);
                check(block, block.body.trim(), expect, code, &output);
                ran += 1;
            }
            Marker::Run(expect) => {
                let commands = console(&block.body);
                assert!(!commands.is_empty(), "docs/tutorial.md:{}", block.line);
                let last = commands.len() - 1;
                for (i, (command, shown)) in commands.iter().enumerate() {
                    let (code, output) = lab.run(command);
                    let expect = if i == last { expect } else { &Expect::Code(0) };
                    check(block, command, expect, code, &output);
                    assert_shows(block, command, shown, &output);
                    ran += 1;
                }
            }
        }
    }
    // The parts the text is about: the script's two runs, apply, drift, stages, destroy.
    assert!(ran >= 20, "only {ran} commands ran");
    for claim in [
        "sh deploy.sh",
        "lade apply --yes",
        "--timeout 10",
        "--stage alice",
        "lade destroy --yes",
    ] {
        assert!(
            blocks
                .iter()
                .any(|b| matches!(b.marker, Marker::Run(_)) && b.body.contains(claim)),
            "the tutorial runs `{claim}`"
        );
    }
}

#[test]
fn markers_and_excerpts_are_read_as_documented() {
    let text = "<!-- tutorial-test: run; exit 2 -->\n```console\n$ lade plan\nPlan: … to add\n```\n\
                ```yaml\nproject: x\n```\n<!-- tutorial-test: skip (why) -->\n```sh\nlade serve\n```\n";
    let blocks = blocks(text);
    assert_eq!(blocks.len(), 2);
    assert!(matches!(blocks[0].marker, Marker::Run(Expect::Code(2))));
    assert!(matches!(blocks[1].marker, Marker::Skip));
    let commands = console(&blocks[0].body);
    assert_eq!(
        commands,
        vec![("lade plan".to_owned(), vec!["Plan: … to add".to_owned()])]
    );
    assert!(line_matches(
        "Plan: … to add",
        "Plan: 6 to add, 0 to change"
    ));
    assert!(!line_matches("Plan: … to add", "Plan: 6 to destroy"));
    assert!(!line_matches("b … a", "a b"));
}

#[test]
#[should_panic(expected = "without a `<!-- tutorial-test")]
fn a_block_without_a_marker_is_an_error() {
    blocks("```sh\nlade plan\n```\n");
}
