//! Lambda event-source mappings: the queues and streams that invoke functions.
//!
//! `CreateEventSourceMapping` makes a new mapping, with a new id, on every call, and
//! AWS refuses a second mapping from the same queue to the same function
//! (`ResourceConflictException`; emulators make the second one). So every create
//! attempt first lists the mappings from that source to that function and, when one is
//! there (made by an attempt whose answer was lost, or by another run), sets its
//! settings instead; the SDK does not retry the create blindly (`once.rs`).
//!
//! Lambda checks the function's role when a mapping is created or enabled: "The
//! provided execution role does not have permissions to call ReceiveMessage on SQS"
//! while the role's new policy propagates through IAM is retried until the adapter's
//! deadline. A mapping is settled once it is no longer `Creating`, `Updating`,
//! `Enabling` or `Disabling`; the adapter polls `GetEventSourceMapping` each second
//! until then (well within its quota), and after a delete until it is gone.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_lambda::operation::create_event_source_mapping::CreateEventSourceMappingError;
use aws_sdk_lambda::types::{
    DestinationConfig, EventSourceMappingConfiguration, EventSourcePosition, Filter,
    FilterCriteria, FunctionResponseType, OnFailure, ScalingConfig,
};
use serde_json::Value;

use super::AwsCloud;
use super::error::AwsError;
use super::once::NoBlindRetry;
use super::retry::{Attempt, until_done};
use crate::cloud::{CloudError, EventSourceApi, NewEventSource};
use crate::model::{LiveEventSource, SourceKind, SourceSettings};

const NOT_FOUND: &str = "ResourceNotFoundException";
const CONFLICT: &str = "ResourceConflictException";

/// Mappings per `ListEventSourceMappings` page: Lambda's maximum.
const LIST_PAGE: i32 = 100;

/// Between two polls of a mapping that is settling.
const POLL: Duration = Duration::from_secs(1);

#[async_trait]
impl EventSourceApi for AwsCloud {
    async fn list_event_sources(&self) -> Result<Vec<LiveEventSource>, CloudError> {
        let listed = self
            .call(
                "ListEventSourceMappings",
                self.lambda
                    .list_event_source_mappings()
                    .max_items(LIST_PAGE)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect(),
            )
            .await?;
        Ok(listed.iter().filter_map(live_event_source).collect())
    }

    async fn create_event_source(&self, source: &NewEventSource) -> Result<String, CloudError> {
        let waiting_for = format!(
            "Lambda to accept {} as a trigger of function {} (a role's new permissions \
             take a few seconds to propagate)",
            source.arn, source.function
        );
        let uuid = until_done(&self.patience, &waiting_for, move || async move {
            if let Some(existing) = self.find(&source.function, &source.arn).await? {
                self.send_update(&existing, source.kind, &source.settings)
                    .await
                    .map_err(CloudError::from)?;
                return Ok(Attempt::Done(existing));
            }
            let created = self
                .call(
                    "CreateEventSourceMapping",
                    create_request(self, source)
                        .customize()
                        .config_override(
                            aws_sdk_lambda::config::Builder::default().retry_classifier(
                                NoBlindRetry::<CreateEventSourceMappingError>::new(),
                            ),
                        )
                        .send(),
                )
                .await;
            match created {
                Ok(output) => Ok(Attempt::Done(output.uuid().unwrap_or_default().to_owned())),
                // Perhaps created, its answer lost; or made meanwhile by another run:
                // the next attempt finds it.
                Err(error) if error.is_ambiguous() || error.is(CONFLICT) => {
                    Ok(Attempt::Again(error.to_string()))
                }
                Err(error) if role_lacks_permissions(&error) => {
                    Ok(Attempt::Again(error.to_string()))
                }
                Err(error) if error.is(NOT_FOUND) => Err(missing_source(source, &error)),
                Err(error) => Err(error.into()),
            }
        })
        .await?;
        self.settle(&uuid).await?;
        Ok(uuid)
    }

    async fn update_event_source(
        &self,
        uuid: &str,
        kind: SourceKind,
        settings: &SourceSettings,
    ) -> Result<(), CloudError> {
        let waiting_for = format!("event-source mapping {uuid} to accept its new settings");
        until_done(&self.patience, &waiting_for, move || async move {
            match self.send_update(uuid, kind, settings).await {
                Ok(()) => Ok(Attempt::Done(())),
                // Still settling from the last change.
                Err(error) if error.is(CONFLICT) || role_lacks_permissions(&error) => {
                    Ok(Attempt::Again(error.to_string()))
                }
                Err(error) => Err(error.into()),
            }
        })
        .await?;
        self.settle(uuid).await
    }

    async fn delete_event_source(&self, uuid: &str) -> Result<(), CloudError> {
        let waiting_for = format!("event-source mapping {uuid} to accept its deletion");
        until_done(&self.patience, &waiting_for, move || async move {
            let deleted = self
                .call(
                    "DeleteEventSourceMapping",
                    self.lambda.delete_event_source_mapping().uuid(uuid).send(),
                )
                .await;
            match deleted {
                Ok(_) => Ok(Attempt::Done(())),
                Err(error) if error.is(NOT_FOUND) => Ok(Attempt::Done(())),
                // Still `Creating` or `Updating`: it can be deleted once settled.
                Err(error) if error.is(CONFLICT) => Ok(Attempt::Again(error.to_string())),
                Err(error) => Err(error.into()),
            }
        })
        .await?;
        self.settle(uuid).await
    }
}

impl AwsCloud {
    /// The id of the mapping from `source` to `function`, if there is one.
    async fn find(&self, function: &str, source: &str) -> Result<Option<String>, CloudError> {
        let listed = self
            .call(
                "ListEventSourceMappings",
                self.lambda
                    .list_event_source_mappings()
                    .function_name(function)
                    .event_source_arn(source)
                    .send(),
            )
            .await?;
        Ok(listed
            .event_source_mappings()
            .iter()
            .find_map(|m| m.uuid().map(str::to_owned)))
    }

    async fn send_update(
        &self,
        uuid: &str,
        kind: SourceKind,
        settings: &SourceSettings,
    ) -> Result<(), AwsError> {
        let mut request = self
            .lambda
            .update_event_source_mapping()
            .uuid(uuid)
            .batch_size(settings.batch_size)
            .maximum_batching_window_in_seconds(settings.batching_window)
            .enabled(settings.enabled)
            .set_function_response_types(Some(response_types(settings)))
            // No filters clears them.
            .filter_criteria(filter_criteria(&settings.filter));
        if kind.is_stream() {
            request = request
                .bisect_batch_on_function_error(settings.bisect_on_error)
                .maximum_retry_attempts(settings.max_retries.unwrap_or(-1))
                // A destination without an ARN clears it.
                .destination_config(destination(settings.on_failure.as_deref()));
        } else {
            // A scaling config without a maximum clears it.
            request = request.scaling_config(
                ScalingConfig::builder()
                    .set_maximum_concurrency(settings.max_concurrency)
                    .build(),
            );
        }
        self.call("UpdateEventSourceMapping", request.send())
            .await
            .map(|_| ())
    }

    /// Waits until the mapping is no longer changing state, or is gone.
    async fn settle(&self, uuid: &str) -> Result<(), CloudError> {
        let started = Instant::now();
        let mut polls = 0;
        super::stats::waiting(async {
            loop {
                polls += 1;
                let state = match self
                    .call(
                        "GetEventSourceMapping",
                        self.lambda.get_event_source_mapping().uuid(uuid).send(),
                    )
                    .await
                {
                    Ok(output) => output.state().unwrap_or_default().to_owned(),
                    Err(error) if error.is(NOT_FOUND) => return Ok(()),
                    Err(error) => return Err(error.into()),
                };
                if !is_settling(&state) {
                    return Ok(());
                }
                if started.elapsed() >= self.patience.wait_limit {
                    return Err(CloudError::Timeout {
                        attempts: polls,
                        seconds: started.elapsed().as_secs(),
                        message: format!(
                            "waiting for event-source mapping {uuid} to settle; it is still \
                             {state}"
                        ),
                    });
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
    }
}

fn create_request(
    aws: &AwsCloud,
    source: &NewEventSource,
) -> aws_sdk_lambda::operation::create_event_source_mapping::builders::CreateEventSourceMappingFluentBuilder
{
    let settings = &source.settings;
    let mut request = aws
        .lambda
        .create_event_source_mapping()
        .function_name(&source.function)
        .event_source_arn(&source.arn)
        .batch_size(settings.batch_size)
        .maximum_batching_window_in_seconds(settings.batching_window)
        .enabled(settings.enabled)
        .set_function_response_types(Some(response_types(settings)));
    if !settings.filter.is_empty() {
        request = request.filter_criteria(filter_criteria(&settings.filter));
    }
    if source.kind.is_stream() {
        request = request
            .set_starting_position(
                settings
                    .starting_position
                    .as_deref()
                    .map(EventSourcePosition::from),
            )
            .bisect_batch_on_function_error(settings.bisect_on_error)
            .maximum_retry_attempts(settings.max_retries.unwrap_or(-1));
        if let Some(arn) = &settings.on_failure {
            request = request.destination_config(destination(Some(arn)));
        }
    } else if let Some(maximum) = settings.max_concurrency {
        request = request.scaling_config(
            ScalingConfig::builder()
                .maximum_concurrency(maximum)
                .build(),
        );
    }
    request
}

fn response_types(settings: &SourceSettings) -> Vec<FunctionResponseType> {
    if settings.report_batch_item_failures {
        vec![FunctionResponseType::ReportBatchItemFailures]
    } else {
        Vec::new()
    }
}

fn filter_criteria(patterns: &[Value]) -> FilterCriteria {
    FilterCriteria::builder()
        .set_filters(Some(
            patterns
                .iter()
                .map(|pattern| Filter::builder().pattern(pattern.to_string()).build())
                .collect(),
        ))
        .build()
}

fn destination(arn: Option<&str>) -> DestinationConfig {
    DestinationConfig::builder()
        .on_failure(
            OnFailure::builder()
                .set_destination(arn.map(str::to_owned))
                .build(),
        )
        .build()
}

fn is_settling(state: &str) -> bool {
    matches!(
        state,
        "Creating" | "Updating" | "Enabling" | "Disabling" | "Deleting"
    )
}

/// "The provided execution role does not have permissions to call ReceiveMessage on
/// SQS": the role's policy has not propagated yet.
fn role_lacks_permissions(error: &AwsError) -> bool {
    error
        .message
        .contains("execution role does not have permissions")
}

/// The queue or stream a mapping would read does not exist: lade never creates one.
fn missing_source(source: &NewEventSource, error: &AwsError) -> CloudError {
    CloudError::Service {
        operation: "CreateEventSourceMapping".to_owned(),
        message: format!(
            "{} cannot be read by function {}: {}. lade does not create queues or \
             streams: check that it exists, in this account and region, or fix the ARN \
             in `events:`",
            source.arn, source.function, error.message
        ),
    }
}

/// A mapping as lade models it, with Lambda's defaults for the settings Lambda (or an
/// emulator) leaves out; `None` for one that is not on a function.
fn live_event_source(config: &EventSourceMappingConfiguration) -> Option<LiveEventSource> {
    let arn = config.event_source_arn()?.to_owned();
    let function = function_of(config.function_arn()?)?;
    let kind = SourceKind::of_arn(&arn)?;
    let stream = kind.is_stream();
    let filter = config
        .filter_criteria()
        .map(|criteria| {
            criteria
                .filters()
                .iter()
                .filter_map(|f| f.pattern())
                .map(|pattern| {
                    serde_json::from_str(pattern).unwrap_or(Value::String(pattern.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    let state = config.state().unwrap_or_default().to_owned();
    Some(LiveEventSource {
        uuid: config.uuid()?.to_owned(),
        function,
        arn,
        settings: SourceSettings {
            batch_size: config.batch_size().unwrap_or(kind.default_batch_size()),
            batching_window: config.maximum_batching_window_in_seconds().unwrap_or(0),
            max_concurrency: config
                .scaling_config()
                .and_then(ScalingConfig::maximum_concurrency)
                .filter(|_| !stream),
            report_batch_item_failures: config
                .function_response_types()
                .contains(&FunctionResponseType::ReportBatchItemFailures),
            filter,
            enabled: !matches!(state.as_str(), "Disabled" | "Disabling"),
            starting_position: config
                .starting_position()
                .map(|p| p.as_str().to_owned())
                .filter(|_| stream),
            on_failure: config
                .destination_config()
                .and_then(DestinationConfig::on_failure)
                .and_then(OnFailure::destination)
                .filter(|arn| stream && !arn.is_empty())
                .map(str::to_owned),
            bisect_on_error: stream && config.bisect_batch_on_function_error().unwrap_or(false),
            // Lambda's default for streams is -1: retry until the record expires.
            max_retries: stream.then(|| config.maximum_retry_attempts().unwrap_or(-1)),
        },
        state,
    })
}

/// `arn:aws:lambda:<region>:<account>:function:<name>` → `<name>`; `None` for a
/// qualified ARN (a version or alias), which lade never maps to.
fn function_of(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    match (parts.nth(5), parts.next(), parts.next()) {
        (Some("function"), Some(name), None) if !name.is_empty() => Some(name.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_on_a_version_or_alias_is_not_on_the_function() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-worker";
        assert_eq!(function_of(arn).as_deref(), Some("shop-dev-worker"));
        assert_eq!(function_of(&format!("{arn}:live")), None);
    }

    #[test]
    fn the_defaults_an_emulator_leaves_out_are_lambdas() {
        let config = EventSourceMappingConfiguration::builder()
            .uuid("u")
            .event_source_arn("arn:aws:kinesis:us-east-1:123456789012:stream/clicks")
            .function_arn("arn:aws:lambda:us-east-1:123456789012:function:f")
            .starting_position(EventSourcePosition::Latest)
            .state("Enabled")
            .build();
        let live = live_event_source(&config).unwrap();
        assert_eq!(live.settings.batch_size, 100);
        assert_eq!(live.settings.batching_window, 0);
        assert_eq!(live.settings.max_retries, Some(-1));
        assert_eq!(live.settings.starting_position.as_deref(), Some("LATEST"));
        assert!(live.settings.enabled);
    }
}
