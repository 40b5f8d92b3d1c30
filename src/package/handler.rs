//! Whether a function's handler names a file its package holds.
//!
//! Lambda accepts a zip whose handler points nowhere and fails only when the function
//! is invoked ("Unable to import module 'app'", "Cannot find module 'index'"). This
//! file finds that before anything is uploaded, with each runtime's own rule for
//! which file a handler names, relative to the package's root:
//!
//! | runtime     | handler                          | file                                                        |
//! |-------------|----------------------------------|-------------------------------------------------------------|
//! | `python*`   | `dir/pkg.mod.function`           | `dir/pkg/mod.py` or `dir/pkg/mod/__init__.py` (the module is everything before the last `.`, dots being packages) |
//! | `nodejs*`   | `dir/app.function` (`app.a.b`)   | `dir/app.js`, `.mjs` or `.cjs` (the module ends at the first `.` of the last path segment) |
//! | `ruby*`     | `dir/app.method` (`app.Class.m`) | `dir/app.rb` (likewise up to the first `.`)                  |
//! | `java*`     | `pkg.Class` or `pkg.Class::m`    | `pkg/Class.class` at the root, or in a `lib/*.jar`          |
//! | `dotnet*`   | `Assembly::Type::Method`         | `Assembly.dll`                                              |
//! | `provided*` | anything                         | an executable `bootstrap` at the root (lade deploys no layers to hold it) |
//!
//! The check reads only the zip's central directory (and, for Java, the directories
//! of the jars under `lib/`), never a file's contents.

use std::io::{Cursor, Read as _};

/// Checks that `handler` names a file in the zip `bytes` for `runtime`; the reason,
/// with the files that are there (or the nearest ones), when it does not.
pub fn check(bytes: &[u8], runtime: &str, handler: &str) -> Result<(), String> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Packaging has read the zip already; a zip it could not read is its error.
        return Ok(());
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| !n.ends_with('/'))
        .map(|n| n.into_owned())
        .collect();
    let wanted = wanted_files(runtime, handler);
    if wanted.is_empty() || wanted.iter().any(|w| names.contains(w)) {
        return Ok(());
    }
    if runtime.starts_with("java") && in_a_jar(&mut archive, &names, &wanted) {
        return Ok(());
    }
    let what = match wanted.as_slice() {
        [one] => format!("`{one}`"),
        many => {
            let quoted: Vec<String> = many.iter().map(|w| format!("`{w}`")).collect();
            format!("one of {}", quoted.join(", "))
        }
    };
    let shown = nearest(&names, &wanted[0]);
    let found = if names.len() <= shown.len() {
        format!("it holds {}", listed(&shown))
    } else {
        format!(
            "it holds {} files; the nearest: {}",
            names.len(),
            listed(&shown)
        )
    };
    Err(format!(
        "handler `{handler}` ({runtime}) needs {what} in the package, which has no such file; {found}; the handler's path is relative to the root of `source`"
    ))
}

/// The files a handler may name for a runtime; empty when lade does not know the rule.
fn wanted_files(runtime: &str, handler: &str) -> Vec<String> {
    let (dir, base) = match handler.rsplit_once('/') {
        Some((dir, base)) => (format!("{dir}/"), base),
        None => (String::new(), handler),
    };
    if runtime.starts_with("python") {
        let Some((module, _)) = base.rsplit_once('.') else {
            return Vec::new();
        };
        let module = format!("{dir}{}", module.replace('.', "/"));
        vec![format!("{module}.py"), format!("{module}/__init__.py")]
    } else if runtime.starts_with("nodejs") {
        let Some((module, _)) = base.split_once('.') else {
            return Vec::new();
        };
        ["js", "mjs", "cjs"]
            .iter()
            .map(|ext| format!("{dir}{module}.{ext}"))
            .collect()
    } else if runtime.starts_with("ruby") {
        let Some((file, _)) = base.split_once('.') else {
            return Vec::new();
        };
        vec![format!("{dir}{file}.rb")]
    } else if runtime.starts_with("java") {
        let class = handler.split_once("::").map_or(handler, |(class, _)| class);
        vec![format!("{}.class", class.replace('.', "/"))]
    } else if runtime.starts_with("dotnet") {
        let assembly = handler.split("::").next().unwrap_or(handler);
        vec![format!("{assembly}.dll")]
    } else if runtime.starts_with("provided") {
        vec!["bootstrap".to_owned()]
    } else {
        Vec::new()
    }
}

/// Whether a jar under `lib/` holds one of the wanted classes (Lambda puts them on
/// the class path).
fn in_a_jar(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    names: &[String],
    wanted: &[String],
) -> bool {
    for name in names
        .iter()
        .filter(|n| n.starts_with("lib/") && n.ends_with(".jar"))
    {
        let mut jar = Vec::new();
        let Ok(mut file) = archive.by_name(name) else {
            continue;
        };
        if file.read_to_end(&mut jar).is_err() {
            continue;
        }
        if let Ok(inner) = zip::ZipArchive::new(Cursor::new(jar.as_slice()))
            && inner
                .file_names()
                .filter_map(Result::ok)
                .any(|n| wanted.iter().any(|w| *w == n))
        {
            return true;
        }
    }
    false
}

/// Up to five of `names`, the closest to `wanted` first (all of them when few).
fn nearest(names: &[String], wanted: &str) -> Vec<String> {
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|n| (strsim::jaro_winkler(n, wanted), n))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(5).map(|(_, n)| n.clone()).collect()
}

fn listed(names: &[String]) -> String {
    if names.is_empty() {
        return "no files".to_owned();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        for (name, bytes) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    fn ok(files: &[&str], runtime: &str, handler: &str) -> Result<(), String> {
        let files: Vec<(&str, &[u8])> = files.iter().map(|f| (*f, b"x".as_slice())).collect();
        check(&zip_of(&files), runtime, handler)
    }

    #[test]
    fn each_runtime_finds_its_file() {
        for (files, runtime, handler) in [
            (&["app.py"][..], "python3.12", "app.handler"),
            (&["src/app.py"], "python3.12", "src/app.handler"),
            (&["pkg/mod.py"], "python3.12", "pkg.mod.handler"),
            (&["pkg/__init__.py"], "python3.12", "pkg.handler"),
            (&["index.js"], "nodejs22.x", "index.handler"),
            (&["index.mjs"], "nodejs24.x", "index.handler"),
            (&["dist/app.cjs"], "nodejs24.x", "dist/app.handler"),
            (&["app.js"], "nodejs24.x", "app.routes.get"),
            (&["app.rb"], "ruby3.4", "app.handler"),
            (&["lib/app.rb"], "ruby3.4", "lib/app.Handler.process"),
            (
                &["example/Handler.class"],
                "java21",
                "example.Handler::handleRequest",
            ),
            (
                &["MyApp.dll", "MyApp.deps.json"],
                "dotnet8",
                "MyApp::MyApp.Function::Handler",
            ),
            (&["bootstrap"], "provided.al2023", "anything"),
        ] {
            assert_eq!(ok(files, runtime, handler), Ok(()), "{runtime} {handler}");
        }
    }

    #[test]
    fn a_missing_file_is_named_with_what_is_there() {
        let err = ok(&["main.py", "lib/util.py"], "python3.12", "app.handler").unwrap_err();
        assert_eq!(
            err,
            "handler `app.handler` (python3.12) needs one of `app.py`, `app/__init__.py` in the package, which has no such file; it holds `main.py`, `lib/util.py`; the handler's path is relative to the root of `source`"
        );
        let err = ok(&["index.ts"], "nodejs24.x", "index.handler").unwrap_err();
        assert!(
            err.contains("one of `index.js`, `index.mjs`, `index.cjs`"),
            "{err}"
        );
        // A nested handler names a nested file, not one at the root.
        assert!(ok(&["app.py"], "python3.12", "src/app.handler").is_err());
        assert!(
            ok(&["main"], "provided.al2023", "main")
                .unwrap_err()
                .contains("`bootstrap`")
        );
        assert!(ok(&["app.rb"], "ruby3.4", "other.handler").is_err());
        assert!(ok(&["Other.dll"], "dotnet8", "MyApp::MyApp.F::H").is_err());
    }

    #[test]
    fn many_files_show_the_nearest() {
        let names: Vec<String> = (0..40).map(|i| format!("module{i}.py")).collect();
        let mut files: Vec<&str> = names.iter().map(String::as_str).collect();
        files.push("handlers.py");
        let err = ok(&files, "python3.12", "handler.main").unwrap_err();
        assert!(
            err.contains("it holds 41 files; the nearest: `handlers.py`"),
            "{err}"
        );
    }

    #[test]
    fn java_classes_may_be_in_a_jar_under_lib() {
        let jar = zip_of(&[("example/Handler.class", b"x")]);
        let bytes = zip_of(&[("lib/app.jar", &jar)]);
        assert_eq!(
            check(&bytes, "java21", "example.Handler::handleRequest"),
            Ok(())
        );
        assert!(check(&bytes, "java21", "example.Other").is_err());
    }
}
