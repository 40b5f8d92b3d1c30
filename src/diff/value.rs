//! [`FieldValue`]: the typed value of one field of a change, and its JSON form.
//!
//! In a plan's JSON a value is what AWS would hold (docs/plan-json.md): a string, a
//! number, a boolean, a list of names, a map of names to text, a policy document, a
//! package's `{"sha256", "size"}`, `"attached"` for a managed policy, or
//! `"(known after apply)"`. Reading a saved plan back, the field says which of these
//! its value is, so the JSON needs no tags and reads as before.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{Field, FieldChange, KNOWN_AFTER_APPLY};

/// The value of one field of a change.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Text: a handler, a runtime, an ARN, a description, a name, a stage.
    Text(String),
    /// A number: memory in MB, a timeout in seconds.
    Number(i64),
    /// Yes or no: whether a route requires an API key.
    Flag(bool),
    /// A list of names: binary media types.
    List(Vec<String>),
    /// Names and what is shown for each: an environment (masked), tags.
    Map(BTreeMap<String, String>),
    /// A JSON document: a trust policy or an inline policy.
    Document(Value),
    /// A function's package: Lambda's `CodeSha256` (base64) and its size in bytes.
    Code { sha256: String, size: u64 },
    /// A managed policy is attached.
    Attached,
    /// Known only once apply has run, like a new role's ARN.
    KnownAfterApply,
}

impl FieldValue {
    /// Text, from anything that reads as text.
    pub fn text(value: impl Into<String>) -> FieldValue {
        FieldValue::Text(value.into())
    }

    /// Whether the value is empty: no text, no entries, no document, `false`. On a
    /// create, an empty value is the default and not worth showing.
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Text(text) => text.is_empty(),
            FieldValue::List(items) => items.is_empty(),
            FieldValue::Map(map) => map.is_empty(),
            FieldValue::Document(document) => match document {
                Value::Null | Value::Bool(false) => true,
                Value::String(s) => s.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                Value::Number(_) | Value::Bool(true) => false,
            },
            FieldValue::Flag(flag) => !flag,
            FieldValue::Number(_)
            | FieldValue::Code { .. }
            | FieldValue::Attached
            | FieldValue::KnownAfterApply => false,
        }
    }

    /// Whether the value has parts (a list, a map, a document), and so reads best as
    /// lines rather than on one line.
    pub fn is_structured(&self) -> bool {
        match self {
            FieldValue::List(_) | FieldValue::Map(_) => true,
            FieldValue::Document(document) => document.is_object() || document.is_array(),
            _ => false,
        }
    }

    /// The value on one line: text as itself (`(empty)` when empty), anything else as
    /// compact JSON.
    pub fn compact(&self) -> String {
        match self {
            FieldValue::Text(text) if text.is_empty() => "(empty)".to_string(),
            FieldValue::Text(text) => text.clone(),
            FieldValue::Number(n) => n.to_string(),
            FieldValue::Flag(flag) => flag.to_string(),
            FieldValue::Attached => "attached".to_string(),
            FieldValue::KnownAfterApply => KNOWN_AFTER_APPLY.to_string(),
            other => other.json().to_string(),
        }
    }

    /// The value as lines: text as itself, anything else as pretty JSON. Always ends
    /// with a newline, so that two values diff line by line.
    pub fn lines(&self) -> String {
        let mut text = match self {
            FieldValue::Text(text) => text.clone(),
            other => serde_json::to_string_pretty(&other.json()).unwrap_or_default(),
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    /// A map's entries, or a document's top-level members, each on one line as
    /// [`FieldValue::compact`] shows it; `None` for a value that is not a map.
    pub fn entries(&self) -> Option<Vec<(String, String)>> {
        match self {
            FieldValue::Map(map) => Some(
                map.iter()
                    .map(|(key, value)| (key.clone(), FieldValue::text(value).compact()))
                    .collect(),
            ),
            FieldValue::Document(Value::Object(members)) => Some(
                members
                    .iter()
                    .map(|(key, value)| (key.clone(), FieldValue::from_json(value).compact()))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Whether the value is a map of plain text (no nested lists or documents).
    pub fn is_plain_map(&self) -> bool {
        match self {
            FieldValue::Map(_) => true,
            FieldValue::Document(Value::Object(members)) => {
                members.values().all(|v| !v.is_object() && !v.is_array())
            }
            _ => false,
        }
    }

    /// The services a trust policy lets assume the role (`lambda.amazonaws.com`), or
    /// `None` when the value is not a document that names any.
    pub fn trusted_services(&self) -> Option<Vec<String>> {
        match self {
            FieldValue::Document(document) => {
                let services = crate::policy::trusted_services(document);
                (!services.is_empty()).then_some(services)
            }
            _ => None,
        }
    }

    /// The value as the plan's JSON holds it.
    pub fn json(&self) -> Value {
        match self {
            FieldValue::Text(text) => Value::String(text.clone()),
            FieldValue::Number(n) => Value::from(*n),
            FieldValue::Flag(flag) => Value::Bool(*flag),
            FieldValue::List(items) => Value::from(items.clone()),
            FieldValue::Map(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
            FieldValue::Document(document) => document.clone(),
            FieldValue::Code { sha256, size } => {
                serde_json::json!({ "sha256": sha256, "size": size })
            }
            FieldValue::Attached => Value::String("attached".into()),
            FieldValue::KnownAfterApply => Value::String(KNOWN_AFTER_APPLY.into()),
        }
    }

    /// A member of a document, typed by its JSON shape alone.
    fn from_json(value: &Value) -> FieldValue {
        match value {
            Value::String(s) if s == KNOWN_AFTER_APPLY => FieldValue::KnownAfterApply,
            Value::String(s) => FieldValue::Text(s.clone()),
            Value::Bool(flag) => FieldValue::Flag(*flag),
            Value::Number(n) if n.is_i64() => FieldValue::Number(n.as_i64().unwrap_or_default()),
            other => FieldValue::Document(other.clone()),
        }
    }

    /// Reads a saved plan's value of `field` back: the field says what type it has.
    fn read(field: &Field, value: Value) -> Result<FieldValue, String> {
        if value.as_str() == Some(KNOWN_AFTER_APPLY) {
            return Ok(FieldValue::KnownAfterApply);
        }
        let expected = |what: &str| format!("the value of `{field}` should be {what}");
        Ok(match field {
            Field::TrustPolicy | Field::InlinePolicy(_) => FieldValue::Document(value),
            Field::ManagedPolicy(_) => match value.as_str() {
                Some("attached") => FieldValue::Attached,
                _ => return Err(expected("\"attached\"")),
            },
            Field::Code => {
                #[derive(Deserialize)]
                struct Code {
                    sha256: String,
                    size: u64,
                }
                let Code { sha256, size } = serde_json::from_value(value)
                    .map_err(|_| expected("a package's sha256 and size"))?;
                FieldValue::Code { sha256, size }
            }
            Field::Environment | Field::Tags => FieldValue::Map(
                serde_json::from_value(value).map_err(|_| expected("a map of names to text"))?,
            ),
            Field::BinaryMediaTypes
            | Field::AllowOrigins
            | Field::AllowMethods
            | Field::AllowHeaders
            | Field::ExposeHeaders
            | Field::PublicStatements
            | Field::Scopes
            | Field::Audience
            | Field::IdentitySource
            | Field::Events => FieldValue::List(
                serde_json::from_value(value).map_err(|_| expected("a list of names"))?,
            ),
            Field::Filter | Field::Pattern | Field::Input | Field::FilterPolicy => {
                FieldValue::Document(value)
            }
            Field::Memory
            | Field::Timeout
            | Field::BatchSize
            | Field::BatchingWindow
            | Field::MaxConcurrency
            | Field::MaxRetries
            | Field::MaxAge
            | Field::ResultTtl => {
                FieldValue::Number(value.as_i64().ok_or_else(|| expected("a whole number"))?)
            }
            Field::ApiKeyRequired
            | Field::ReportBatchItemFailures
            | Field::Enabled
            | Field::BisectOnError
            | Field::AllowCredentials
            | Field::AutoDeploy => {
                FieldValue::Flag(value.as_bool().ok_or_else(|| expected("true or false"))?)
            }
            Field::Handler
            | Field::Runtime
            | Field::Role
            | Field::Description
            | Field::Architecture
            | Field::Record
            | Field::Name
            | Field::Authorizer
            | Field::Issuer
            | Field::Endpoint
            | Field::Target
            | Field::Authorization
            | Field::SourceArn
            | Field::Stage
            | Field::StartingPosition
            | Field::OnFailure
            | Field::UrlAuth
            | Field::InvokeMode
            | Field::Schedule
            | Field::Bus
            | Field::Prefix
            | Field::Suffix
            | Field::PermissionsBoundary => {
                FieldValue::Text(value.as_str().ok_or_else(|| expected("text"))?.to_string())
            }
        })
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FieldChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Json {
            field: Field,
            old: Option<Value>,
            new: Option<Value>,
        }
        let Json { field, old, new } = Json::deserialize(deserializer)?;
        let read = |value: Option<Value>| {
            value
                .map(|value| FieldValue::read(&field, value))
                .transpose()
                .map_err(D::Error::custom)
        };
        Ok(FieldChange {
            old: read(old)?,
            new: read(new)?,
            field,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(field: Field, value: FieldValue) {
        let change = FieldChange {
            field,
            old: None,
            new: Some(value),
        };
        let json = serde_json::to_string(&change).unwrap();
        let back: FieldChange = serde_json::from_str(&json).unwrap();
        assert_eq!(back, change, "{json}");
    }

    #[test]
    fn every_kind_of_value_reads_back_as_it_was_written() {
        round_trip(Field::Handler, FieldValue::text("app.handler"));
        round_trip(Field::Memory, FieldValue::Number(256));
        round_trip(Field::ApiKeyRequired, FieldValue::Flag(true));
        round_trip(
            Field::BinaryMediaTypes,
            FieldValue::List(vec!["image/png".into()]),
        );
        round_trip(
            Field::Tags,
            FieldValue::Map([("team".to_string(), "web".to_string())].into()),
        );
        round_trip(
            Field::TrustPolicy,
            FieldValue::Document(serde_json::json!({"Version": "2012-10-17"})),
        );
        round_trip(
            Field::Code,
            FieldValue::Code {
                sha256: "abc=".into(),
                size: 12,
            },
        );
        round_trip(Field::ManagedPolicy("arn:x".into()), FieldValue::Attached);
        round_trip(Field::Role, FieldValue::KnownAfterApply);
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_with_the_field_named() {
        let error = serde_json::from_str::<FieldChange>(
            r#"{"field": "memory", "old": null, "new": "lots"}"#,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the value of `memory` should be a whole number"),
            "{error}"
        );
    }

    #[test]
    fn values_print_on_one_line_as_plans_show_them() {
        assert_eq!(FieldValue::text("").compact(), "(empty)");
        assert_eq!(FieldValue::Number(30).compact(), "30");
        assert_eq!(FieldValue::KnownAfterApply.compact(), KNOWN_AFTER_APPLY);
        assert_eq!(
            FieldValue::List(vec!["a".into(), "b".into()]).compact(),
            r#"["a","b"]"#
        );
    }
}
