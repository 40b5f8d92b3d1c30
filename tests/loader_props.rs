//! The manifest loader never panics, and every error it gives can be shown.
//!
//! Properties over `lade::manifest::load_bytes` (everything `load` does but the
//! reading of the file) fed with
//!
//! - arbitrary bytes and arbitrary text,
//! - YAML-like lines made of manifest keys and YAML's special tokens,
//! - mutations of the shipped examples (`examples/*/lade.yaml`): lines deleted,
//!   duplicated, swapped, re-indented, tokens replaced, tabs, anchors, aliases, huge
//!   numbers and odd Unicode inserted, the text cut short,
//! - random YAML documents built from a grammar of manifest-like keys and values.
//!
//! For every input the loader returns `Ok` or `Err`, never panics, and every error
//! renders to a message; an error with a place points inside the input (a line that
//! exists, a column at most one past its end) and quotes that line whole, as a
//! terminal should show it ([`as_shown`]).
//!
//! Each property runs 256 cases by default, a few seconds in all. For a longer search:
//! `PROPTEST_CASES=100000 cargo test --test loader_props`. A failure prints its
//! minimal input; keep it as a named regression test at the bottom of this file.

use std::path::{Path, PathBuf};

use lade::manifest::{self, Diagnostics, LoadOptions};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

mod proptest_cases;
use proptest_cases::config;

/// A project directory with `src/app.py`, so a mutated manifest can still be valid.
fn workspace() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/app.py"), "def handler(e, c): pass\n").unwrap();
        dir
    })
    .path()
}

fn manifest_path() -> PathBuf {
    workspace().join("lade.yaml")
}

fn options() -> LoadOptions {
    LoadOptions {
        env: [("HOME".to_string(), "/home/ci".to_string())].into(),
        vars: vec![("x".into(), "1".into())],
        ..LoadOptions::default()
    }
}

/// Loads `bytes`, and checks that it did not panic and that each error renders and
/// points inside the input.
fn check(bytes: &[u8]) -> Result<bool, TestCaseError> {
    let path = manifest_path();
    let result = std::panic::catch_unwind(|| manifest::load_bytes(bytes, &path, &options()));
    let text = String::from_utf8_lossy(bytes);
    let Ok(result) = result else {
        return Err(TestCaseError::fail(format!(
            "the loader panicked on {text:?}"
        )));
    };
    match result {
        Ok(_) => Ok(true),
        Err(diagnostics) => {
            check_diagnostics(&diagnostics, &text)?;
            Ok(false)
        }
    }
}

/// The lines a person sees in an editor: split at `\r\n`, `\n` or a lone `\r`, as
/// YAML does.
fn editor_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    lines.push(rest);
    lines
}

/// A line as a diagnostic quotes it, the way rustc shows source: a tab as four spaces,
/// a control character as its Unicode picture (`\u{1}` as `␁`, DEL as `␡`), so no raw
/// control byte reaches the terminal; a zero-width joiner dropped, and the
/// bidirectional controls (which make text on screen differ from the bytes) as `�`.
fn as_shown(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => "    ".to_owned(),
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap().to_string(),
            '\u{7f}' => "␡".to_owned(),
            '\u{200d}' => String::new(),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "�".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn check_diagnostics(diagnostics: &Diagnostics, text: &str) -> Result<(), TestCaseError> {
    let lines = editor_lines(text);
    prop_assert!(!diagnostics.is_empty(), "an error with no diagnostic");
    for d in diagnostics {
        let shown = d.to_string();
        prop_assert!(
            !d.message().trim().is_empty() && shown.starts_with("error: "),
            "an empty message: {shown:?} for {text:?}"
        );
        let Some((line, column)) = d.position() else {
            continue;
        };
        prop_assert!(
            line >= 1 && line as usize <= lines.len(),
            "line {line} of {} in {shown:?} for {text:?}",
            lines.len()
        );
        let quoted = lines[line as usize - 1];
        let width = quoted.chars().count();
        prop_assert!(
            column >= 1 && column as usize <= width + 1,
            "column {column} of a {width}-character line in {shown:?} for {text:?}"
        );
        let expected = format!("{line} | {}", as_shown(quoted.trim_end()));
        prop_assert!(
            shown.lines().any(|l| l.trim_end() == expected.trim_end()),
            "{shown:?} does not quote line {line}, {quoted:?}, of {text:?}"
        );
    }
    prop_assert!(!diagnostics.to_string().trim().is_empty());
    Ok(())
}

// ---- (a) arbitrary bytes and text ----

const YAML_PIECES: &[&str] = &[
    "project:",
    "stage:",
    "region:",
    "roles:",
    "functions:",
    "api:",
    "routes:",
    "source:",
    "handler:",
    "runtime:",
    "role:",
    "memory:",
    "timeout:",
    "environment:",
    "secrets:",
    "tags:",
    "name:",
    "description:",
    "architecture:",
    "exclude:",
    "trust:",
    "managed_policies:",
    "policies:",
    "Statement:",
    "Version:",
    "Effect:",
    "Action:",
    "Resource:",
    "endpoint:",
    "binary_media_types:",
    "authorization:",
    "api_key_required:",
    "function:",
    "defaults:",
    "stages:",
    "params:",
    "GET /items:",
    "ANY /admin/{proxy+}:",
    "POST /items/{id}:",
    "GET /{proxy+}/x:",
    "shop",
    "dev",
    "api",
    "list",
    "app.handler",
    "python3.12",
    "arm64",
    "AWS_IAM",
    "128",
    "-1",
    "99999999999999999999",
    "0x10",
    "1e400",
    ".inf",
    "~",
    "null",
    "true",
    "yes",
    "\"\"",
    "''",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "? ",
    "&a",
    "*a",
    "<<: *a",
    "!!str",
    "!!binary",
    "!custom",
    "|",
    ">-",
    "#",
    "---",
    "...",
    "%YAML 1.2",
    "${stage}",
    "${env:HOME}",
    "${env:MISSING}",
    "${var:x}",
    "${param:memory}",
    "${function:list.arn}",
    "${role:api.arn}",
    "${api.url}",
    "${account}",
    "${region}",
    "${",
    "$${x}",
    "\t",
    "\r",
    "\r\n",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
    "é",
    "😀",
    "\0",
    "./src",
    "x.zip",
    "/",
    "\\",
];

fn yamlish() -> impl Strategy<Value = String> {
    let line = (
        0..8usize,
        prop::collection::vec(prop::sample::select(YAML_PIECES), 1..5),
    )
        .prop_map(|(indent, pieces)| format!("{}{}", " ".repeat(indent), pieces.join(" ")));
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

// ---- (b) mutations of the examples ----

const EXAMPLES: &[&str] = &[
    include_str!("../examples/hello/lade.yaml"),
    include_str!("../examples/crud/lade.yaml"),
    include_str!("../examples/stages/lade.yaml"),
];

/// Tokens a mutation writes in: YAML's syntax, manifest words, edge values.
const TOKENS: &[&str] = &[
    "&a",
    "*a",
    "&b [*a, *a, *a]",
    "<<: *a",
    "!!str",
    "!!int",
    "!tag",
    "[",
    "]",
    "{",
    "}",
    "{}",
    "[]",
    "-",
    ":",
    ": ",
    "? ",
    "|",
    ">",
    "\"",
    "'",
    "#",
    "---",
    "...",
    "%TAG ! x",
    "\t",
    "~",
    "null",
    "true",
    "no",
    "0",
    "-1",
    "128",
    "10241",
    "99999999999999999999999999999999999999999",
    "-99999999999999999999999999999999999999999",
    "1e400",
    "-.inf",
    ".nan",
    "0x7fffffffffffffff",
    "0o777",
    "1_000",
    "é",
    "😀",
    "\u{feff}",
    "\u{200b}",
    "\u{2028}",
    "\r",
    "\\",
    "${stage}",
    "${env:HOME}",
    "${env:NOPE}",
    "${var:x}",
    "${param:memory}",
    "${function:web.arn}",
    "${function:nope.arn}",
    "${role:basic.arn}",
    "${api.url}",
    "${account}",
    "${",
    "}",
    "$${",
    "project",
    "functions",
    "roles",
    "api",
    "routes",
    "source",
    "handler",
    "runtime",
    "role",
    "memory",
    "timeout",
    "environment",
    "GET /items",
    "GET /items/{id}",
    "python3.8",
    "arn:aws:iam::123456789012:role/x",
    "./nowhere",
    "./src",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    /// Re-indent a line by this many spaces (negative: fewer).
    Indent(Index, i8),
    /// Replace the n-th whitespace-separated token of a line.
    Replace(Index, Index, &'static str),
    /// Insert a token at a character position of a line.
    Insert(Index, Index, &'static str),
    /// Insert a new line made of a token, indented.
    NewLine(Index, u8, &'static str),
    /// Cut the text at a character position.
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop::sample::select(TOKENS);
    prop_oneof![
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<Index>(), -6i8..6).prop_map(|(a, n)| Mutation::Indent(a, n)),
        (any::<Index>(), any::<Index>(), token.clone())
            .prop_map(|(a, b, t)| Mutation::Replace(a, b, t)),
        (any::<Index>(), any::<Index>(), token.clone())
            .prop_map(|(a, b, t)| Mutation::Insert(a, b, t)),
        (any::<Index>(), 0u8..8, token).prop_map(|(a, n, t)| Mutation::NewLine(a, n, t)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for m in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match m {
            Mutation::Delete(i) => {
                lines.remove(i.index(n));
            }
            Mutation::Duplicate(i) => {
                let line = lines[i.index(n)].clone();
                lines.insert(i.index(n), line);
            }
            Mutation::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
            Mutation::Indent(i, by) => {
                let line = &mut lines[i.index(n)];
                if *by >= 0 {
                    line.insert_str(0, &" ".repeat(*by as usize));
                } else {
                    let strip = line
                        .chars()
                        .take(by.unsigned_abs() as usize)
                        .take_while(|c| *c == ' ')
                        .count();
                    line.drain(..strip);
                }
            }
            Mutation::Replace(i, t, token) => {
                let line = &mut lines[i.index(n)];
                let mut words: Vec<&str> = line.split(' ').collect();
                let w = t.index(words.len());
                words[w] = token;
                *line = words.join(" ");
            }
            Mutation::Insert(i, at, token) => {
                let line = &mut lines[i.index(n)];
                let chars = line.chars().count();
                let byte = line
                    .char_indices()
                    .nth(at.index(chars + 1))
                    .map_or(line.len(), |(b, _)| b);
                line.insert_str(byte, token);
            }
            Mutation::NewLine(i, indent, token) => {
                lines.insert(
                    i.index(n + 1),
                    format!("{}{token}", " ".repeat(*indent as usize)),
                );
            }
            Mutation::Truncate(at) => {
                let joined = lines.join("\n");
                let chars = joined.chars().count();
                let cut: String = joined.chars().take(at.index(chars + 1)).collect();
                lines = cut.split('\n').map(str::to_owned).collect();
            }
        }
    }
    lines.join("\n")
}

fn mutated_example() -> impl Strategy<Value = String> {
    (
        prop::sample::select(EXAMPLES),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(example, mutations)| mutate(example, &mutations))
}

// ---- (c) documents from a grammar ----

const KEYS: &[&str] = &[
    "project",
    "stage",
    "region",
    "roles",
    "functions",
    "api",
    "routes",
    "defaults",
    "stages",
    "params",
    "default",
    "prod",
    "source",
    "handler",
    "runtime",
    "role",
    "memory",
    "timeout",
    "environment",
    "secrets",
    "tags",
    "name",
    "description",
    "architecture",
    "exclude",
    "trust",
    "managed_policies",
    "policies",
    "Statement",
    "Version",
    "Effect",
    "Action",
    "Resource",
    "endpoint",
    "binary_media_types",
    "authorization",
    "api_key_required",
    "function",
    "GET /items",
    "POST /items/{id}",
    "ANY /{proxy+}",
    "get /x",
    "api",
    "worker",
    "list-items",
    "TABLE",
    "API_KEY",
    "AWS_REGION",
    "read-items",
    "lade:project",
    "memmory",
];

const SCALARS: &[&str] = &[
    "shop",
    "dev",
    "Prod",
    "us-east-1",
    "./src",
    "./nowhere",
    "app.handler",
    "python3.12",
    "python3.8",
    "provided.al2023",
    "bootstrap",
    "arn:aws:iam::123456789012:role/x",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "api",
    "worker",
    "list-items",
    "128",
    "0",
    "-1",
    "10241",
    "99999999999999999999999999",
    "1e400",
    ".nan",
    "0.5",
    "true",
    "null",
    "~",
    "\"\"",
    "'x'",
    "\"a\\tb\"",
    "${stage}",
    "${env:HOME}",
    "${env:NOPE}",
    "${var:x}",
    "${function:api.arn}",
    "${role:api.arn}",
    "${param:memory}",
    "${api.url}",
    "${",
    "Allow",
    "Deny",
    "\"2012-10-17\"",
    "AWS_IAM",
    "REGIONAL",
    "arm64",
    "lambda.amazonaws.com",
    "image/png",
    "\"*\"",
    "é",
    "😀",
];

#[derive(Debug, Clone)]
enum Yaml {
    Scalar(&'static str),
    List(Vec<Yaml>),
    Map(Vec<(&'static str, Yaml)>),
    /// The same value, written in flow style (`[a, b]`, `{a: b}`).
    Flow(Box<Yaml>),
}

fn yaml_value() -> impl Strategy<Value = Yaml> {
    let leaf = prop::sample::select(SCALARS).prop_map(Yaml::Scalar);
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Yaml::List),
            prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..6)
                .prop_map(Yaml::Map),
            inner.prop_map(|v| Yaml::Flow(Box::new(v))),
        ]
    })
}

/// A mapping at the top, usually with `project:` first.
fn yaml_document() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::sample::select(SCALARS),
        prop::collection::vec((prop::sample::select(KEYS), yaml_value()), 0..8),
    )
        .prop_map(|(with_project, project, mut entries)| {
            if with_project {
                entries.insert(0, ("project", Yaml::Scalar(project)));
            }
            let mut out = String::new();
            block(&Yaml::Map(entries), 0, &mut out);
            out
        })
}

fn flow(value: &Yaml) -> String {
    match value {
        Yaml::Scalar(s) => (*s).to_owned(),
        Yaml::Flow(inner) => flow(inner),
        Yaml::List(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Yaml::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Writes `value` in block style at `indent`, after a `key:` or `- ` already written.
fn block(value: &Yaml, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Yaml::Map(entries) if !entries.is_empty() => {
            for (key, v) in entries {
                match v {
                    Yaml::Map(e) if !e.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        block(v, indent + 2, out);
                    }
                    Yaml::List(items) if !items.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        block(v, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", flow(v))),
                }
            }
        }
        Yaml::List(items) if !items.is_empty() => {
            for item in items {
                match item {
                    Yaml::Map(e) if !e.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        block(item, indent + 2, out);
                    }
                    Yaml::List(i) if !i.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        block(item, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", flow(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", flow(other))),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes)?;
    }

    #[test]
    fn any_text(text in any::<String>()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn yaml_like_lines(text in yamlish()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn mutated_examples(text in mutated_example()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn grammar_documents(text in yaml_document()) {
        check(text.as_bytes())?;
    }
}

/// The mutations and the grammar are only as good as what they reach: some inputs
/// must load, and errors must come from every stage, not only from the YAML parser.
#[test]
fn the_generators_reach_every_stage() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    for (name, strategy) in [
        ("mutations", mutated_example().boxed()),
        ("grammar", yaml_document().boxed()),
    ] {
        let (mut ok, mut syntax, mut later) = (0, 0, 0);
        for _ in 0..300 {
            let text = strategy.new_tree(&mut runner).unwrap().current();
            match manifest::load_bytes(text.as_bytes(), &manifest_path(), &options()) {
                Ok(_) => ok += 1,
                Err(d) if d.iter().any(|d| d.message().starts_with("invalid YAML")) => syntax += 1,
                Err(_) => later += 1,
            }
        }
        assert!(
            syntax > 0 && later > 30,
            "{name}: {ok} loaded, {syntax} syntax errors, {later} later errors"
        );
        if name == "mutations" {
            assert!(ok > 10, "{name}: only {ok} of 300 loaded");
        }
    }
}

/// Each example loads as it is: the mutations start from valid manifests.
#[test]
fn the_examples_load() {
    for example in EXAMPLES {
        let result = manifest::load_bytes(example.as_bytes(), &manifest_path(), &options());
        assert!(result.is_ok(), "{result:?}");
    }
}

// ---- regressions found by the properties above ----

/// A lone `\r` ends a line for YAML, so the parser's line numbers count it; the quoted
/// line used to come from `str::lines`, which does not, and showed the wrong line.
#[test]
fn a_lone_carriage_return_is_a_line_break() {
    for text in ["\r project:", "\r\u{1}", "project: shop\rfunctions: [\r"] {
        check(text.as_bytes()).unwrap();
    }
}
