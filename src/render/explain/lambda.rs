//! The `aws` CLI commands of Lambda steps.

use super::*;
use crate::kinds::function::record;
use crate::plan::LambdaOp;

/// The references an operation holds, outside environments.
pub(super) fn refs(op: &LambdaOp) -> Vec<&Ref> {
    match op {
        LambdaOp::CreateFunction { settings, .. }
        | LambdaOp::UpdateFunctionConfiguration { settings, .. } => {
            vec![&settings.role]
        }
        LambdaOp::AddPermission {
            function_arn, api, ..
        } => vec![function_arn, api],
        LambdaOp::AddAuthorizerPermission {
            function_arn,
            api,
            authorizer,
            ..
        } => vec![function_arn, api, authorizer],
        LambdaOp::CreateFunctionUrlConfig { function_arn, .. } => vec![function_arn],
        LambdaOp::AddRulePermission { function_arn, .. }
        | LambdaOp::AddSourcePermission { function_arn, .. } => vec![function_arn],
        LambdaOp::UpdateFunctionUrlConfig { .. }
        | LambdaOp::DeleteFunctionUrlConfig { .. }
        | LambdaOp::AddUrlPermission { .. }
        | LambdaOp::RemoveUrlPermission { .. }
        | LambdaOp::UpdateFunctionCode { .. }
        | LambdaOp::TagFunction { .. }
        | LambdaOp::UntagFunction { .. }
        | LambdaOp::DeleteFunction { .. }
        | LambdaOp::RemovePermission { .. }
        | LambdaOp::RemoveRulePermission { .. }
        | LambdaOp::RemoveSourcePermission { .. }
        | LambdaOp::CreateEventSourceMapping { .. }
        | LambdaOp::UpdateEventSourceMapping { .. }
        | LambdaOp::DeleteEventSourceMapping { .. } => Vec::new(),
    }
}

/// The ARN a rule's permission is scoped to, with placeholders for what is not known.
fn rule_source_arn(function_arn: &Ref, bus: &str, rule: &str) -> String {
    match function_arn {
        Ref::Known(arn) => crate::arn::rule_arn(arn, bus, rule),
        Ref::After(_) => None,
    }
    .unwrap_or_else(|| match bus {
        "default" => format!("arn:aws:events:<region>:<account>:rule/{rule}"),
        bus => format!("arn:aws:events:<region>:<account>:rule/{bus}/{rule}"),
    })
}

/// The ARN an authorizer's permission is scoped to, with placeholders for what is not
/// known.
fn authorizer_source_arn(function_arn: &Ref, api: &Ref, authorizer: &Ref) -> String {
    let (api, authorizer) = (value(api), value(authorizer));
    match function_arn {
        Ref::Known(arn) => crate::arn::authorizer_source_arn(arn, &api, &authorizer),
        Ref::After(_) => None,
    }
    .unwrap_or_else(|| {
        format!("arn:aws:execute-api:<region>:<account>:{api}/authorizers/{authorizer}")
    })
}

/// The commands that do what `op` does.
pub(super) fn commands(op: &LambdaOp) -> Vec<Command> {
    match op {
        LambdaOp::CreateFunction {
            name,
            settings,
            architecture: arch,
            code,
            tags,
        } => create_function(name, settings, *arch, code, tags),
        LambdaOp::UpdateFunctionConfiguration {
            name,
            arn,
            settings,
        } => update_configuration(name, arn, settings),
        LambdaOp::UpdateFunctionCode {
            name,
            code,
            architecture: arch,
        } => vec![
            Command::new("lambda", "update-function-code")
                .arg("function-name", name)
                .arg("zip-file", zip_file(code))
                .arg("architectures", architecture(*arch))
                .note(zip_note(code)),
            wait("function-updated-v2", name, ONE_UPDATE),
        ],
        LambdaOp::TagFunction { arn, tags, .. } => vec![
            Command::new("lambda", "tag-resource")
                .arg("resource", arn)
                .arg("tags", tag_map(tags)),
        ],
        LambdaOp::UntagFunction { arn, keys, .. } => vec![
            Command::new("lambda", "untag-resource")
                .arg("resource", arn)
                .args("tag-keys", keys.iter().cloned()),
        ],
        LambdaOp::DeleteFunction { name } => {
            vec![Command::new("lambda", "delete-function").arg("function-name", name)]
        }
        LambdaOp::AddPermission {
            function,
            statement_id,
            function_arn,
            api,
        } => vec![
            add_permission(
                function,
                statement_id,
                INVOKE,
                crate::arn::API_GATEWAY_PRINCIPAL,
            )
            .arg("source-arn", source_arn(function_arn, api))
            .note("without this the API answers 500: it may not invoke the function"),
        ],
        LambdaOp::AddAuthorizerPermission {
            function,
            statement_id,
            function_arn,
            api,
            authorizer,
        } => vec![
            add_permission(
                function,
                statement_id,
                INVOKE,
                crate::arn::API_GATEWAY_PRINCIPAL,
            )
            .arg(
                "source-arn",
                authorizer_source_arn(function_arn, api, authorizer),
            )
            .note("lets this authorizer, and nothing else of the API, call the function"),
        ],
        LambdaOp::AddRulePermission {
            function,
            statement_id,
            function_arn,
            rule,
            bus,
        } => vec![
            add_permission(function, statement_id, INVOKE, crate::arn::EVENTS_PRINCIPAL)
                .arg("source-arn", rule_source_arn(function_arn, bus, rule))
                .note("lets this rule, and no other, invoke the function"),
        ],
        LambdaOp::AddSourcePermission {
            function,
            statement_id,
            function_arn,
            source,
        } => {
            let arn = match function_arn {
                Ref::Known(arn) => source.source_arn(arn),
                Ref::After(_) => None,
            };
            let mut add = add_permission(function, statement_id, INVOKE, source.principal());
            match source {
                crate::plan::PermissionSource::Bucket(bucket) => {
                    let account = match function_arn {
                        Ref::Known(arn) => crate::arn::account_of(arn).map(str::to_owned),
                        Ref::After(_) => None,
                    };
                    add = add
                        .arg("source-arn", arn.unwrap_or_else(|| format!("arn:aws:s3:::{bucket}")))
                        .arg("source-account", account.unwrap_or_else(|| "<account>".into()))
                        .note("lets this bucket, in this account, and no other invoke the function; S3 checks it when the notification is written");
                }
                crate::plan::PermissionSource::Topic(topic) => {
                    add = add
                        .arg("source-arn", topic)
                        .note("lets this topic, and no other, invoke the function");
                }
            }
            vec![add]
        }
        LambdaOp::RemoveRulePermission {
            function,
            statement_id,
            ..
        }
        | LambdaOp::RemoveSourcePermission {
            function,
            statement_id,
            ..
        }
        | LambdaOp::RemovePermission {
            function,
            statement_id,
        } => vec![remove_permission(function, statement_id)],
        LambdaOp::CreateEventSourceMapping {
            function,
            kind,
            source,
            settings,
        } => vec![create_mapping(function, *kind, source, settings)],
        LambdaOp::UpdateEventSourceMapping {
            uuid,
            kind,
            settings,
            ..
        } => {
            let update = Command::new("lambda", "update-event-source-mapping").arg("uuid", uuid);
            vec![mapping_settings(update, *kind, settings, false)]
        }
        LambdaOp::DeleteEventSourceMapping { uuid, .. } => {
            vec![Command::new("lambda", "delete-event-source-mapping").arg("uuid", uuid)]
        }
        LambdaOp::CreateFunctionUrlConfig {
            function,
            function_arn,
            settings,
        } => create_url(function, function_arn, settings),
        LambdaOp::UpdateFunctionUrlConfig { function, settings } => vec![url_settings(
            Command::new("lambda", "update-function-url-config").arg("function-name", function),
            settings,
            true,
        )],
        LambdaOp::DeleteFunctionUrlConfig {
            function,
            function_arn,
        } => delete_url(function, function_arn),
        LambdaOp::AddUrlPermission {
            function,
            statement,
        } => vec![public_url_statement(function, *statement)],
        LambdaOp::RemoveUrlPermission {
            function,
            statement,
        } => vec![remove_permission(function, statement.sid())],
    }
}

/// The configuration options `create-function` and `update-function-configuration`
/// share, after the function's name.
fn configuration(command: Command, settings: &FunctionSettings) -> Command {
    command
        .arg("runtime", &settings.runtime)
        .arg("handler", &settings.handler)
        .arg("role", value(&settings.role))
        .arg("memory-size", settings.memory.to_string())
        .arg("timeout", settings.timeout.to_string())
}

fn create_function(
    name: &str,
    settings: &FunctionSettings,
    arch: Architecture,
    code: &CodeRef,
    tags: &BTreeMap<String, String>,
) -> Vec<Command> {
    let record = Record::of(settings);
    let mut create = configuration(
        Command::new("lambda", "create-function").arg("function-name", name),
        settings,
    )
    .arg("architectures", architecture(arch))
    .arg("zip-file", zip_file(code))
    .arg_if("description", &settings.description);
    if !settings.environment.is_empty() {
        create = create.arg("environment", environment(settings));
    }
    let mut all = tags.clone();
    all.extend(record.tags());
    let create = record.tags_option(create, &all).note(zip_note(code));
    let mut commands = record.compute.into_iter().collect::<Vec<_>>();
    commands.extend([
        create,
        wait(
            "function-active-v2",
            name,
            "lade waits until the function is Active before the next step on it",
        ),
    ]);
    commands
}

fn update_configuration(name: &str, arn: &str, settings: &FunctionSettings) -> Vec<Command> {
    let record = Record::of(settings);
    let tag = Command::new("lambda", "tag-resource").arg("resource", arn);
    let tag = record
        .tags_option(tag, &record.tags())
        .note("lade records what it set, so that a change made outside lade shows as drift");
    let mut commands = vec![
        configuration(
            Command::new("lambda", "update-function-configuration").arg("function-name", name),
            settings,
        )
        .arg("description", &settings.description)
        .arg("environment", environment(settings)),
        wait("function-updated-v2", name, ONE_UPDATE),
    ];
    commands.extend(record.compute);
    commands.push(tag);
    commands
}

/// `aws lambda add-permission` for `principal`, before its source condition.
fn add_permission(function: &str, statement_id: &str, action: &str, principal: &str) -> Command {
    Command::new("lambda", "add-permission")
        .arg("function-name", function)
        .arg("statement-id", statement_id)
        .arg("action", action)
        .arg("principal", principal)
}

fn remove_permission(function: &str, statement_id: &str) -> Command {
    Command::new("lambda", "remove-permission")
        .arg("function-name", function)
        .arg("statement-id", statement_id)
}

/// The action every invoke permission but a function URL's first one grants.
const INVOKE: &str = "lambda:InvokeFunction";

fn create_mapping(
    function: &str,
    kind: crate::model::SourceKind,
    source: &str,
    settings: &crate::model::SourceSettings,
) -> Command {
    let create = Command::new("lambda", "create-event-source-mapping")
        .arg("function-name", function)
        .arg("event-source-arn", source);
    mapping_settings(create, kind, settings, true).note(
        "Lambda now polls the source and invokes the function with batches of records; it \
         checks the role's permissions first",
    )
}

fn create_url(
    function: &str,
    function_arn: &Ref,
    settings: &crate::model::UrlSettings,
) -> Vec<Command> {
    vec![
        Command::new("lambda", "tag-resource")
            .arg("resource", value(function_arn))
            .arg("tags", format!("{}=1", crate::kinds::function_url::TAG_URL))
            .note("the mark that tells later plans to read the function's URL"),
        url_settings(
            Command::new("lambda", "create-function-url-config").arg("function-name", function),
            settings,
            false,
        )
        .note("prints the URL, https://<id>.lambda-url.<region>.on.aws/"),
    ]
}

fn delete_url(function: &str, function_arn: &str) -> Vec<Command> {
    vec![
        Command::new("lambda", "delete-function-url-config").arg("function-name", function),
        Command::new("lambda", "untag-resource")
            .arg("resource", function_arn)
            .args(
                "tag-keys",
                [crate::kinds::function_url::TAG_URL.to_string()],
            ),
    ]
}

fn public_url_statement(function: &str, statement: crate::model::PublicStatement) -> Command {
    let add = add_permission(function, statement.sid(), statement.action(), "*");
    match statement {
        crate::model::PublicStatement::InvokeFunctionUrl => add
            .arg("function-url-auth-type", "NONE")
            .note("a URL without auth answers 403 until its resource policy lets the public call it"),
        crate::model::PublicStatement::InvokeFunction => add
            .flag("invoked-via-function-url")
            .note("URLs made since October 2025 also need lambda:InvokeFunction, here only through the URL"),
    }
}

/// The options that give a URL its settings; an update sends CORS even when there is
/// none (`{}`), which clears it.
fn url_settings(
    mut command: Command,
    settings: &crate::model::UrlSettings,
    update: bool,
) -> Command {
    command = command
        .arg("auth-type", settings.auth.api_name())
        .arg("invoke-mode", settings.invoke_mode.api_name());
    match &settings.cors {
        Some(cors) => {
            command = command.arg(
                "cors",
                compact(&json!({
                    "AllowOrigins": cors.allow_origins,
                    "AllowMethods": cors.allow_methods,
                    "AllowHeaders": cors.allow_headers,
                    "ExposeHeaders": cors.expose_headers,
                    "AllowCredentials": cors.allow_credentials,
                    "MaxAge": cors.max_age,
                })),
            )
        }
        None if update => command = command.arg("cors", "{}"),
        None => {}
    }
    command
}

/// The options that give a mapping its settings; `create` adds the starting position,
/// which only a create sets.
fn mapping_settings(
    mut command: Command,
    kind: crate::model::SourceKind,
    settings: &crate::model::SourceSettings,
    create: bool,
) -> Command {
    command = command
        .arg("batch-size", settings.batch_size.to_string())
        .arg(
            "maximum-batching-window-in-seconds",
            settings.batching_window.to_string(),
        );
    command = if settings.enabled {
        command.flag("enabled")
    } else {
        command.flag("no-enabled")
    };
    if settings.report_batch_item_failures {
        command = command.arg("function-response-types", "ReportBatchItemFailures");
    } else if !create {
        command = command.arg("function-response-types", "[]");
    }
    if !settings.filter.is_empty() || !create {
        let filters: Vec<serde_json::Value> = settings
            .filter
            .iter()
            .map(|pattern| json!({ "Pattern": pattern.to_string() }))
            .collect();
        command = command.arg("filter-criteria", compact(&json!({ "Filters": filters })));
    }
    if kind.is_stream() {
        if create && let Some(position) = &settings.starting_position {
            command = command.arg("starting-position", position);
        }
        command = command.arg(
            "maximum-retry-attempts",
            settings.max_retries.unwrap_or(-1).to_string(),
        );
        command = if settings.bisect_on_error {
            command.flag("bisect-batch-on-function-error")
        } else {
            command.flag("no-bisect-batch-on-function-error")
        };
        match &settings.on_failure {
            Some(arn) => {
                command = command.arg(
                    "destination-config",
                    compact(&json!({ "OnFailure": { "Destination": arn } })),
                )
            }
            None if !create => command = command.arg("destination-config", r#"{"OnFailure":{}}"#),
            None => {}
        }
    } else {
        match settings.max_concurrency {
            Some(n) => command = command.arg("scaling-config", format!("MaximumConcurrency={n}")),
            None if !create => command = command.arg("scaling-config", "{}"),
            None => {}
        }
    }
    command
}

/// Shell variable that holds a `lade:config` fingerprint the plan cannot compute.
const CONFIG_VARIABLE: &str = "LADE_CONFIG";

/// Stands for the variable's value in a tag map, until the map is quoted.
const CONFIG_MARK: &str = "@@lade-config@@";

/// lade's record tags (`lade:config`, `lade:sensitive`) for a configuration it sets,
/// as `kinds::function::record` computes them. When a value in the configuration is
/// known only after apply (a role created by the plan, an environment value that
/// names the API), the fingerprint cannot be printed: `compute` is the shell line
/// that computes it once the placeholders are replaced.
struct Record {
    /// The fingerprint, when the plan knows every value.
    config: Option<String>,
    sensitive: String,
    compute: Option<Command>,
}

impl Record {
    fn of(settings: &FunctionSettings) -> Self {
        let sensitive: BTreeSet<String> = settings
            .environment
            .iter()
            .filter(|(_, v)| matches!(v, PlannedValue::Sensitive { .. }))
            .map(|(k, _)| k.clone())
            .collect();
        let mut known = matches!(settings.role, Ref::Known(_));
        let environment = settings
            .environment
            .iter()
            .map(|(key, planned)| {
                let shown = match planned {
                    PlannedValue::Text(text) => text.clone(),
                    PlannedValue::Template(parts) => {
                        known &= parts.iter().all(|p| matches!(p, Ref::Known(_)));
                        parts.iter().map(value).collect()
                    }
                    // Enters the fingerprint by name only.
                    PlannedValue::Sensitive { .. } => SENSITIVE_PLACEHOLDER.to_string(),
                };
                (key.clone(), shown)
            })
            .collect();
        let config = crate::cloud::FunctionConfig {
            handler: settings.handler.clone(),
            runtime: settings.runtime.clone(),
            role_arn: value(&settings.role),
            memory: settings.memory,
            timeout: settings.timeout,
            environment,
            description: settings.description.clone(),
        };
        let input = record::fingerprint_input(&config, &sensitive);
        let sensitive = record::sensitive_tag(&sensitive);
        if known {
            return Record {
                config: Some(record::fingerprint_of(&input)),
                sensitive,
                compute: None,
            };
        }
        let line = format!(
            "{CONFIG_VARIABLE}=$(printf %s {} | openssl dgst -sha256 -binary | base64)",
            quote(&input)
        );
        Record {
            config: None,
            sensitive,
            compute: Some(Command::shell(line).note(format!(
                "{}: the base64 SHA-256 of the configuration's fields, as below \
                 (sensitive values by name only); replace the placeholders first",
                record::TAG_CONFIG
            ))),
        }
    }

    /// The record tags, the fingerprint as [`CONFIG_MARK`] when it is computed by the shell.
    fn tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                record::TAG_CONFIG.to_string(),
                self.config
                    .clone()
                    .unwrap_or_else(|| CONFIG_MARK.to_string()),
            ),
            (record::TAG_SENSITIVE.to_string(), self.sensitive.clone()),
        ])
    }

    /// `--tags` with `tags` as JSON: in single quotes, or in double quotes around
    /// `$LADE_CONFIG` when the shell computes the fingerprint.
    fn tags_option(&self, command: Command, tags: &BTreeMap<String, String>) -> Command {
        let json = tag_map(tags);
        if self.config.is_some() {
            return command.arg("tags", json);
        }
        let escaped: String = json
            .chars()
            .flat_map(|c| match c {
                '"' | '\\' | '$' | '`' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let quoted = format!(
            "\"{}\"",
            escaped.replace(CONFIG_MARK, &format!("${CONFIG_VARIABLE}"))
        );
        command.arg_quoted("tags", quoted)
    }
}
