//! `lade plan --explain`: the plan as a lesson. For each step, in order: what it does,
//! why it comes where it does, and the `aws` CLI command that does the same by hand.
//!
//! The commands are meant to be read and, with the placeholders filled in, run. They
//! are not what lade runs: lade calls the same APIs through the SDK, and adds the
//! waits and retries the commands leave to the reader (see `docs/tutorial.md`).
//!
//! This module never prints a sensitive value: the plan holds only a salted hash of
//! one, and the command shows `<sensitive>` in its place.
//!
//! Each service's commands are in its own file (`iam.rs`, `lambda.rs`, `apigateway.rs`,
//! `events.rs`, `s3.rs`, `sns.rs`).

mod apigateway;
mod events;
mod http_api;
mod iam;
mod lambda;
mod s3;
mod sns;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diff::env::PlannedValue;
use crate::diff::{Output, Ref};
use crate::model::{ApiSettings, Architecture};
use crate::plan::{
    CodeRef, FunctionSettings, HttpApiOp, IamOp, LambdaOp, Op, Plan, RestApiOp, Step,
};

/// Where `lade package` writes the zips, and where the `fileb://` paths point, unless
/// `--out` says otherwise. Under `.lade/`, which packaging always leaves out, so a zip
/// written into a function's own source tree never ends up in its next package.
pub const PACKAGE_DIR: &str = ".lade/package";

/// Shown in a command in place of a sensitive value.
pub const SENSITIVE_PLACEHOLDER: &str = "<sensitive>";

/// Lines longer than this are broken after each option, with `\` continuations.
const LINE_WIDTH: usize = 88;

/// The plan explained step by step, with the equivalent `aws` CLI commands.
pub fn plan(plan: &Plan) -> String {
    let scope = &plan.scope;
    if plan.is_empty() {
        return format!(
            "No changes. Project {} stage {} matches the manifest, so there is nothing to explain.\n",
            scope.project, scope.stage
        );
    }
    let intro = format!(
        "How lade carries out this plan for project {} stage {}, step by step, with the\n\
         `aws` CLI command that does the same by hand. A step starts once the steps it waits\n\
         for have succeeded; steps that do not wait for each other run at the same time.\n",
        scope.project, scope.stage
    );
    explained(plan, &intro)
}

/// `lade destroy --explain`: the teardown step by step, and why it runs in the reverse
/// order of a create.
pub fn destroy(plan: &Plan) -> String {
    let scope = &plan.scope;
    if plan.is_empty() {
        return format!(
            "Nothing to destroy. Project {} stage {} owns nothing in this account, so there is nothing to explain.\n",
            scope.project, scope.stage
        );
    }
    let intro = format!(
        "How lade destroys project {} stage {}, step by step, with the `aws` CLI command\n\
         that does the same by hand. Nothing is deleted until you run `lade destroy`.\n\
         \n\
         A teardown runs in the reverse order of a create: a thing goes only once nothing\n\
         that needs it is left. A role goes last, after the functions that run as it and\n\
         after its inline and managed policies are removed: IAM refuses to delete a role\n\
         that still has policies. Deleting the REST API deletes its routes, stage and\n\
         deployments with it, so they need no step of their own. Steps that wait for\n\
         nothing can run at once.\n",
        scope.project, scope.stage
    );
    explained(plan, &intro)
}

/// `intro`, where the commands run, the legend, then every step.
fn explained(plan: &Plan, intro: &str) -> String {
    let mut out = intro.to_string();
    out.push('\n');
    match &plan.region {
        Some(region) => {
            let _ = writeln!(
                out,
                "The commands run in region {region}. First: export AWS_REGION={region} AWS_DEFAULT_REGION={region}"
            );
            let _ = writeln!(
                out,
                "(aws CLI v2 reads AWS_REGION; v1 reads only AWS_DEFAULT_REGION)."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "The commands run in your default region: AWS_DEFAULT_REGION (aws CLI v1 and v2),"
            );
            let _ = writeln!(out, "AWS_REGION (v2 only), or your profile's.");
        }
    }
    let width = plan.steps.len().to_string().len();
    let mut steps = String::new();
    for step in &plan.steps {
        steps.push('\n');
        step_text(&mut steps, plan, step, width);
    }
    if let Some(region) = &plan.region {
        steps = steps.replace("<region>", region);
    }
    legend(&mut out, plan, &steps);
    out.push_str(&steps);
    out
}

/// What the placeholders in this plan's commands stand for, and where they come from.
fn legend(out: &mut String, plan: &Plan, steps: &str) {
    let mut outputs = BTreeSet::new();
    let mut has_code = false;
    let mut has_sensitive = false;
    for step in &plan.steps {
        for reference in refs(&step.op) {
            if let Ref::After(output) = reference {
                outputs.insert(output.clone());
            }
        }
        has_code |= matches!(
            step.op,
            Op::Lambda(LambdaOp::CreateFunction { .. })
                | Op::Lambda(LambdaOp::UpdateFunctionCode { .. })
        );
        if let Op::Lambda(LambdaOp::CreateFunction { settings, .. })
        | Op::Lambda(LambdaOp::UpdateFunctionConfiguration { settings, .. }) = &step.op
        {
            for value in settings.environment.values() {
                match value {
                    PlannedValue::Sensitive { .. } => has_sensitive = true,
                    PlannedValue::Template(parts) => {
                        outputs.extend(parts.iter().filter_map(|p| match p {
                            Ref::After(output) => Some(output.clone()),
                            Ref::Known(_) => None,
                        }))
                    }
                    PlannedValue::Text(_) => {}
                }
            }
        }
    }
    let has_account = steps.contains("<account>");
    let has_region = steps.contains("<region>");
    let placeholders = !(outputs.is_empty() && !has_sensitive && !has_account && !has_region);
    if placeholders {
        out.push('\n');
        let _ = writeln!(
            out,
            "Words in <angle brackets> are placeholders: replace each one before you run the command."
        );
    }
    if !outputs.is_empty() {
        let _ = writeln!(
            out,
            "Most are values AWS makes up when an earlier step runs, which lade learns as it goes:"
        );
    }
    // In the order the steps that produce them run.
    let mut known: Vec<(usize, String, String)> = outputs
        .iter()
        .map(|output| {
            let (step, origin) = origin(plan, output);
            (step.unwrap_or(usize::MAX), placeholder(output), origin)
        })
        .collect();
    known.sort();
    let mut rows: Vec<(String, String)> = known.into_iter().map(|(_, p, o)| (p, o)).collect();
    if has_region {
        rows.push((
            "<region>".into(),
            "your region, e.g. us-east-1: `echo ${AWS_REGION:-$AWS_DEFAULT_REGION}`, or \
             `aws configure get region` when it comes from your profile"
                .into(),
        ));
    }
    if has_account {
        rows.push((
            "<account>".into(),
            "your 12-digit account ID (`aws sts get-caller-identity`)".into(),
        ));
    }
    if has_sensitive {
        rows.push((
            SENSITIVE_PLACEHOLDER.into(),
            "a sensitive value (`${env:…}`, `--secret-var`, or named in `secrets:`): lade never \
             prints it; put in the value the manifest gives it"
                .into(),
        ));
    }
    let width = rows
        .iter()
        .map(|(p, _)| p.chars().count())
        .max()
        .unwrap_or(0);
    for (placeholder, origin) in rows {
        let _ = writeln!(out, "  {placeholder:<width$}  {origin}");
    }
    if has_code {
        out.push('\n');
        let _ = writeln!(
            out,
            "The code: run `lade package` first, with the same -f, --stage and --var options as"
        );
        let _ = writeln!(
            out,
            "this plan, in the directory you run the commands from. It writes each function's zip"
        );
        let _ = writeln!(
            out,
            "to {PACKAGE_DIR}/<key>.zip, the exact bytes lade uploads (its CodeSha256 is shown below)."
        );
    }
}

/// Where the value behind a placeholder comes from: the step that makes it, if any.
fn origin(plan: &Plan, output: &Output) -> (Option<usize>, String) {
    let producer = plan.steps.iter().find(|step| match (&step.op, output) {
        (Op::Iam(IamOp::CreateRole { role }), Output::RoleArn(name)) => &role.name == name,
        (Op::Lambda(LambdaOp::CreateFunction { name, .. }), Output::FunctionArn(wanted)) => {
            name == wanted
        }
        (Op::ApiGateway(RestApiOp::CreateRestApi { .. }), Output::ApiId | Output::ApiUrl) => true,
        (
            Op::Lambda(LambdaOp::CreateFunctionUrlConfig { function, .. }),
            Output::FunctionUrl(wanted),
        ) => function == wanted,
        (Op::ApiGateway(RestApiOp::CreateRestApi { .. }), Output::ResourceId(path)) => path == "/",
        (Op::ApiGateway(RestApiOp::CreateResource { path, .. }), Output::ResourceId(wanted)) => {
            path == wanted
        }
        (
            Op::HttpApi(HttpApiOp::CreateHttpApi { .. }),
            Output::HttpApiId | Output::HttpApiUrl(_),
        ) => true,
        (
            Op::HttpApi(HttpApiOp::CreateHttpIntegration { function, .. }),
            Output::HttpIntegrationId(wanted),
        ) => function == wanted,
        (
            Op::HttpApi(HttpApiOp::CreateHttpAuthorizer { name, .. }),
            Output::HttpAuthorizerId(wanted),
        ) => name == wanted,
        _ => false,
    });
    let field = match output {
        Output::RoleArn(_) => "`Role.Arn` in the output of".to_string(),
        Output::FunctionArn(_) => "`FunctionArn` in the output of".to_string(),
        Output::ApiId => "`id` in the output of".to_string(),
        Output::ResourceId(path) if path == "/" => "`rootResourceId` in the output of".to_string(),
        Output::ResourceId(_) => "`id` in the output of".to_string(),
        Output::ApiUrl => format!(
            "https://<api-id>.execute-api.<region>.amazonaws.com/{}, from",
            plan.scope.stage
        ),
        Output::FunctionUrl(_) => "`FunctionUrl` in the output of".to_string(),
        Output::HttpApiId => "`ApiId` in the output of".to_string(),
        Output::HttpIntegrationId(_) => "`IntegrationId` in the output of".to_string(),
        Output::HttpAuthorizerId(_) => "`AuthorizerId` in the output of".to_string(),
        Output::HttpApiUrl(stage) => format!(
            "{}, from",
            crate::arn::http_invoke_url("<api-id>", "<region>", stage)
        ),
    };
    match producer {
        Some(step) => (Some(step.id), format!("{field} step {}", step.id + 1)),
        None => (
            None,
            match output {
                Output::ResourceId(_) => {
                    "see `aws apigateway get-resources --rest-api-id <api-id>`".into()
                }
                _ => "already exists: read it from the account".into(),
            },
        ),
    }
}

/// The placeholder for a value known only after apply, e.g. `<api-id>`.
pub fn placeholder(output: &Output) -> String {
    match output {
        Output::RoleArn(name) => format!("<arn of role {name}>"),
        Output::FunctionArn(name) => format!("<arn of function {name}>"),
        Output::ApiId => "<api-id>".into(),
        Output::ResourceId(path) => format!("<resource-id:{path}>"),
        Output::ApiUrl => "<api-url>".into(),
        Output::FunctionUrl(name) => format!("<url of function {name}>"),
        Output::HttpApiId => "<http-api-id>".into(),
        Output::HttpIntegrationId(name) => format!("<integration-id:{name}>"),
        Output::HttpAuthorizerId(name) => format!("<authorizer-id:{name}>"),
        Output::HttpApiUrl(_) => "<http-api-url>".into(),
    }
}

/// A reference's value, or its placeholder.
fn value(reference: &Ref) -> String {
    match reference {
        Ref::Known(value) => value.clone(),
        Ref::After(output) => placeholder(output),
    }
}

/// The references an operation holds, outside environments.
fn refs(op: &Op) -> Vec<&Ref> {
    match op {
        Op::Iam(op) => iam::refs(op),
        Op::Lambda(op) => lambda::refs(op),
        Op::ApiGateway(op) => apigateway::refs(op),
        Op::EventBridge(op) => events::refs(op),
        Op::HttpApi(op) => http_api::refs(op),
        Op::S3(op) => s3::refs(op),
        Op::Sns(op) => sns::refs(op),
    }
}

fn step_text(out: &mut String, plan: &Plan, step: &Step, width: usize) {
    let indent = " ".repeat(width + 2);
    let _ = writeln!(
        out,
        "{:>width$}. {} ({})",
        step.id + 1,
        step.op.describe(),
        step.op.api_call()
    );
    if step.depends_on.is_empty() {
        let _ = writeln!(
            out,
            "{indent}Why here: no dependencies: it can start at once."
        );
    } else {
        let _ = writeln!(out, "{indent}Why here: it waits for");
        for &dependency in &step.depends_on {
            let _ = writeln!(
                out,
                "{indent}  {:>width$}. {}",
                dependency + 1,
                plan.steps[dependency].op.describe()
            );
        }
        if !step.why.is_empty() {
            let _ = writeln!(out, "{indent}because {}.", step.why);
        }
    }
    for command in commands(&step.op) {
        let _ = writeln!(out, "{indent}{}", command.render(&indent));
    }
}

/// One `aws` command: its words, then `--option value` pairs; or one shell line.
struct Command {
    words: Vec<String>,
    options: Vec<(String, Option<String>)>,
    /// Shown above the command as `#` comments.
    notes: Vec<String>,
    /// A shell line shown as it is, instead of an `aws` command.
    line: Option<String>,
}

impl Command {
    fn new(service: &str, operation: &str) -> Self {
        Command {
            words: vec!["aws".into(), service.into(), operation.into()],
            options: Vec::new(),
            notes: Vec::new(),
            line: None,
        }
    }

    /// A shell line, already quoted.
    fn shell(line: impl Into<String>) -> Self {
        Command {
            words: Vec::new(),
            options: Vec::new(),
            notes: Vec::new(),
            line: Some(line.into()),
        }
    }

    /// An option whose value is already quoted for the shell.
    fn arg_quoted(mut self, name: &str, quoted: String) -> Self {
        self.options.push((format!("--{name} {quoted}"), None));
        self
    }

    fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.options.push((format!("--{name}"), Some(value.into())));
        self
    }

    /// An option given only when it has a value.
    fn arg_if(self, name: &str, value: &str) -> Self {
        if value.is_empty() {
            self
        } else {
            self.arg(name, value)
        }
    }

    /// An option that takes several values, e.g. `--tag-keys a b`.
    fn args(mut self, name: &str, values: impl IntoIterator<Item = String>) -> Self {
        let values: Vec<String> = values.into_iter().map(|v| quote(&v)).collect();
        self.options
            .push((format!("--{name} {}", values.join(" ")), None));
        self
    }

    fn flag(mut self, name: &str) -> Self {
        self.options.push((format!("--{name}"), None));
        self
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The command for a POSIX shell, broken over lines when long.
    fn render(&self, indent: &str) -> String {
        let words: Vec<String> = self.words.iter().map(|w| quote(w)).collect();
        let parts: Vec<String> = self
            .options
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name} {}", quote(value)),
                None => name.clone(),
            })
            .collect();
        let mut text = String::new();
        for note in &self.notes {
            let _ = write!(text, "# {note}\n{indent}");
        }
        if let Some(line) = &self.line {
            text.push_str(line);
            return text;
        }
        let one_line = std::iter::once(words.join(" "))
            .chain(parts.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        if one_line.chars().count() + indent.len() <= LINE_WIDTH {
            text.push_str(&one_line);
        } else {
            text.push_str(&words.join(" "));
            for part in parts {
                let _ = write!(text, " \\\n{indent}    {part}");
            }
        }
        text
    }
}

/// `value` quoted for a POSIX shell: as is when it is safe, otherwise in single quotes
/// with each embedded `'` written as `'\''`.
pub fn quote(value: &str) -> String {
    let safe = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',' | '@' | '+' | '%')
        });
    if safe {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// A JSON document on one line.
fn compact(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

/// IAM's `--tags` list: `Key=k,Value=v` per tag.
fn iam_tags(tags: &BTreeMap<String, String>) -> Vec<String> {
    tags.iter()
        .map(|(k, v)| format!("Key={k},Value={v}"))
        .collect()
}

/// A tag map as JSON, which every `--tags` map option accepts whatever the characters.
fn tag_map(tags: &BTreeMap<String, String>) -> String {
    compact(&json!(tags))
}

/// The environment as Lambda's `--environment` JSON, secrets and unknowns as placeholders.
fn environment(settings: &FunctionSettings) -> String {
    let variables: serde_json::Map<String, Value> = settings
        .environment
        .iter()
        .map(|(key, planned)| {
            let shown = match planned {
                PlannedValue::Text(text) => text.clone(),
                PlannedValue::Template(parts) => parts.iter().map(value).collect(),
                PlannedValue::Sensitive { .. } => SENSITIVE_PLACEHOLDER.to_string(),
            };
            (key.clone(), Value::String(shown))
        })
        .collect();
    compact(&json!({ "Variables": variables }))
}

fn zip_file(code: &CodeRef) -> String {
    format!("fileb://{PACKAGE_DIR}/{}.zip", code.key)
}

fn zip_note(code: &CodeRef) -> String {
    format!(
        "{PACKAGE_DIR}/{}.zip (from `lade package`): function `{}`'s code, {} bytes, CodeSha256 {}",
        code.key, code.key, code.size, code.sha256
    )
}

/// The execute-api ARN a permission is scoped to, as far as the plan knows it.
fn source_arn(function_arn: &Ref, api: &Ref) -> String {
    let api_id = value(api);
    match function_arn {
        Ref::Known(arn) => crate::arn::source_arn(arn, &api_id)
            .unwrap_or_else(|| format!("arn:aws:execute-api:<region>:<account>:{api_id}/*")),
        Ref::After(_) => format!("arn:aws:execute-api:<region>:<account>:{api_id}/*"),
    }
}

/// The integration URI that makes API Gateway call a function.
fn integration_uri(function_arn: &Ref) -> String {
    match function_arn {
        Ref::Known(arn) => crate::arn::integration_uri(arn).unwrap_or_else(|| {
            format!(
                "arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
        }),
        Ref::After(output) => format!(
            "arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/{}/invocations",
            placeholder(output)
        ),
    }
}

/// The JSON Patch operations `UpdateRestApi` sends to go from `from` to `to`.
fn api_patch(from: &ApiSettings, to: &ApiSettings) -> Vec<Value> {
    let mut operations = Vec::new();
    if from.name != to.name {
        operations.push(json!({"op": "replace", "path": "/name", "value": to.name}));
    }
    if from.description != to.description {
        operations.push(json!({"op": "replace", "path": "/description", "value": to.description}));
    }
    if from.endpoint != to.endpoint {
        operations.push(json!({
            "op": "replace",
            "path": format!("/endpointConfiguration/types/{}", from.endpoint.as_str()),
            "value": to.endpoint.as_str(),
        }));
    }
    let escape = |media: &str| media.replace('~', "~0").replace('/', "~1");
    for removed in from.binary_media_types.difference(&to.binary_media_types) {
        operations.push(
            json!({"op": "remove", "path": format!("/binaryMediaTypes/{}", escape(removed))}),
        );
    }
    for added in to.binary_media_types.difference(&from.binary_media_types) {
        operations
            .push(json!({"op": "add", "path": format!("/binaryMediaTypes/{}", escape(added))}));
    }
    operations
}

fn architecture(architecture: Architecture) -> String {
    architecture.as_str().to_string()
}

/// The commands that do what `op` does, from the file of its service. Every operation
/// is matched by name there, so a new one does not compile until it is explained.
fn commands(op: &Op) -> Vec<Command> {
    match op {
        Op::Iam(op) => iam::commands(op),
        Op::Lambda(op) => lambda::commands(op),
        Op::ApiGateway(op) => apigateway::commands(op),
        Op::EventBridge(op) => events::commands(op),
        Op::HttpApi(op) => http_api::commands(op),
        Op::S3(op) => s3::commands(op),
        Op::Sns(op) => sns::commands(op),
    }
}

const ONE_UPDATE: &str = "Lambda takes one update at a time: wait until this one is done";

/// `aws lambda wait <waiter> --function-name <name>`.
fn wait(waiter: &str, name: &str, note: &str) -> Command {
    let mut command = Command::new("lambda", "wait").arg("function-name", name);
    command.words.push(waiter.into());
    command.note(note)
}
