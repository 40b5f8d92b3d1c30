//! The shell scripts' shared helpers (scripts/lib.sh): headings are bold only at a
//! terminal, and never with `NO_COLOR`, so CI logs hold no ANSI escape codes.

use std::path::{Path, PathBuf};
use std::process::Command;

const ESC: u8 = 0x1b;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What `say` and `heading 1` print, both streams together, run by bash with stdout
/// and stderr pipes (not terminals), with `env` set.
fn piped(env: &[(&str, &str)]) -> Vec<u8> {
    let script = format!(
        "source '{}'; say building; heading 1 '$ lade plan'",
        root().join("scripts/lib.sh").display()
    );
    let mut command = Command::new("bash");
    command.arg("-c").arg(script).env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("bash runs");
    assert!(out.status.success(), "{out:?}");
    let mut both = out.stdout;
    both.extend(out.stderr);
    both
}

#[test]
fn say_prints_no_escape_code_when_stdout_and_stderr_are_not_terminals() {
    let out = piped(&[]);
    assert!(!out.contains(&ESC), "{:?}", String::from_utf8_lossy(&out));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("==> building\n"), "{text}");
    assert!(text.contains("$ lade plan\n"), "{text}");
}

#[test]
fn say_prints_no_escape_code_with_no_color_either() {
    let out = piped(&[("NO_COLOR", "1")]);
    assert!(!out.contains(&ESC), "{:?}", String::from_utf8_lossy(&out));
}

/// What `say` prints at a terminal: bash runs in a pseudo-terminal that Python's `pty`
/// module opens (the test harness's own Python, from .venv/).
fn at_a_terminal(no_color: Option<&str>) -> Option<Vec<u8>> {
    let python = root().join(".venv/bin/python");
    if !Path::new(&python).is_file() {
        return None;
    }
    let script = format!(
        "source '{}'; say building",
        root().join("scripts/lib.sh").display()
    );
    let mut command = Command::new(python);
    command
        .arg("-c")
        .arg("import pty, sys; pty.spawn(['bash', '-c', sys.argv[1]])")
        .arg(script)
        .env_remove("NO_COLOR");
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    let out = command.output().expect("python runs");
    assert!(out.status.success(), "{out:?}");
    Some(out.stdout)
}

#[test]
fn say_is_bold_at_a_terminal_unless_no_color_is_set() {
    let Some(coloured) = at_a_terminal(None) else {
        panic!("this test needs .venv/bin/python (scripts/test installs it)");
    };
    assert!(
        coloured.windows(4).any(|w| w == b"\x1b[1m"),
        "{:?}",
        String::from_utf8_lossy(&coloured)
    );
    let plain = at_a_terminal(Some("1")).expect("python is there");
    assert!(
        !plain.contains(&ESC),
        "{:?}",
        String::from_utf8_lossy(&plain)
    );
    assert!(String::from_utf8_lossy(&plain).contains("==> building"));
}
