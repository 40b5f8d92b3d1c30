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
        "", "validate", "plan", "apply", "graph", "outputs", "destroy", "invoke", "serve",
        "package",
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

/// Exit code 2 means "changes" from `plan --detailed-exitcode` and nothing else (the
/// GitHub Action reads it as `has_changes=true`), so every usage error exits 1 with
/// clap's message on stderr, as every other error does (issue 19).
#[test]
fn every_usage_error_exits_1_with_clap_s_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["plan", "--bogus"], "unexpected argument '--bogus'"),
        (&["plan", "--parallelism", "0"], "0 is not in 1..=64"),
        (&["plan", "--parallelism", "65"], "65 is not in 1..=64"),
        (&["plan", "--parallelism", "sqs=2"], "unknown service `sqs`"),
        (&["deploy"], "unrecognized subcommand 'deploy'"),
        (&[], "Usage: lade"),
        (&["plan", "--format", "yaml"], "invalid value 'yaml'"),
        (
            &["plan", "--json", "--format", "text"],
            "cannot be used with",
        ),
        (&["completions"], "required arguments were not provided"),
        (&["completions", "tcsh"], "invalid value 'tcsh'"),
        (&["-v", "-q", "validate"], "cannot be used with"),
        (&["validate", "--var", "novalue"], "expected NAME=VALUE"),
    ];
    for (args, message) in cases {
        let (code, stdout, stderr) = lade(args);
        assert_eq!(code, 1, "lade {args:?}: {stderr}");
        assert!(stderr.contains(message), "lade {args:?}: {stderr}");
        assert_eq!(stdout, "", "lade {args:?}");
    }
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["help", "plan"],
        &["plan", "-h"],
    ] {
        let (code, stdout, stderr) = lade(args);
        assert_eq!(code, 0, "lade {args:?}: {stderr}");
        assert!(stdout.contains("Usage: lade"), "lade {args:?}: {stdout}");
        assert_eq!(stderr, "", "lade {args:?}");
    }
    let (code, stdout, stderr) = lade(&["--version"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("lade {}\n", env!("CARGO_PKG_VERSION")));
}

/// The largest `--parallelism` is the documented cap, overall and per service.
#[test]
fn parallelism_is_capped_at_64() {
    assert_eq!(lade::cloud::limits::MAX, 64, "README and --help say 64");
    let manifest =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello/lade.yaml");
    let manifest = manifest.to_str().unwrap();
    let (code, _, stderr) = lade(&["validate", "-f", manifest, "--parallelism", "64,lambda=64"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = lade(&["validate", "-f", manifest, "--parallelism", "iam=65"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("65 is not in 1..=64"), "{stderr}");
    let (_, help, _) = lade(&["plan", "--help"]);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("each N from 1 to 64."), "{help}");
}
