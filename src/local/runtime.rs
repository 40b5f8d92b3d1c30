//! Which program runs a function's handler on this machine.
//!
//! Python runtimes (`python3.12`) run with `python3.12` when it is on the PATH, else
//! with `python3`; Node.js runtimes (`nodejs22.x`) with `node`. Java, .NET, Ruby and
//! the OS-only runtimes (`provided.*`) are not run locally.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The languages lade can run locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Node,
}

/// A local interpreter for a Lambda runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRuntime {
    /// The Lambda runtime it stands in for, e.g. `python3.12`.
    pub runtime: String,
    pub language: Language,
    /// The interpreter found on the PATH.
    pub program: PathBuf,
    /// Said on stderr when the interpreter is not the runtime's own version.
    pub note: Option<String>,
}

/// Why a function cannot run locally.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuntimeError {
    /// A runtime lade does not run on this machine.
    #[error(
        "runtime `{runtime}` cannot run locally: lade runs only Python (python3.*) and \
         Node.js (nodejs*) handlers on this machine; deploy it with `lade apply` to run it in Lambda"
    )]
    Unsupported { runtime: String },
    /// No interpreter for the runtime is on the PATH.
    #[error(
        "runtime `{runtime}` needs `{program}` on the PATH, and it is not there: install {install}"
    )]
    NotFound {
        runtime: String,
        program: String,
        install: String,
    },
}

/// The interpreter for `runtime`, looked up on `path` (the value of `PATH`).
pub fn find(runtime: &str, path: Option<&OsStr>) -> Result<LocalRuntime, RuntimeError> {
    let (language, candidates, install) = if runtime.starts_with("python3") {
        (
            Language::Python,
            vec![runtime.to_string(), "python3".to_string()],
            format!(
                "Python 3 (ideally {}), from https://www.python.org",
                &runtime["python".len()..]
            ),
        )
    } else if let Some(version) = runtime.strip_prefix("nodejs") {
        let major = version.trim_end_matches(".x");
        (
            Language::Node,
            vec!["node".to_string()],
            format!("Node.js (ideally {major}), from https://nodejs.org"),
        )
    } else {
        return Err(RuntimeError::Unsupported {
            runtime: runtime.to_string(),
        });
    };
    for (index, candidate) in candidates.iter().enumerate() {
        let Some(program) = on_path(candidate, path) else {
            continue;
        };
        // A version manager's shim (pyenv's) is on the PATH for versions it cannot run.
        let Some(version) = version(&program) else {
            continue;
        };
        {
            let note = (language == Language::Python && index > 0).then(|| {
                format!(
                    "note: `{runtime}` is not on the PATH; running the handler with `{candidate}` \
                     ({version})"
                )
            });
            return Ok(LocalRuntime {
                runtime: runtime.to_string(),
                language,
                program,
                note,
            });
        }
    }
    Err(RuntimeError::NotFound {
        runtime: runtime.to_string(),
        program: candidates.last().cloned().unwrap_or_default(),
        install,
    })
}

/// What `program --version` says, if it runs and succeeds.
fn version(program: &Path) -> Option<String> {
    let output = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // Python 2 and old 3s printed it on stderr.
    let text = [output.stdout, output.stderr].concat();
    Some(String::from_utf8_lossy(&text).trim().to_string())
}

/// The first executable file called `name` in the directories of `path`.
fn on_path(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            let file = dir.path().join(name);
            std::fs::write(&file, format!("#!/bin/sh\necho {name} 1.0\n")).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        dir
    }

    #[test]
    fn python_prefers_the_exact_version_then_python3() {
        let dir = dir_with(&["python3.12", "python3"]);
        let found = find("python3.12", Some(dir.path().as_os_str())).unwrap();
        assert_eq!(found.program, dir.path().join("python3.12"));
        assert_eq!(found.note, None);

        let dir = dir_with(&["python3"]);
        let found = find("python3.12", Some(dir.path().as_os_str())).unwrap();
        assert_eq!(found.program, dir.path().join("python3"));
        assert_eq!(
            found.note.unwrap(),
            "note: `python3.12` is not on the PATH; running the handler with `python3` \
             (python3 1.0)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn interpreters_that_do_not_run_are_skipped() {
        // As a pyenv shim for a version that is not installed.
        let dir = dir_with(&["python3"]);
        let shim = dir.path().join("python3.12");
        std::fs::write(&shim, "#!/bin/sh\nexit 127\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = find("python3.12", Some(dir.path().as_os_str())).unwrap();
        assert_eq!(found.program, dir.path().join("python3"));
    }

    #[test]
    fn node_runs_with_node() {
        let dir = dir_with(&["node"]);
        let found = find("nodejs22.x", Some(dir.path().as_os_str())).unwrap();
        assert_eq!(found.language, Language::Node);
        assert_eq!(found.program, dir.path().join("node"));
    }

    #[test]
    fn missing_interpreters_say_what_to_install() {
        let dir = dir_with(&[]);
        let error = find("nodejs22.x", Some(dir.path().as_os_str())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "runtime `nodejs22.x` needs `node` on the PATH, and it is not there: install \
             Node.js (ideally 22), from https://nodejs.org"
        );
        let error = find("python3.13", Some(dir.path().as_os_str())).unwrap_err();
        assert!(
            error.to_string().contains("needs `python3` on the PATH"),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("install Python 3 (ideally 3.13)"),
            "{error}"
        );
    }

    #[test]
    fn other_runtimes_are_not_run_locally() {
        for runtime in ["java21", "dotnet8", "provided.al2023", "ruby3.3"] {
            let error = find(runtime, None).unwrap_err();
            assert_eq!(
                error,
                RuntimeError::Unsupported {
                    runtime: runtime.to_string()
                }
            );
            assert!(error.to_string().contains("cannot run locally"));
        }
    }
}
