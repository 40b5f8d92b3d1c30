//! Reads `lade.yaml` into the validated [`Desired`] model, reporting every error at once.
//!
//! The pipeline, one file per stage:
//!
//! 1. [`parse`]: text → a span-carrying YAML tree ([`node`]) via serde-saphyr, within a
//!    budget; repeated keys reported and dropped.
//! 2. [`parse`] + [`de`]: tree → the raw serde types ([`raw`]). Every unknown key, wrong
//!    type and missing field is reported, not just the first.
//! 3. [`validate`]: raw → [`Desired`]: names, ranges, runtimes, handlers, ARNs,
//!    references, routes; defaults applied, names computed, paths resolved.
//!
//! The raw types are private and are the contract: [`schema_json`] generates
//! `schema/lade.schema.json` from them. Only `Desired` and [`Diagnostics`] leave this
//! module. It makes no AWS call and reads nothing but the manifest and the `source`
//! paths' metadata. `${...}` references are kept as plain strings for now.

mod de;
mod diagnostic;
mod node;
mod parse;
mod raw;
mod rules;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

use crate::model::Desired;

use diagnostic::Reporter;
pub use diagnostic::{Diagnostic, Diagnostics};
use node::Loc;

/// Loads, validates and resolves the manifest at `path`. `stage` overrides the
/// manifest's `stage` (default "dev").
pub fn load(path: &Path, stage: Option<&str>) -> Result<Desired, Diagnostics> {
    let fail = |message: String, help: &str| {
        let mut r = Reporter::new(path.display().to_string(), "");
        r.error(Loc::default(), message).help(help);
        r.finish()
    };
    let meta = std::fs::metadata(path).map_err(|err| {
        fail(
            format!("cannot read {}: {}", path.display(), io_reason(&err)),
            "check the path, or pass the manifest with `--manifest <file>`",
        )
    })?;
    if meta.is_dir() {
        return Err(fail(
            format!("{} is a directory, not a manifest file", path.display()),
            "point at the manifest file itself, e.g. `lade.yaml` inside that directory",
        ));
    }
    if meta.len() > parse::MAX_BYTES as u64 {
        return Err(fail(
            format!(
                "{} is {} bytes; lade reads manifests of at most {} bytes",
                path.display(),
                meta.len(),
                parse::MAX_BYTES
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
    let text = String::from_utf8(bytes).map_err(|err| {
        fail(
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                err.utf8_error().valid_up_to()
            ),
            "save the manifest as UTF-8",
        )
    })?;
    load_str(&text, path, stage)
}

/// Like [`load`], from text. `path` names the manifest in messages, and its parent
/// directory is the base for relative `source:` paths.
pub fn load_str(text: &str, path: &Path, stage: Option<&str>) -> Result<Desired, Diagnostics> {
    let mut r = Reporter::new(path.display().to_string(), text);
    let Some(mut root) = parse::tree(text, &mut r) else {
        return Err(r.finish());
    };
    parse::drop_duplicates(&mut root, &mut r);
    // Taken before errors prune the tree, so a function with a bad body still counts
    // as declared and a route to it is not reported twice.
    let declared = validate::Declared {
        functions: root
            .get("functions")
            .map(node::Node::keys)
            .unwrap_or_default(),
        roles: root.get("roles").map(node::Node::keys).unwrap_or_default(),
    };
    let Some(raw) = parse::raw(&mut root, &mut r) else {
        return Err(r.finish());
    };
    let base_dir = path.parent().unwrap_or(Path::new(""));
    let desired = validate::Validator {
        r: &mut r,
        base_dir,
        declared,
    }
    .desired(raw, stage);
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
