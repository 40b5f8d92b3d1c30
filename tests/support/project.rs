//! A project directory run through the real `lade` binary against moto.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{moto, unique};

/// A project directory with a manifest and function sources, run through the real binary.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub name: String,
}

impl Project {
    /// An empty project with sources `list/`, `get/` and `worker/`.
    pub fn new(prefix: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for f in ["list", "get", "worker"] {
            write(
                &dir.path().join(f).join("app.py"),
                &format!("def handler(event, context):\n    return '{f}'\n"),
            );
        }
        Project {
            dir,
            name: unique(prefix),
        }
    }

    /// A copy of `examples/<name>` under a unique project name.
    pub fn example(name: &str, prefix: &str) -> Self {
        let project = Project::new(prefix);
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        copy_dir(&source, project.path());
        let manifest = std::fs::read_to_string(project.path().join("lade.yaml")).unwrap();
        let manifest = manifest.replacen(&format!("project: {name}"), "project: {project}", 1);
        assert!(
            manifest.contains("{project}"),
            "examples/{name} names its project `{name}`"
        );
        project.manifest(&manifest);
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `lade.yaml`; `{project}` in the text becomes this project's name (the
    /// manifest's own variable `${project}` is left as it is).
    pub fn manifest(&self, yaml: &str) -> &Self {
        const VARIABLE: &str = "\u{0}project-variable\u{0}";
        let text = yaml
            .replace("${project}", VARIABLE)
            .replace("{project}", &self.name)
            .replace(VARIABLE, "${project}");
        write(&self.path().join("lade.yaml"), &text);
        self
    }

    pub fn lade(&self, args: &[&str]) -> Output {
        self.lade_with(args, &[])
    }

    /// `lade ARGS` in this project, talking to the endpoint `aws` describes (for
    /// example `moto().env()` or a proxy's `env()`), with stdin closed and no
    /// `LADE_STAGE` from the test's environment. Set stdout and stderr as needed.
    pub fn command(&self, args: &[&str], aws: Vec<(&'static str, String)>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lade"));
        command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null())
            .env_remove("LADE_STAGE")
            .envs(aws);
        command
    }

    /// Runs lade with extra environment variables.
    pub fn lade_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args, moto().env());
        command.envs(env.iter().copied());
        command.output().unwrap()
    }

    /// Runs lade and asserts it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, &[])
    }

    /// Runs lade with extra environment variables and asserts it succeeds; returns
    /// stdout.
    pub fn ok_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let output = self.lade_with(args, env);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "lade {args:?} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }

    /// The plan's steps as `(operation, resource name)`.
    /// Rewrites `lade.yaml` through `change`.
    pub fn edit(&self, change: impl FnOnce(String) -> String) {
        let path = self.path().join("lade.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let changed = change(text.clone());
        assert_ne!(changed, text, "the edit changed nothing");
        std::fs::write(path, changed).unwrap();
    }

    pub fn plan_steps(&self) -> Vec<(String, String)> {
        self.plan_steps_with(&[])
    }

    /// The plan's steps, with extra environment variables.
    pub fn plan_steps_with(&self, env: &[(&str, &str)]) -> Vec<(String, String)> {
        let plan: Value = serde_json::from_str(&self.ok_with(&["plan", "--json"], env)).unwrap();
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let op = &s["op"];
                let name = op.get("name").or(op.get("role")).and_then(|n| n.as_str());
                let name = name.or(op["role"]["name"].as_str()).unwrap_or_default();
                (op["op"].as_str().unwrap().to_string(), name.to_string())
            })
            .collect()
    }

    pub fn physical(&self, key: &str) -> String {
        format!("{}-dev-{key}", self.name)
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
