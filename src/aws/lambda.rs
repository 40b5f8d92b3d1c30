//! Lambda functions, and finding them by tag through the Resource Groups Tagging API.
//! Ownership of a function is proven by its `lade:project` and `lade:stage` tags.
//!
//! Every write returns only when the function is ready for the next call: after
//! create, `State=Active`; after an update, `LastUpdateStatus=Successful`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, PackageType, Runtime};
use aws_sdk_lambda::waiters::function_active_v2::WaitUntilFunctionActiveV2Error as WaiterError;
use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::AwsCloud;
use super::error::AwsError;
use super::retry::{Attempt, until_done};
use crate::cloud::{CloudError, FunctionConfig, NewFunction};
use crate::model::{Architecture, LiveFunction, TAG_PROJECT, TAG_STAGE};

const NOT_FOUND: &str = "ResourceNotFoundException";
const CONFLICT: &str = "ResourceConflictException";

/// The resource type the tagging API knows Lambda functions by.
const FUNCTION_RESOURCE_TYPE: &str = "lambda:function";

pub(super) async fn find_functions(
    aws: &AwsCloud,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<String>, CloudError> {
    let filters = tags
        .iter()
        .map(|(key, value)| TagFilter::builder().key(key).values(value).build())
        .collect();
    let resources = aws
        .call(
            "GetResources",
            aws.tagging
                .get_resources()
                .set_tag_filters(Some(filters))
                .resource_type_filters(FUNCTION_RESOURCE_TYPE)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await?;
    let mut names: Vec<String> = resources
        .iter()
        .filter_map(|resource| resource.resource_arn())
        .filter_map(function_name_from_arn)
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` → `<name>`.
fn function_name_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.nth(5), parts.next()) {
        (Some("function"), Some(name)) if !name.is_empty() => Some(name),
        _ => None,
    }
}

pub(super) async fn get_function(
    aws: &AwsCloud,
    name: &str,
) -> Result<Option<LiveFunction>, CloudError> {
    match aws
        .call(
            "GetFunction",
            aws.lambda.get_function().function_name(name).send(),
        )
        .await
    {
        Ok(output) => live_function(name, &output).map(Some),
        Err(error) if error.is(NOT_FOUND) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

fn live_function(name: &str, output: &GetFunctionOutput) -> Result<LiveFunction, CloudError> {
    let Some(config) = output.configuration() else {
        return Err(CloudError::Service {
            operation: "GetFunction".to_owned(),
            message: format!("Lambda returned no configuration for function {name}"),
        });
    };
    let architecture = match config.architectures().first().map(|a| a.as_str()) {
        Some("arm64") => Architecture::Arm64,
        // Lambda's default, and what it reports for functions created before arm64.
        _ => Architecture::X86_64,
    };
    Ok(LiveFunction {
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
        tags: output.tags().map(sorted).unwrap_or_default(),
    })
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

/// A new role takes seconds to propagate through IAM; until then Lambda answers
/// "The role defined for the function cannot be assumed by Lambda."
fn role_not_ready(error: &AwsError) -> bool {
    error.is("InvalidParameterValueException") && error.message.contains("cannot be assumed")
}

pub(super) async fn create_function(
    aws: &AwsCloud,
    function: &NewFunction,
) -> Result<String, CloudError> {
    let name = &function.name;
    let config = &function.config;
    let waiting_for = format!(
        "Lambda to accept role {} for function {name} (a new role takes a few seconds to \
         propagate; check that it exists and trusts lambda.amazonaws.com)",
        config.role_arn
    );
    let arn = until_done(&aws.patience, &waiting_for, move || async move {
        let created = aws
            .call(
                "CreateFunction",
                aws.lambda
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
                    .send(),
            )
            .await;
        match created {
            Ok(output) => Ok(Attempt::Done(
                output.function_arn().unwrap_or_default().to_owned(),
            )),
            Err(error) if role_not_ready(&error) => Ok(Attempt::Again(error.to_string())),
            // The name is taken, perhaps by an earlier, interrupted run of this project.
            Err(error) if error.is(CONFLICT) => match get_function(aws, name).await? {
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
    wait(aws, name, Goal::Active).await?;
    Ok(arn)
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
    let owner = |tags: &BTreeMap<String, String>| match (tags.get(TAG_PROJECT), tags.get(TAG_STAGE))
    {
        (Some(project), Some(stage)) => format!("project {project}, stage {stage}"),
        _ => "no lade project (it has no lade:project/lade:stage tags)".to_owned(),
    };
    Err(CloudError::NotOwned(format!(
        "function {name} already exists and belongs to {}, not to {}; lade never changes it: \
         give the function another name in the manifest (`name:`) or remove the existing one",
        owner(found),
        owner(wanted)
    )))
}

pub(super) async fn update_function_configuration(
    aws: &AwsCloud,
    name: &str,
    config: &FunctionConfig,
) -> Result<(), CloudError> {
    let waiting_for = format!(
        "function {name} to accept its new configuration (role {})",
        config.role_arn
    );
    until_done(&aws.patience, &waiting_for, move || async move {
        let updated = aws
            .call(
                "UpdateFunctionConfiguration",
                aws.lambda
                    .update_function_configuration()
                    .function_name(name)
                    .handler(&config.handler)
                    .runtime(Runtime::from(config.runtime.as_str()))
                    .role(&config.role_arn)
                    .memory_size(config.memory)
                    .timeout(config.timeout)
                    .environment(environment(&config.environment))
                    .description(&config.description)
                    .send(),
            )
            .await;
        retry_when_busy(aws, name, updated).await
    })
    .await?;
    wait(aws, name, Goal::Updated).await
}

pub(super) async fn update_function_code(
    aws: &AwsCloud,
    name: &str,
    zip: Arc<Vec<u8>>,
    architecture: Architecture,
) -> Result<(), CloudError> {
    let zip = &zip;
    let waiting_for = format!("function {name} to accept its new code");
    until_done(&aws.patience, &waiting_for, move || async move {
        let updated = aws
            .call(
                "UpdateFunctionCode",
                aws.lambda
                    .update_function_code()
                    .function_name(name)
                    .zip_file(Blob::new(zip.as_slice()))
                    .architectures(lambda_architecture(architecture))
                    .send(),
            )
            .await;
        retry_when_busy(aws, name, updated).await
    })
    .await?;
    wait(aws, name, Goal::Updated).await
}

/// Decides one attempt of an update: a conflict means another update (or the
/// creation) is still in progress, so wait for it to finish and try again; a role that
/// cannot be assumed yet is still propagating.
async fn retry_when_busy<T>(
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

pub(super) async fn tag_function(
    aws: &AwsCloud,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), CloudError> {
    if tags.is_empty() {
        return Ok(());
    }
    aws.call(
        "TagResource",
        aws.lambda
            .tag_resource()
            .resource(arn)
            .set_tags(Some(unsorted(tags)))
            .send(),
    )
    .await?;
    Ok(())
}

pub(super) async fn untag_function(
    aws: &AwsCloud,
    arn: &str,
    keys: &[String],
) -> Result<(), CloudError> {
    // Lambda rejects an empty key list; removing nothing is already done.
    if keys.is_empty() {
        return Ok(());
    }
    aws.call(
        "UntagResource",
        aws.lambda
            .untag_resource()
            .resource(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send(),
    )
    .await?;
    Ok(())
}

pub(super) async fn delete_function(aws: &AwsCloud, name: &str) -> Result<(), CloudError> {
    match aws
        .call(
            "DeleteFunction",
            aws.lambda.delete_function().function_name(name).send(),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(error) if error.is(NOT_FOUND) => Ok(()),
        Err(error) => Err(error.into()),
    }
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

/// Runs the SDK's waiter for `goal`, bounded by `patience.wait_limit`.
async fn wait(aws: &AwsCloud, name: &str, goal: Goal) -> Result<(), CloudError> {
    let started = Instant::now();
    let limit = aws.patience.wait_limit;
    let result = match goal {
        Goal::Active => {
            aws.lambda
                .wait_until_function_active_v2()
                .function_name(name)
                .wait(limit)
                .await
        }
        Goal::Updated => {
            aws.lambda
                .wait_until_function_updated_v2()
                .function_name(name)
                .wait(limit)
                .await
        }
    };
    let Err(error) = result else {
        return Ok(());
    };
    let what = goal.describe();
    Err(match error {
        WaiterError::ExceededMaxWait(context) => CloudError::Timeout {
            attempts: context.poll_count(),
            seconds: context.elapsed().as_secs(),
            message: format!("waiting for function {name} {what}"),
        },
        WaiterError::FailureState(failure) => {
            let reason = match failure.final_poll().as_result() {
                Ok(output) => output
                    .configuration()
                    .map(|config| {
                        let reason = match goal {
                            Goal::Active => config.state_reason(),
                            Goal::Updated => config.last_update_status_reason(),
                        };
                        reason.unwrap_or("Lambda gave no reason").to_owned()
                    })
                    .unwrap_or_default(),
                Err(error) => error.to_string(),
            };
            CloudError::Service {
                operation: "GetFunction".to_owned(),
                message: format!("function {name} failed {what}: {reason}"),
            }
        }
        WaiterError::OperationFailed(failed) => aws
            .classify("GetFunction", failed.error(), started.elapsed())
            .into(),
        other => CloudError::Service {
            operation: "GetFunction".to_owned(),
            message: format!(
                "waiting for function {name} {what}: {}",
                aws_sdk_lambda::error::DisplayErrorContext(&other)
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let Err(CloudError::NotOwned(message)) =
            check_owner("f", &tags("shop", "dev"), &tags("shop", "prod"))
        else {
            panic!("another stage's function must not be ours");
        };
        assert!(
            message.contains("belongs to project shop, stage prod, not to project shop, stage dev")
        );
        assert!(check_owner("f", &tags("shop", "dev"), &BTreeMap::new()).is_err());
        // Without ownership tags in the request nothing can prove ownership.
        assert!(check_owner("f", &BTreeMap::new(), &BTreeMap::new()).is_err());
    }
}
