//! The `aws` CLI commands of Lambda steps.

use super::*;
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
        LambdaOp::AddRulePermission { function_arn, .. } => vec![function_arn],
        LambdaOp::UpdateFunctionCode { .. }
        | LambdaOp::TagFunction { .. }
        | LambdaOp::UntagFunction { .. }
        | LambdaOp::DeleteFunction { .. }
        | LambdaOp::RemovePermission { .. }
        | LambdaOp::RemoveRulePermission { .. }
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

/// The commands that do what `op` does.
pub(super) fn commands(op: &LambdaOp) -> Vec<Command> {
    match op {
        LambdaOp::CreateFunction {
            name,
            settings,
            architecture: arch,
            code,
            tags,
        } => {
            let mut create = Command::new("lambda", "create-function")
                .arg("function-name", name)
                .arg("runtime", &settings.runtime)
                .arg("handler", &settings.handler)
                .arg("role", value(&settings.role))
                .arg("memory-size", settings.memory.to_string())
                .arg("timeout", settings.timeout.to_string())
                .arg("architectures", architecture(*arch))
                .arg("zip-file", zip_file(code))
                .arg_if("description", &settings.description);
            if !settings.environment.is_empty() {
                create = create.arg("environment", environment(settings));
            }
            vec![
                create.arg("tags", tag_map(tags)).note(zip_note(code)),
                wait(
                    "function-active-v2",
                    name,
                    "lade waits until the function is Active before the next step on it",
                ),
            ]
        }
        LambdaOp::UpdateFunctionConfiguration { name, settings, .. } => vec![
            Command::new("lambda", "update-function-configuration")
                .arg("function-name", name)
                .arg("runtime", &settings.runtime)
                .arg("handler", &settings.handler)
                .arg("role", value(&settings.role))
                .arg("memory-size", settings.memory.to_string())
                .arg("timeout", settings.timeout.to_string())
                .arg("description", &settings.description)
                .arg("environment", environment(settings)),
            wait("function-updated-v2", name, ONE_UPDATE),
        ],
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
            Command::new("lambda", "add-permission")
                .arg("function-name", function)
                .arg("statement-id", statement_id)
                .arg("action", "lambda:InvokeFunction")
                .arg("principal", "apigateway.amazonaws.com")
                .arg("source-arn", source_arn(function_arn, api))
                .note("without this the API answers 500: it may not invoke the function"),
        ],
        LambdaOp::AddRulePermission {
            function,
            statement_id,
            function_arn,
            rule,
            bus,
        } => vec![
            Command::new("lambda", "add-permission")
                .arg("function-name", function)
                .arg("statement-id", statement_id)
                .arg("action", "lambda:InvokeFunction")
                .arg("principal", crate::arn::EVENTS_PRINCIPAL)
                .arg("source-arn", rule_source_arn(function_arn, bus, rule))
                .note("lets this rule, and no other, invoke the function"),
        ],
        LambdaOp::RemoveRulePermission {
            function,
            statement_id,
            ..
        }
        | LambdaOp::RemovePermission {
            function,
            statement_id,
        } => vec![
            Command::new("lambda", "remove-permission")
                .arg("function-name", function)
                .arg("statement-id", statement_id),
        ],
        LambdaOp::CreateEventSourceMapping {
            function,
            kind,
            source,
            settings,
        } => {
            let mut create = Command::new("lambda", "create-event-source-mapping")
                .arg("function-name", function)
                .arg("event-source-arn", source);
            create = mapping_settings(create, *kind, settings, true);
            vec![create.note(
                "Lambda now polls the source and invokes the function with batches of \
                 records; it checks the role's permissions first",
            )]
        }
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
    }
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
