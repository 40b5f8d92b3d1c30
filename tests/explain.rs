//! `--explain` runs as written: every command `lade plan --explain` and
//! `lade destroy --explain` print is run with the real `aws` CLI against moto, with
//! the placeholders replaced by what earlier commands answered, as a person following
//! the legend would. Afterwards `lade plan` must find nothing to do: the resources
//! made by hand look like lade's, record tags and all.
//!
//! The `aws` CLI (v1 here) is pointed at moto through a config file's `endpoint_url`
//! (botocore reads it, as it reads `AWS_ENDPOINT_URL`), not by editing the commands.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::moto;
use support::project::Project;

/// What a person has at hand while following the text: the values earlier commands
/// answered, by placeholder, and the shell variables the text sets.
#[derive(Default)]
struct Reader {
    values: BTreeMap<String, String>,
    variables: BTreeMap<String, String>,
    /// Every `aws` command run, by operation, e.g. `lambda tag-resource`.
    ran: Vec<String>,
}

impl Reader {
    /// Runs every command in `text` in order, in the project's directory.
    fn follow(&mut self, project: &Project, text: &str) {
        let config = project.path().join(".aws-config");
        std::fs::write(
            &config,
            format!("[default]\nendpoint_url = {}\n", moto().endpoint()),
        )
        .unwrap();
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        // The text's first instruction: `export AWS_REGION=… AWS_DEFAULT_REGION=…`.
        let export = text
            .lines()
            .find_map(|l| l.split_once("First: export ").map(|(_, rest)| rest))
            .expect("the text says which region to export");
        for pair in export.split_whitespace() {
            let (name, value) = pair.split_once('=').unwrap();
            env.insert(name.to_owned(), value.to_owned());
        }
        assert!(env.contains_key("AWS_DEFAULT_REGION"), "{export}");
        if text.contains("<account>") {
            let identity = self.aws(project, &config, &env, "aws sts get-caller-identity");
            self.values.insert(
                "<account>".into(),
                identity["Account"].as_str().unwrap().into(),
            );
        }
        for command in commands(text) {
            let command = self.fill(&command);
            assert!(!command.contains('<'), "a placeholder is left: {command}");
            if let Some((name, _)) = command.split_once("=$(") {
                let line = format!("{command}; printf %s \"${name}\"");
                let value = shell(project.path(), &config, &env, &self.variables, &line);
                let value = String::from_utf8(value.stdout).unwrap();
                assert_eq!(value.len(), 44, "a base64 SHA-256: {value:?}");
                self.variables.insert(name.to_owned(), value);
                continue;
            }
            let answer = self.aws(project, &config, &env, &command);
            self.learn(&command, &answer);
        }
    }

    /// Replaces every placeholder whose value is known.
    fn fill(&self, command: &str) -> String {
        let mut filled = command.to_owned();
        for (placeholder, value) in &self.values {
            filled = filled.replace(placeholder, value);
        }
        filled
    }

    /// Runs one `aws` command and returns its JSON answer (`null` for none).
    fn aws(
        &mut self,
        project: &Project,
        config: &Path,
        env: &BTreeMap<String, String>,
        command: &str,
    ) -> Value {
        let words: Vec<&str> = command.split_whitespace().take(3).collect();
        self.ran.push(words[1..].join(" "));
        let output = shell(project.path(), config, env, &self.variables, command);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() && words[1..] == ["apigateway", "update-method"] {
            // moto 5 has no UpdateMethod (it answers 500, "not been implemented"). AWS
            // has it, and refuses put-method on an existing method with 409; on moto a
            // put-method replaces the method, and the put-integration the text prints
            // next puts its integration back. So here, and only against moto, the
            // method is put with the settings the patch names.
            assert!(stderr.contains("500"), "{command}\n{stderr}");
            let put = put_method_for(command);
            return self.aws(project, config, env, &put);
        }
        assert!(
            output.status.success(),
            "the explained command failed:\n{command}\n{stdout}\n{stderr}"
        );
        serde_json::from_str(&stdout).unwrap_or(Value::Null)
    }

    /// Learns the values a command's answer gives the placeholders of later commands.
    fn learn(&mut self, command: &str, answer: &Value) {
        let text = |v: &Value| v.as_str().unwrap().to_owned();
        let mut learn = |placeholder: String, value: String| {
            self.values.insert(placeholder, value);
        };
        if command.starts_with("aws iam create-role") {
            let role = &answer["Role"];
            learn(
                format!("<arn of role {}>", text(&role["RoleName"])),
                text(&role["Arn"]),
            );
        } else if command.starts_with("aws lambda create-function") {
            learn(
                format!("<arn of function {}>", text(&answer["FunctionName"])),
                text(&answer["FunctionArn"]),
            );
        } else if command.starts_with("aws apigateway create-rest-api") {
            learn("<api-id>".into(), text(&answer["id"]));
            learn("<resource-id:/>".into(), text(&answer["rootResourceId"]));
        } else if command.starts_with("aws apigateway create-deployment") {
            learn("<deployment-id>".into(), text(&answer["id"]));
        } else if command.starts_with("aws apigateway create-resource") {
            learn(
                format!("<resource-id:{}>", text(&answer["path"])),
                text(&answer["id"]),
            );
        }
    }
}

/// The commands in an explanation: each `aws …` (with its `\` continuation lines) and
/// each shell line that sets a variable, in order.
fn commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        if !(line.starts_with("aws ") || line.starts_with("LADE_CONFIG=")) {
            continue;
        }
        let mut command = line.to_owned();
        while command.ends_with('\\') {
            command.pop();
            command.push_str(lines.next().unwrap().trim_start());
        }
        commands.push(command);
    }
    commands
}

/// `aws apigateway put-method` with the settings an `update-method` command patches.
fn put_method_for(update: &str) -> String {
    let option = |name: &str| {
        let (_, rest) = update.split_once(&format!("--{name} ")).unwrap();
        rest.split_whitespace()
            .next()
            .unwrap()
            .trim_matches('\'')
            .to_owned()
    };
    let (_, patch) = update.split_once("--patch-operations '").unwrap();
    let patch: Value = serde_json::from_str(patch.split('\'').next().unwrap()).unwrap();
    let value = |path: &str| {
        patch
            .as_array()
            .unwrap()
            .iter()
            .find(|op| op["path"] == path)
            .map(|op| op["value"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let key = if value("/apiKeyRequired") == "true" {
        "--api-key-required"
    } else {
        "--no-api-key-required"
    };
    format!(
        "aws apigateway put-method --rest-api-id {} --resource-id {} --http-method {} --authorization-type {} {key}",
        option("rest-api-id"),
        option("resource-id"),
        option("http-method"),
        value("/authorizationType"),
    )
}

/// Runs `line` with bash in `dir`, with moto's credentials, the `aws` config and `env`.
fn shell(
    dir: &Path,
    config: &Path,
    env: &BTreeMap<String, String>,
    variables: &BTreeMap<String, String>,
    line: &str,
) -> std::process::Output {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", config)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_DEFAULT_OUTPUT", "json")
        .env("AWS_PAGER", "")
        .envs(env)
        .envs(variables);
    command.output().unwrap_or_else(|error| {
        panic!("this test runs the aws CLI through bash, and could not: {error}")
    })
}

/// Asserts that the `aws` CLI is there: the test must fail, not skip, without it.
fn aws_cli() {
    let version = Command::new("aws").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs the aws CLI (`pip install awscli`): {version:?}"
    );
}

const NO_CHANGES: &str = "No changes.";

/// Creates `example` by hand from `lade plan --explain`, then checks that lade sees
/// exactly what it would have made.
fn by_hand(example: &str) -> (Project, Reader) {
    aws_cli();
    let project = Project::example(example, &format!("{example}x"));
    let text = project.ok(&["plan", "--explain"]);
    assert!(text.contains("lade package"), "{text}");
    let packaged = project.ok(&["package"]);
    assert!(packaged.contains("CodeSha256"), "{packaged}");
    let mut reader = Reader::default();
    reader.follow(&project, &text);
    let plan = project.ok(&["plan", "--color", "never"]);
    assert!(
        plan.starts_with(NO_CHANGES),
        "after the explained commands:\n{plan}\n\n{text}"
    );
    (project, reader)
}

#[test]
fn hello_made_by_hand_from_the_explanation_is_what_lade_makes() {
    let (project, reader) = by_hand("hello");
    let plan: Value = serde_json::from_str(&project.ok(&["plan", "--json"])).unwrap();
    assert_eq!(plan["steps"], Value::Array(Vec::new()));
    // The record tags went in with the create: no tagging call of its own.
    assert!(reader.ran.contains(&"lambda create-function".to_string()));
    assert!(!reader.ran.contains(&"lambda tag-resource".to_string()));
}

#[test]
fn crud_made_by_hand_then_updated_and_destroyed_by_hand() {
    let (project, mut reader) = by_hand("crud");

    // An update plan: a method that exists, a configuration, code, and tags.
    project.edit(|text| {
        text.replace("authorization: AWS_IAM", "authorization: NONE")
            .replacen(
                "    timeout: 10\n",
                "    timeout: 12\n    tags:\n      team: admin\n",
                1,
            )
            .replacen(
                "      TABLE: crud-items\n",
                "      TABLE: crud-items\n      MODE: fast\n",
                1,
            )
    });
    std::fs::write(project.path().join("src").join("extra.py"), "VALUE = 1\n").unwrap();
    let text = project.ok(&["plan", "--explain"]);
    for expected in [
        "aws apigateway update-method",
        "aws lambda update-function-configuration",
        "aws lambda update-function-code",
        "aws lambda tag-resource",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    assert!(!text.contains("aws apigateway put-method"), "{text}");
    project.ok(&["package"]);
    reader.follow(&project, &text);
    let plan = project.ok(&["plan", "--color", "never"]);
    assert!(
        plan.starts_with(NO_CHANGES),
        "after the update:\n{plan}\n\n{text}"
    );

    // The teardown, by hand, in the order `destroy --explain` gives.
    let text = project.ok(&["destroy", "--explain"]);
    assert!(text.contains("reverse order"), "{text}");
    reader.follow(&project, &text);
    let after = project.ok(&["destroy", "--explain"]);
    assert!(
        after.starts_with("Nothing to destroy."),
        "{after}\n\n{text}"
    );
}

/// `lade package` writes the bytes the plan records the hash of, named by key, and
/// refuses a key the manifest does not have.
#[test]
fn package_writes_the_zip_the_plan_uploads() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let project = Project::example("hello", "pkg");
    let printed = project.ok(&["package", "hello", "--out", "dist"]);
    let zip = std::fs::read(project.path().join("dist").join("hello.zip")).unwrap();
    let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip));
    assert!(printed.contains(&format!("CodeSha256 {sha}")), "{printed}");
    let plan: Value = serde_json::from_str(&project.ok(&["plan", "--json"])).unwrap();
    assert_eq!(plan["artifacts"]["hello"], sha.as_str());
    let unknown = project.lade(&["package", "nope"]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("no function `nope`"), "{stderr}");
}
