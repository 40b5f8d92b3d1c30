//! The manifest exactly as written: raw serde types, private to `manifest`.
//!
//! Like ripgrep's `lowargs`, these mirror the YAML and nothing more. They are the
//! contract in two ways at once: `schema_json` generates `schema/lade.schema.json` from
//! them (doc comments become descriptions), and [`super::de::collect`] deserializes the
//! YAML through them, so the keys an editor offers and the keys lade accepts cannot
//! drift. Semantic checks (ranges, names, references) live in `validate`; the schema
//! repeats the simple ones (patterns, ranges, enums) only to help editors.
//!
//! Leaves are [`Sp`]: the value plus where it was written, for messages.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::de::{BY_SHAPE, SPANNED, Shape, take_shape};
use super::node::Loc;

/// A lade manifest: the roles, functions and API routes of one project.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Manifest")]
#[schemars(title = "lade manifest")]
pub(crate) struct RawManifest {
    /// The project name: lowercase letters, digits and hyphens, starting with a letter.
    /// It prefixes every physical name (`<project>-<stage>-<key>`) and is written to the
    /// `lade:project` tag that proves ownership.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub project: Sp<String>,
    /// The AWS region, e.g. `us-east-1`. Without it, `AWS_REGION` or the profile decides.
    #[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"))]
    pub region: Option<Sp<String>>,
    /// The default stage (`dev` when absent); `--stage` overrides it. Same rules as
    /// `project`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"))]
    pub stage: Option<Sp<String>>,
    /// IAM execution roles, by key. Functions refer to them with `role: <key>`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z0-9-]+$" }))]
    pub roles: Entries<RawRole>,
    /// Lambda functions, by key. The key is used in the physical name.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z0-9-]+$" }))]
    pub functions: Entries<RawFunction>,
    /// The API in front of the functions: an API Gateway REST API (`type: rest`, the
    /// default) or HTTP API (`type: http`), its stage, CORS, authorizers and routes.
    pub api: Option<RawApi>,
    /// Per-stage parameters, used as `${param:NAME}`. The active stage's params, with the
    /// `default` entry filling in whatever the stage leaves out.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9-]*$" }))]
    pub stages: Entries<RawStage>,
    /// Settings every function gets unless it sets its own (and `boundary`, every
    /// role). `environment` and `tags` are merged, the function's own keys winning.
    pub defaults: Option<RawDefaults>,
}

/// One stage's settings under `stages:`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Stage")]
pub(crate) struct RawStage {
    /// Values for `${param:NAME}`: strings, numbers or booleans.
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "`vars` reads params from the tree, before the raw types exist; this field gives them their schema and shape checks"
    )]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z0-9_.-]+$" }))]
    pub params: Entries<Sp<ParamValue>>,
}

/// A stage parameter's value: a string, a number or a boolean.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamValue {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<ParamValue, E> {
                Ok(ParamValue::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<ParamValue, E> {
                Ok(ParamValue::Int(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue::Str(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ParamValue {
    fn schema_name() -> Cow<'static, str> {
        "ParamValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string, a number or a boolean.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// Settings every function (and, for `boundary`, every role) gets unless it sets its
/// own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Defaults")]
pub(crate) struct RawDefaults {
    /// The permissions boundary (a managed policy's ARN) of every role that sets none.
    pub boundary: Option<PolicyArn>,
    /// The runtime of every function that names none.
    #[serde(default)]
    #[schemars(schema_with = "schema::runtime")]
    pub runtime: Option<Sp<String>>,
    /// Memory in MB, 128 to 10240, for every function that sets none.
    #[serde(default)]
    #[schemars(schema_with = "schema::memory")]
    pub memory: Option<Sp<i64>>,
    /// Timeout in seconds, 1 to 900, for every function that sets none.
    #[serde(default)]
    #[schemars(schema_with = "schema::timeout")]
    pub timeout: Option<Sp<i64>>,
    /// The instruction set of every function that sets none.
    #[serde(default)]
    #[schemars(schema_with = "schema::architecture")]
    pub architecture: Option<Sp<RawArchitecture>>,
    /// Environment variables every function gets; a function's own keys win.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z][A-Za-z0-9_]*$" }))]
    pub environment: Entries<Sp<String>>,
    /// Tags every function gets; a function's own keys win.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "not": { "pattern": "^(lade|aws):" } }))]
    pub tags: Entries<Sp<String>>,
}

/// An IAM role that functions run as. lade creates it under the path
/// `/lade/<project>/<stage>/`, which is how it knows the role is its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Role")]
pub(crate) struct RawRole {
    /// The physical role name. Defaults to `<project>-<stage>-<key>`; at most 64
    /// characters of letters, digits and `+=,.@_-`.
    #[schemars(regex(pattern = r"^[\w+=,.@-]{1,64}$"))]
    pub name: Option<Sp<String>>,
    /// The service principal(s) allowed to assume the role, e.g. `lambda.amazonaws.com`
    /// (the default).
    pub trust: Option<OneOrMany<TrustService>>,
    /// ARNs of managed policies to attach, e.g.
    /// `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`.
    pub managed_policies: Option<Vec<PolicyArn>>,
    /// Inline policies: policy name → IAM policy document.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": r"^[\w+=,.@-]{1,128}$" }))]
    pub policies: Entries<RawPolicyDocument>,
    /// The ARN of a managed policy to set as the role's permissions boundary: the most
    /// the role may do, whatever its policies allow. Overrides `defaults: boundary`.
    pub boundary: Option<PolicyArn>,
}

/// A service principal such as `lambda.amazonaws.com`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub(crate) struct TrustService(
    #[schemars(regex(pattern = r"^[a-z0-9.-]+\.amazonaws\.com$"))] pub Sp<String>,
);

/// The ARN of a managed IAM policy: `arn:<partition>:iam::(aws|<account id>):policy/<path><name>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub(crate) struct PolicyArn(
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\w+=,.@/-]+$"))]
    pub  Sp<String>,
);

/// An IAM policy document.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "PolicyDocument")]
pub(crate) struct RawPolicyDocument {
    /// The policy language version. Write `"2012-10-17"`: without it IAM assumes the old
    /// `2008-10-17`, where policy variables do not work.
    #[serde(rename = "Version", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["2012-10-17", "2008-10-17"]))]
    pub version: Option<Sp<String>>,
    /// An optional identifier for the policy.
    #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
    pub id: Option<Sp<String>>,
    /// One statement or a list of them, each with `Effect`, `Action` and `Resource`.
    #[serde(rename = "Statement")]
    pub statement: Sp<OneOrMany<Statement>>,
}

/// One IAM policy statement, kept as written.
pub(crate) type Statement = serde_json::Map<String, serde_json::Value>;

/// A Lambda function.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Function")]
pub(crate) struct RawFunction {
    /// The code: a directory (zipped deterministically) or a ready `.zip` file, relative
    /// to the manifest's directory.
    pub source: Sp<String>,
    /// The entry point, e.g. `app.handler`. Its format depends on the runtime:
    /// `file.function` for Python, Node.js and Ruby (`src/app.handler` is fine),
    /// `pkg.Class::method` for Java, `Assembly::Namespace.Class::Method` for .NET, any
    /// name (e.g. `bootstrap`) for `provided.*`.
    #[schemars(regex(pattern = r"^\S{1,128}$"))]
    pub handler: Sp<String>,
    /// A current Lambda runtime identifier. May be left to `defaults:`.
    #[serde(default)]
    #[schemars(schema_with = "schema::runtime")]
    pub runtime: Option<Sp<String>>,
    /// The execution role: a key of `roles:`, or an existing role's ARN
    /// (`arn:aws:iam::<account id>:role/<name>`).
    pub role: Sp<String>,
    /// Memory in MB, 128 to 10240. Default 128.
    #[serde(default)]
    #[schemars(schema_with = "schema::memory")]
    pub memory: Option<Sp<i64>>,
    /// Timeout in seconds, 1 to 900. Default 3.
    #[serde(default)]
    #[schemars(schema_with = "schema::timeout")]
    pub timeout: Option<Sp<i64>>,
    /// Environment variables. Values are strings: quote numbers and booleans. Values may
    /// hold `${env:NAME}` (sensitive) and references to other resources:
    /// `${function:KEY.name}`, `${function:KEY.arn}`, `${function:KEY.url}`, `${role:KEY.arn}`,
    /// `${api.url}`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z][A-Za-z0-9_]*$" }))]
    pub environment: Entries<Sp<String>>,
    /// A description shown in the Lambda console. Default empty.
    pub description: Option<Sp<String>>,
    /// The instruction set. Default `x86_64`.
    #[serde(default)]
    #[schemars(schema_with = "schema::architecture")]
    pub architecture: Option<Sp<RawArchitecture>>,
    /// Tags to add. Keys starting with `lade:` or `aws:` are reserved.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "not": { "pattern": "^(lade|aws):" } }))]
    pub tags: Entries<Sp<String>>,
    /// Glob patterns of files to leave out of a directory `source`.
    pub exclude: Option<Vec<Sp<String>>>,
    /// The physical function name. Defaults to `<project>-<stage>-<key>`; at most 64
    /// characters of letters, digits, `-` and `_`.
    #[serde(default)]
    #[schemars(schema_with = "schema::function_name")]
    pub name: Option<Sp<String>>,
    /// Names of `environment` variables whose values are secret: lade never shows, logs
    /// or saves them. Values from `${env:...}` are secret anyway.
    pub secrets: Option<Vec<Sp<String>>>,
    /// What invokes the function besides the API: a list, each item with exactly one
    /// kind key (`sqs`, `dynamodb`, `kinesis`, `schedule`, `eventbridge`, `s3`, `sns`).
    /// Queues and streams become Lambda event-source mappings, schedules and patterns
    /// EventBridge rules, `s3` an entry in the bucket's notification configuration and
    /// `sns` a subscription; lade owns each through the function. The queue, stream,
    /// bucket or topic itself must exist already.
    pub events: Option<Vec<Sp<RawEvent>>>,
    /// A function URL, a dedicated HTTPS endpoint for the function: `true` for one
    /// anyone may call (`auth: none`), or a mapping with `auth`, `cors` and
    /// `invoke_mode`. Its address is `${function:KEY.url}`.
    pub url: Option<Sp<RawUrl>>,
}

/// A function URL: `true` (or `false`, none), or the long form with options.
#[derive(Debug, JsonSchema)]
#[schemars(untagged, rename = "FunctionUrl")]
pub(crate) enum RawUrl {
    /// `true` for a URL without auth, `false` for none.
    Short(Sp<bool>),
    Long(Box<RawUrlLong>),
}

/// The long form of a function URL.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "FunctionUrlOptions")]
pub(crate) struct RawUrlLong {
    /// Who may call it: `none` (anyone; lade adds the public permissions AWS requires)
    /// or `iam` (signed requests that IAM allows, `AWS_IAM`). Default `none`.
    #[serde(default)]
    #[schemars(schema_with = "schema::url_auth")]
    pub auth: Option<Sp<String>>,
    /// Cross-origin resource sharing for browsers calling the URL.
    pub cors: Option<Sp<RawCors>>,
    /// `buffered` (the default: the whole answer at once) or `response_stream`.
    #[serde(default)]
    #[schemars(schema_with = "schema::invoke_mode")]
    pub invoke_mode: Option<Sp<String>>,
}

/// CORS settings, of a function URL or an API.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Cors")]
pub(crate) struct RawCors {
    /// Origins allowed to call: `*`, or `scheme://host[:port]` each.
    pub allow_origins: Option<Vec<Sp<String>>>,
    /// HTTP methods allowed, or `*`. A function URL takes at most 6 of `GET`, `PUT`,
    /// `HEAD`, `POST`, `PATCH`, `DELETE` (not `OPTIONS`: Lambda answers preflight
    /// requests itself); an API takes any method.
    pub allow_methods: Option<Vec<Sp<String>>>,
    /// Request headers allowed.
    pub allow_headers: Option<Vec<Sp<String>>>,
    /// Response headers a browser may read.
    pub expose_headers: Option<Vec<Sp<String>>>,
    /// Whether cookies and credentials are allowed; not with origin `*`. Default false.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub allow_credentials: Option<Sp<bool>>,
    /// Seconds a browser may cache the preflight answer, 0 to 86400. Default 0.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub max_age: Option<Sp<i64>>,
}

impl<'de> Deserialize<'de> for RawUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawUrl;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or a mapping with `auth`, `cors`, `invoke_mode`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RawUrl, D::Error> {
                match take_shape() {
                    Some(Shape::Map) => {
                        RawUrlLong::deserialize(d).map(|l| RawUrl::Long(Box::new(l)))
                    }
                    Some(Shape::Seq) => Err(serde::de::Error::invalid_type(
                        serde::de::Unexpected::Seq,
                        &self,
                    )),
                    _ => Sp::deserialize(d).map(RawUrl::Short),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V)
    }
}

/// One trigger of a function: exactly one of its keys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Event")]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
pub(crate) struct RawEvent {
    /// An SQS queue: its ARN, or a mapping with `queue` and options.
    pub sqs: Option<RawSqs>,
    /// A DynamoDB table's stream.
    pub dynamodb: Option<RawStream>,
    /// A Kinesis data stream.
    pub kinesis: Option<RawStream>,
    /// A schedule: `rate(5 minutes)` or `cron(0 3 * * ? *)`, or a mapping with
    /// `expression` and options. An EventBridge rule on the default bus.
    pub schedule: Option<RawSchedule>,
    /// Events on an EventBridge bus that match a pattern.
    pub eventbridge: Option<RawEventBridge>,
    /// Object events of an existing S3 bucket (an entry in its notification
    /// configuration; the bucket's other entries are left as they are).
    pub s3: Option<RawS3>,
    /// An existing SNS topic: its ARN, or a mapping with `topic` and `filter`.
    pub sns: Option<RawSns>,
}

/// An S3 trigger: a bucket's object events, optionally only for some keys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "S3Event")]
pub(crate) struct RawS3 {
    /// The bucket's name (not its ARN), e.g. `uploads-bucket`.
    pub bucket: Sp<String>,
    /// S3 event types, e.g. `[s3:ObjectCreated:*, s3:ObjectRemoved:Delete]`. Default
    /// `[s3:ObjectCreated:*]`.
    pub events: Option<Sp<Vec<Sp<String>>>>,
    /// Only objects whose key starts with this, e.g. `incoming/`.
    pub prefix: Option<Sp<String>>,
    /// Only objects whose key ends with this, e.g. `.jpg`.
    pub suffix: Option<Sp<String>>,
}

/// An SNS trigger: the topic's ARN, or the long form with a filter policy.
#[derive(Debug, JsonSchema)]
#[schemars(untagged, rename = "SnsEvent")]
pub(crate) enum RawSns {
    /// The topic's ARN, e.g. `arn:aws:sns:us-east-1:123456789012:alerts`.
    Short(Sp<String>),
    Long(RawSnsLong),
}

/// The long form of an SNS trigger.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "SnsEventOptions")]
pub(crate) struct RawSnsLong {
    /// The topic's ARN, e.g. `arn:aws:sns:us-east-1:123456789012:alerts`.
    pub topic: Sp<String>,
    /// The subscription's filter policy (`FilterPolicy`), a mapping, e.g.
    /// `{severity: [critical]}`: only matching messages invoke the function.
    pub filter: Option<Sp<serde_json::Value>>,
}

impl<'de> Deserialize<'de> for RawSns {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSns;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a topic ARN or a mapping with `topic`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RawSns, D::Error> {
                match take_shape() {
                    Some(Shape::Map) => RawSnsLong::deserialize(d).map(RawSns::Long),
                    Some(Shape::Seq) => Err(serde::de::Error::invalid_type(
                        serde::de::Unexpected::Seq,
                        &self,
                    )),
                    _ => Sp::deserialize(d).map(RawSns::Short),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V)
    }
}

/// A schedule trigger: its expression, or the long form with options.
#[derive(Debug, JsonSchema)]
#[schemars(untagged, rename = "ScheduleEvent")]
pub(crate) enum RawSchedule {
    /// `rate(<n> minute|minutes|hour|hours|day|days)` or `cron(<6 fields>)`.
    Short(Sp<String>),
    Long(RawScheduleLong),
}

/// The long form of a schedule trigger.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "ScheduleEventOptions")]
pub(crate) struct RawScheduleLong {
    /// `rate(<n> minute|minutes|hour|hours|day|days)` or `cron(<6 fields>)`, in UTC.
    pub expression: Sp<String>,
    /// The event the function receives, a mapping (the target's constant `Input`).
    /// Default: EventBridge's scheduled event.
    pub input: Option<Sp<serde_json::Value>>,
    /// Whether the schedule runs. Default true.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub enabled: Option<Sp<bool>>,
    /// The rule's description, at most 512 characters.
    pub description: Option<Sp<String>>,
}

/// An EventBridge trigger: the events on a bus that match a pattern.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "EventBridgeEvent")]
pub(crate) struct RawEventBridge {
    /// The event pattern, a non-empty mapping, e.g.
    /// `{source: [shop.orders], detail-type: [OrderPlaced]}`.
    pub pattern: Sp<serde_json::Value>,
    /// The event bus's name. Default `default`.
    pub bus: Option<Sp<String>>,
    /// The event the function receives instead of the matched one, a mapping.
    pub input: Option<Sp<serde_json::Value>>,
    /// Whether the rule is enabled. Default true.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub enabled: Option<Sp<bool>>,
    /// The rule's description, at most 512 characters.
    pub description: Option<Sp<String>>,
}

impl<'de> Deserialize<'de> for RawSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSchedule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a schedule expression or a mapping with `expression`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<RawSchedule, D::Error> {
                match take_shape() {
                    Some(Shape::Map) => RawScheduleLong::deserialize(d).map(RawSchedule::Long),
                    Some(Shape::Seq) => Err(serde::de::Error::invalid_type(
                        serde::de::Unexpected::Seq,
                        &self,
                    )),
                    _ => Sp::deserialize(d).map(RawSchedule::Short),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V)
    }
}

/// An SQS trigger: the queue's ARN, or the long form with options.
#[derive(Debug, JsonSchema)]
#[schemars(untagged, rename = "SqsEvent")]
pub(crate) enum RawSqs {
    /// The queue's ARN, e.g. `arn:aws:sqs:us-east-1:123456789012:jobs`.
    Short(Sp<String>),
    Long(RawSqsLong),
}

/// The long form of an SQS trigger.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "SqsEventOptions")]
pub(crate) struct RawSqsLong {
    /// The queue's ARN, e.g. `arn:aws:sqs:us-east-1:123456789012:jobs.fifo`.
    pub queue: Sp<String>,
    /// Messages per invocation: 1 to 10000 (at most 10 for a FIFO queue). Default 10.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub batch_size: Option<Sp<i64>>,
    /// Seconds Lambda gathers messages before invoking, 0 to 300
    /// (`MaximumBatchingWindowInSeconds`). Required above 0 when `batch_size` is over 10.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub batching_window: Option<Sp<i64>>,
    /// At most this many concurrent invocations from this queue, 2 to 1000
    /// (`ScalingConfig.MaximumConcurrency`).
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub max_concurrency: Option<Sp<i64>>,
    /// The function reports which messages of a batch failed, so only those are
    /// retried (`FunctionResponseTypes: [ReportBatchItemFailures]`). Default false.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub report_batch_item_failures: Option<Sp<bool>>,
    /// Event filter patterns (`FilterCriteria`), at most 5, e.g.
    /// `[{body: {type: [order]}}]`: only matching messages invoke the function.
    pub filter: Option<Sp<Vec<Statement>>>,
    /// Whether Lambda polls the queue. Default true.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub enabled: Option<Sp<bool>>,
}

/// A DynamoDB or Kinesis stream trigger.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "StreamEvent")]
pub(crate) struct RawStream {
    /// The stream's ARN: `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`
    /// or `arn:aws:kinesis:<region>:<account>:stream/<name>`.
    pub stream: Sp<String>,
    /// Where reading starts: `LATEST` (new records) or `TRIM_HORIZON` (the oldest
    /// kept). Required; set when the trigger is created, so changing it replaces it.
    pub starting_position: Option<Sp<String>>,
    /// Records per invocation, 1 to 10000. Default 100.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub batch_size: Option<Sp<i64>>,
    /// Seconds Lambda gathers records before invoking, 0 to 300. Default 0.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub batching_window: Option<Sp<i64>>,
    /// The ARN of an SQS queue or SNS topic that receives records that failed
    /// (`DestinationConfig.OnFailure`).
    pub on_failure: Option<Sp<String>>,
    /// Split a failing batch in two and retry each half. Default false.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub bisect_on_error: Option<Sp<bool>>,
    /// Retries of a failing batch, 0 to 10000, or -1 (the default) to retry until the
    /// record expires.
    #[serde(default)]
    #[schemars(schema_with = "schema::retries")]
    pub max_retries: Option<Sp<i64>>,
    /// The function reports which records of a batch failed. Default false.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub report_batch_item_failures: Option<Sp<bool>>,
    /// Event filter patterns (`FilterCriteria`), at most 5.
    pub filter: Option<Sp<Vec<Statement>>>,
    /// Whether Lambda reads the stream. Default true.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub enabled: Option<Sp<bool>>,
}

impl<'de> Deserialize<'de> for RawSqs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSqs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a queue ARN or a mapping with `queue`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RawSqs, D::Error> {
                match take_shape() {
                    Some(Shape::Map) => RawSqsLong::deserialize(d).map(RawSqs::Long),
                    Some(Shape::Seq) => Err(serde::de::Error::invalid_type(
                        serde::de::Unexpected::Seq,
                        &self,
                    )),
                    _ => Sp::deserialize(d).map(RawSqs::Short),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V)
    }
}

/// The instruction set a function runs on.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename = "Architecture")]
pub(crate) enum RawArchitecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

/// An API Gateway API that routes HTTP requests to functions: a REST API (v1) or an
/// HTTP API (v2).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Api")]
pub(crate) struct RawApi {
    /// `rest` (the default: an API Gateway REST API) or `http` (an HTTP API, API
    /// Gateway v2: cheaper and faster, payload format 2.0). Changing it replaces the API.
    #[serde(default, rename = "type")]
    #[schemars(schema_with = "schema::api_type")]
    pub protocol: Option<Sp<String>>,
    /// The API's name. Defaults to `<project>-<stage>`.
    pub name: Option<Sp<String>>,
    /// A description for the API.
    pub description: Option<Sp<String>>,
    /// The API Gateway stage name: letters, digits, `-` and `_` (`v1`, `Prod`). Default:
    /// the lade stage for `rest`, `$default` (served at the API's root) for `http`.
    #[schemars(regex(pattern = r"^(\$default|[A-Za-z0-9_-]+)$"))]
    pub stage: Option<Sp<String>>,
    /// The endpoint type (REST APIs only). Default `REGIONAL`.
    pub endpoint: Option<Sp<Endpoint>>,
    /// Media types served as binary, e.g. `image/png` (REST APIs only).
    pub binary_media_types: Option<Vec<Sp<String>>>,
    /// Cross-origin resource sharing for browsers calling the API. REST: an `OPTIONS`
    /// method (a `MOCK` integration) on every routed resource, and the headers on the
    /// `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses; HTTP: the API's own CORS
    /// configuration. A Lambda proxy integration must still return
    /// `Access-Control-Allow-Origin` itself.
    pub cors: Option<Sp<RawCors>>,
    /// Authorizers, by key; a route names one with `authorizer: <key>`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z0-9_-]+$" }))]
    pub authorizers: Entries<RawAuthorizer>,
    /// Routes: `"METHOD /path"` → a function key, or a mapping with `function` and
    /// options. Paths may hold `{param}` segments and end with `{proxy+}`. An HTTP API
    /// may also have the catch-all route `$default`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = {
        "pattern": r"^((GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /|\$default$)"
    }))]
    pub routes: Entries<RawRoute>,
}

/// An authorizer: who may call the routes that name it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "Authorizer")]
pub(crate) struct RawAuthorizer {
    /// `jwt` (HTTP APIs: a JSON Web Token issuer), `cognito` (REST APIs: Cognito user
    /// pools) or `lambda` (both: a function of this manifest decides).
    #[serde(rename = "type")]
    #[schemars(schema_with = "schema::authorizer_type")]
    pub kind: Sp<String>,
    /// `jwt`: the token issuer's URL, e.g. a Cognito user pool's
    /// `https://cognito-idp.REGION.amazonaws.com/POOL_ID`.
    pub issuer: Option<Sp<String>>,
    /// `jwt`: the audiences (client ids) a token must be for.
    pub audience: Option<Vec<Sp<String>>>,
    /// `cognito`: the user pools' ARNs.
    pub user_pools: Option<Vec<Sp<String>>>,
    /// `lambda`: the key of the function (in `functions:`) that authorizes.
    pub function: Option<Sp<String>>,
    /// `lambda`: REST `token` (the default) or `request`; HTTP APIs always send the
    /// request (payload format 2.0, simple responses), so `request` is the only choice.
    #[serde(default)]
    #[schemars(schema_with = "schema::authorizer_payload")]
    pub payload: Option<Sp<String>>,
    /// Where the credential is, the HTTP-API way: `$request.header.Authorization` (the
    /// default). REST's `method.request.header.Authorization` is accepted too. A
    /// `lambda` authorizer with `payload: request` may list several.
    pub identity_source: Option<OneOrMany<Sp<String>>>,
    /// `lambda`: seconds API Gateway caches the result, 0 (no cache) to 3600. Default 300.
    #[serde(default)]
    #[schemars(schema_with = "schema::count")]
    pub ttl: Option<Sp<i64>>,
}

/// The API Gateway endpoint type.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum Endpoint {
    #[serde(rename = "REGIONAL")]
    Regional,
    #[serde(rename = "EDGE")]
    Edge,
}

/// How a route authorizes callers.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum Authorization {
    #[serde(rename = "NONE")]
    None,
    #[serde(rename = "AWS_IAM")]
    AwsIam,
}

/// A route's target: a function key, or the long form with options.
#[derive(Debug, JsonSchema)]
#[schemars(untagged, rename = "Route")]
pub(crate) enum RawRoute {
    /// The key of the function that serves the route.
    Short(Sp<String>),
    Long(RawRouteLong),
}

/// The long form of a route.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename = "RouteOptions")]
pub(crate) struct RawRouteLong {
    /// The key of the function that serves the route.
    pub function: Sp<String>,
    /// `NONE` (default) or `AWS_IAM`. A route with an `authorizer` leaves it out.
    pub authorization: Option<Sp<Authorization>>,
    /// The key (in `api.authorizers`) of the authorizer that guards the route.
    pub authorizer: Option<Sp<String>>,
    /// OAuth scopes a token must carry (`jwt` and `cognito` authorizers only).
    pub scopes: Option<Vec<Sp<String>>>,
    /// Whether callers must send an API key. Default false.
    #[serde(default)]
    #[schemars(schema_with = "schema::flag")]
    pub api_key_required: Option<Sp<bool>>,
}

impl<'de> Deserialize<'de> for RawRoute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRoute;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a function key or a mapping with `function`")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<RawRoute, D::Error> {
                match take_shape() {
                    Some(Shape::Map) => RawRouteLong::deserialize(d).map(RawRoute::Long),
                    Some(Shape::Seq) => Err(serde::de::Error::invalid_type(
                        serde::de::Unexpected::Seq,
                        &self,
                    )),
                    _ => Sp::deserialize(d).map(RawRoute::Short),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V)
    }
}

/// One value, or a list of them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "OneOrMany_{T}")]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one).iter(),
            OneOrMany::Many(many) => many.iter(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one value or a list")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<OneOrMany<T>, D::Error> {
                match take_shape() {
                    Some(Shape::Seq) => Vec::deserialize(d).map(OneOrMany::Many),
                    _ => T::deserialize(d).map(OneOrMany::One),
                }
            }
        }
        d.deserialize_newtype_struct(BY_SHAPE, V(PhantomData))
    }
}

/// A value and where the manifest wrote it. Transparent in the schema and when
/// serialized.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sp<T> {
    pub value: T,
    pub loc: Loc,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Sp<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value with its location")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sp<T>, A::Error> {
                map.next_key::<de::IgnoredAny>()?;
                let [line, column, len]: [u32; 3] = map.next_value()?;
                map.next_key::<de::IgnoredAny>()?;
                let value = map.next_value()?;
                Ok(Sp {
                    value,
                    loc: Loc { line, column, len },
                })
            }
        }
        d.deserialize_newtype_struct(SPANNED, V(PhantomData))
    }
}

impl<T: Serialize> Serialize for Sp<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A mapping kept in source order, with each key's location.
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(Sp<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<V> Entries<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&Sp<String>, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Sp<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Vis(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for Entries<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

/// Field schemas that also accept a `${...}` variable, so an editor does not flag
/// `memory: ${param:memory}`: lade checks the value once the variable is resolved.
mod schema {
    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::RawArchitecture;

    /// `{type: string, pattern: ^\$\{.*\}$}`, once in `$defs`.
    struct Variable;

    impl JsonSchema for Variable {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "Variable".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A variable standing for the whole value, e.g. `${param:memory}`; lade checks the value it resolves to.",
                "type": "string",
                "pattern": r"^\$\{.*\}$"
            })
        }
    }

    fn or_variable(generator: &mut SchemaGenerator, schema: Schema) -> Schema {
        json_schema!({
            "anyOf": [schema, generator.subschema_for::<Variable>(), { "type": "null" }]
        })
    }

    pub fn memory(generator: &mut SchemaGenerator) -> Schema {
        let number = json_schema!({ "type": "integer", "minimum": 128, "maximum": 10240 });
        or_variable(generator, number)
    }

    pub fn timeout(generator: &mut SchemaGenerator) -> Schema {
        let number = json_schema!({ "type": "integer", "minimum": 1, "maximum": 900 });
        or_variable(generator, number)
    }

    pub fn flag(generator: &mut SchemaGenerator) -> Schema {
        or_variable(generator, json_schema!({ "type": "boolean" }))
    }

    pub fn url_auth(generator: &mut SchemaGenerator) -> Schema {
        or_variable(
            generator,
            json_schema!({ "type": "string", "enum": ["none", "iam"] }),
        )
    }

    pub fn invoke_mode(generator: &mut SchemaGenerator) -> Schema {
        let modes = json_schema!({ "type": "string", "enum": ["buffered", "response_stream"] });
        or_variable(generator, modes)
    }

    pub fn api_type(generator: &mut SchemaGenerator) -> Schema {
        or_variable(
            generator,
            json_schema!({ "type": "string", "enum": ["rest", "http"] }),
        )
    }

    pub fn authorizer_type(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["jwt", "cognito", "lambda"] })
    }

    pub fn authorizer_payload(generator: &mut SchemaGenerator) -> Schema {
        or_variable(
            generator,
            json_schema!({ "type": "string", "enum": ["token", "request"] }),
        )
    }

    pub fn count(generator: &mut SchemaGenerator) -> Schema {
        or_variable(generator, json_schema!({ "type": "integer", "minimum": 0 }))
    }

    pub fn retries(generator: &mut SchemaGenerator) -> Schema {
        let number = json_schema!({ "type": "integer", "minimum": -1, "maximum": 10000 });
        or_variable(generator, number)
    }

    pub fn runtime(generator: &mut SchemaGenerator) -> Schema {
        let runtimes = json_schema!({ "type": "string", "enum": crate::runtimes::schema_enum() });
        or_variable(generator, runtimes)
    }

    pub fn architecture(generator: &mut SchemaGenerator) -> Schema {
        let architecture = generator.subschema_for::<RawArchitecture>();
        or_variable(generator, architecture)
    }

    /// A Lambda function name, or text with variables in it (`${stage}-api`).
    pub fn function_name(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "null"],
            "pattern": r"^([A-Za-z0-9_-]|\$\{[^}]*\})+$"
        })
    }
}
