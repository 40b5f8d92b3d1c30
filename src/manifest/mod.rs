//! Reads `lade.yaml` into the validated [`Desired`] model, reporting every error at once.
//!
//! The pipeline, one file per stage:
//!
//! 1. [`parse`]: text → a span-carrying YAML tree ([`node`]) via serde-saphyr, within a
//!    budget; repeated keys reported and dropped.
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
use std::path::{Path, PathBuf};

use crate::model::Desired;

use diagnostic::Reporter;
pub use diagnostic::{Diagnostic, Diagnostics};
use node::Loc;

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
}

/// Loads, validates and resolves the manifest at `path`.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Desired, Diagnostics> {
    let text = read(path, "the manifest", parse::MAX_BYTES)?;
    load_str(&text, path, options)
}

/// Reads a manifest or var file, with a diagnostic for each way that can fail.
fn read(path: &Path, what: &str, max_bytes: usize) -> Result<String, Diagnostics> {
    let fail = |message: String, help: &str| {
        let mut r = Reporter::new(path.display().to_string(), "");
        r.error(Loc::default(), message).help(help);
        r.finish()
    };
    let meta = std::fs::metadata(path).map_err(|err| {
        fail(
            format!("cannot read {}: {}", path.display(), io_reason(&err)),
            if what == "the manifest" {
                "check the path, or pass the manifest with `--manifest <file>`"
            } else {
                "check the path given to `--var-file`"
            },
        )
    })?;
    if meta.is_dir() {
        return Err(fail(
            format!("{} is a directory, not a file", path.display()),
            "point at the file itself, e.g. `lade.yaml` inside that directory",
        ));
    }
    if meta.len() > max_bytes as u64 {
        return Err(fail(
            format!(
                "{} is {} bytes; lade reads files of at most {max_bytes} bytes",
                path.display(),
                meta.len(),
            ),
            "is this the right file?",
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| {
        fail(
            format!("cannot read {}: {}", path.display(), io_reason(&err)),
            "check the file's permissions",
        )
    })?;
    String::from_utf8(bytes).map_err(|err| {
        fail(
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                err.utf8_error().valid_up_to()
            ),
            "save it as UTF-8",
        )
    })
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
    let declared = validate::Declared::of(&root);
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

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}
