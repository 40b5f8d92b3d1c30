//! Triggers against moto: functions invoked by an SQS queue, a DynamoDB stream and a
//! Kinesis stream. The queue, table and stream are made first with the SDK, as a user
//! makes them (lade never creates one), and every mapping and policy is read back with
//! the SDK, not through lade.
//!
//! moto differs from AWS here, and the tests follow AWS:
//! - moto accepts a second mapping from one queue to one function, where AWS answers
//!   `ResourceConflictException`; lade reads before it creates, so it never asks twice;
//! - moto leaves out settings it was not given (`MaximumBatchingWindowInSeconds`,
//!   `MaximumRetryAttempts`, …) where AWS reports its defaults; lade reads a missing
//!   one as AWS's default;
//! - moto answers a mapping from a queue that does not exist with
//!   `ResourceNotFoundException`, AWS with `InvalidParameterValueException`.

#[path = "support/sources.rs"]
mod sources;
mod support;

use std::collections::BTreeMap;

use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use serde_json::Value;
use support::project::Project;
use support::{Moto, moto};

struct Sources {
    queue: String,
    stream: String,
    kinesis: String,
}

struct Sdk {
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
}

async fn sdk(moto: &Moto) -> Sdk {
    let config = moto.sdk_config().await;
    Sdk {
        lambda: aws_sdk_lambda::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
    }
}

/// A queue, a table with a stream and a Kinesis stream, named after `prefix`.
async fn sources(moto: &Moto, prefix: &str) -> Sources {
    let config = moto.sdk_config().await;
    let queue = sources::queue(&config, &format!("{prefix}-jobs")).await;
    let stream = sources::table_stream(&config, &format!("{prefix}-orders")).await;
    let kinesis = sources::kinesis_stream(&config, &format!("{prefix}-clicks")).await;
    Sources {
        queue,
        stream,
        kinesis,
    }
}

fn manifest(sources: &Sources, queue_batch: u32, with_kinesis: bool) -> String {
    let kinesis = if with_kinesis {
        format!(
            "      - kinesis:\n          stream: {}\n          starting_position: TRIM_HORIZON\n",
            sources.kinesis
        )
    } else {
        String::new()
    };
    format!(
        r#"project: {{project}}
region: us-east-1
roles:
  worker: {{}}
functions:
  worker:
    source: ./worker
    handler: app.handler
    runtime: python3.12
    role: worker
    events:
      - sqs:
          queue: {queue}
          batch_size: {queue_batch}
          batching_window: 5
          max_concurrency: 5
          report_batch_item_failures: true
          filter:
            - {{body: {{type: [order]}}}}
      - dynamodb:
          stream: {stream}
          starting_position: LATEST
          batch_size: 100
          on_failure: {queue}
          bisect_on_error: true
          max_retries: 3
{kinesis}"#,
        queue = sources.queue,
        stream = sources.stream,
    )
}

impl Sdk {
    /// The mappings that invoke `function`, by source ARN.
    async fn mappings(&self, function: &str) -> BTreeMap<String, EventSourceMappingConfiguration> {
        let listed = self
            .lambda
            .list_event_source_mappings()
            .function_name(function)
            .send()
            .await
            .unwrap();
        listed
            .event_source_mappings()
            .iter()
            .map(|m| (m.event_source_arn().unwrap().to_string(), m.clone()))
            .collect()
    }

    async fn trigger_policy(&self, role: &str) -> Option<Value> {
        let policy = self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name("lade-triggers")
            .send()
            .await
            .ok()?;
        let text = percent_encoding::percent_decode_str(policy.policy_document())
            .decode_utf8()
            .unwrap();
        Some(serde_json::from_str(&text).unwrap())
    }
}

/// The actions the trigger policy allows on `resource`.
fn allowed(policy: &Value, resource: &str) -> Vec<String> {
    let mut actions: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Resource"] == resource)
        .flat_map(|s| s["Action"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    actions.sort();
    actions
}

#[tokio::test]
async fn triggers_deploy_replan_clean_change_remove_and_destroy() {
    let moto = moto();
    let sdk = sdk(moto).await;
    let project = Project::new("trig");
    let sources = sources(moto, &project.name).await;
    project.manifest(&manifest(&sources, 10, true));
    let worker = project.physical("worker");

    // 1. Every trigger exists with its settings, and the role may read each source.
    let out = project.ok(&["apply", "--yes"]);
    assert!(out.contains("5 added"), "{out}");
    let mappings = sdk.mappings(&worker).await;
    assert_eq!(mappings.len(), 3, "{mappings:?}");
    let queue = &mappings[&sources.queue];
    assert_eq!(queue.batch_size(), Some(10));
    assert_eq!(queue.maximum_batching_window_in_seconds(), Some(5));
    assert_eq!(
        queue.scaling_config().and_then(|s| s.maximum_concurrency()),
        Some(5)
    );
    assert_eq!(
        queue.function_response_types(),
        [aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures]
    );
    let pattern = queue.filter_criteria().unwrap().filters()[0]
        .pattern()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(pattern).unwrap(),
        serde_json::json!({"body": {"type": ["order"]}})
    );
    let stream = &mappings[&sources.stream];
    assert_eq!(
        stream.starting_position().map(|p| p.as_str()),
        Some("LATEST")
    );
    assert_eq!(stream.maximum_retry_attempts(), Some(3));
    assert_eq!(stream.bisect_batch_on_function_error(), Some(true));
    assert_eq!(
        stream
            .destination_config()
            .and_then(|d| d.on_failure())
            .and_then(|o| o.destination()),
        Some(sources.queue.as_str())
    );
    assert_eq!(
        mappings[&sources.kinesis]
            .starting_position()
            .map(|p| p.as_str()),
        Some("TRIM_HORIZON")
    );
    let policy = sdk.trigger_policy(&worker).await.expect("lade-triggers");
    assert_eq!(
        allowed(&policy, &sources.queue),
        [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
            // The stream's failed records go to the queue.
            "sqs:SendMessage",
        ]
    );
    assert_eq!(
        allowed(&policy, &sources.stream),
        [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator"
        ]
    );

    // 2. Plan again: nothing to do.
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 3. A new batch size is one update of that mapping, in place.
    let uuid = queue.uuid().unwrap().to_string();
    project.manifest(&manifest(&sources, 7, true));
    let steps = project.plan_steps();
    let ops: Vec<&str> = steps.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["update_event_source_mapping"], "{steps:?}");
    project.ok(&["apply", "--yes"]);
    let mappings = sdk.mappings(&worker).await;
    assert_eq!(mappings[&sources.queue].batch_size(), Some(7));
    assert_eq!(mappings[&sources.queue].uuid(), Some(uuid.as_str()));

    // 4. Removing one trigger removes exactly it, and its permissions.
    project.manifest(&manifest(&sources, 7, false));
    let steps = project.plan_steps();
    let ops: Vec<&str> = steps.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        ops,
        ["put_role_policy", "delete_event_source_mapping"],
        "{steps:?}"
    );
    project.ok(&["apply", "--yes"]);
    let mappings = sdk.mappings(&worker).await;
    assert!(!mappings.contains_key(&sources.kinesis), "{mappings:?}");
    assert_eq!(mappings.len(), 2);
    let policy = sdk.trigger_policy(&worker).await.unwrap();
    assert!(allowed(&policy, &sources.kinesis).is_empty());
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 5. Destroy leaves no mapping on the function's name.
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.mappings(&worker).await.is_empty());
}

#[tokio::test]
async fn a_queue_that_does_not_exist_is_named_in_the_error() {
    let project = Project::new("trignoq");
    project.manifest(
        "project: {project}\nregion: us-east-1\nroles:\n  worker: {}\nfunctions:\n  worker:\n    source: ./worker\n    handler: app.handler\n    runtime: python3.12\n    role: worker\n    events:\n      - sqs: arn:aws:sqs:us-east-1:123456789012:no-such-queue\n",
    );
    let output = project.lade(&["apply", "--yes"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("no-such-queue"), "{all}");
    assert!(
        all.contains("lade does not create queues or streams"),
        "{all}"
    );
}
