//! A function's `events:` items `schedule` and `eventbridge` → [`Rule`]s, one
//! EventBridge rule each.
//!
//! Checks what EventBridge would refuse at apply time, before any request: a `rate()`
//! takes a positive whole number and `minute`, `hour` or `day`, singular for 1 and
//! plural otherwise; a `cron()` has six fields (minutes, hours, day of month, month, day
//! of week, year), each of the characters and values its field allows, and exactly one
//! of day of month and day of week is `?`; `input` is a mapping (at most 8192
//! characters as JSON); a `pattern` is a non-empty mapping (at most 2048 characters);
//! a bus is a name EventBridge takes; a description is at most 512 characters; no
//! schedule or pattern appears twice on one function.
//!
//! Each rule's name is `<project>-<stage>-<key>` (cut to 55 characters) and `-` and
//! eight hex digits of the SHA-256 of the trigger's identity: its expression, or its
//! bus and its pattern in canonical JSON. See `kinds::rule` for why.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::manifest::node::Loc;
use crate::manifest::raw::{RawEvent, RawSchedule, Sp};
use crate::model::{RULE_STEM, Rule, RuleSettings, Scope};

use super::Validator;

/// The longest `Input` EventBridge takes on a target, in characters.
const MAX_INPUT: usize = 8192;
/// The longest event pattern EventBridge takes, in characters.
const MAX_PATTERN: usize = 2048;
/// The longest rule description EventBridge takes.
const MAX_DESCRIPTION: usize = 512;

impl Validator<'_, '_> {
    /// The rules of one function, from its `events:` items that are schedules or
    /// patterns (the others are [`Validator::event_sources`]'s).
    pub(super) fn rules(
        &mut self,
        scope: &Scope,
        key: &str,
        owner: &str,
        events: &[Sp<RawEvent>],
    ) -> Vec<Rule> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: BTreeMap<String, Loc> = BTreeMap::new();
        for event in events {
            let raw = &event.value;
            let others = raw.sqs.is_some()
                || raw.dynamodb.is_some()
                || raw.kinesis.is_some()
                || raw.s3.is_some()
                || raw.sns.is_some();
            if others || (raw.schedule.is_some() && raw.eventbridge.is_some()) {
                // Reported with the other kinds in `event_sources`.
                continue;
            }
            let found = if let Some(schedule) = &raw.schedule {
                self.schedule(owner, schedule)
            } else if let Some(pattern) = &raw.eventbridge {
                self.pattern(owner, pattern)
            } else {
                None
            };
            let Some((bus, settings, identity, loc)) = found else {
                continue;
            };
            if let Some(first) = seen.get(&identity) {
                let what = match &settings.schedule {
                    Some(expression) => expression.clone(),
                    None => format!("the same event pattern on bus `{bus}`"),
                };
                self.r
                    .error(
                        loc,
                        format!(
                            "{what} is a trigger of {owner} twice (first on line {})",
                            first.line
                        ),
                    )
                    .help("the two would invoke the function twice for each event: remove one");
                continue;
            }
            seen.insert(identity.clone(), loc);
            rules.push(Rule {
                name: rule_name(scope, key, &identity),
                bus,
                settings,
            });
        }
        rules
    }

    fn schedule(
        &mut self,
        owner: &str,
        raw: &RawSchedule,
    ) -> Option<(String, RuleSettings, String, Loc)> {
        let (expression, long) = match raw {
            RawSchedule::Short(expression) => (expression, None),
            RawSchedule::Long(long) => (&long.expression, Some(long)),
        };
        let expression_ok = match check_expression(&expression.value) {
            Ok(()) => true,
            Err((message, help)) => {
                self.r
                    .error(
                        expression.loc,
                        format!("`{}` in {owner}: {message}", expression.value),
                    )
                    .help(help);
                false
            }
        };
        let input = long.and_then(|l| l.input.as_ref());
        let input_ok = self.input(owner, input);
        let description = self.rule_description(owner, long.and_then(|l| l.description.as_ref()));
        let settings = RuleSettings {
            schedule: Some(expression.value.trim().to_string()),
            pattern: None,
            input: input.map(|i| i.value.clone()),
            description,
            enabled: long
                .and_then(|l| l.enabled.as_ref())
                .is_none_or(|e| e.value),
        };
        let identity = format!("schedule {}", expression.value.trim());
        (expression_ok && input_ok)
            .then(|| ("default".to_string(), settings, identity, expression.loc))
    }

    fn pattern(
        &mut self,
        owner: &str,
        raw: &crate::manifest::raw::RawEventBridge,
    ) -> Option<(String, RuleSettings, String, Loc)> {
        let pattern = &raw.pattern;
        let pattern_ok = match &pattern.value {
            Value::Object(members) if !members.is_empty() => {
                let size = pattern.value.to_string().chars().count();
                if size > MAX_PATTERN {
                    self.r
                        .error(
                            pattern.loc,
                            format!("the event pattern in {owner} is {size} characters as JSON; EventBridge allows at most {MAX_PATTERN}"),
                        )
                        .help("match on fewer values, or on a prefix (`[{prefix: …}]`)");
                    false
                } else {
                    true
                }
            }
            Value::Object(_) => {
                self.r
                    .error(pattern.loc, format!("the event pattern in {owner} is empty"))
                    .help("a pattern names what to match, e.g. `{source: [shop.orders], detail-type: [OrderPlaced]}`");
                false
            }
            other => {
                self.r
                    .error(
                        pattern.loc,
                        format!(
                            "the event pattern in {owner} must be a mapping, not {}",
                            json_kind(other)
                        ),
                    )
                    .help("e.g. `pattern: {source: [shop.orders], detail-type: [OrderPlaced]}`");
                false
            }
        };
        let bus = match &raw.bus {
            None => Some("default".to_string()),
            Some(bus) if is_bus_name(&bus.value) => Some(bus.value.clone()),
            Some(bus) => {
                self.r
                    .error(
                        bus.loc,
                        format!("`{}` is not an event bus name", bus.value),
                    )
                    .help("a bus name is 1 to 256 letters, digits, `.`, `-`, `_` and `/` (write the name, not the ARN), e.g. `default` or `orders`");
                None
            }
        };
        let input_ok = self.input(owner, raw.input.as_ref());
        let description = self.rule_description(owner, raw.description.as_ref());
        let bus = bus?;
        let settings = RuleSettings {
            schedule: None,
            pattern: Some(pattern.value.clone()),
            input: raw.input.as_ref().map(|i| i.value.clone()),
            description,
            enabled: raw.enabled.as_ref().is_none_or(|e| e.value),
        };
        let identity = format!("pattern {bus} {}", canonical(&pattern.value));
        (pattern_ok && input_ok).then_some((bus, settings, identity, pattern.loc))
    }

    fn input(&mut self, owner: &str, input: Option<&Sp<Value>>) -> bool {
        let Some(input) = input else {
            return true;
        };
        match &input.value {
            Value::Object(_) => {
                let size = input.value.to_string().chars().count();
                if size > MAX_INPUT {
                    self.r
                        .error(
                            input.loc,
                            format!("the `input` of a trigger of {owner} is {size} characters as JSON; EventBridge allows at most {MAX_INPUT}"),
                        )
                        .help("pass less, or let the function read the rest from elsewhere");
                    return false;
                }
                true
            }
            other => {
                self.r
                    .error(
                        input.loc,
                        format!("the `input` of a trigger of {owner} must be a mapping, not {}", json_kind(other)),
                    )
                    .help("the function receives `input` as its event, a JSON object: e.g. `input: {job: nightly}`");
                false
            }
        }
    }

    fn rule_description(&mut self, owner: &str, description: Option<&Sp<String>>) -> String {
        let Some(description) = description else {
            return String::new();
        };
        let length = description.value.chars().count();
        if length > MAX_DESCRIPTION {
            self.r
                .error(
                    description.loc,
                    format!("the description of a trigger of {owner} is {length} characters; EventBridge allows at most {MAX_DESCRIPTION}"),
                )
                .help("shorten it");
        }
        description.value.clone()
    }
}

/// The rule's physical name: the stem, `-`, and 8 hex digits of the identity's hash.
fn rule_name(scope: &Scope, key: &str, identity: &str) -> String {
    let stem: String = format!("{}-{}-{key}", scope.project, scope.stage)
        .chars()
        .take(RULE_STEM)
        .collect();
    let digest = Sha256::digest(identity.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{stem}-{hex}")
}

/// JSON with every object's keys sorted, so that key order does not change a name.
fn canonical(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(members) => {
                let sorted: BTreeMap<&String, Value> =
                    members.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Whether EventBridge takes `name` as an event bus name.
fn is_bus_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

/// Checks a schedule expression as EventBridge does: `Err((message, help))`.
pub fn check_expression(expression: &str) -> Result<(), (String, String)> {
    let expression = expression.trim();
    if let Some(body) = expression
        .strip_prefix("rate(")
        .and_then(|b| b.strip_suffix(')'))
    {
        return check_rate(body);
    }
    if let Some(body) = expression
        .strip_prefix("cron(")
        .and_then(|b| b.strip_suffix(')'))
    {
        return check_cron(body);
    }
    Err((
        "a schedule is `rate(…)` or `cron(…)`".into(),
        "e.g. `rate(5 minutes)`, `rate(1 hour)` or `cron(0 3 * * ? *)` (03:00 UTC every day)"
            .into(),
    ))
}

fn check_rate(body: &str) -> Result<(), (String, String)> {
    let help = "write `rate(<n> <unit>)`: `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`, `rate(2 days)`".to_string();
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts[..] else {
        return Err(("a rate is a number and a unit".into(), help));
    };
    let Some(n) = value
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0 && !value.starts_with('0'))
    else {
        return Err((format!("`{value}` is not a positive whole number"), help));
    };
    let (singular, plural) = match unit {
        "minute" | "minutes" => ("minute", "minutes"),
        "hour" | "hours" => ("hour", "hours"),
        "day" | "days" => ("day", "days"),
        _ => {
            return Err((
                format!("`{unit}` is not a unit of a rate"),
                "the units are `minute(s)`, `hour(s)` and `day(s)`".into(),
            ));
        }
    };
    if n == 1 && unit != singular {
        return Err((
            format!("a rate of 1 takes the singular `{singular}`"),
            format!("write `rate(1 {singular})`"),
        ));
    }
    if n > 1 && unit != plural {
        return Err((
            format!("a rate of {n} takes the plural `{plural}`"),
            format!("write `rate({n} {plural})`"),
        ));
    }
    Ok(())
}

/// A cron field: its name, the range of its numbers, the names it takes, and the
/// special characters beyond `, - * /`.
struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    special: &'static str,
}

const CRON_FIELDS: [CronField; 6] = [
    CronField {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        special: "",
    },
    CronField {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        special: "",
    },
    CronField {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        special: "?LW",
    },
    CronField {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
        special: "",
    },
    CronField {
        name: "day of week",
        min: 1,
        max: 7,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        special: "?L#",
    },
    CronField {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        special: "",
    },
];

fn check_cron(body: &str) -> Result<(), (String, String)> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let help = "six fields: minutes hours day-of-month month day-of-week year, e.g. `cron(0 3 * * ? *)` (03:00 UTC every day) or `cron(0 9 ? * MON-FRI *)`";
    if fields.len() != 6 {
        return Err((
            format!("a cron expression has six fields, not {}", fields.len()),
            help.into(),
        ));
    }
    for (value, field) in fields.iter().zip(&CRON_FIELDS) {
        if !cron_field_ok(value, field) {
            return Err((
                format!("`{value}` is not a value of the {} field", field.name),
                format!(
                    "the {} field takes {}–{}{}, `*`, lists (`,`), ranges (`-`) and steps (`/`){}",
                    field.name,
                    field.min,
                    field.max,
                    if field.names.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " or {}–{}",
                            field.names[0],
                            field.names[field.names.len() - 1]
                        )
                    },
                    match field.special {
                        "" => String::new(),
                        special => format!(
                            ", and {}",
                            special
                                .chars()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    }
                ),
            ));
        }
    }
    let (day_of_month, day_of_week) = (fields[2], fields[4]);
    match (day_of_month == "?", day_of_week == "?") {
        (true, false) | (false, true) => Ok(()),
        (false, false) => Err((
            "one of day of month and day of week must be `?`".into(),
            format!(
                "EventBridge takes one of the two: e.g. `cron({} {} {day_of_month} {} ? {})` (the third field) or `cron({} {} ? {} {day_of_week} {})` (the fifth)",
                fields[0],
                fields[1],
                fields[3],
                fields[5],
                fields[0],
                fields[1],
                fields[3],
                fields[5]
            ),
        )),
        (true, true) => Err((
            "day of month and day of week cannot both be `?`".into(),
            "write `*` in one of them: e.g. `cron(0 3 * * ? *)` for every day".into(),
        )),
    }
}

fn cron_field_ok(value: &str, field: &CronField) -> bool {
    if value.is_empty() {
        return false;
    }
    if value == "*" || (value == "?" && field.special.contains('?')) {
        return true;
    }
    let number = |text: &str| -> bool {
        if let Ok(n) = text.parse::<u32>() {
            return (field.min..=field.max).contains(&n);
        }
        field.names.contains(&text.to_ascii_uppercase().as_str())
    };
    value.split(',').all(|item| {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step
            && step.parse::<u32>().map_or(true, |s| s == 0)
        {
            return false;
        }
        if range == "*" {
            return true;
        }
        if field.special.contains('L')
            && (range == "L" || range.strip_suffix('L').is_some_and(number))
        {
            return true;
        }
        if field.special.contains('W') && range.strip_suffix('W').is_some_and(number) {
            return true;
        }
        if field.special.contains('#')
            && let Some((day, nth)) = range.split_once('#')
        {
            return number(day) && nth.parse::<u32>().is_ok_and(|n| (1..=5).contains(&n));
        }
        match range.split_once('-') {
            Some((from, to)) => number(from) && number(to),
            None => number(range),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::check_expression;

    #[test]
    fn rates_take_a_singular_unit_for_one_and_a_plural_otherwise() {
        for good in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(12 hours)",
            "rate(1 day)",
            "rate(7 days)",
        ] {
            assert_eq!(check_expression(good), Ok(()), "{good}");
        }
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 minutes)",
            "rate(5 weeks)",
            "rate(minutes)",
            "rate(-1 day)",
            "rate(1.5 hours)",
            "every 5 minutes",
        ] {
            assert!(check_expression(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_has_six_fields_and_one_question_mark_in_the_days() {
        for good in [
            "cron(0 3 * * ? *)",
            "cron(0 9 ? * MON-FRI *)",
            "cron(0/15 * * * ? *)",
            "cron(0 18 L * ? *)",
            "cron(0 10 ? * 6#3 *)",
            "cron(30 2 1,15 JAN-JUN ? 2030)",
            "cron(0 8 15W * ? *)",
        ] {
            assert_eq!(check_expression(good), Ok(()), "{good}");
        }
        for bad in [
            "cron(0 3 * * *)",
            "cron(0 3 * * * *)",
            "cron(0 3 ? * ? *)",
            "cron(60 3 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 3 * 13 ? *)",
            "cron(0 3 ? * MON-FUN *)",
            "cron(0 3 ? * * 1969)",
            "cron(0/0 * * * ? *)",
        ] {
            assert!(check_expression(bad).is_err(), "{bad}");
        }
    }
}
