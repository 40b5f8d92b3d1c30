//! The queues and streams trigger tests read from, made with the SDK as a user makes
//! them (lade never creates one). Only the tests that need them include this file
//! (`#[path = "support/sources.rs"] mod sources;`), so the other test binaries do not
//! compile against the SQS, DynamoDB and Kinesis SDKs.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;

/// The ARN of a new SQS queue named `name`.
pub async fn queue(config: &SdkConfig, name: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(config);
    let url = sqs.create_queue().queue_name(name).send().await.unwrap();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url.queue_url().unwrap())
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    attributes.attributes().unwrap()[&QueueAttributeName::QueueArn].clone()
}

/// The stream ARN of a new DynamoDB table named `name` (key `id`, new images).
pub async fn table_stream(config: &SdkConfig, name: &str) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        StreamSpecification, StreamViewType,
    };
    let table = aws_sdk_dynamodb::Client::new(config)
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    table
        .table_description()
        .and_then(|t| t.latest_stream_arn())
        .unwrap()
        .to_string()
}

/// The ARN of a new one-shard Kinesis stream named `name`. (Not every includer uses
/// it.)
#[allow(dead_code)]
pub async fn kinesis_stream(config: &SdkConfig, name: &str) -> String {
    let kinesis = aws_sdk_kinesis::Client::new(config);
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await
        .unwrap();
    let described = kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .unwrap();
    described
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string()
}
