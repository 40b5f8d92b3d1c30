//! What people read from the CLI without touching AWS: help texts and validation of
//! the shipped examples.

use std::process::Command;

fn lade(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_lade"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_texts() {
    for command in [
        "", "validate", "plan", "apply", "graph", "outputs", "destroy",
    ] {
        let args: Vec<&str> = command.split_whitespace().chain(["--help"]).collect();
        let (code, stdout, _) = lade(&args);
        assert_eq!(code, 0);
        insta::assert_snapshot!(
            format!("help_{}", if command.is_empty() { "lade" } else { command }),
            stdout
        );
    }
}

#[test]
fn every_example_is_valid() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let manifest = entry.unwrap().path().join("lade.yaml");
        if !manifest.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../schema/lade.schema.json"),
            "{} lacks the schema modeline",
            manifest.display()
        );
        let (code, stdout, stderr) = lade(&["validate", "-f", manifest.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", manifest.display());
        assert!(stdout.contains("is valid"), "{stdout}");
        checked += 1;
    }
    assert!(checked >= 2, "examples/hello and examples/crud at least");
}

#[test]
fn an_unknown_command_exits_with_usage() {
    let (code, _, stderr) = lade(&["deploy"]);
    assert_eq!(code, 2, "clap's usage error");
    assert!(
        stderr.contains("unrecognized subcommand 'deploy'"),
        "{stderr}"
    );
}
