//! Which paths under a source directory stay out of the package: lade's default
//! excludes and the manifest's `exclude:` patterns, with `.gitignore`'s rules.
//!
//! This file owns turning patterns into a matcher and answering "is this path out?".
//! It never walks the file system (that is `walk.rs`), and it sees paths only as the
//! relative, `/`-separated names the walk gives it.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::PackageError;

/// Which paths under a source directory stay out of the package.
///
/// Patterns follow `.gitignore`'s rules, matched against the path relative to the
/// source root with `/` separators (`src/app.py`), case-sensitively:
///
/// - a pattern without a `/` matches a name at any depth: `*.md` excludes `README.md`
///   and `docs/guide.md`; `node_modules` excludes every directory of that name;
/// - a pattern with a `/` is anchored at the source root: `tests/**` excludes
///   everything under the top-level `tests`, not `src/tests`; a leading `/` or `./`
///   only anchors (`/setup.py` is the top-level one only);
/// - `*` and `?` never cross a `/`; `**` matches any number of directories; `[abc]`,
///   `{a,b}` and `\` escapes work as in `globset`;
/// - a trailing `/` matches directories only (`build/`);
/// - excluding a directory excludes everything in it;
/// - `!` (re-including) is not supported.
#[derive(Debug)]
pub(super) struct Excludes {
    /// Patterns that match files and directories.
    any: GlobSet,
    /// Patterns that match directories only.
    dirs: GlobSet,
}

impl Excludes {
    /// Always excluded, whatever the manifest says.
    const DEFAULT_ANY: [&str; 3] = ["**/.git", "**/*.pyc", "**/.DS_Store"];
    const DEFAULT_DIRS: [&str; 2] = ["**/__pycache__", "**/.lade"];

    pub(super) fn new(root: &Path, patterns: &[String]) -> Result<Self, PackageError> {
        let invalid = |pattern: &str, reason: String| PackageError::InvalidExclude {
            path: root.to_path_buf(),
            pattern: pattern.to_string(),
            reason,
        };
        let mut any = GlobSetBuilder::new();
        let mut dirs = GlobSetBuilder::new();
        for glob in Self::DEFAULT_ANY {
            any.add(compile(glob).map_err(|e| invalid(glob, e.kind().to_string()))?);
        }
        for glob in Self::DEFAULT_DIRS {
            dirs.add(compile(glob).map_err(|e| invalid(glob, e.kind().to_string()))?);
        }
        for pattern in patterns {
            let (glob, dir_only) = normalize(pattern).map_err(|reason| invalid(pattern, reason))?;
            let compiled = compile(&glob).map_err(|e| invalid(pattern, e.kind().to_string()))?;
            if dir_only {
                dirs.add(compiled);
            } else {
                any.add(compiled);
            }
        }
        let any = any.build().map_err(|e| invalid("", e.to_string()))?;
        let dirs = dirs.build().map_err(|e| invalid("", e.to_string()))?;
        Ok(Excludes { any, dirs })
    }

    /// Whether the path `name` (relative, `/`-separated) stays out. A directory that is
    /// excluded is not walked, so its contents need no check of their own.
    pub(super) fn is_excluded(&self, name: &str, is_dir: bool) -> bool {
        self.any.is_match(name) || (is_dir && self.dirs.is_match(name))
    }
}

/// Rewrites a user pattern into the glob that implements the rules on [`Excludes`];
/// the flag says whether it matches directories only.
fn normalize(pattern: &str) -> Result<(String, bool), String> {
    if pattern.starts_with('!') {
        return Err(
            "`!` (re-including a path) is not supported; narrow the other patterns \
                    instead"
                .to_string(),
        );
    }
    let mut glob = pattern;
    let dir_only = glob.ends_with('/');
    glob = glob.trim_end_matches('/');
    let anchored = glob.starts_with('/') || glob.starts_with("./");
    glob = glob.trim_start_matches("./").trim_start_matches('/');
    if glob.is_empty() {
        return Err("it matches no path".to_string());
    }
    let glob = if anchored || glob.contains('/') {
        glob.to_string()
    } else {
        format!("**/{glob}")
    };
    Ok((glob, dir_only))
}

fn compile(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        // Fixed rather than the platform's default, so a manifest means the same
        // everywhere.
        .backslash_escape(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclude_patterns_match_like_gitignore() {
        // (pattern, path, is a directory, excluded)
        let cases: &[(&str, &str, bool, bool)] = &[
            ("*.md", "README.md", false, true),
            ("*.md", "docs/deep/guide.md", false, true),
            ("*.md", "README.mdx", false, false),
            ("docs/*.md", "docs/guide.md", false, true),
            ("docs/*.md", "docs/deep/guide.md", false, false),
            ("docs/**/*.md", "docs/deep/guide.md", false, true),
            ("tests/**", "tests/a.py", false, true),
            ("tests/**", "tests/x/y/a.py", false, true),
            ("tests/**", "src/tests/a.py", false, false),
            ("tests", "tests", true, true),
            ("tests", "src/tests", true, true),
            ("/tests", "src/tests", true, false),
            ("/tests", "tests", true, true),
            ("./setup.py", "setup.py", false, true),
            ("./setup.py", "pkg/setup.py", false, false),
            ("build/", "build", true, true),
            ("build/", "build", false, false),
            ("node_modules", "web/node_modules", true, true),
            ("*.test.?s", "a/b.test.js", false, true),
            ("{a,b}.txt", "b.txt", false, true),
            ("Makefile", "makefile", false, false),
        ];
        let root = Path::new("root");
        for &(pattern, path, is_dir, excluded) in cases {
            let excludes = Excludes::new(root, &[pattern.to_string()]).unwrap();
            assert_eq!(
                excludes.is_excluded(path, is_dir),
                excluded,
                "pattern `{pattern}` on `{path}` (dir: {is_dir})"
            );
        }
    }
}
