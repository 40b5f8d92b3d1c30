//! Where a saved plan's manifest is: recorded by `lade plan --out`, found again by
//! `lade apply PLAN`, so a saved plan applies from any directory without `-f`.
//!
//! The plan records the manifest's path relative to the plan file's directory and its
//! absolute path (`plan::Manifest`). Apply tries the relative one first: in CI the plan
//! job and the apply job often check the repository out at different absolute paths,
//! and the plan file travels as an artifact to the same place in the checkout. The
//! absolute path covers a plan file moved elsewhere on the same machine. `-f` given on
//! the command line wins over both. The manifest's hash is recorded too, and a
//! manifest that changed makes the plan stale (`apply::check_saved`).

use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::plan;

/// What to record about `manifest` in a plan about to be saved to `plan_file`.
pub fn record(manifest: &Path, plan_file: &Path) -> anyhow::Result<plan::Manifest> {
    let absolute = std::fs::canonicalize(manifest)
        .with_context(|| format!("could not find the manifest {}", manifest.display()))?;
    let directory = directory_of(plan_file);
    let directory = std::fs::canonicalize(&directory).with_context(|| {
        format!(
            "could not save the plan to {}: its directory {} is not there",
            plan_file.display(),
            directory.display()
        )
    })?;
    let relative = pathdiff::diff_paths(&absolute, &directory).unwrap_or(absolute.clone());
    Ok(plan::Manifest {
        relative: slashed(&relative),
        absolute: absolute.to_string_lossy().into_owned(),
        sha256: hash(manifest)?,
    })
}

/// The manifest that `saved`, read from `plan_file`, was made from: its relative path
/// if a file is there, else its absolute one.
pub fn locate(saved: &plan::Plan, plan_file: &Path) -> anyhow::Result<PathBuf> {
    let Some(recorded) = &saved.manifest else {
        bail!(
            "{} does not record where its manifest is (it was saved by an older lade): \
             pass the manifest with -f, or make the plan again",
            plan_file.display()
        );
    };
    let relative = directory_of(plan_file).join(&recorded.relative);
    if relative.is_file() {
        return Ok(relative);
    }
    let absolute = PathBuf::from(&recorded.absolute);
    if absolute.is_file() {
        return Ok(absolute);
    }
    bail!(
        "cannot find the manifest {} was made from: neither {} (next to the plan, as it \
         was) nor {} exists. Pass it with -f.",
        plan_file.display(),
        relative.display(),
        absolute.display()
    )
}

/// Why `manifest` is not the one `saved` was made from, if it is not.
pub fn changed(saved: &plan::Plan, manifest: &Path) -> anyhow::Result<Option<String>> {
    let Some(recorded) = &saved.manifest else {
        return Ok(None);
    };
    Ok((hash(manifest)? != recorded.sha256)
        .then(|| format!("the manifest {} changed", manifest.display())))
}

/// The base64 SHA-256 of the file's bytes.
fn hash(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("could not read the manifest {}", path.display()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)))
}

/// The directory a file is in; `.` for a bare file name.
fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` with `/` between its components, the same on every system.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|component| match component {
            Component::ParentDir => "..".into(),
            Component::CurDir => ".".into(),
            other => other.as_os_str().to_string_lossy(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(manifest: Option<plan::Manifest>) -> plan::Plan {
        let mut plan: plan::Plan = serde_json::from_value(serde_json::json!({
            "format_version": plan::FORMAT_VERSION,
            "scope": {"project": "p", "stage": "dev"},
            "region": null,
            "salt": "",
            "fingerprints": {},
            "artifacts": {},
            "changes": [],
            "steps": [],
        }))
        .expect("a plan without `manifest` still loads");
        plan.manifest = manifest;
        plan
    }

    #[test]
    fn records_the_manifest_relative_to_the_plan_and_finds_it_there_first() {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::create_dir_all(root.path().join("plans")).unwrap();
        std::fs::write(app.join("lade.yaml"), "project: p\n").unwrap();
        let plan_file = root.path().join("plans/plan.json");
        let recorded = record(&app.join("lade.yaml"), &plan_file).unwrap();
        assert_eq!(recorded.relative, "../app/lade.yaml");
        assert!(Path::new(&recorded.absolute).is_absolute());

        // The whole tree moved (another checkout path): the relative path still finds it.
        let moved = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(moved.path().join("app")).unwrap();
        std::fs::create_dir_all(moved.path().join("plans")).unwrap();
        std::fs::write(moved.path().join("app/lade.yaml"), "project: p\n").unwrap();
        let saved = plan_with(Some(recorded.clone()));
        let found = locate(&saved, &moved.path().join("plans/plan.json")).unwrap();
        assert!(found.starts_with(moved.path()), "{}", found.display());
        assert_eq!(changed(&saved, &found).unwrap(), None);

        // Only the plan file moved: the absolute path finds the manifest.
        let elsewhere = tempfile::tempdir().unwrap();
        let found = locate(&saved, &elsewhere.path().join("plan.json")).unwrap();
        assert_eq!(found, PathBuf::from(&recorded.absolute));

        // An edited manifest is named as the change.
        std::fs::write(app.join("lade.yaml"), "project: q\n").unwrap();
        let reason = changed(&saved, &found).unwrap().expect("it changed");
        assert!(reason.contains("changed"), "{reason}");
    }

    #[test]
    fn a_bare_plan_file_name_is_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("plan.json")), PathBuf::from("."));
        assert_eq!(directory_of(Path::new("a/plan.json")), PathBuf::from("a"));
    }

    #[test]
    fn a_manifest_found_nowhere_and_an_old_plan_say_to_pass_f() {
        let nowhere = plan_with(Some(plan::Manifest {
            relative: "missing/lade.yaml".into(),
            absolute: "/nonexistent/lade.yaml".into(),
            sha256: String::new(),
        }));
        let error = locate(&nowhere, Path::new("/tmp/plan.json")).unwrap_err();
        assert!(error.to_string().contains("Pass it with -f"), "{error}");
        let old = plan_with(None);
        let error = locate(&old, Path::new("plan.json")).unwrap_err();
        assert!(error.to_string().contains("older lade"), "{error}");
        assert_eq!(changed(&old, Path::new("/nonexistent")).unwrap(), None);
    }
}
