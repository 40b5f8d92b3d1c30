//! Schedules and EventBridge patterns against moto: each trigger is an EventBridge rule
//! with the function as its one target and a permission scoped to that rule. Rules,
//! targets and resource policies are read back with the SDK, not through lade.
//!
//! moto differs from AWS here, and the tests follow AWS:
//! - moto accepts any `ScheduleExpression` text, where AWS refuses a malformed one
//!   (`ValidationException`); lade checks the syntax before any request
//!   (tests/bad-manifests/140-150);
//! - moto does not refuse `DeleteRule` on a rule that still has targets, where AWS
//!   does; lade removes its target first either way;
//! - moto never invokes the target, so that the permission lets the rule invoke the
//!   function is shown by its principal and `SourceArn`, not by an invocation.

#[path = "support/sources.rs"]
mod sources;
mod support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::project::Project;
use support::{Moto, moto};

struct Sdk {
    events: aws_sdk_eventbridge::Client,
    lambda: aws_sdk_lambda::Client,
}

async fn sdk(moto: &Moto) -> Sdk {
    let config = moto.sdk_config().await;
    Sdk {
        events: aws_sdk_eventbridge::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
    }
}

/// A rule as read back: its settings, tags and targets.
#[derive(Debug)]
struct Rule {
    arn: String,
    schedule: Option<String>,
    pattern: Option<Value>,
    state: String,
    description: Option<String>,
    tags: BTreeMap<String, String>,
    /// Target id → (ARN, input as JSON).
    targets: BTreeMap<String, (String, Option<Value>)>,
}

impl Sdk {
    /// The rules on the default bus whose names start with `prefix`, by name.
    async fn rules(&self, prefix: &str) -> BTreeMap<String, Rule> {
        let listed = self
            .events
            .list_rules()
            .name_prefix(prefix)
            .send()
            .await
            .unwrap();
        let mut rules = BTreeMap::new();
        for rule in listed.rules() {
            let name = rule.name().unwrap().to_string();
            let arn = rule.arn().unwrap().to_string();
            let tags = self
                .events
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .unwrap()
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let targets = self
                .events
                .list_targets_by_rule()
                .rule(&name)
                .send()
                .await
                .unwrap()
                .targets()
                .iter()
                .map(|t| {
                    (
                        t.id().to_string(),
                        (
                            t.arn().to_string(),
                            t.input().map(|i| serde_json::from_str(i).unwrap()),
                        ),
                    )
                })
                .collect();
            rules.insert(
                name,
                Rule {
                    arn,
                    schedule: rule.schedule_expression().map(str::to_string),
                    pattern: rule
                        .event_pattern()
                        .map(|p| serde_json::from_str(p).unwrap()),
                    state: rule.state().unwrap().as_str().to_string(),
                    description: rule.description().map(str::to_string),
                    tags,
                    targets,
                },
            );
        }
        rules
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

fn manifest(nightly: &str, with_pattern: bool) -> String {
    let pattern = if with_pattern {
        "      - eventbridge:\n          pattern: {source: [shop.orders], detail-type: [OrderPlaced]}\n"
    } else {
        ""
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
      - schedule: rate(5 minutes)
      - schedule:
          expression: {nightly}
          input: {{job: nightly}}
          description: Nightly clean-up
{pattern}"#
    )
}

/// The rule whose schedule (or pattern) is `what`.
fn rule_with<'a>(rules: &'a BTreeMap<String, Rule>, what: &str) -> (&'a String, &'a Rule) {
    rules
        .iter()
        .find(|(_, r)| {
            r.schedule.as_deref() == Some(what) || (what == "pattern" && r.pattern.is_some())
        })
        .unwrap_or_else(|| panic!("no rule for {what}: {rules:?}"))
}

#[tokio::test]
async fn schedules_and_patterns_deploy_replan_clean_change_remove_and_destroy() {
    let moto = moto();
    let sdk = sdk(moto).await;
    let project = Project::new("sched");
    project.manifest(&manifest("cron(0 3 * * ? *)", true));
    let worker = project.physical("worker");
    let prefix = format!("{}-dev-", project.name);

    // 1. Each trigger is a rule with its settings, lade's tags, the function as its
    //    one target, and a permission scoped to that rule alone.
    project.ok(&["apply", "--yes"]);
    let function_arn = sdk.function_arn(&worker).await;
    let rules = sdk.rules(&prefix).await;
    assert_eq!(rules.len(), 3, "{rules:?}");
    let statements = sdk.statements(&worker).await;
    for (name, rule) in &rules {
        assert!(name.starts_with(&format!("{prefix}worker-")), "{name}");
        assert_eq!(rule.state, "ENABLED");
        assert_eq!(rule.tags["lade:project"], project.name);
        assert_eq!(rule.tags["lade:stage"], "dev");
        assert_eq!(rule.tags["lade:function"], worker);
        assert_eq!(rule.targets.len(), 1, "{rule:?}");
        assert_eq!(rule.targets["lade"].0, function_arn);
        let statement = &statements[&format!("lade-rule-{name}")];
        assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
        assert_eq!(statement["Action"], "lambda:InvokeFunction");
        assert_eq!(
            statement["Condition"]["ArnLike"]["AWS:SourceArn"],
            rule.arn.as_str(),
            "{statement}"
        );
    }
    let (_, every) = rule_with(&rules, "rate(5 minutes)");
    assert_eq!(every.targets["lade"].1, None);
    assert_eq!(every.description, None);
    let (nightly_name, nightly) = rule_with(&rules, "cron(0 3 * * ? *)");
    assert_eq!(nightly.targets["lade"].1, Some(json!({"job": "nightly"})));
    assert_eq!(nightly.description.as_deref(), Some("Nightly clean-up"));
    let (pattern_name, pattern) = rule_with(&rules, "pattern");
    assert_eq!(
        pattern.pattern,
        Some(json!({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}))
    );

    // 2. Plan again: nothing to do.
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 3. A new expression is one update of that rule, in place, under its name.
    project.manifest(&manifest("cron(30 4 * * ? *)", true));
    let steps = project.plan_steps();
    let ops: Vec<&str> = steps.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["put_rule"], "{steps:?}");
    project.ok(&["apply", "--yes"]);
    let rules = sdk.rules(&prefix).await;
    assert_eq!(rules.len(), 3);
    assert_eq!(
        rules[nightly_name].schedule.as_deref(),
        Some("cron(30 4 * * ? *)")
    );
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 4. Removing one trigger removes exactly its rule, target and permission.
    project.manifest(&manifest("cron(30 4 * * ? *)", false));
    let steps = project.plan_steps();
    let ops: Vec<&str> = steps.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["delete_rule", "remove_rule_permission"], "{steps:?}");
    project.ok(&["apply", "--yes"]);
    let rules = sdk.rules(&prefix).await;
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert!(!rules.contains_key(pattern_name));
    let statements = sdk.statements(&worker).await;
    assert!(!statements.contains_key(&format!("lade-rule-{pattern_name}")));
    assert_eq!(
        statements
            .keys()
            .filter(|s| s.starts_with("lade-rule-"))
            .count(),
        2
    );
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");

    // 5. Destroy leaves no rule (and so no target) and no function to hold a permission.
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.rules(&prefix).await.is_empty());
    assert!(sdk.statements(&worker).await.is_empty());
}

#[tokio::test]
async fn a_disabled_schedule_is_put_disabled_and_enabling_it_is_one_update() {
    let moto = moto();
    let sdk = sdk(moto).await;
    let project = Project::new("schedoff");
    let yaml = |enabled: bool| {
        format!(
            "project: {{project}}\nregion: us-east-1\nroles:\n  worker: {{}}\nfunctions:\n  worker:\n    source: ./worker\n    handler: app.handler\n    runtime: python3.12\n    role: worker\n    events:\n      - schedule: {{expression: rate(1 hour), enabled: {enabled}}}\n"
        )
    };
    project.manifest(&yaml(false));
    project.ok(&["apply", "--yes"]);
    let prefix = format!("{}-dev-", project.name);
    let rules = sdk.rules(&prefix).await;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules.values().next().unwrap().state, "DISABLED");
    project.manifest(&yaml(true));
    let steps = project.plan_steps();
    let ops: Vec<&str> = steps.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["put_rule"], "{steps:?}");
    project.ok(&["apply", "--yes"]);
    assert_eq!(
        sdk.rules(&prefix).await.values().next().unwrap().state,
        "ENABLED"
    );
    project.ok(&["destroy", "--yes"]);
    assert!(sdk.rules(&prefix).await.is_empty());
}

/// The issue's "done when": an SQS worker with a nightly schedule (examples/worker),
/// planned, applied, planned clean again and destroyed.
#[tokio::test]
async fn the_worker_example_with_its_nightly_schedule_applies_replans_clean_and_destroys() {
    let moto = moto();
    let sdk = sdk(moto).await;
    let project = Project::example("worker", "wrk");
    let config = moto.sdk_config().await;

    // The queue and the table's stream the example reads, made as its comment says.
    let queue = sources::queue(&config, &format!("{}-jobs", project.name)).await;
    let stream = sources::table_stream(&config, &format!("{}-orders", project.name)).await;
    project.edit(|yaml| {
        yaml.replace(
            "queue: arn:aws:sqs:us-east-1:123456789012:jobs",
            &format!("queue: {queue}"),
        )
        .replace(
            "stream: arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000",
            &format!("stream: {stream}"),
        )
    });

    project.ok(&["plan"]);
    project.ok(&["apply", "--yes"]);
    let receiver = project.physical("receiver");
    let rules = sdk.rules(&format!("{}-dev-", project.name)).await;
    assert_eq!(rules.len(), 1, "{rules:?}");
    let (_, nightly) = rule_with(&rules, "cron(0 3 * * ? *)");
    assert_eq!(nightly.tags["lade:function"], receiver);
    assert_eq!(
        nightly.targets["lade"],
        (
            sdk.function_arn(&receiver).await,
            Some(json!({"job": "nightly"}))
        )
    );
    let out = project.ok(&["plan"]);
    assert!(out.contains("No changes"), "{out}");
    project.ok(&["destroy", "--yes"]);
    assert!(
        sdk.rules(&format!("{}-dev-", project.name))
            .await
            .is_empty()
    );
}

/// `PutRule` overwrites whatever rule holds the name: the adapter refuses a rule under
/// lade's name that this project, stage and function do not own, and leaves it as it
/// was.
#[tokio::test]
async fn a_rule_under_lades_name_that_is_not_lades_is_not_overwritten() {
    use lade::cloud::{CloudError, EventBridgeApi, NewRule};
    let moto = moto();
    let sdk = sdk(moto).await;
    let name = format!("{}-dev-work-0a1b2c3d", support::unique("schedfoe"));
    sdk.events
        .put_rule()
        .name(&name)
        .schedule_expression("rate(1 day)")
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key("owner")
                .value("someone")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cloud = lade::aws::AwsCloud::new(&moto.sdk_config().await);
    let rule = NewRule {
        name: name.clone(),
        bus: "default".into(),
        settings: lade::model::RuleSettings {
            schedule: Some("rate(5 minutes)".into()),
            pattern: None,
            input: None,
            description: String::new(),
            enabled: true,
        },
        tags: BTreeMap::from([
            ("lade:project".to_string(), "shop".to_string()),
            ("lade:stage".to_string(), "dev".to_string()),
            ("lade:function".to_string(), "shop-dev-work".to_string()),
        ]),
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-work".into(),
    };
    let result = cloud.put_rule(&rule).await;
    assert!(
        matches!(&result, Err(CloudError::NotOwned { name: n, .. }) if *n == name),
        "{result:?}"
    );
    let rules = sdk.rules(&name).await;
    assert_eq!(rules[&name].schedule.as_deref(), Some("rate(1 day)"));
    assert!(rules[&name].targets.is_empty());
}
