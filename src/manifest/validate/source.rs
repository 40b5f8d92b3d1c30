//! A function's `source` and `exclude` → [`Source`].
//!
//! The one place validation touches the file system: it looks at the `source` path's
//! metadata (directory, `.zip` file, broken link) and checks `exclude` globs. It reads
//! no file contents; building the package is `package`'s, at plan time.

use std::path::{Component, Path, PathBuf};

use crate::manifest::raw::RawFunction;
use crate::model::Source;

use super::Validator;

impl Validator<'_, '_> {
    pub(super) fn source(&mut self, raw: &RawFunction) -> Option<Source> {
        let written = &raw.source;
        if written.value.trim().is_empty() {
            self.r
                .error(written.loc, "`source` is empty")
                .help("point `source` at a directory or a `.zip` file, e.g. `source: ./src`");
            return None;
        }
        let path = resolve(self.base_dir, &written.value);
        let exclude: Vec<String> = raw
            .exclude
            .iter()
            .flatten()
            .filter_map(|glob| match globset::Glob::new(&glob.value) {
                Ok(_) => Some(glob.value.clone()),
                Err(err) => {
                    self.r
                        .error(
                            glob.loc,
                            format!("`{}` is not a valid glob: {}", glob.value, err.kind()),
                        )
                        .help("globs look like `*.pyc`, `tests/**` or `**/__pycache__`");
                    None
                }
            })
            .collect();
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => Some(Source::Dir { path, exclude }),
            Ok(meta)
                if meta.is_file()
                    && path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("zip")) =>
            {
                if let Some(first) = raw.exclude.as_ref().and_then(|e| e.first()) {
                    self.r
                        .error(first.loc, "`exclude` only applies to a directory `source`")
                        .help("a `.zip` file is uploaded as it is; remove `exclude`");
                }
                Some(Source::Zip { path })
            }
            Ok(_) => {
                self.r
                    .error(
                        written.loc,
                        format!("`source` `{}` is neither a directory nor a `.zip` file", written.value),
                    )
                    .help("point `source` at the directory that holds your code, or at a ready `.zip` file");
                None
            }
            Err(err) => {
                let link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let (what, help) = if link {
                    (
                        "is a symbolic link that cannot be followed",
                        format!(
                            "`{}` points to something that does not exist, or to a chain of links that loops; fix the link, or point `source` at the real directory",
                            path.display()
                        ),
                    )
                } else if err.kind() == std::io::ErrorKind::NotFound {
                    (
                        "does not exist",
                        format!(
                            "`source` is relative to the manifest's directory (looked for `{}`); {}",
                            path.display(),
                            io_hint(&err)
                        ),
                    )
                } else {
                    (
                        "cannot be read",
                        format!("`{}`: {err}; {}", path.display(), io_hint(&err)),
                    )
                };
                self.r
                    .error(written.loc, format!("`source` `{}` {what}", written.value))
                    .help(help);
                None
            }
        }
    }
}

/// `source` relative to the manifest's directory, without `.` components.
fn resolve(base_dir: &Path, source: &str) -> PathBuf {
    let joined = base_dir.join(source);
    let mut out = PathBuf::new();
    for component in joined.components() {
        if component != Component::CurDir {
            out.push(component);
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn io_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::NotFound => "check the path, or create the directory",
        std::io::ErrorKind::PermissionDenied => "lade is not allowed to read it",
        _ => "check the path",
    }
}
