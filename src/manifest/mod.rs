//! Reads `lade.yaml` into the validated [`Desired`] model, reporting every error at once.
//!
//! The pipeline, one file per stage:
//!
//! 1. [`parse`]: text → a span-carrying YAML tree ([`node`]) via serde-saphyr, within a
//!    budget; repeated keys reported and dropped. [`declared`] then notes the keys the
//!    tree declares, which the next two stages check references against.
//! 2. [`vars`]: `${...}` variables resolved in the tree, in place, so the values they
//!    give are still type- and range-checked below, and errors point where the
//!    variable was written. Sensitive values and cross-references are allowed only in
//!    `environment:`.
//! 3. [`parse`] + [`de`]: tree → the raw serde types ([`raw`]). Every unknown key, wrong
//!    type and missing field is reported, not just the first.
//! 4. [`validate`]: raw → [`Desired`]: names, ranges, runtimes, handlers, ARNs,
//!    references, routes, reference cycles; `defaults:` merged, names computed, paths
//!    resolved.
//!
//! The raw types are private and are the contract: [`schema_json`] generates
//! `schema/lade.schema.json` from them. Only `Desired` and [`Diagnostics`] leave this
//! module. It makes no AWS call and reads nothing but the manifest and the `source`
//! paths' metadata, and the `--var-file`s it is given.

mod de;
mod declared;
mod diagnostic;
mod node;
mod parse;
mod raw;
mod rules;
mod validate;
mod vars;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::model::Desired;

use diagnostic::Reporter;
pub use diagnostic::{Diagnostic, Diagnostics};
use node::Loc;
pub(crate) use rules::suggest;

/// The stage when neither the manifest nor `--stage` names one.
///
/// At the root, next to [`LoadOptions::stage`], because two stages decide the stage
/// and neither owns the other: [`vars`] (to resolve `${stage}` before validation) and
/// [`validate`] (to build the `Scope`).
pub(crate) const DEFAULT_STAGE: &str = "dev";

/// What a run brings to the manifest besides its text: the stage, variables, the
/// environment and what the caller knows about the account.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--stage`/`LADE_STAGE`; overrides the manifest's `stage` (default "dev").
    pub stage: Option<String>,
    /// `--var NAME=VALUE`, in order given (later wins).
    pub vars: Vec<(String, String)>,
    /// `--secret-var NAME=VALUE`: like vars, but sensitive.
    pub secret_vars: Vec<(String, String)>,
    /// `--var-file FILE`: YAML files mapping NAME: scalar value; errors point into them.
    pub var_files: Vec<PathBuf>,
    /// The process environment, captured by the caller (tests pass their own).
    pub env: BTreeMap<String, String>,
    /// Fallback for `${region}` when the manifest has no `region:` (the caller passes
    /// AWS_REGION / AWS_DEFAULT_REGION).
    pub region: Option<String>,
    /// The AWS account ID, once the caller has looked it up (see `Desired.uses_account`).
    pub account: Option<String>,
    /// The day (UTC) against which runtimes' published end-of-life dates are checked;
    /// `None` is today, from the system clock. Tests pass their own.
    pub today: Option<crate::runtimes::Date>,
}

/// Loads, validates and resolves the manifest at `path`.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Desired, Diagnostics> {
    let text = read(path, "the manifest", parse::MAX_BYTES)?;
    load_str(&text, path, options)
}

/// Reads a manifest or var file, with a diagnostic for each way that can fail.
///
/// Never holds more than `max_bytes + 1` bytes: a regular file is refused by its size
/// before it is opened, and anything else (a pipe such as `<(...)`, a device such as
/// `/dev/zero`, a file that grows while it is read) is read through a limit of
/// `max_bytes + 1` and refused if it fills it.
fn read(path: &Path, what: &str, max_bytes: usize) -> Result<String, Diagnostics> {
    let fail = |message: String, help: &str| {
        let mut r = Reporter::new(path.display().to_string(), "");
        r.error(Loc::default(), message).help(help);
        r.finish()
    };
    let check_path = if what == "the manifest" {
        "check the path, or pass the manifest with `--file <file>`"
    } else {
        "check the path given to `--var-file`"
    };
    let too_large = |size: String| {
        fail(
            format!(
                "{} is {size}; lade reads {} of at most {max_bytes} bytes ({})",
                path.display(),
                if what == "the manifest" {
                    "manifests"
                } else {
                    "var files"
                },
                human_bytes(max_bytes as u64),
            ),
            "a manifest is a few KB of YAML; is this the right file?",
        )
    };
    let meta = std::fs::metadata(path).map_err(|err| {
        fail(
            format!("cannot read {}: {}", path.display(), io_reason(path, &err)),
            check_path,
        )
    })?;
    if meta.is_dir() {
        return Err(fail(
            format!("{} is a directory, not a file", path.display()),
            "point at the file itself, e.g. `lade.yaml` inside that directory",
        ));
    }
    if meta.is_file() && meta.len() > max_bytes as u64 {
        return Err(too_large(format!("{} bytes", meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(max_bytes as u64) as usize);
    std::fs::File::open(path)
        .and_then(|file| file.take(max_bytes as u64 + 1).read_to_end(&mut bytes))
        .map_err(|err| {
            fail(
                format!("cannot read {}: {}", path.display(), io_reason(path, &err)),
                "check the file's permissions",
            )
        })?;
    if bytes.len() > max_bytes {
        return Err(too_large(format!("more than {max_bytes} bytes")));
    }
    decode(bytes, path, what)
}

/// The text of a manifest or var file, or why it is not UTF-8 text.
fn decode(bytes: Vec<u8>, path: &Path, what: &str) -> Result<String, Diagnostics> {
    let fail = |message: String, help: &str| {
        let mut r = Reporter::new(path.display().to_string(), "");
        r.error(Loc::default(), message).help(help);
        r.finish()
    };
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(fail(
            format!("{} is UTF-16 text; lade reads UTF-8", path.display()),
            "save the file as UTF-8 (in Notepad: Save As, Encoding: UTF-8)",
        ));
    }
    // Git's test for a binary file: a NUL byte near the start. Text never has one.
    if bytes.iter().take(8000).any(|b| *b == 0) {
        return Err(fail(
            format!(
                "{} is a binary file, not YAML text (it contains NUL bytes)",
                path.display()
            ),
            if what == "the manifest" {
                "point `--file` at your lade.yaml"
            } else {
                "point `--var-file` at a YAML file of `NAME: value` lines"
            },
        ));
    }
    String::from_utf8(bytes).map_err(|err| not_utf8(path, err))
}

/// Where the first byte that is not UTF-8 is, pointing at its line.
fn not_utf8(path: &Path, err: std::string::FromUtf8Error) -> Diagnostics {
    let at = err.utf8_error().valid_up_to();
    let bytes = err.into_bytes();
    let text = String::from_utf8_lossy(&bytes);
    // The text before the bad byte, plus a character, so its last line is the bad one.
    let before = format!("{}.", String::from_utf8_lossy(&bytes[..at]));
    let before = diagnostic::lines(&before);
    let line = before.len();
    let column = before.last().map_or(0, |l| l.chars().count());
    let mut r = Reporter::new(path.display().to_string(), &text);
    r.error(
        Loc {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            len: 1,
        },
        format!(
            "{} is not UTF-8 text: byte {at} (0x{:02x}) is not valid UTF-8",
            path.display(),
            bytes[at]
        ),
    )
    .help("save the file as UTF-8; editors call it \"UTF-8\" or \"Unicode\" encoding, and Latin-1 or Windows-1252 text must be converted");
    r.finish()
}

/// "1 MiB", "250 KiB": a size for a message.
fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Like [`load`], from the file's bytes: everything but the reading. Bytes that are
/// not UTF-8 text (binary, UTF-16, Latin-1) are reported as such.
pub fn load_bytes(
    bytes: &[u8],
    path: &Path,
    options: &LoadOptions,
) -> Result<Desired, Diagnostics> {
    let text = decode(bytes.to_vec(), path, "the manifest")?;
    load_str(&text, path, options)
}

/// Like [`load`], from text. `path` names the manifest in messages, and its parent
/// directory is the base for relative `source:` paths. Var files are still read from
/// disk.
pub fn load_str(text: &str, path: &Path, options: &LoadOptions) -> Result<Desired, Diagnostics> {
    let vars = vars::Vars::read(options)?;
    let mut r = Reporter::new(path.display().to_string(), text);
    let Some(mut root) = parse::tree(text, &mut r) else {
        return Err(r.finish());
    };
    parse::drop_duplicates(&mut root, &mut r);
    // Taken before errors prune the tree, so a function with a bad body still counts
    // as declared and a route to it is not reported twice.
    let declared = declared::Declared::of(&root);
    let resolved = vars::resolve(&mut root, text, &declared, &vars, options, &mut r);
    let Some(raw) = parse::raw(&mut root, &mut r) else {
        return Err(r.finish());
    };
    let base_dir = path.parent().unwrap_or(Path::new(""));
    let desired = validate::Validator {
        r: &mut r,
        base_dir,
        declared,
        resolved: &resolved,
        today: options.today.unwrap_or_else(crate::runtimes::today),
        env_region: options.region.as_deref(),
    }
    .desired(raw, options.stage.as_deref());
    if r.has_errors() {
        Err(r.finish())
    } else {
        Ok(desired)
    }
}

/// The manifest's JSON Schema (pretty JSON, trailing newline), generated from the raw
/// serde types. `schema/lade.schema.json` is this output; `tests/schema.rs` checks it.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<raw::RawManifest>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes to JSON");
    text.push('\n');
    text
}

/// Why `path` could not be read, in words: a symbolic link that cannot be followed is
/// named as one, since "no such file" would be wrong about a link that is there.
pub(crate) fn io_reason(path: &Path, err: &std::io::Error) -> String {
    let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match err.kind() {
        _ if link && std::fs::metadata(path).is_err() => {
            "it is a symbolic link that cannot be followed (its target does not exist, or the links loop)".into()
        }
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}
