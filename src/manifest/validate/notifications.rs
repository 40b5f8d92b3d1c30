//! A function's `events:` items `s3` and `sns` → [`Notification`]s (entries in a
//! bucket's notification configuration) and [`Subscription`]s (to SNS topics).
//!
//! Checks what S3, SNS and Lambda would refuse at apply time, before any request: a
//! bucket is named by its name (not an ARN, not `s3://`) following S3's naming rules;
//! event types are S3's documented ones; a prefix or suffix is not empty and at most
//! 1024 bytes (S3's longest key); a topic's ARN has SNS's shape and is not a FIFO topic
//! (Lambda cannot subscribe to one); a filter policy is a non-empty mapping of at most
//! 5 attributes and 256 KB; no topic twice on one function; and no two S3 entries of one function on
//! one bucket that overlap (a shared event type with prefixes and suffixes that can
//! both match one key: S3 refuses the whole configuration, "Configurations overlap").
//!
//! Each entry's id is [`Scope::notification_prefix`] and eight hex digits of the
//! SHA-256 of its identity (function, bucket, event types, prefix, suffix), so that
//! reordering `events:` renames nothing; see `kinds::notification`.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::manifest::node::Loc;
use crate::manifest::raw::{RawEvent, RawS3, RawSns, Sp};
use crate::manifest::rules::suggest;
use crate::model::{Notification, NotificationSettings, Scope, Subscription};

use super::Validator;

/// The event types S3 sends notifications for (the `Event` values of the S3 API's
/// `LambdaFunctionConfiguration`; "Supported event types" in the S3 user guide).
pub const S3_EVENTS: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

/// The event types an `s3` trigger gets when it names none.
pub const DEFAULT_S3_EVENT: &str = "s3:ObjectCreated:*";

/// The longest prefix or suffix worth filtering on: S3's longest key, in bytes.
const MAX_KEY: usize = 1024;
/// The most attributes (top-level keys) a filter policy may name (SNS's quota).
const MAX_FILTER_KEYS: usize = 5;
/// The largest filter policy SNS takes, in bytes.
const MAX_FILTER_POLICY: usize = 256 * 1024;

impl Validator<'_, '_> {
    /// The bucket notifications and topic subscriptions of the function named
    /// `function` (its physical name), from its `events:` items `s3` and `sns`.
    pub(super) fn notifications(
        &mut self,
        scope: &Scope,
        function: &str,
        owner: &str,
        events: &[Sp<RawEvent>],
    ) -> (Vec<Notification>, Vec<Subscription>) {
        let mut notifications: Vec<(Notification, Loc)> = Vec::new();
        let mut subscriptions: Vec<Subscription> = Vec::new();
        let mut topics: BTreeMap<String, Loc> = BTreeMap::new();
        for event in events {
            let raw = &event.value;
            let kinds = [
                raw.sqs.is_some(),
                raw.dynamodb.is_some(),
                raw.kinesis.is_some(),
                raw.schedule.is_some(),
                raw.eventbridge.is_some(),
                raw.s3.is_some(),
                raw.sns.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                // Reported in `event_sources`.
                continue;
            }
            if let Some(s3) = &raw.s3
                && let Some(found) = self.s3(scope, function, owner, s3)
            {
                if let Some((_, first)) = notifications.iter().find(|(n, _)| {
                    n.bucket == found.0.bucket && overlap(&n.settings, &found.0.settings)
                }) {
                    self.r
                        .error(
                            found.1,
                            format!(
                                "this trigger of {owner} on bucket {} overlaps the one on line {}",
                                found.0.bucket, first.line
                            ),
                        )
                        .help("S3 refuses two notifications on one bucket that share an event type for keys both could match (\"Configurations overlap\"): merge them, or give them prefixes or suffixes that no key has both of");
                    continue;
                }
                notifications.push(found);
            }
            if let Some(sns) = &raw.sns
                && let Some((subscription, loc)) = self.sns(owner, sns)
            {
                if let Some(first) = topics.get(&subscription.topic) {
                    self.r
                        .error(
                            loc,
                            format!(
                                "{} is a trigger of {owner} twice (first on line {})",
                                subscription.topic, first.line
                            ),
                        )
                        .help("SNS keeps one subscription of a function to a topic: merge the two items (one filter policy may list several values for a key)");
                    continue;
                }
                topics.insert(subscription.topic.clone(), loc);
                subscriptions.push(subscription);
            }
        }
        (
            notifications.into_iter().map(|(n, _)| n).collect(),
            subscriptions,
        )
    }

    fn s3(
        &mut self,
        scope: &Scope,
        function: &str,
        owner: &str,
        raw: &RawS3,
    ) -> Option<(Notification, Loc)> {
        let bucket_ok = match bucket_problem(&raw.bucket.value) {
            None => true,
            Some((message, help)) => {
                self.r
                    .error(
                        raw.bucket.loc,
                        format!("`{}` in {owner}: {message}", raw.bucket.value),
                    )
                    .help(help);
                false
            }
        };
        let mut events_ok = true;
        let mut events: Vec<String> = Vec::new();
        match &raw.events {
            None => events.push(DEFAULT_S3_EVENT.to_string()),
            Some(list) if list.value.is_empty() => {
                self.r
                    .error(list.loc, format!("`events` of the s3 trigger of {owner} is empty"))
                    .help("name at least one event type, e.g. `[s3:ObjectCreated:*]`, or leave `events` out for that default");
                events_ok = false;
            }
            Some(list) => {
                for event in &list.value {
                    if !S3_EVENTS.contains(&event.value.as_str()) {
                        let hint = suggest(&event.value, S3_EVENTS.iter().copied());
                        self.r
                            .error(
                                event.loc,
                                format!("`{}` is not an S3 event type", event.value),
                            )
                            .help(match hint {
                                Some(hint) => format!("did you mean `{hint}`?"),
                                None => "S3's event types look like `s3:ObjectCreated:*`, `s3:ObjectCreated:Put` or `s3:ObjectRemoved:*` (see \"Supported event types\" in the S3 user guide)".to_string(),
                            });
                        events_ok = false;
                    } else if events.contains(&event.value) {
                        self.r
                            .error(
                                event.loc,
                                format!("`{}` is listed twice in {owner}", event.value),
                            )
                            .help("list each event type once");
                        events_ok = false;
                    } else {
                        events.push(event.value.clone());
                    }
                }
            }
        }
        events.sort();
        let prefix = self.key_filter(owner, "prefix", raw.prefix.as_ref());
        let suffix = self.key_filter(owner, "suffix", raw.suffix.as_ref());
        let (Some(prefix), Some(suffix)) = (prefix, suffix) else {
            return None;
        };
        if !(bucket_ok && events_ok) {
            return None;
        }
        let settings = NotificationSettings {
            events,
            prefix,
            suffix,
        };
        let identity = serde_json::json!([function, raw.bucket.value, settings]).to_string();
        let digest = Sha256::digest(identity.as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Some((
            Notification {
                id: format!("{}{hash}", scope.notification_prefix()),
                bucket: raw.bucket.value.clone(),
                settings,
            },
            raw.bucket.loc,
        ))
    }

    /// A prefix or suffix: `Some(None)` for none, `None` when it is wrong.
    fn key_filter(
        &mut self,
        owner: &str,
        what: &str,
        value: Option<&Sp<String>>,
    ) -> Option<Option<String>> {
        let Some(value) = value else {
            return Some(None);
        };
        if value.value.is_empty() {
            self.r
                .error(
                    value.loc,
                    format!("the `{what}` of the s3 trigger of {owner} is empty"),
                )
                .help(format!("leave `{what}` out to match every key"));
            return None;
        }
        if value.value.len() > MAX_KEY {
            self.r
                .error(
                    value.loc,
                    format!(
                        "the `{what}` of the s3 trigger of {owner} is {} bytes; an S3 key has at most {MAX_KEY}",
                        value.value.len()
                    ),
                )
                .help("shorten it");
            return None;
        }
        Some(Some(value.value.clone()))
    }

    fn sns(&mut self, owner: &str, raw: &RawSns) -> Option<(Subscription, Loc)> {
        let (topic, filter) = match raw {
            RawSns::Short(topic) => (topic, None),
            RawSns::Long(long) => (&long.topic, long.filter.as_ref()),
        };
        let topic_ok = match topic_problem(&topic.value) {
            None => true,
            Some((message, help)) => {
                self.r
                    .error(
                        topic.loc,
                        format!("`{}` in {owner}: {message}", topic.value),
                    )
                    .help(help);
                false
            }
        };
        let filter_ok = match filter.map(|f| (&f.value, f.loc)) {
            None => true,
            Some((Value::Object(members), loc)) if members.is_empty() => {
                self.r
                    .error(loc, format!("the filter policy of the sns trigger of {owner} is empty"))
                    .help("leave `filter` out for every message, or name what to match, e.g. `{severity: [critical]}`");
                false
            }
            Some((Value::Object(members), loc)) if members.len() > MAX_FILTER_KEYS => {
                self.r
                    .error(
                        loc,
                        format!(
                            "the filter policy of the sns trigger of {owner} names {} attributes; SNS allows at most {MAX_FILTER_KEYS}",
                            members.len()
                        ),
                    )
                    .help("match on fewer message attributes");
                false
            }
            Some((Value::Object(_), loc)) => {
                let size = filter.map_or(0, |f| f.value.to_string().len());
                if size > MAX_FILTER_POLICY {
                    self.r
                        .error(
                            loc,
                            format!("the filter policy of the sns trigger of {owner} is {size} bytes as JSON; SNS allows at most 256 KB"),
                        )
                        .help("match on fewer values, or on a prefix");
                    false
                } else {
                    true
                }
            }
            Some((other, loc)) => {
                self.r
                    .error(
                        loc,
                        format!(
                            "the filter policy of the sns trigger of {owner} must be a mapping, not {}",
                            kind_of(other)
                        ),
                    )
                    .help("e.g. `filter: {severity: [critical, high]}`: message attributes and the values that let a message through");
                false
            }
        };
        (topic_ok && filter_ok).then(|| {
            (
                Subscription {
                    topic: topic.value.clone(),
                    filter: filter.map(|f| f.value.clone()),
                },
                topic.loc,
            )
        })
    }
}

/// What is wrong with a bucket name, and the help line, by S3's naming rules for
/// general purpose buckets.
fn bucket_problem(name: &str) -> Option<(String, String)> {
    let example = "e.g. `bucket: uploads-bucket`";
    if let Some(rest) = name.strip_prefix("s3://") {
        return Some((
            "a bucket is named by its name, not an `s3://` URL".into(),
            format!("write `bucket: {}`", rest.trim_end_matches('/')),
        ));
    }
    if let Some(bucket) = crate::arn::bucket_of(name) {
        return Some((
            "a bucket is named by its name, not its ARN".into(),
            format!("write `bucket: {bucket}`"),
        ));
    }
    let rules = "a bucket name is 3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit";
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some((
            format!("a bucket name has 3 to 63 characters, not {len}"),
            format!("{rules}; {example}"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Some((
            format!("a bucket name may not contain `{bad}`"),
            format!("{rules}; {example}"),
        ));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return Some((
            "a bucket name starts and ends with a letter or a digit".into(),
            format!("{rules}; {example}"),
        ));
    }
    if name.contains("..") {
        return Some((
            "a bucket name has no two `.` in a row".into(),
            format!("{rules}; {example}"),
        ));
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some((
            "a bucket name is not an IP address".into(),
            format!("{rules}; {example}"),
        ));
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Some((
                format!("S3 reserves bucket names that start with `{prefix}`"),
                format!("{rules}; {example}"),
            ));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Some((
                format!("S3 reserves bucket names that end with `{suffix}`"),
                format!("{rules}; {example}"),
            ));
        }
    }
    None
}

/// What is wrong with a topic ARN, and the help line.
fn topic_problem(arn: &str) -> Option<(String, String)> {
    let shape = "it looks like `arn:<partition>:sns:<region>:<account id>:<topic name>`, e.g. `arn:aws:sns:us-east-1:123456789012:alerts`";
    let Some(parts) = crate::arn::Arn::parse(arn) else {
        return Some(("this is not an SNS topic's ARN".into(), shape.into()));
    };
    if parts.service != "sns" {
        return Some((
            format!(
                "this is an ARN of `{}`, but an `sns` trigger needs an SNS topic's ARN",
                parts.service
            ),
            shape.into(),
        ));
    }
    let name = parts.resource;
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let ok = parts.partition.starts_with("aws")
        && crate::manifest::rules::is_region(parts.region)
        && parts.account.len() == 12
        && parts.account.chars().all(|c| c.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && !base.is_empty()
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Some(("this is not an SNS topic's ARN".into(), shape.into()));
    }
    if name.ends_with(".fifo") {
        return Some((
            "Lambda cannot subscribe to a FIFO topic".into(),
            "subscribe an SQS FIFO queue to the topic and give the function an `sqs` trigger on that queue".into(),
        ));
    }
    None
}

/// Whether S3 would see two entries as overlapping: an event type in common (a
/// wildcard covers its kind's types) and keys that both could match (one prefix
/// starts the other, and one suffix ends the other; no prefix or suffix matches all).
pub fn overlap(a: &NotificationSettings, b: &NotificationSettings) -> bool {
    let covers =
        |x: &str, y: &str| x == y || x.strip_suffix('*').is_some_and(|stem| y.starts_with(stem));
    let events = a
        .events
        .iter()
        .any(|x| b.events.iter().any(|y| covers(x, y) || covers(y, x)));
    let prefixes = match (&a.prefix, &b.prefix) {
        (Some(x), Some(y)) => x.starts_with(y.as_str()) || y.starts_with(x.as_str()),
        _ => true,
    };
    let suffixes = match (&a.suffix, &b.suffix) {
        (Some(x), Some(y)) => x.ends_with(y.as_str()) || y.ends_with(x.as_str()),
        _ => true,
    };
    events && prefixes && suffixes
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        events: &[&str],
        prefix: Option<&str>,
        suffix: Option<&str>,
    ) -> NotificationSettings {
        NotificationSettings {
            events: events.iter().map(|e| e.to_string()).collect(),
            prefix: prefix.map(str::to_string),
            suffix: suffix.map(str::to_string),
        }
    }

    #[test]
    fn overlapping_entries_are_those_s3_refuses() {
        let created = settings(&["s3:ObjectCreated:*"], Some("incoming/"), None);
        assert!(overlap(
            &created,
            &settings(&["s3:ObjectCreated:Put"], None, Some(".jpg"))
        ));
        assert!(overlap(
            &created,
            &settings(&["s3:ObjectCreated:Put"], Some("incoming/raw/"), None)
        ));
        assert!(!overlap(
            &created,
            &settings(&["s3:ObjectRemoved:*"], Some("incoming/"), None)
        ));
        assert!(!overlap(
            &created,
            &settings(&["s3:ObjectCreated:*"], Some("outgoing/"), None)
        ));
        let jpg = settings(&["s3:ObjectCreated:*"], None, Some(".jpg"));
        assert!(!overlap(
            &jpg,
            &settings(&["s3:ObjectCreated:*"], None, Some(".png"))
        ));
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["uploads-bucket", "a.b.c", "abc", "my-bucket-2024"] {
            assert_eq!(bucket_problem(good), None, "{good}");
        }
        for bad in [
            "ab",
            "Uploads",
            "under_score",
            "-start",
            "end.",
            "two..dots",
            "192.168.1.1",
            "xn--bucket",
            "bucket-s3alias",
            "s3://uploads",
            "arn:aws:s3:::uploads",
        ] {
            assert!(bucket_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn topic_arns_are_sns_ones_and_not_fifo() {
        assert_eq!(
            topic_problem("arn:aws:sns:us-east-1:123456789012:alerts"),
            None
        );
        assert!(topic_problem("arn:aws:sns:us-east-1:123456789012:alerts.fifo").is_some());
        assert!(topic_problem("arn:aws:sqs:us-east-1:123456789012:alerts").is_some());
        assert!(topic_problem("alerts").is_some());
        assert!(topic_problem("arn:aws:sns:us-east-1:1234:alerts").is_some());
    }
}
