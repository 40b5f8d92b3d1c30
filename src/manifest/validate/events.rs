//! A function's `events:` → [`EventSource`]s (SQS queues, DynamoDB and Kinesis
//! streams), and the role permissions Lambda's poller needs for them.
//!
//! Checks what AWS would refuse at apply time, before any request: each item has
//! exactly one kind; the ARN has the shape of that kind's service; batch sizes,
//! batching windows, concurrency and retries are in AWS's ranges (a FIFO queue takes at
//! most 10 messages a batch, and SQS needs a batching window above 10); streams name
//! their starting position; options that only streams or only queues have are not
//! given to the other; no source appears twice; at most 5 filter patterns.
//!
//! [`grant`] then gives each lade role the least-privilege statements its functions'
//! sources need, as the inline policy [`TRIGGER_POLICY`], so that the plan shows them
//! like any other policy change.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::manifest::node::Loc;
use crate::manifest::raw::{RawEvent, RawSqs, RawStream, Sp, Statement};
use crate::model::{EventSource, Function, Role, RoleRef, SourceKind, SourceSettings};

use super::Validator;

/// The inline policy lade writes on a role for its functions' triggers.
pub const TRIGGER_POLICY: &str = "lade-triggers";

/// At most this many filter patterns per mapping (Lambda's default quota).
const MAX_FILTERS: usize = 5;

impl Validator<'_, '_> {
    pub(super) fn event_sources(
        &mut self,
        owner: &str,
        events: &[Sp<RawEvent>],
    ) -> Vec<EventSource> {
        let mut sources: Vec<EventSource> = Vec::new();
        let mut seen: BTreeMap<String, Loc> = BTreeMap::new();
        for event in events {
            let kinds = [
                event.value.sqs.as_ref().map(|_| "sqs"),
                event.value.dynamodb.as_ref().map(|_| "dynamodb"),
                event.value.kinesis.as_ref().map(|_| "kinesis"),
                event.value.schedule.as_ref().map(|_| "schedule"),
                event.value.eventbridge.as_ref().map(|_| "eventbridge"),
                event.value.s3.as_ref().map(|_| "s3"),
                event.value.sns.as_ref().map(|_| "sns"),
            ];
            let given: Vec<&str> = kinds.into_iter().flatten().collect();
            if given.len() != 1 {
                let message = if given.is_empty() {
                    format!("an item of `events` in {owner} names no kind of trigger")
                } else {
                    format!(
                        "an item of `events` in {owner} names {} kinds of trigger ({})",
                        given.len(),
                        given.join(", ")
                    )
                };
                self.r
                    .error(event.loc, message)
                    .help("each item of `events:` has exactly one key: `sqs`, `dynamodb`, `kinesis`, `schedule`, `eventbridge`, `s3` or `sns`; write one item per trigger");
                continue;
            }
            if event.value.schedule.is_some() || event.value.eventbridge.is_some() {
                // An EventBridge rule: see `schedules`.
                continue;
            }
            if event.value.s3.is_some() || event.value.sns.is_some() {
                // A bucket notification or a subscription: see `notifications`.
                continue;
            }
            let source = if let Some(sqs) = &event.value.sqs {
                self.sqs(owner, sqs)
            } else if let Some(stream) = &event.value.dynamodb {
                self.stream(owner, SourceKind::DynamoDb, stream)
            } else if let Some(stream) = &event.value.kinesis {
                self.stream(owner, SourceKind::Kinesis, stream)
            } else {
                None
            };
            let Some((source, loc)) = source else {
                continue;
            };
            if let Some(first) = seen.get(&source.arn) {
                self.r
                    .error(
                        loc,
                        format!(
                            "{} is a trigger of {owner} twice (first on line {})",
                            source.arn, first.line
                        ),
                    )
                    .help("Lambda allows one mapping from a source to a function: merge the two items");
                continue;
            }
            seen.insert(source.arn.clone(), loc);
            sources.push(source);
        }
        sources
    }

    fn sqs(&mut self, owner: &str, raw: &RawSqs) -> Option<(EventSource, Loc)> {
        let (queue, long) = match raw {
            RawSqs::Short(queue) => (queue, None),
            RawSqs::Long(long) => (&long.queue, Some(long)),
        };
        let arn_ok = self.source_arn(queue, SourceKind::Sqs);
        let fifo = queue.value.ends_with(".fifo");
        let max_batch = if fifo { 10 } else { 10000 };
        let what = if fifo { "a FIFO queue" } else { "a queue" };
        let batch_size = match long.and_then(|l| l.batch_size.as_ref()) {
            Some(size) => self.event_range(owner, size, "batch_size", 1, max_batch, what),
            None => SourceKind::Sqs.default_batch_size(),
        };
        let batching_window = self.window(owner, long.and_then(|l| l.batching_window.as_ref()));
        if batch_size > 10
            && batching_window == 0
            && let Some(size) = long.and_then(|l| l.batch_size.as_ref())
        {
            self.r
                .error(
                    size.loc,
                    format!("a `batch_size` of {batch_size} in {owner} needs a `batching_window`"),
                )
                .help("SQS takes batches over 10 messages only with a batching window: add e.g. `batching_window: 1` (seconds)");
        }
        let max_concurrency = long
            .and_then(|l| l.max_concurrency.as_ref())
            .map(|n| self.event_range(owner, n, "max_concurrency", 2, 1000, "an SQS trigger"));
        let settings = SourceSettings {
            batch_size,
            batching_window,
            max_concurrency,
            report_batch_item_failures: flag(
                long.and_then(|l| l.report_batch_item_failures.as_ref()),
                false,
            ),
            filter: self.filter(owner, long.and_then(|l| l.filter.as_ref())),
            enabled: flag(long.and_then(|l| l.enabled.as_ref()), true),
            starting_position: None,
            on_failure: None,
            bisect_on_error: false,
            max_retries: None,
        };
        arn_ok.then(|| {
            (
                EventSource {
                    kind: SourceKind::Sqs,
                    arn: queue.value.clone(),
                    settings,
                },
                queue.loc,
            )
        })
    }

    fn stream(
        &mut self,
        owner: &str,
        kind: SourceKind,
        raw: &RawStream,
    ) -> Option<(EventSource, Loc)> {
        let arn_ok = self.source_arn(&raw.stream, kind);
        let starting_position = match &raw.starting_position {
            None => {
                self.r
                    .error(
                        raw.stream.loc,
                        format!("the {} trigger of {owner} has no `starting_position`", kind.as_str()),
                    )
                    .help("add `starting_position: LATEST` (only new records) or `starting_position: TRIM_HORIZON` (from the oldest record the stream keeps)");
                None
            }
            Some(position) if matches!(position.value.as_str(), "LATEST" | "TRIM_HORIZON") => {
                Some(position.value.clone())
            }
            Some(position) => {
                self.r
                    .error(
                        position.loc,
                        format!("`{}` is not a starting position", position.value),
                    )
                    .help("write `LATEST` (only new records) or `TRIM_HORIZON` (from the oldest record the stream keeps)");
                None
            }
        };
        let batch_size = match &raw.batch_size {
            Some(size) => self.event_range(owner, size, "batch_size", 1, 10000, "a stream"),
            None => kind.default_batch_size(),
        };
        let batching_window = self.window(owner, raw.batching_window.as_ref());
        let on_failure = raw.on_failure.as_ref().and_then(|arn| {
            let service = arn.value.split(':').nth(2).unwrap_or_default();
            if arn.value.starts_with("arn:") && matches!(service, "sqs" | "sns") && arn.value.split(':').count() == 6 {
                Some(arn.value.clone())
            } else {
                self.r
                    .error(
                        arn.loc,
                        format!("`on_failure` in {owner} must be an SQS queue's or SNS topic's ARN, not `{}`", arn.value),
                    )
                    .help("e.g. `arn:aws:sqs:us-east-1:123456789012:failed-records`");
                None
            }
        });
        let max_retries = match &raw.max_retries {
            Some(n) => self.event_range(owner, n, "max_retries", -1, 10000, "a stream"),
            None => -1,
        };
        let settings = SourceSettings {
            batch_size,
            batching_window,
            max_concurrency: None,
            report_batch_item_failures: flag(raw.report_batch_item_failures.as_ref(), false),
            filter: self.filter(owner, raw.filter.as_ref()),
            enabled: flag(raw.enabled.as_ref(), true),
            starting_position: starting_position.clone(),
            on_failure,
            bisect_on_error: flag(raw.bisect_on_error.as_ref(), false),
            max_retries: Some(max_retries),
        };
        (arn_ok && starting_position.is_some()).then(|| {
            (
                EventSource {
                    kind,
                    arn: raw.stream.value.clone(),
                    settings,
                },
                raw.stream.loc,
            )
        })
    }

    /// Whether `arn` is an ARN of `kind`'s service with the shape that service gives.
    fn source_arn(&mut self, arn: &Sp<String>, kind: SourceKind) -> bool {
        let parts: Vec<&str> = arn.value.splitn(6, ':').collect();
        let (shape, example) = match kind {
            SourceKind::Sqs => (
                "`arn:<partition>:sqs:<region>:<account id>:<queue name>`",
                "arn:aws:sqs:us-east-1:123456789012:jobs",
            ),
            SourceKind::DynamoDb => (
                "`arn:<partition>:dynamodb:<region>:<account id>:table/<table>/stream/<label>`",
                "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000",
            ),
            SourceKind::Kinesis => (
                "`arn:<partition>:kinesis:<region>:<account id>:stream/<name>`",
                "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
            ),
        };
        let ok = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && crate::manifest::rules::is_region(parts[3])
            && parts[4].len() == 12
            && parts[4].chars().all(|c| c.is_ascii_digit())
            && match kind {
                SourceKind::Sqs => {
                    let name = parts[5].strip_suffix(".fifo").unwrap_or(parts[5]);
                    (1..=80).contains(&parts[5].len())
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                        && !name.is_empty()
                }
                SourceKind::DynamoDb => parts[5]
                    .strip_prefix("table/")
                    .and_then(|rest| rest.split_once("/stream/"))
                    .is_some_and(|(table, label)| !table.is_empty() && !label.is_empty()),
                SourceKind::Kinesis => parts[5]
                    .strip_prefix("stream/")
                    .is_some_and(|name| !name.is_empty() && !name.contains('/')),
            };
        if ok && parts[2] == kind.as_str() {
            return true;
        }
        let service = parts.get(2).copied().unwrap_or_default();
        let what = kind.what();
        let message = if parts.len() == 6 && parts[0] == "arn" && service != kind.as_str() {
            format!(
                "`{}` is an ARN of `{service}`, but a `{}` trigger needs {what}'s ARN",
                arn.value,
                kind.as_str()
            )
        } else {
            format!("`{}` is not {what}'s ARN", arn.value)
        };
        self.r
            .error(arn.loc, message)
            .help(format!("it looks like {shape}, e.g. `{example}`"));
        false
    }

    fn event_range(
        &mut self,
        owner: &str,
        value: &Sp<i64>,
        what: &str,
        min: i64,
        max: i64,
        of: &str,
    ) -> i32 {
        if (min..=max).contains(&value.value) {
            return i32::try_from(value.value).unwrap_or_default();
        }
        self.r
            .error(
                value.loc,
                format!(
                    "`{what}` in {owner} must be between {min} and {max} for {of}, not {}",
                    value.value
                ),
            )
            .help(format!("Lambda accepts {min} to {max} for {of}"));
        i32::try_from(min).unwrap_or_default()
    }

    fn window(&mut self, owner: &str, window: Option<&Sp<i64>>) -> i32 {
        match window {
            Some(seconds) => self.event_range(
                owner,
                seconds,
                "batching_window",
                0,
                300,
                "a trigger (seconds)",
            ),
            None => 0,
        }
    }

    fn filter(&mut self, owner: &str, filter: Option<&Sp<Vec<Statement>>>) -> Vec<Value> {
        let Some(filter) = filter else {
            return Vec::new();
        };
        if filter.value.len() > MAX_FILTERS {
            self.r
                .error(
                    filter.loc,
                    format!(
                        "`filter` in {owner} has {} patterns; Lambda allows at most {MAX_FILTERS}",
                        filter.value.len()
                    ),
                )
                .help("combine patterns: one pattern may list several values for a key");
        }
        filter
            .value
            .iter()
            .map(|pattern| Value::Object(pattern.clone()))
            .collect()
    }
}

fn flag(value: Option<&Sp<bool>>, default: bool) -> bool {
    value.map_or(default, |v| v.value)
}

/// Adds to each lade role the statements its functions' triggers need, as the inline
/// policy [`TRIGGER_POLICY`]. A role given by ARN is not lade's to change.
pub(super) fn grant(roles: &mut BTreeMap<String, Role>, functions: &BTreeMap<String, Function>) {
    let mut needs: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for function in functions.values() {
        let RoleRef::Key(role) = &function.role else {
            continue;
        };
        for source in &function.event_sources {
            let statements = needs.entry(role.as_str()).or_default();
            for statement in crate::policy::trigger_statements(source) {
                statements.insert(statement.to_string());
            }
        }
    }
    for (role, statements) in needs {
        let Some(role) = roles.get_mut(role) else {
            continue;
        };
        let statements: Vec<Value> = statements
            .iter()
            .map(|s| serde_json::from_str(s).expect("a statement lade wrote"))
            .collect();
        role.inline_policies.insert(
            TRIGGER_POLICY.to_string(),
            json!({ "Version": "2012-10-17", "Statement": statements }),
        );
    }
}
