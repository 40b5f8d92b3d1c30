//! Lambda functions, and finding them by tag through the Resource Groups Tagging API.
//! Ownership of a function is proven by its `lade:project` and `lade:stage` tags.
//!
//! Every write returns only when the function is ready for the next call: after
//! create, `State=Active`; after an update, `LastUpdateStatus=Successful`.
//!
//! Also the function's resource policy: the statements that let API Gateway invoke it
//! (`AddPermission`, `RemovePermission`, `GetPolicy`). lade keeps one statement per
//! function and API under a deterministic statement ID, so `AddPermission` reads the
//! policy first and adds only what is missing or different. The SDK does not retry
//! `AddPermission` blindly after a lost answer (`once.rs`): the next attempt reads
//! the policy first, like the first one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Environment, FunctionCode, FunctionConfiguration, PackageType, Runtime,
};
use aws_sdk_resourcegroupstagging::types::TagFilter;

use serde_json::Value;

use aws_sdk_lambda::operation::add_permission::AddPermissionError;

use super::AwsCloud;
use super::error::AwsError;
use super::once::NoBlindRetry;
use super::retry::{Attempt, until_done};
use crate::cloud::{
    CloudError, FunctionConfig, Invocation, LIST_PAGES, LambdaApi, Listing, NewFunction, NotOurs,
};
use crate::model::{Architecture, LiveFunction, Permission, ResourceKind, TAG_PROJECT, TAG_STAGE};

const NOT_FOUND: &str = "ResourceNotFoundException";
const CONFLICT: &str = "ResourceConflictException";

/// The resource type the tagging API knows Lambda functions by.
const FUNCTION_RESOURCE_TYPE: &str = "lambda:function";

#[async_trait]
impl LambdaApi for AwsCloud {
    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
        let filters: Vec<TagFilter> = tags
            .iter()
            .map(|(key, value)| TagFilter::builder().key(key).values(value).build())
            .collect();
        let resources = self
            .call("GetResources", || {
                self.tagging
                    .get_resources()
                    .set_tag_filters(Some(filters.clone()))
                    .resource_type_filters(FUNCTION_RESOURCE_TYPE)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
            })
            .await?;
        Ok(resources
            .iter()
            .filter_map(|resource| {
                let name = function_name_from_arn(resource.resource_arn()?)?;
                let tags = resource
                    .tags()
                    .iter()
                    .map(|tag| (tag.key().to_owned(), tag.value().to_owned()))
                    .collect();
                Some((name.to_owned(), tags))
            })
            .collect())
    }

    async fn list_functions(&self, wanted: &BTreeSet<String>) -> Result<Listing, CloudError> {
        let mut missing = wanted.clone();
        let mut listed = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        // Page by hand rather than with the SDK's paginator, to stop as soon as every
        // wanted function has been seen: an account may hold far more functions than
        // the project. After LIST_PAGES pages the caller asks for the rest by name.
        let mut complete = missing.is_empty();
        while !missing.is_empty() {
            if pages == LIST_PAGES {
                break;
            }
            let page = self
                .call("ListFunctions", || {
                    self.lambda
                        .list_functions()
                        .max_items(LIST_PAGE)
                        .set_marker(marker.take())
                        .send()
                })
                .await?;
            pages += 1;
            for config in page.functions() {
                let function = from_configuration(config, "", BTreeMap::new());
                missing.remove(&function.name);
                listed.push(function);
            }
            complete = missing.is_empty();
            match page.next_marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
                _ => {
                    complete = true;
                    break;
                }
            }
        }
        Ok(Listing {
            functions: listed,
            complete,
        })
    }

    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError> {
        match self
            .call("GetFunction", || {
                self.lambda.get_function().function_name(name).send()
            })
            .await
        {
            Ok(output) => live_function(name, &output).map(Some),
            Err(error) if error.is(NOT_FOUND) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError> {
        let name = &function.name;
        let config = &function.config;
        let waiting_for = format!(
            "Lambda to accept role {} for function {name} (a new role or policy takes seconds \
             to minutes to propagate through IAM; check that the role exists and trusts \
             lambda.amazonaws.com, or allow longer with --role-propagation-timeout)",
            config.role_arn
        );
        let patience = self.propagation_patience();
        let arn = until_done(&patience, &waiting_for, move || async move {
            let created = self
                .call("CreateFunction", || {
                    self.lambda
                        .create_function()
                        .function_name(name)
                        .package_type(PackageType::Zip)
                        .code(
                            FunctionCode::builder()
                                .zip_file(Blob::new(function.zip.as_slice()))
                                .build(),
                        )
                        .handler(&config.handler)
                        .runtime(Runtime::from(config.runtime.as_str()))
                        .role(&config.role_arn)
                        .memory_size(config.memory)
                        .timeout(config.timeout)
                        .environment(environment(&config.environment))
                        .description(&config.description)
                        .architectures(lambda_architecture(function.architecture))
                        .set_tags(Some(unsorted(&function.tags)))
                        .customize()
                        .config_override(self.upload_config())
                        .send()
                })
                .await;
            match created {
                Ok(output) => Ok(Attempt::Done(
                    output.function_arn().unwrap_or_default().to_owned(),
                )),
                Err(error) if role_not_ready(&error) => Ok(Attempt::Again(error.to_string())),
                // The name is taken, perhaps by an earlier, interrupted run of this project.
                Err(error) if error.is(CONFLICT) => match self.get_function(name).await? {
                    Some(existing) => {
                        check_owner(name, &function.tags, &existing.tags)?;
                        Ok(Attempt::Done(existing.arn))
                    }
                    // It was being deleted; now the name is free.
                    None => Ok(Attempt::Again(error.to_string())),
                },
                Err(error) => Err(error.into()),
            }
        })
        .await?;
        wait(self, name, Goal::Active).await?;
        Ok(arn)
    }

    async fn update_function_configuration(
        &self,
        name: &str,
        config: &FunctionConfig,
    ) -> Result<(), CloudError> {
        let waiting_for = format!(
            "function {name} to accept its new configuration (role {}; a new role or policy \
             takes seconds to minutes to propagate through IAM: allow longer with \
             --role-propagation-timeout)",
            config.role_arn
        );
        let patience = self.propagation_patience();
        until_done(&patience, &waiting_for, move || async move {
            let updated = self
                .call("UpdateFunctionConfiguration", || {
                    self.lambda
                        .update_function_configuration()
                        .function_name(name)
                        .handler(&config.handler)
                        .runtime(Runtime::from(config.runtime.as_str()))
                        .role(&config.role_arn)
                        .memory_size(config.memory)
                        .timeout(config.timeout)
                        .environment(environment(&config.environment))
                        .description(&config.description)
                        .send()
                })
                .await;
            retry_when_busy(self, name, updated).await
        })
        .await?;
        wait(self, name, Goal::Updated).await
    }

    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError> {
        let zip = &zip;
        let waiting_for = format!("function {name} to accept its new code");
        until_done(&self.patience, &waiting_for, move || async move {
            let updated = self
                .call("UpdateFunctionCode", || {
                    self.lambda
                        .update_function_code()
                        .function_name(name)
                        .zip_file(Blob::new(zip.as_slice()))
                        .architectures(lambda_architecture(architecture))
                        .customize()
                        .config_override(self.upload_config())
                        .send()
                })
                .await;
            retry_when_busy(self, name, updated).await
        })
        .await?;
        wait(self, name, Goal::Updated).await
    }

    async fn tag_function(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        self.call("TagResource", || {
            self.lambda
                .tag_resource()
                .resource(arn)
                .set_tags(Some(unsorted(tags)))
                .send()
        })
        .await?;
        Ok(())
    }

    async fn untag_function(&self, arn: &str, keys: &[String]) -> Result<(), CloudError> {
        // Lambda rejects an empty key list; removing nothing is already done.
        if keys.is_empty() {
            return Ok(());
        }
        self.call("UntagResource", || {
            self.lambda
                .untag_resource()
                .resource(arn)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
        })
        .await?;
        Ok(())
    }

    async fn delete_function(&self, name: &str) -> Result<(), CloudError> {
        match self
            .call("DeleteFunction", || {
                self.lambda.delete_function().function_name(name).send()
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is(NOT_FOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    // ---- resource policy: who may invoke the function ----

    async fn get_function_permissions(&self, name: &str) -> Result<Vec<Permission>, CloudError> {
        let policy = self
            .call("GetPolicy", || {
                self.lambda.get_policy().function_name(name).send()
            })
            .await;
        match policy {
            Ok(output) => permissions(output.policy().unwrap_or_default()).map_err(|error| {
                CloudError::Service {
                    operation: "GetPolicy".to_owned(),
                    message: format!(
                        "the resource policy of function {name} cannot be read: {error}"
                    ),
                }
            }),
            // No function, or a function without a resource policy.
            Err(error) if error.is(NOT_FOUND) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        }
    }

    async fn add_permission(
        &self,
        name: &str,
        statement_id: &str,
        principal: &str,
        source_arn: &str,
        source_account: Option<&str>,
    ) -> Result<(), CloudError> {
        let waiting_for = format!("function {name} to accept permission {statement_id}");
        let started = Instant::now();
        let grace = self.patience.not_found_grace;
        until_done(&self.patience, &waiting_for, move || async move {
            // Read first: AWS refuses a statement ID that exists, and emulators are known
            // to add a second statement with the same ID instead.
            let existing = self.get_function_permissions(name).await?;
            let mine: Vec<_> = existing.iter().filter(|p| p.sid == statement_id).collect();
            if let Some(found) = mine.first() {
                let same = found.principal == principal
                    && found.action == INVOKE
                    && found.source_arn.as_deref() == Some(source_arn)
                    && found.source_account.as_deref() == source_account;
                if same && mine.len() == 1 {
                    return Ok(Attempt::Done(()));
                }
                // Another API (or principal) under lade's statement ID: replace it.
                match send_remove_permission(self, name, statement_id).await {
                    Ok(()) => {}
                    Err(error) if error.is(NOT_FOUND) => {}
                    // An update in progress: wait, then the next attempt reads again.
                    Err(error) => return retry_when_busy(self, name, Err::<(), _>(error)).await,
                }
                // More than one statement under lade's ID (an emulator that accepted a
                // duplicate ID, which AWS refuses): remove them one by one, reading
                // again each time, then add the one statement.
                if mine.len() > 1 {
                    return Ok(Attempt::Again(format!(
                        "{} statements with ID {statement_id}",
                        mine.len()
                    )));
                }
            }
            let added = self
                .call("AddPermission", || {
                    self.lambda
                        .add_permission()
                        .function_name(name)
                        .statement_id(statement_id)
                        .action(INVOKE)
                        .principal(principal)
                        .source_arn(source_arn)
                        .set_source_account(source_account.map(str::to_owned))
                        .customize()
                        .config_override(
                            aws_sdk_lambda::config::Builder::default()
                                .retry_classifier(NoBlindRetry::<AddPermissionError>::new()),
                        )
                        .send()
                })
                .await;
            match added {
                // Perhaps added, its answer lost: the next attempt reads first.
                Err(error) if error.is_ambiguous() => Ok(Attempt::Again(error.to_string())),
                // "The statement id (…) provided already exists": added meanwhile, so the
                // next attempt reads it and decides again.
                Err(error) if error.is(CONFLICT) && error.message.contains("already exists") => {
                    Ok(Attempt::Again(error.to_string()))
                }
                // A function created a moment ago can be briefly not found by Lambda's
                // other APIs (its creation is eventually consistent).
                Err(error) if error.is(NOT_FOUND) && started.elapsed() < grace => {
                    Ok(Attempt::Again(error.to_string()))
                }
                // Otherwise a conflict means an update of the function is in progress.
                other => retry_when_busy(self, name, other).await,
            }
        })
        .await
    }

    async fn remove_permission(&self, name: &str, statement_id: &str) -> Result<(), CloudError> {
        let waiting_for =
            format!("function {name} to accept the removal of permission {statement_id}");
        until_done(&self.patience, &waiting_for, move || async move {
            match send_remove_permission(self, name, statement_id).await {
                // No such statement, or no such function.
                Err(error) if error.is(NOT_FOUND) => Ok(Attempt::Done(())),
                other => retry_when_busy(self, name, other).await,
            }
        })
        .await
    }

    async fn invoke(&self, name: &str, payload: Vec<u8>) -> Result<Invocation, CloudError> {
        use base64::Engine as _;
        let output = self
            .call("Invoke", || {
                self.lambda
                    .invoke()
                    .function_name(name)
                    .invocation_type(aws_sdk_lambda::types::InvocationType::RequestResponse)
                    .log_type(aws_sdk_lambda::types::LogType::Tail)
                    .payload(Blob::new(payload.clone()))
                    .customize()
                    // The function may have run even when its answer was lost, and a
                    // blind retry would run it again: only throttling, which Lambda
                    // answers before running anything, is retried.
                    .config_override(aws_sdk_lambda::config::Builder::default().retry_classifier(
                        NoBlindRetry::<aws_sdk_lambda::operation::invoke::InvokeError>::new(),
                    ))
                    .send()
            })
            .await?;
        let log_tail = output.log_result().map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_else(|_| encoded.to_owned())
        });
        Ok(Invocation {
            status: output.status_code(),
            payload: output
                .payload()
                .map(|blob| blob.as_ref().to_vec())
                .unwrap_or_default(),
            function_error: output.function_error().map(str::to_owned),
            log_tail,
            executed_version: output.executed_version().map(str::to_owned),
        })
    }
}

/// Functions per `ListFunctions` page: Lambda's default and maximum is 50.
const LIST_PAGE: i32 = 50;

/// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` → `<name>`.
fn function_name_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.nth(5), parts.next()) {
        (Some("function"), Some(name)) if !name.is_empty() => Some(name),
        _ => None,
    }
}

fn live_function(name: &str, output: &GetFunctionOutput) -> Result<LiveFunction, CloudError> {
    let Some(config) = output.configuration() else {
        return Err(CloudError::Service {
            operation: "GetFunction".to_owned(),
            message: format!("Lambda returned no configuration for function {name}"),
        });
    };
    let tags = output.tags().map(sorted).unwrap_or_default();
    Ok(from_configuration(config, name, tags))
}

/// A function from its configuration, as `GetFunction` and `ListFunctions` both
/// return it, and its tags.
fn from_configuration(
    config: &FunctionConfiguration,
    name: &str,
    tags: BTreeMap<String, String>,
) -> LiveFunction {
    let architecture = match config.architectures().first().map(|a| a.as_str()) {
        Some("arm64") => Architecture::Arm64,
        // Lambda's default, and what it reports for functions created before arm64.
        _ => Architecture::X86_64,
    };
    LiveFunction {
        name: config.function_name().unwrap_or(name).to_owned(),
        arn: config.function_arn().unwrap_or_default().to_owned(),
        handler: config.handler().unwrap_or_default().to_owned(),
        runtime: config
            .runtime()
            .map(|runtime| runtime.as_str().to_owned())
            .unwrap_or_default(),
        role_arn: config.role().unwrap_or_default().to_owned(),
        // Lambda's defaults, should a response ever leave them out.
        memory: config.memory_size().unwrap_or(128),
        timeout: config.timeout().unwrap_or(3),
        environment: config
            .environment()
            .and_then(|environment| environment.variables())
            .map(sorted)
            .unwrap_or_default(),
        description: config.description().unwrap_or_default().to_owned(),
        architecture,
        code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
        code_size: config.code_size(),
        revision_id: config.revision_id().unwrap_or_default().to_owned(),
        tags,
    }
}

fn sorted(map: &HashMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn unsorted(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn environment(variables: &BTreeMap<String, String>) -> Environment {
    // Always sent, even empty: an empty map is how an update removes every variable.
    Environment::builder()
        .set_variables(Some(unsorted(variables)))
        .build()
}

fn lambda_architecture(architecture: Architecture) -> aws_sdk_lambda::types::Architecture {
    aws_sdk_lambda::types::Architecture::from(architecture.as_str())
}

/// A new role, or a policy just attached to one, takes seconds to minutes to
/// propagate through IAM. Until then Lambda answers `InvalidParameterValueException`
/// with one of these (the same texts Terraform's AWS provider retries on, for 5
/// minutes): "The role defined for the function cannot be assumed by Lambda.", "The
/// provided execution role does not have permissions to call CreateNetworkInterface on
/// EC2" (VPC functions, event-source triggers), "… please ensure the role can perform
/// …".
const ROLE_NOT_READY: &[&str] = &[
    "cannot be assumed by Lambda",
    "execution role does not have permissions",
    "ensure the role can perform",
];

pub(super) fn role_not_ready(error: &AwsError) -> bool {
    error.is("InvalidParameterValueException")
        && ROLE_NOT_READY
            .iter()
            .any(|text| error.message.contains(text))
}

/// An existing function is ours only if it carries the project and stage we would tag
/// it with.
fn check_owner(
    name: &str,
    wanted: &BTreeMap<String, String>,
    found: &BTreeMap<String, String>,
) -> Result<(), CloudError> {
    let owned = [TAG_PROJECT, TAG_STAGE]
        .iter()
        .all(|key| wanted.get(*key).is_some() && wanted.get(*key) == found.get(*key));
    if owned {
        return Ok(());
    }
    Err(CloudError::NotOwned {
        kind: ResourceKind::Function,
        name: name.to_owned(),
        reason: NotOurs::tags(found, wanted),
    })
}

/// Decides one attempt of an update: a conflict means another update (or the
/// creation) is still in progress, so wait for it to finish and try again; a role that
/// cannot be assumed yet is still propagating.
pub(super) async fn retry_when_busy<T>(
    aws: &AwsCloud,
    name: &str,
    result: Result<T, AwsError>,
) -> Result<Attempt<()>, CloudError> {
    match result {
        Ok(_) => Ok(Attempt::Done(())),
        Err(error) if role_not_ready(&error) => Ok(Attempt::Again(error.to_string())),
        Err(error) if error.is(CONFLICT) => {
            match wait(aws, name, Goal::Updated).await {
                // A failed earlier update does not block this one.
                Ok(()) | Err(CloudError::Service { .. }) => {}
                Err(other) => return Err(other),
            }
            Ok(Attempt::Again(error.to_string()))
        }
        Err(error) => Err(error.into()),
    }
}

// ---- helpers: the resource policy ----

/// The principal and action of every statement lade adds.
const INVOKE: &str = "lambda:InvokeFunction";

/// The statements of a resource policy document, as Lambda returns it (a JSON string).
fn permissions(policy: &str) -> Result<Vec<Permission>, serde_json::Error> {
    if policy.trim().is_empty() {
        return Ok(Vec::new());
    }
    let document: Value = serde_json::from_str(policy)?;
    let statements = match &document["Statement"] {
        Value::Array(statements) => statements.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    };
    Ok(statements.into_iter().map(permission).collect())
}

fn permission(statement: &Value) -> Permission {
    // `Principal` is `{"Service": …}` for services, `{"AWS": …}` for accounts, or "*".
    let principal = match &statement["Principal"] {
        Value::Object(principal) => principal
            .get("Service")
            .or_else(|| principal.get("AWS"))
            .or_else(|| principal.values().next())
            .map(first_string)
            .unwrap_or_default(),
        other => first_string(other),
    };
    let action = match &statement["Action"] {
        Value::Array(actions) => actions
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => first_string(other),
    };
    // Lambda writes `ArnLike` for a source ARN; `ArnEquals` means the same to lade.
    // Condition operators and keys are case-insensitive in IAM.
    let source_arn = statement["Condition"].as_object().and_then(|conditions| {
        conditions
            .iter()
            .filter(|(operator, _)| {
                operator.eq_ignore_ascii_case("ArnLike")
                    || operator.eq_ignore_ascii_case("ArnEquals")
            })
            .filter_map(|(_, keys)| keys.as_object())
            .flat_map(|keys| keys.iter())
            .find(|(key, _)| key.eq_ignore_ascii_case("AWS:SourceArn"))
            .map(|(_, value)| first_string(value))
    });
    // `StringEquals` for a source account, as Lambda writes it.
    let source_account = statement["Condition"].as_object().and_then(|conditions| {
        conditions
            .iter()
            .filter(|(operator, _)| operator.eq_ignore_ascii_case("StringEquals"))
            .filter_map(|(_, keys)| keys.as_object())
            .flat_map(|keys| keys.iter())
            .find(|(key, _)| key.eq_ignore_ascii_case("AWS:SourceAccount"))
            .map(|(_, value)| first_string(value))
    });
    Permission {
        sid: first_string(&statement["Sid"]),
        principal,
        action,
        source_arn,
        source_account,
    }
}

/// A string, or the first string of a list; "" for anything else.
fn first_string(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(values) => values
            .iter()
            .find_map(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

/// One `RemovePermission` request, as it is: callers decide what its errors mean.
async fn send_remove_permission(
    aws: &AwsCloud,
    name: &str,
    statement_id: &str,
) -> Result<(), AwsError> {
    let request = aws
        .lambda
        .remove_permission()
        .function_name(name)
        .statement_id(statement_id);
    aws.call("RemovePermission", || request.clone().send())
        .await
        .map(|_| ())
}

/// What a function must reach before the next call may touch it.
#[derive(Debug, Clone, Copy)]
enum Goal {
    /// `State=Active`, after create.
    Active,
    /// `LastUpdateStatus=Successful`, after an update.
    Updated,
}

impl Goal {
    fn describe(self) -> &'static str {
        match self {
            Goal::Active => "to become Active",
            Goal::Updated => "to finish updating",
        }
    }
}

/// Polls `GetFunction` every `patience.poll_interval` until the function reaches
/// `goal`, for at most `patience.wait_limit`.
///
/// A steady poll rather than the SDK's waiter: the waiter backs off exponentially with
/// jitter, up to tens of seconds between polls, so a function that became ready after
/// 3 s could be noticed after 10. One poll a second per function stays far below
/// `GetFunction`'s quota of 100 per second, and the polls are paced like every request.
/// Right after `CreateFunction` the function can be briefly "not found"; that is
/// polled through for `patience.not_found_grace`.
async fn wait(aws: &AwsCloud, name: &str, goal: Goal) -> Result<(), CloudError> {
    let started = Instant::now();
    let what = goal.describe();
    let mut polls: u32 = 0;
    loop {
        polls += 1;
        // Under `waiting`, so that `--stats` counts the polls as waits.
        let polled = super::stats::waiting(aws.call("GetFunction", || {
            aws.lambda.get_function().function_name(name).send()
        }))
        .await;
        let last = match polled {
            Ok(output) => match output.configuration().map(|config| state_of(config, goal)) {
                Some(Reached::Yes) => return Ok(()),
                Some(Reached::Failed(reason)) => {
                    return Err(CloudError::Service {
                        operation: "GetFunction".to_owned(),
                        message: format!("function {name} failed {what}: {reason}"),
                    });
                }
                Some(Reached::NotYet(state)) => state,
                None => "no configuration in the answer".to_owned(),
            },
            Err(error)
                if error.is(NOT_FOUND) && started.elapsed() < aws.patience.not_found_grace =>
            {
                error.to_string()
            }
            Err(error) => return Err(error.into()),
        };
        let elapsed = started.elapsed();
        if elapsed >= aws.patience.wait_limit {
            return Err(CloudError::Timeout {
                attempts: polls,
                seconds: elapsed.as_secs(),
                message: format!("waiting for function {name} {what}; it was still: {last}"),
            });
        }
        tokio::time::sleep(
            aws.patience
                .poll_interval
                .min(aws.patience.wait_limit - elapsed),
        )
        .await;
    }
}

/// Whether a function's configuration shows it reached a [`Goal`].
#[derive(Debug, PartialEq, Eq)]
enum Reached {
    Yes,
    /// Not yet; the state as people read it.
    NotYet(String),
    /// It never will: Lambda's reason.
    Failed(String),
}

fn state_of(config: &FunctionConfiguration, goal: Goal) -> Reached {
    use aws_sdk_lambda::types::{LastUpdateStatus, State};
    let reason = |reason: Option<&str>| reason.unwrap_or("Lambda gave no reason").to_owned();
    match goal {
        Goal::Active => match config.state() {
            // Older answers leave the state out: a function without one is usable.
            Some(State::Active) | None => Reached::Yes,
            Some(State::Failed) => Reached::Failed(reason(config.state_reason())),
            Some(other) => Reached::NotYet(format!("State={}", other.as_str())),
        },
        Goal::Updated => match config.last_update_status() {
            Some(LastUpdateStatus::Successful) | None => Reached::Yes,
            Some(LastUpdateStatus::Failed) => {
                Reached::Failed(reason(config.last_update_status_reason()))
            }
            Some(other) => Reached::NotYet(format!("LastUpdateStatus={}", other.as_str())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_come_from_the_policy_statements() {
        let policy = r#"{"Version":"2012-10-17","Id":"default","Statement":[
            {"Sid":"lade-api","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},
             "Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:1:function:f",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*"}}},
            {"Sid":"exact","Principal":{"Service":["events.amazonaws.com"]},
             "Action":["lambda:InvokeFunction","lambda:GetFunction"],
             "Condition":{"ArnEquals":{"aws:sourcearn":["arn:aws:events:us-east-1:1:rule/r"]}}},
            {"Sid":"anyone","Principal":"*","Action":"lambda:InvokeFunction"}
        ]}"#;
        let permission =
            |sid: &str, principal: &str, action: &str, source: Option<&str>| Permission {
                sid: sid.to_owned(),
                principal: principal.to_owned(),
                action: action.to_owned(),
                source_arn: source.map(str::to_owned),
                source_account: None,
            };
        assert_eq!(
            permissions(policy).unwrap(),
            [
                permission(
                    "lade-api",
                    "apigateway.amazonaws.com",
                    "lambda:InvokeFunction",
                    Some("arn:aws:execute-api:us-east-1:1:abc/*")
                ),
                permission(
                    "exact",
                    "events.amazonaws.com",
                    "lambda:InvokeFunction,lambda:GetFunction",
                    Some("arn:aws:events:us-east-1:1:rule/r")
                ),
                permission("anyone", "*", "lambda:InvokeFunction", None),
            ]
        );
    }

    #[test]
    fn a_single_statement_or_an_empty_policy_is_read_too() {
        let single = r#"{"Statement":{"Sid":"s","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"lambda:InvokeFunction"}}"#;
        assert_eq!(
            permissions(single).unwrap(),
            [Permission {
                sid: "s".to_owned(),
                principal: "arn:aws:iam::1:root".to_owned(),
                action: "lambda:InvokeFunction".to_owned(),
                source_arn: None,
                source_account: None,
            }]
        );
        assert_eq!(permissions("").unwrap(), []);
        assert!(permissions("{not json").is_err());
    }

    #[test]
    fn a_function_reaches_its_goal_from_its_state() {
        use aws_sdk_lambda::types::{LastUpdateStatus, State};
        let pending = FunctionConfiguration::builder()
            .state(State::Pending)
            .build();
        assert_eq!(
            state_of(&pending, Goal::Active),
            Reached::NotYet("State=Pending".to_owned())
        );
        let active = FunctionConfiguration::builder()
            .state(State::Active)
            .build();
        assert_eq!(state_of(&active, Goal::Active), Reached::Yes);
        let failed = FunctionConfiguration::builder()
            .state(State::Failed)
            .state_reason("bad zip")
            .build();
        assert_eq!(
            state_of(&failed, Goal::Active),
            Reached::Failed("bad zip".to_owned())
        );
        let updating = FunctionConfiguration::builder()
            .last_update_status(LastUpdateStatus::InProgress)
            .build();
        assert_eq!(
            state_of(&updating, Goal::Updated),
            Reached::NotYet("LastUpdateStatus=InProgress".to_owned())
        );
        let updated = FunctionConfiguration::builder()
            .last_update_status(LastUpdateStatus::Successful)
            .build();
        assert_eq!(state_of(&updated, Goal::Updated), Reached::Yes);
    }

    #[test]
    fn a_role_still_propagating_is_told_apart_from_other_invalid_values() {
        let error = |message: &str| AwsError::for_test("InvalidParameterValueException", message);
        assert!(role_not_ready(&error(
            "The role defined for the function cannot be assumed by Lambda."
        )));
        assert!(role_not_ready(&error(
            "The provided execution role does not have permissions to call \
             CreateNetworkInterface on EC2"
        )));
        assert!(!role_not_ready(&error(
            "Unzipped size must be smaller than 262144000 bytes"
        )));
    }

    #[test]
    fn names_come_from_function_arns() {
        assert_eq!(
            function_name_from_arn("arn:aws:lambda:us-east-1:123456789012:function:shop-dev-api"),
            Some("shop-dev-api")
        );
        assert_eq!(
            function_name_from_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live"),
            Some("f")
        );
        assert_eq!(
            function_name_from_arn("arn:aws:lambda:us-east-1:123456789012:layer:l"),
            None
        );
    }

    fn tags(project: &str, stage: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (TAG_PROJECT.to_owned(), project.to_owned()),
            (TAG_STAGE.to_owned(), stage.to_owned()),
        ])
    }

    #[test]
    fn a_function_is_ours_only_with_our_project_and_stage() {
        assert_eq!(
            check_owner("f", &tags("shop", "dev"), &tags("shop", "dev")),
            Ok(())
        );
        let Err(error @ CloudError::NotOwned { .. }) =
            check_owner("f", &tags("shop", "dev"), &tags("shop", "prod"))
        else {
            panic!("another stage's function must not be ours");
        };
        let message = error.to_string();
        assert!(
            message.contains("belongs to project shop, stage prod, not to project shop, stage dev")
        );
        assert!(check_owner("f", &tags("shop", "dev"), &BTreeMap::new()).is_err());
        // Without ownership tags in the request nothing can prove ownership.
        assert!(check_owner("f", &BTreeMap::new(), &BTreeMap::new()).is_err());
    }
}
