//! S3 and SNS triggers against moto: an entry of lade's in a bucket's notification
//! configuration (others' entries kept as they are) and a subscription to a topic,
//! each with a permission scoped to its bucket or topic. The bucket and the topic are
//! made with the SDK first, as a user makes them (lade never creates one), and
//! everything is read back with the SDK, not through lade.
//!
//! moto differs from AWS here, and the tests follow AWS:
//! - moto does not check a Lambda destination when a notification configuration is
//!   written, where S3 answers "Unable to validate the following destination
//!   configurations" unless the function lets the bucket invoke it: lade adds the
//!   permission first either way (the engine tests check that order against the
//!   in-memory double, which refuses as S3 does);
//! - moto never invokes the function, so that a permission lets the bucket or topic
//!   invoke it is shown by its principal and conditions, not by an invocation.

mod support;

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
    NotificationConfigurationFilter, S3KeyFilter, TopicConfiguration,
};
use serde_json::{Value, json};
use support::project::Project;
use support::{Moto, moto};

struct Sdk {
    s3: aws_sdk_s3::Client,
    sns: aws_sdk_sns::Client,
    lambda: aws_sdk_lambda::Client,
}

async fn sdk(moto: &Moto) -> Sdk {
    let config = moto.sdk_config().await;
    Sdk {
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
        sns: aws_sdk_sns::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
    }
}

/// A Lambda entry as read back: (function ARN, events, prefix, suffix).
type Entry = (String, Vec<String>, Option<String>, Option<String>);

const FOREIGN_FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses";

impl Sdk {
    /// The bucket's Lambda entries by id, and its topic entries' ids.
    async fn notifications(&self, bucket: &str) -> (BTreeMap<String, Entry>, Vec<String>) {
        let config = self
            .s3
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        let lambda = config
            .lambda_function_configurations()
            .iter()
            .map(|c| {
                let rule = |name: &str| {
                    c.filter()
                        .and_then(|f| f.key())
                        .map(|k| k.filter_rules())
                        .unwrap_or_default()
                        .iter()
                        .find(|r| r.name().unwrap().as_str().eq_ignore_ascii_case(name))
                        .and_then(|r| r.value().map(str::to_string))
                };
                (
                    c.id().unwrap().to_string(),
                    (
                        c.lambda_function_arn().to_string(),
                        c.events().iter().map(|e| e.as_str().to_string()).collect(),
                        rule("prefix"),
                        rule("suffix"),
                    ),
                )
            })
            .collect();
        let topics = config
            .topic_configurations()
            .iter()
            .map(|t| t.id().unwrap_or_default().to_string())
            .collect();
        (lambda, topics)
    }

    /// Someone else's entries on the bucket: a Lambda entry and a topic entry.
    async fn put_foreign(&self, bucket: &str, topic: &str) {
        let prefix = |value: &str| {
            NotificationConfigurationFilter::builder()
                .key(
                    S3KeyFilter::builder()
                        .filter_rules(
                            FilterRule::builder()
                                .name(FilterRuleName::Prefix)
                                .value(value)
                                .build(),
                        )
                        .build(),
                )
                .build()
        };
        let configuration = NotificationConfiguration::builder()
            .lambda_function_configurations(
                LambdaFunctionConfiguration::builder()
                    .id("someone-else")
                    .lambda_function_arn(FOREIGN_FUNCTION)
                    .events(Event::from("s3:ObjectRemoved:*"))
                    .filter(prefix("trash/"))
                    .build()
                    .unwrap(),
            )
            .topic_configurations(
                TopicConfiguration::builder()
                    .id("someone-elses-topic")
                    .topic_arn(topic)
                    .events(Event::from("s3:ObjectCreated:Copy"))
                    .filter(prefix("copies/"))
                    .build()
                    .unwrap(),
            )
            .build();
        self.s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(configuration)
            .send()
            .await
            .unwrap();
    }

    /// The topic's subscriptions: (protocol, endpoint, filter policy).
    async fn subscriptions(&self, topic: &str) -> Vec<(String, String, Option<Value>)> {
        let listed = self
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .send()
            .await
            .unwrap();
        let mut found = Vec::new();
        for s in listed.subscriptions() {
            let attributes = self
                .sns
                .get_subscription_attributes()
                .subscription_arn(s.subscription_arn().unwrap())
                .send()
                .await
                .unwrap();
            let filter = attributes
                .attributes()
                .and_then(|a| a.get("FilterPolicy"))
                .filter(|p| !p.is_empty())
                .map(|p| serde_json::from_str(p).unwrap());
            found.push((
                s.protocol().unwrap().to_string(),
                s.endpoint().unwrap().to_string(),
                filter,
            ));
        }
        found
    }

    /// The function's resource-policy statements, by statement id.
    async fn statements(&self, function: &str) -> BTreeMap<String, Value> {
        let Ok(policy) = self
            .lambda
            .get_policy()
            .function_name(function)
            .send()
            .await
        else {
            return BTreeMap::new();
        };
        let document: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        document["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["Sid"].as_str().unwrap().to_string(), s.clone()))
            .collect()
    }

    async fn function_arn(&self, function: &str) -> String {
        self.lambda
            .get_function()
            .function_name(function)
            .send()
            .await
            .unwrap()
            .configuration()
            .unwrap()
            .function_arn()
            .unwrap()
            .to_string()
    }
}

/// The manifest: a worker on a schedule, two S3 entries (the second optional), and a
/// subscription with a filter policy.
fn manifest(bucket: &str, topic: &str, prefix: &str, severity: &str, archive: bool) -> String {
    let archive = if archive {
        "      - s3:\n          bucket: ${param:bucket}\n          events: [s3:ObjectRemoved:*]\n          prefix: archive/\n".to_string()
    } else {
        String::new()
    };
    format!(
        r#"project: {{project}}
region: us-east-1
stages:
  default:
    params:
      bucket: {bucket}
roles:
  worker: {{}}
functions:
  worker:
    source: ./worker
    handler: app.handler
    runtime: python3.12
    role: worker
    events:
      - schedule: rate(1 hour)
      - s3:
          bucket: ${{param:bucket}}
          events: [s3:ObjectCreated:*]
          prefix: {prefix}
          suffix: .jpg
{archive}      - sns:
          topic: {topic}
          filter: {{severity: [{severity}]}}
"#
    )
}

fn ops(project: &Project) -> Vec<String> {
    project.plan_steps().into_iter().map(|(op, _)| op).collect()
}

#[tokio::test]
async fn s3_and_sns_triggers_deploy_replan_clean_change_remove_and_destroy_around_foreign_entries()
{
    let moto = moto();
    let sdk = sdk(moto).await;
    let project = Project::new("ntf");
    let bucket = format!("{}-uploads", project.name);
    sdk.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let topic = sdk
        .sns
        .create_topic()
        .name(format!("{}-alerts", project.name))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    sdk.put_foreign(&bucket, &topic).await;
    project.manifest(&manifest(&bucket, &topic, "incoming/", "critical", true));
    let worker = project.physical("worker");
    let owned = format!("lade/{}/dev/", project.name);
    let foreign: Entry = (
        FOREIGN_FUNCTION.to_string(),
        vec!["s3:ObjectRemoved:*".to_string()],
        Some("trash/".to_string()),
        None,
    );

    // 1. Each S3 trigger is an entry with lade's id prefix, its events and filter,
    //    next to the foreign entries; the subscription has its filter policy; each
    //    permission is scoped to its bucket (and account) or topic.
    project.ok(&["apply", "--yes"]);
    let function_arn = sdk.function_arn(&worker).await;
    let (entries, topics) = sdk.notifications(&bucket).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries["someone-else"], foreign);
    assert_eq!(topics, ["someone-elses-topic"]);
    let ours: BTreeMap<&String, &Entry> = entries
        .iter()
        .filter(|(id, _)| id.starts_with(&owned))
        .collect();
    assert_eq!(ours.len(), 2, "{entries:?}");
    let (created_id, created) = ours
        .iter()
        .find(|(_, e)| e.1 == ["s3:ObjectCreated:*"])
        .map(|(id, e)| ((*id).clone(), (*e).clone()))
        .unwrap();
    assert_eq!(
        created,
        (
            function_arn.clone(),
            vec!["s3:ObjectCreated:*".to_string()],
            Some("incoming/".to_string()),
            Some(".jpg".to_string())
        )
    );
    let (archive_id, archive) = ours
        .iter()
        .find(|(_, e)| e.1 == ["s3:ObjectRemoved:*"])
        .map(|(id, e)| ((*id).clone(), (*e).clone()))
        .unwrap();
    assert_eq!(archive.2.as_deref(), Some("archive/"));
    assert_eq!(
        sdk.subscriptions(&topic).await,
        [(
            "lambda".to_string(),
            function_arn.clone(),
            Some(json!({"severity": ["critical"]}))
        )]
    );
    let statements = sdk.statements(&worker).await;
    let s3 = &statements[&format!("lade-s3-{bucket}")];
    assert_eq!(s3["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(s3["Action"], "lambda:InvokeFunction");
    assert_eq!(
        s3["Condition"]["ArnLike"]["AWS:SourceArn"],
        format!("arn:aws:s3:::{bucket}").as_str(),
        "{s3}"
    );
    assert_eq!(
        s3["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012",
        "{s3}"
    );
    let sns = statements
        .iter()
        .find(|(sid, _)| sid.starts_with("lade-sns-"))
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no SNS statement: {statements:?}"));
    assert_eq!(sns["Principal"]["Service"], "sns.amazonaws.com");
    assert_eq!(sns["Condition"]["ArnLike"]["AWS:SourceArn"], topic.as_str());

    // 2. Plan again: nothing to do.
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 3. A new prefix is one write of the bucket's configuration: the entry keeps its
    //    id, the others stay as they were.
    project.manifest(&manifest(&bucket, &topic, "uploads/", "critical", true));
    assert_eq!(ops(&project), ["put_bucket_notifications"]);
    project.ok(&["apply", "--yes"]);
    let (entries, topics) = sdk.notifications(&bucket).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(entries[&created_id].2.as_deref(), Some("uploads/"));
    assert_eq!(entries[&archive_id], archive);
    assert_eq!(entries["someone-else"], foreign);
    assert_eq!(topics, ["someone-elses-topic"]);
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 4. A new filter policy changes the subscription in place.
    project.manifest(&manifest(&bucket, &topic, "uploads/", "high", true));
    assert_eq!(ops(&project), ["set_subscription_filter"]);
    project.ok(&["apply", "--yes"]);
    assert_eq!(
        sdk.subscriptions(&topic).await,
        [(
            "lambda".to_string(),
            function_arn.clone(),
            Some(json!({"severity": ["high"]}))
        )]
    );

    // 5. Removing one trigger removes exactly its entry.
    project.manifest(&manifest(&bucket, &topic, "uploads/", "high", false));
    assert_eq!(ops(&project), ["put_bucket_notifications"]);
    project.ok(&["apply", "--yes"]);
    let (entries, _) = sdk.notifications(&bucket).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(!entries.contains_key(&archive_id));
    assert!(entries.contains_key(&created_id));
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 6. Destroy leaves no subscription and no entry of lade's, and the foreign ones
    //    as they were; the function (with its statements) is gone.
    project.ok(&["destroy", "--yes"]);
    let (entries, topics) = sdk.notifications(&bucket).await;
    assert_eq!(
        entries,
        BTreeMap::from([("someone-else".to_string(), foreign)])
    );
    assert_eq!(topics, ["someone-elses-topic"]);
    assert!(sdk.subscriptions(&topic).await.is_empty());
    assert!(sdk.statements(&worker).await.is_empty());
}

#[tokio::test]
async fn a_bucket_or_topic_that_does_not_exist_fails_the_plan_with_a_clear_error() {
    let _moto = moto();
    let project = Project::new("ntfmiss");
    let bucket = format!("{}-nowhere", project.name);
    let topic = format!(
        "arn:aws:sns:us-east-1:123456789012:{}-nowhere",
        project.name
    );
    project.manifest(&manifest(&bucket, &topic, "incoming/", "critical", false));
    let out = project.lade(&["plan"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("bucket {bucket} does not exist")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("topic {topic} does not exist")),
        "{stderr}"
    );
}
