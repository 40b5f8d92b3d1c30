//! The typed models that flow through lade's pipeline.
//!
//! `Desired` is what the manifest asks for, after validation and resolution; only
//! `manifest::load` builds it. `Live` is what the account holds that this project and
//! stage own; only `live::read` builds it. Neither knows how it was made: no YAML, no
//! SDK types. Names here are the user's words (`Function`, `Role`), and every map is a
//! `BTreeMap` so iteration order, and therefore plan order, is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Tag key that names the owning project on every taggable resource lade creates.
pub const TAG_PROJECT: &str = "lade:project";
/// Tag key that names the owning stage on every taggable resource lade creates.
pub const TAG_STAGE: &str = "lade:stage";
/// Tag key that records a function's manifest key, so a change of physical name is
/// seen as a replacement.
pub const TAG_KEY: &str = "lade:key";
/// The trust principal a role gets when the manifest names none.
pub const DEFAULT_TRUST_SERVICE: &str = crate::arn::LAMBDA_PRINCIPAL;

/// Which project and stage a run is about. It decides physical names, ownership tags
/// and the IAM path, so two stages of one project never see each other's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub project: String,
    pub stage: String,
}

impl Scope {
    /// The IAM path that marks a role as owned by this project and stage.
    pub fn iam_path(&self) -> String {
        format!("/lade/{}/{}/", self.project, self.stage)
    }

    /// The default physical name of a resource: `<project>-<stage>-<key>`.
    pub fn physical_name(&self, key: &str) -> String {
        format!("{}-{}-{}", self.project, self.stage, key)
    }

    /// A resource's physical name: the `name:` the manifest sets, else
    /// [`physical_name`](Self::physical_name) of its key.
    pub fn name_or_default(&self, key: &str, name: Option<&str>) -> String {
        name.map_or_else(|| self.physical_name(key), str::to_owned)
    }

    /// The REST API's default name: `<project>-<stage>`.
    pub fn api_name(&self) -> String {
        format!("{}-{}", self.project, self.stage)
    }

    /// The ownership tags every taggable resource carries.
    /// The prefix of the id of every S3 notification entry lade writes in this project
    /// and stage: `lade/<project>/<stage>/`. `/` is in no project or stage name, so
    /// two stages (or projects) on one bucket never take each other's entries.
    pub fn notification_prefix(&self) -> String {
        format!("lade/{}/{}/", self.project, self.stage)
    }

    /// The prefix of every rule name lade gives in this project and stage:
    /// `<project>-<stage>-`, cut to leave room for a key and a hash in EventBridge's
    /// 64 characters.
    pub fn rule_prefix(&self) -> String {
        let prefix = format!("{}-{}-", self.project, self.stage);
        prefix.chars().take(RULE_STEM).collect()
    }

    pub fn ownership_tags(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (TAG_PROJECT.to_string(), self.project.clone()),
            (TAG_STAGE.to_string(), self.stage.clone()),
        ])
    }

    /// Whether a resource's tags prove that this project and stage own it.
    pub fn owns_tags(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(TAG_PROJECT) == Some(&self.project) && tags.get(TAG_STAGE) == Some(&self.stage)
    }
}

/// The validated manifest: everything lade should make true in the account.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub scope: Scope,
    /// The region from the manifest, if it names one; otherwise the SDK's chain decides.
    pub region: Option<String>,
    /// Keyed by the manifest's role key.
    pub roles: BTreeMap<String, Role>,
    /// Keyed by the manifest's function key.
    pub functions: BTreeMap<String, Function>,
    /// The REST API and its routes, if the manifest has `api:`.
    pub api: Option<Api>,
    /// The manifest uses `${account}`: the caller looks the account up and loads the
    /// manifest again with it (until then a placeholder stands in).
    pub uses_account: bool,
    /// The day (UTC) the manifest was checked on: runtimes' end-of-life dates are
    /// compared with it, at load time and when planning.
    pub today: crate::runtimes::Date,
}

impl Desired {
    /// The API Gateway stage the API is served from: `api.stage`, else the lade stage.
    pub fn api_stage(&self) -> &str {
        self.api
            .as_ref()
            .map_or(&self.scope.stage, |api| &api.stage)
    }

    /// The physical names of the functions the manifest wants.
    pub fn function_names(&self) -> BTreeSet<String> {
        self.functions.values().map(|f| f.name.clone()).collect()
    }

    /// The event buses lade looks for its rules on: `default`, and every bus a
    /// trigger names.
    pub fn rule_buses(&self) -> BTreeSet<String> {
        std::iter::once("default".to_string())
            .chain(
                self.functions
                    .values()
                    .flat_map(|f| f.rules.iter().map(|r| r.bus.clone())),
            )
            .collect()
    }

    /// The physical names of the roles the manifest defines.
    pub fn role_names(&self) -> BTreeSet<String> {
        self.roles.values().map(|r| r.name.clone()).collect()
    }
}

/// An IAM execution role, as the manifest wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// The manifest key (`roles: <key>:`).
    pub key: String,
    /// Physical role name.
    pub name: String,
    /// `/lade/<project>/<stage>/`: ownership is proven by this path.
    pub path: String,
    /// The services allowed to assume the role, e.g. `lambda.amazonaws.com`.
    pub trust_services: BTreeSet<String>,
    /// ARNs of managed policies to attach.
    pub managed_policies: BTreeSet<String>,
    /// Inline policies: name → policy document.
    pub inline_policies: BTreeMap<String, Value>,
    /// The ARN of the managed policy set as the role's permissions boundary: the most
    /// the role may ever do, whatever its policies allow.
    pub boundary: Option<String>,
}

impl Role {
    /// The trust (assume-role) policy document built from `trust_services`.
    pub fn trust_policy(&self) -> Value {
        trust_policy(&self.trust_services)
    }
}

/// The assume-role policy document that lets exactly `services` assume a role.
pub fn trust_policy(services: &BTreeSet<String>) -> Value {
    let principal = if services.len() == 1 {
        Value::String(services.iter().next().cloned().unwrap_or_default())
    } else {
        Value::Array(services.iter().cloned().map(Value::String).collect())
    };
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": principal },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Where a function gets its execution role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleRef {
    /// A key of the manifest's `roles:`.
    Key(String),
    /// An existing role's ARN, managed outside lade.
    Arn(String),
}

/// The instruction set a function runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Architecture {
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// Lambda's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }
}

/// What a function's code is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory, zipped deterministically; `exclude` holds extra glob patterns.
    Dir { path: PathBuf, exclude: Vec<String> },
    /// A ready `.zip` file, uploaded as it is.
    Zip { path: PathBuf },
}

/// A Lambda function, as the manifest wants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// The manifest key (`functions: <key>:`).
    pub key: String,
    /// Physical function name.
    pub name: String,
    pub source: Source,
    pub handler: String,
    pub runtime: String,
    pub role: RoleRef,
    /// MB, 128–10240. Lambda's default is 128.
    pub memory: i32,
    /// Seconds, 1–900. Lambda's default is 3.
    pub timeout: i32,
    /// Environment variables: text, references to other resources, and sensitivity.
    pub environment: BTreeMap<String, EnvValue>,
    pub description: String,
    pub architecture: Architecture,
    /// User tags; the ownership tags are added on top and may not be set here.
    pub tags: BTreeMap<String, String>,
    /// The EventBridge rules that invoke it (`events:` `schedule` and `eventbridge`).
    pub rules: Vec<Rule>,
    /// The queues and streams that invoke it (`events:`), each an event-source
    /// mapping, in manifest order; no source twice.
    pub event_sources: Vec<EventSource>,
    /// Its function URL (`url:`), a dedicated HTTPS endpoint; `None` for none.
    pub url: Option<UrlSettings>,
    /// The S3 bucket notifications that invoke it (`events:` `s3`), in manifest order.
    pub notifications: Vec<Notification>,
    /// The SNS topics it subscribes to (`events:` `sns`), in manifest order; no topic
    /// twice.
    pub subscriptions: Vec<Subscription>,
}

impl Function {
    /// The names of the environment variables whose values are sensitive.
    pub fn sensitive_keys(&self) -> BTreeSet<String> {
        self.environment
            .iter()
            .filter(|(_, value)| value.sensitive)
            .map(|(key, _)| key.clone())
            .collect()
    }
}

/// A queue or stream that invokes a function: a Lambda event-source mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    pub kind: SourceKind,
    /// The queue's or stream's ARN: with the function, the mapping's identity.
    pub arn: String,
    pub settings: SourceSettings,
}

/// The services whose queues and streams Lambda polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Sqs,
    DynamoDb,
    Kinesis,
}

impl SourceKind {
    /// The manifest's key for it (`sqs`, `dynamodb`, `kinesis`), also the ARN's service.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Sqs => "sqs",
            SourceKind::DynamoDb => "dynamodb",
            SourceKind::Kinesis => "kinesis",
        }
    }

    /// The kind of source an ARN names, by the ARN's service.
    pub fn of_arn(arn: &str) -> Option<SourceKind> {
        match arn.split(':').nth(2)? {
            "sqs" => Some(SourceKind::Sqs),
            "dynamodb" => Some(SourceKind::DynamoDb),
            "kinesis" => Some(SourceKind::Kinesis),
            _ => None,
        }
    }

    /// What it reads from, for people: `an SQS queue`, `a DynamoDB stream`.
    pub fn what(self) -> &'static str {
        match self {
            SourceKind::Sqs => "an SQS queue",
            SourceKind::DynamoDb => "a DynamoDB stream",
            SourceKind::Kinesis => "a Kinesis stream",
        }
    }

    /// Whether it is a stream (read from a position, in shards) rather than a queue.
    pub fn is_stream(self) -> bool {
        !matches!(self, SourceKind::Sqs)
    }

    /// The batch size Lambda uses when none is given.
    pub fn default_batch_size(self) -> i32 {
        if self.is_stream() { 100 } else { 10 }
    }
}

/// An event-source mapping's settings, as the manifest wants them and as Lambda
/// reports them. Unset options hold Lambda's defaults, so that the two compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSettings {
    /// Records per invocation (`BatchSize`).
    pub batch_size: i32,
    /// Seconds to gather a batch (`MaximumBatchingWindowInSeconds`).
    pub batching_window: i32,
    /// SQS only: at most this many concurrent invocations
    /// (`ScalingConfig.MaximumConcurrency`).
    pub max_concurrency: Option<i32>,
    /// The function reports failed items (`FunctionResponseTypes:
    /// [ReportBatchItemFailures]`).
    pub report_batch_item_failures: bool,
    /// Event filter patterns (`FilterCriteria`), each a JSON object.
    pub filter: Vec<Value>,
    /// Whether Lambda polls the source.
    pub enabled: bool,
    /// Streams only: where reading starts (`LATEST` or `TRIM_HORIZON`). Set when the
    /// mapping is created, never changed.
    pub starting_position: Option<String>,
    /// Streams only: where records that failed go (`DestinationConfig.OnFailure`).
    pub on_failure: Option<String>,
    /// Streams only: split a failing batch in two and retry each half.
    pub bisect_on_error: bool,
    /// Streams only: retries of a failing batch (`MaximumRetryAttempts`; -1 is
    /// Lambda's default, until the record expires).
    pub max_retries: Option<i32>,
}

impl SourceSettings {
    /// Lambda's settings for a mapping from `kind` that sets nothing; a stream's
    /// starting position is the caller's to choose.
    pub fn defaults(kind: SourceKind) -> SourceSettings {
        SourceSettings {
            batch_size: kind.default_batch_size(),
            batching_window: 0,
            max_concurrency: None,
            report_batch_item_failures: false,
            filter: Vec::new(),
            enabled: true,
            starting_position: None,
            on_failure: None,
            bisect_on_error: false,
            // Streams retry until the record expires; queues have no such setting.
            max_retries: kind.is_stream().then_some(-1),
        }
    }
}

/// A function URL's settings, as the manifest wants them and as Lambda reports them
/// (`CreateFunctionUrlConfig`, `GetFunctionUrlConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlSettings {
    pub auth: UrlAuth,
    /// Its CORS settings; `None` for none (an empty `Cors` from Lambda reads as none).
    pub cors: Option<Cors>,
    pub invoke_mode: InvokeMode,
}

/// Who may call a function URL (`AuthType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlAuth {
    /// `NONE`: anyone; the function's resource policy must allow the public.
    None,
    /// `AWS_IAM`: signed requests of principals that IAM allows.
    Iam,
}

impl UrlAuth {
    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlAuth::None => "none",
            UrlAuth::Iam => "iam",
        }
    }

    /// Lambda's spelling.
    pub fn api_name(self) -> &'static str {
        match self {
            UrlAuth::None => "NONE",
            UrlAuth::Iam => "AWS_IAM",
        }
    }
}

/// How a function URL returns the function's answer (`InvokeMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvokeMode {
    /// `BUFFERED`, Lambda's default: the whole answer at once, at most 6 MB.
    #[default]
    Buffered,
    /// `RESPONSE_STREAM`: streamed as the function writes it.
    ResponseStream,
}

impl InvokeMode {
    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InvokeMode::Buffered => "buffered",
            InvokeMode::ResponseStream => "response_stream",
        }
    }

    /// Lambda's spelling.
    pub fn api_name(self) -> &'static str {
        match self {
            InvokeMode::Buffered => "BUFFERED",
            InvokeMode::ResponseStream => "RESPONSE_STREAM",
        }
    }
}

/// A function URL's CORS settings (`Cors`). Unset fields hold Lambda's defaults
/// (empty lists, no credentials, `max_age` 0), so that desired and live compare.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    /// Seconds a browser may cache the preflight answer, 0 to 86400.
    pub max_age: i32,
}

impl Cors {
    /// `None` for settings that are all Lambda's defaults: no CORS at all.
    pub fn non_empty(self) -> Option<Cors> {
        (self != Cors::default()).then_some(self)
    }
}

/// One of the two resource-policy statements a function URL without auth needs. AWS
/// documents both for URLs made since October 2025: `lambda:InvokeFunctionUrl` with
/// the condition `lambda:FunctionUrlAuthType: NONE`, and `lambda:InvokeFunction`
/// with `lambda:InvokedViaFunctionUrl: true` (so that the second lets the public call
/// the function only through its URL). Each has a fixed statement id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatement {
    InvokeFunctionUrl,
    InvokeFunction,
}

impl PublicStatement {
    pub const ALL: [PublicStatement; 2] = [
        PublicStatement::InvokeFunctionUrl,
        PublicStatement::InvokeFunction,
    ];

    /// Its statement id in the function's resource policy.
    pub fn sid(self) -> &'static str {
        match self {
            PublicStatement::InvokeFunctionUrl => "lade-url-public",
            PublicStatement::InvokeFunction => "lade-url-public-invoke",
        }
    }

    /// The action it allows.
    pub fn action(self) -> &'static str {
        match self {
            PublicStatement::InvokeFunctionUrl => "lambda:InvokeFunctionUrl",
            PublicStatement::InvokeFunction => "lambda:InvokeFunction",
        }
    }
}

/// A function URL on a function lade owns, as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFunctionUrl {
    /// The physical name of its function.
    pub function: String,
    /// `https://<id>.lambda-url.<region>.on.aws/`.
    pub url: String,
    pub settings: UrlSettings,
}

/// The tag on a function that S3 buckets or SNS topics invoke (`s3`, `sns` or
/// `s3 sns`): `live` reads the statements of such a function, through which it finds
/// each bucket and topic that may hold an entry or subscription of lade's, even one
/// the manifest no longer names.
pub const TAG_INVOKERS: &str = "lade:invokers";

/// The tag that names, on an EventBridge rule, the physical name of the function it
/// invokes.
pub const TAG_FUNCTION: &str = "lade:function";

/// The longest stem of a rule name, before `-` and 8 hex digits: EventBridge takes
/// 64 characters.
pub const RULE_STEM: usize = 55;

/// An EventBridge rule that invokes a function: a schedule or an event pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// The rule's physical name: `<function name>-<8 hex digits>`, the digits a hash of
    /// the trigger's identity (its expression, or its bus and pattern), so that
    /// reordering the manifest's `events:` renames nothing.
    pub name: String,
    /// The event bus (`default` for schedules).
    pub bus: String,
    pub settings: RuleSettings,
}

/// A rule's settings, as the manifest wants them and as EventBridge reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSettings {
    /// `rate(…)` or `cron(…)` (`ScheduleExpression`), for a schedule.
    pub schedule: Option<String>,
    /// The event pattern (`EventPattern`), a JSON object, for a pattern.
    pub pattern: Option<Value>,
    /// The constant event the function receives (the target's `Input`); `None` passes
    /// the matched event (or EventBridge's scheduled event) as it is.
    pub input: Option<Value>,
    pub description: String,
    /// `State`: `ENABLED` or `DISABLED`.
    pub enabled: bool,
}

impl RuleSettings {
    /// The rule as people read it: its expression, or `events on <bus>`.
    pub fn what(&self, bus: &str) -> String {
        match &self.schedule {
            Some(expression) => expression.clone(),
            None => format!("events on {bus}"),
        }
    }
}

/// An EventBridge rule lade owns (tagged with the project, the stage and its function),
/// as EventBridge reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveRule {
    pub name: String,
    pub arn: String,
    pub bus: String,
    /// The physical name of the function it invokes (its `lade:function` tag).
    pub function: String,
    pub settings: RuleSettings,
    /// The ARN lade's target (id [`RULE_TARGET_ID`]) invokes, if the rule has it.
    pub target: Option<String>,
}

/// The id of the one target lade puts on each of its rules.
pub const RULE_TARGET_ID: &str = "lade";

/// An S3 bucket notification that invokes a function: one entry of the bucket's
/// `LambdaFunctionConfigurations`, with an id lade gives ([`Scope::notification_prefix`]
/// and a hash of the entry's identity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The entry's `Id`: `lade/<project>/<stage>/<8 hex digits>`.
    pub id: String,
    /// The bucket's name (the bucket is not lade's: it must exist).
    pub bucket: String,
    pub settings: NotificationSettings,
}

/// What an S3 notification reacts to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// S3 event types, e.g. `s3:ObjectCreated:*`; never empty.
    pub events: Vec<String>,
    /// Only keys that start with this (`FilterRules` `prefix`).
    pub prefix: Option<String>,
    /// Only keys that end with this (`FilterRules` `suffix`).
    pub suffix: Option<String>,
}

/// A notification entry of lade's (its id starts with this project's and stage's
/// prefix) on a bucket, as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveNotification {
    pub id: String,
    pub bucket: String,
    /// The physical name of the function it invokes (from its ARN).
    pub function: String,
    /// The ARN it invokes, as S3 holds it.
    pub function_arn: String,
    pub settings: NotificationSettings,
}

/// A bucket the manifest or one of lade's statements names, as S3 reports its
/// notification configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveBucket {
    /// lade's entries (this project and stage), in the order S3 lists them.
    pub notifications: Vec<LiveNotification>,
    /// Everything else in the configuration, as the AWS CLI writes it
    /// (`QueueConfigurations`, `TopicConfigurations`, others'
    /// `LambdaFunctionConfigurations`, `EventBridgeConfiguration`): never changed by
    /// lade, and shown by `--explain` in the configuration it writes back.
    pub others: Value,
}

/// An SNS topic a function subscribes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The topic's ARN (the topic is not lade's: it must exist).
    pub topic: String,
    /// The subscription's `FilterPolicy`, a JSON object; `None` for every message.
    pub filter: Option<Value>,
}

/// A subscription (protocol `lambda`) of a function lade owns to a topic, as SNS
/// reports it. Subscriptions cannot be tagged: it is lade's because its endpoint is an
/// owned function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSubscription {
    /// The subscription's ARN.
    pub arn: String,
    pub topic: String,
    /// The physical name of the function it invokes.
    pub function: String,
    pub filter: Option<Value>,
}

/// An event-source mapping on a function lade owns, as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveEventSource {
    /// The mapping's id, which Lambda assigns.
    pub uuid: String,
    /// The physical name of the function it invokes.
    pub function: String,
    /// The queue's or stream's ARN.
    pub arn: String,
    /// `Creating`, `Enabled`, `Disabled`, `Enabling`, `Disabling`, `Updating` or
    /// `Deleting`.
    pub state: String,
    pub settings: SourceSettings,
}

/// An environment variable's value as the manifest gives it, after variables are
/// resolved: text, possibly with references to other resources whose values are known
/// only once they exist (`${function:KEY.arn}`, `${role:KEY.arn}`, `${api.url}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvValue {
    pub parts: Vec<Part>,
    /// From `${env:…}`, a `--secret-var`, or listed under the function's `secrets:`.
    /// lade never shows, logs or saves a sensitive value.
    pub sensitive: bool,
}

impl EnvValue {
    /// Plain, non-sensitive text.
    pub fn text(text: impl Into<String>) -> Self {
        EnvValue {
            parts: vec![Part::Text(text.into())],
            sensitive: false,
        }
    }

    /// The value, when it holds no reference.
    pub fn as_text(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Ref(_) => return None,
            }
        }
        Some(out)
    }

    /// The references it holds.
    pub fn refs(&self) -> impl Iterator<Item = &CrossRef> {
        self.parts.iter().filter_map(|part| match part {
            Part::Ref(reference) => Some(reference),
            Part::Text(_) => None,
        })
    }
}

/// A piece of an [`EnvValue`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Ref(CrossRef),
}

/// A reference to a value of another resource, filled in at apply time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossRef {
    /// `${function:KEY.arn}`: the ARN of the function with this key.
    FunctionArn(String),
    /// `${role:KEY.arn}`: the ARN of the role with this key.
    RoleArn(String),
    /// `${api.url}`: the invoke URL of the project's API stage.
    ApiUrl,
    /// `${function:KEY.url}`: the function URL of the function with this key.
    FunctionUrl(String),
}

/// The `api:` section: one API per project and stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub settings: ApiSettings,
    pub routes: Vec<Route>,
    /// A REST API (v1) or an HTTP API (v2): `api.type`.
    pub protocol: ApiProtocol,
    /// The API Gateway stage name: `api.stage`, else the lade stage for a REST API and
    /// `$default` for an HTTP API.
    pub stage: String,
    /// `api.cors`, when it sets anything.
    pub cors: Option<Cors>,
    /// `api.authorizers`, by key.
    pub authorizers: BTreeMap<String, Authorizer>,
}

impl Api {
    /// A REST API with `routes` on stage `stage`, and no CORS or authorizers.
    pub fn rest(settings: ApiSettings, routes: Vec<Route>, stage: impl Into<String>) -> Api {
        Api {
            settings,
            routes,
            protocol: ApiProtocol::Rest,
            stage: stage.into(),
            cors: None,
            authorizers: BTreeMap::new(),
        }
    }
}

/// Which of API Gateway's two APIs: `api.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiProtocol {
    /// A REST API (API Gateway v1).
    #[default]
    Rest,
    /// An HTTP API (API Gateway v2).
    Http,
}

impl ApiProtocol {
    /// The manifest's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiProtocol::Rest => "rest",
            ApiProtocol::Http => "http",
        }
    }
}

/// The HTTP API stage served at the API's root, with no stage in the path.
pub const DEFAULT_HTTP_STAGE: &str = "$default";

/// The catch-all route key of an HTTP API.
pub const DEFAULT_ROUTE: &str = "$default";

/// An authorizer of `api.authorizers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Authorizer {
    /// An HTTP API's JWT authorizer.
    Jwt {
        issuer: String,
        audience: Vec<String>,
        /// In the HTTP-API notation (`$request.header.Authorization`).
        identity_source: Vec<String>,
    },
    /// A REST API's Cognito user-pool authorizer.
    Cognito {
        /// User pool ARNs.
        user_pools: Vec<String>,
        /// In the HTTP-API notation; see [`rest_identity_source`].
        identity_source: Vec<String>,
    },
    /// A Lambda authorizer: a function of this manifest.
    Lambda {
        /// The function's key.
        function: String,
        payload: LambdaPayload,
        /// In the HTTP-API notation; see [`rest_identity_source`].
        identity_source: Vec<String>,
        /// Seconds API Gateway caches the result; 0 disables the cache.
        ttl: u32,
    },
}

impl Authorizer {
    /// The manifest's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Authorizer::Jwt { .. } => "jwt",
            Authorizer::Cognito { .. } => "cognito",
            Authorizer::Lambda { .. } => "lambda",
        }
    }

    /// Where the credential is, in the HTTP-API notation.
    pub fn identity_source(&self) -> &[String] {
        match self {
            Authorizer::Jwt {
                identity_source, ..
            }
            | Authorizer::Cognito {
                identity_source, ..
            }
            | Authorizer::Lambda {
                identity_source, ..
            } => identity_source,
        }
    }

    /// Whether routes may ask it for OAuth scopes (JWT and Cognito authorizers).
    pub fn takes_scopes(&self) -> bool {
        !matches!(self, Authorizer::Lambda { .. })
    }
}

/// What a Lambda authorizer receives: REST's `TOKEN` (the credential alone) or
/// `REQUEST` (the request's headers, query and context). HTTP APIs always send the
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LambdaPayload {
    #[default]
    Token,
    Request,
}

impl LambdaPayload {
    /// API Gateway's spelling for a REST authorizer's type.
    pub fn as_str(self) -> &'static str {
        match self {
            LambdaPayload::Token => "TOKEN",
            LambdaPayload::Request => "REQUEST",
        }
    }
}

/// The default identity source, in the HTTP-API notation.
pub const DEFAULT_IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// An identity source in REST's notation: `$request.header.Authorization` becomes
/// `method.request.header.Authorization` (and `$request.querystring.`,
/// `$context.`, `$stageVariables.` likewise); several are joined with `, `, as REST
/// APIs take them in one string.
pub fn rest_identity_source(sources: &[String]) -> String {
    sources
        .iter()
        .map(|source| {
            if let Some(rest) = source.strip_prefix("$request.") {
                format!("method.request.{rest}")
            } else if let Some(rest) = source.strip_prefix("$context.") {
                format!("context.{rest}")
            } else if let Some(rest) = source.strip_prefix("$stageVariables.") {
                format!("stageVariables.{rest}")
            } else {
                source.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The REST API's own settings, as lade sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSettings {
    /// Physical name: `<project>-<stage>` unless the manifest sets `name:`.
    pub name: String,
    pub description: String,
    pub endpoint: Endpoint,
    pub binary_media_types: BTreeSet<String>,
}

/// Where API Gateway serves the API from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Endpoint {
    #[default]
    Regional,
    Edge,
}

impl Endpoint {
    /// API Gateway's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Regional => "REGIONAL",
            Endpoint::Edge => "EDGE",
        }
    }
}

/// One HTTP route: `METHOD /path` → function key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY; or `$default` for an HTTP
    /// API's catch-all route ([`DEFAULT_ROUTE`]).
    pub method: String,
    /// `/`-rooted, e.g. `/items/{id}` or `/admin/{proxy+}`; empty for `$default`.
    pub path: String,
    /// The function key the route invokes.
    pub function: String,
    pub authorization: Authorization,
    pub api_key_required: bool,
    /// The key of the authorizer (in `api.authorizers`) that guards the route.
    pub authorizer: Option<String>,
    /// OAuth scopes a token must carry (JWT and Cognito authorizers).
    pub scopes: Vec<String>,
}

impl Route {
    /// The route key as the manifest and API Gateway v2 write it: `GET /items`, or
    /// `$default`.
    pub fn key(&self) -> String {
        if self.is_default() {
            DEFAULT_ROUTE.to_owned()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }

    /// Whether this is an HTTP API's catch-all route.
    pub fn is_default(&self) -> bool {
        self.method == DEFAULT_ROUTE
    }
}

/// How callers of a route authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Authorization {
    #[default]
    None,
    AwsIam,
}

impl Authorization {
    /// API Gateway's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Authorization::None => "NONE",
            Authorization::AwsIam => "AWS_IAM",
        }
    }
}

/// A built deployment package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Base64 SHA-256 of `bytes`, the same encoding as Lambda's `CodeSha256`.
    pub sha256: String,
    /// The zip itself.
    pub bytes: std::sync::Arc<Vec<u8>>,
}

impl Artifact {
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// What the account holds that this project and stage own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    /// The region the account was read in, when the configuration names one.
    pub region: Option<String>,
    /// Owned roles, keyed by physical name.
    pub roles: BTreeMap<String, LiveRole>,
    /// Owned functions, keyed by physical name.
    pub functions: BTreeMap<String, LiveFunction>,
    /// Resources that carry a name the manifest wants but that lade does not own.
    pub foreign: Vec<Foreign>,
    /// The owned REST API, if there is one.
    pub api: Option<LiveApi>,
    /// IDs of further owned REST APIs: left over by an apply interrupted after
    /// `CreateRestApi` succeeded but before its answer arrived. They are deleted.
    pub extra_apis: Vec<String>,
    /// The owned HTTP API (API Gateway v2), if there is one.
    pub http_api: Option<LiveHttpApi>,
    /// IDs of further owned HTTP APIs (an interrupted `CreateApi`). They are deleted.
    pub extra_http_apis: Vec<String>,
    /// Each owned function's resource-policy statements, by function name.
    pub permissions: BTreeMap<String, Vec<Permission>>,
    /// The event-source mappings that invoke owned functions, by function name.
    pub event_sources: BTreeMap<String, Vec<LiveEventSource>>,
    /// The function URLs of owned functions, by function name (read only where the
    /// manifest asks for one or the function's `lade:url` tag says it has one).
    pub function_urls: BTreeMap<String, LiveFunctionUrl>,
    /// The EventBridge rules lade owns, by the name of the function each invokes.
    pub rules: BTreeMap<String, Vec<LiveRule>>,
    /// The buckets the manifest names (and those lade's S3 statements name), with
    /// their notification configurations, by bucket name; a missing bucket is absent.
    pub buckets: BTreeMap<String, LiveBucket>,
    /// The SNS subscriptions of owned functions, by function name, on the topics the
    /// manifest names (and those lade's SNS statements name).
    pub subscriptions: BTreeMap<String, Vec<LiveSubscription>>,
    /// The owned functions whose ownership was read consistently (`GetFunction`),
    /// not only from the lagging tagging index: see `live::confirm_owned`.
    pub confirmed: BTreeSet<String>,
    /// ARNs the manifest names that do not exist: a function's role given by ARN, a
    /// role's managed policy. The plan refuses them (see `live::missing_arns`).
    pub missing: BTreeSet<String>,
}

/// A REST API lade owns, as API Gateway reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveApi {
    pub id: String,
    pub settings: ApiSettings,
    pub tags: BTreeMap<String, String>,
    /// Every resource, by path; the root `/` included.
    pub resources: BTreeMap<String, LiveResource>,
    /// The stage the manifest names (`api.stage`, by default the lade stage), if it
    /// exists.
    pub stage: Option<LiveStage>,
    /// The API's other stages, which lade never changes; pruning leaves the
    /// deployments they (or their canaries) point at alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_stages: Vec<LiveStage>,
    /// Every deployment, newest first.
    pub deployments: Vec<LiveDeployment>,
}

/// A resource (one path) of a REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveResource {
    pub id: String,
    pub path: String,
    /// By HTTP method (`GET`, `ANY`, ...).
    pub methods: BTreeMap<String, LiveMethod>,
}

/// A method of a resource, with its integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveMethod {
    pub authorization: String,
    pub api_key_required: bool,
    pub integration: Option<LiveIntegration>,
}

/// Where a method sends requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveIntegration {
    /// `AWS_PROXY` for a Lambda proxy integration.
    pub kind: String,
    /// The method API Gateway uses to call the backend: always `POST` for Lambda.
    pub http_method: String,
    pub uri: String,
}

/// A REST API stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStage {
    pub name: String,
    pub deployment_id: String,
    /// The deployment the stage's canary serves, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_deployment_id: Option<String>,
    /// The stage's tags: lade tags each stage it creates with the ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl LiveApi {
    /// The API's other stages that lade made, which it deletes once it has moved the
    /// API to the stage the manifest names (`api.stage`): those tagged with every
    /// ownership tag of `scope` (lade tags the stages it creates), and the stage named
    /// after the lade stage, which lade used before `api.stage` existed and created
    /// without tags. A stage made outside lade is never among them.
    pub fn previous_stages<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a LiveStage> {
        let tags = scope.ownership_tags();
        self.other_stages.iter().filter(move |stage| {
            stage.name == scope.stage || tags.iter().all(|(k, v)| stage.tags.get(k) == Some(v))
        })
    }

    /// The deployments a stage or a canary points at: API Gateway refuses to delete
    /// them ("Active stages pointing to this deployment must be moved or deleted").
    pub fn deployments_in_use(&self) -> BTreeSet<&str> {
        self.stage
            .iter()
            .chain(&self.other_stages)
            .flat_map(|stage| {
                std::iter::once(stage.deployment_id.as_str())
                    .chain(stage.canary_deployment_id.as_deref())
            })
            .collect()
    }
}

/// A REST API deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveDeployment {
    pub id: String,
    /// Seconds since the Unix epoch.
    pub created: i64,
}

/// One statement of a function's resource policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub sid: String,
    /// The service principal, e.g. `apigateway.amazonaws.com`.
    pub principal: String,
    pub action: String,
    /// The `AWS:SourceArn` condition, if any.
    pub source_arn: Option<String>,
    /// The `AWS:SourceAccount` condition, if any (S3's statements have one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_account: Option<String>,
}

/// A role lade owns, as IAM reports it (documents already URL-decoded and parsed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub trust_policy: Value,
    pub managed_policies: BTreeSet<String>,
    pub inline_policies: BTreeMap<String, Value>,
    /// The permissions boundary's policy ARN (`GetRole`; `ListRoles` leaves it out).
    #[serde(default)]
    pub boundary: Option<String>,
}

/// A function lade owns, as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveFunction {
    pub name: String,
    pub arn: String,
    pub handler: String,
    pub runtime: String,
    pub role_arn: String,
    pub memory: i32,
    pub timeout: i32,
    pub environment: BTreeMap<String, String>,
    pub description: String,
    pub architecture: Architecture,
    /// Base64 SHA-256 of the deployed zip.
    pub code_sha256: String,
    pub code_size: i64,
    /// Lambda's revision id; part of the fingerprint a plan records.
    pub revision_id: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

/// A resource with a name lade wants, that lade does not own. lade never touches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foreign {
    pub kind: ResourceKind,
    pub name: String,
    /// Why it is not ours, e.g. "it has no lade:project tag".
    pub reason: String,
}

/// The kinds of resource lade manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Role,
    Function,
    Api,
    Route,
    Permission,
    Deployment,
    /// A queue or stream that invokes a function.
    Trigger,
    /// A function's URL, and the public permissions of one without auth.
    #[serde(rename = "url")]
    FunctionUrl,
    /// An EventBridge rule (a schedule or an event pattern) that invokes a function.
    Rule,
    /// An HTTP API (API Gateway v2) and its parts: integrations, routes, authorizers,
    /// stage and invoke permissions.
    HttpApi,
    /// An S3 bucket notification that invokes a function, and its permission.
    Notification,
    /// An SNS subscription of a function to a topic, and its permission.
    Subscription,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Role => "role",
            ResourceKind::Function => "function",
            ResourceKind::Api => "api",
            ResourceKind::Route => "route",
            ResourceKind::Permission => "permission",
            ResourceKind::Deployment => "deployment",
            ResourceKind::Trigger => "trigger",
            ResourceKind::FunctionUrl => "url",
            ResourceKind::Rule => "rule",
            ResourceKind::HttpApi => "http_api",
            ResourceKind::Notification => "notification",
            ResourceKind::Subscription => "subscription",
        }
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP API (API Gateway v2) lade owns, as API Gateway reports it: its settings
/// (`GetApis`), and its routes, integrations, authorizers and stages (one listing
/// each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveHttpApi {
    pub id: String,
    pub settings: HttpApiSettings,
    pub tags: BTreeMap<String, String>,
    /// By route key (`GET /items/{id}`, `$default`).
    pub routes: BTreeMap<String, LiveHttpRoute>,
    /// By integration ID.
    pub integrations: BTreeMap<String, LiveHttpIntegration>,
    /// By name (lade names each after its key in `authorizers:`).
    pub authorizers: BTreeMap<String, LiveHttpAuthorizer>,
    /// By stage name.
    pub stages: BTreeMap<String, LiveHttpStage>,
}

impl LiveHttpApi {
    /// The integration that calls `uri` as lade makes them (`AWS_PROXY`, payload 2.0).
    pub fn integration_for(&self, uri: &str) -> Option<&LiveHttpIntegration> {
        self.integrations.values().find(|i| i.is_lades(uri))
    }
}

/// An HTTP API's own settings, as lade sets them (`CreateApi`, `UpdateApi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpApiSettings {
    /// Physical name, as the REST API's: `<project>-<stage>` unless `name:` is set.
    pub name: String,
    pub description: String,
    /// Its `CorsConfiguration`; `None` for none.
    pub cors: Option<Cors>,
}

/// How a route of an HTTP API is authorized.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpRouteAuth {
    /// `NONE`, `AWS_IAM`, `JWT` or `CUSTOM` (a Lambda authorizer).
    pub kind: String,
    /// The authorizer's ID, for `JWT` and `CUSTOM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    /// `AuthorizationScopes`, for `JWT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// A route of an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveHttpRoute {
    pub id: String,
    /// `GET /items/{id}`, `ANY /{proxy+}` or `$default`.
    pub key: String,
    /// `integrations/<ID>`, if the route has a target.
    pub target: Option<String>,
    pub auth: HttpRouteAuth,
}

/// What the target of a route sending to integration `id` reads.
pub fn http_route_target(integration_id: &str) -> String {
    format!("integrations/{integration_id}")
}

/// An integration of an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveHttpIntegration {
    pub id: String,
    /// `AWS_PROXY` for a Lambda proxy integration.
    pub kind: String,
    /// For Lambda: the function's ARN.
    pub uri: String,
    /// `2.0` as lade makes them.
    pub payload_format: String,
}

/// The payload format version of lade's Lambda integrations and authorizers.
pub const HTTP_PAYLOAD_FORMAT: &str = "2.0";

impl LiveHttpIntegration {
    /// Whether it is a Lambda proxy integration of `uri` at payload 2.0, as lade makes it.
    pub fn is_lades(&self, uri: &str) -> bool {
        self.kind == "AWS_PROXY" && self.uri == uri && self.payload_format == HTTP_PAYLOAD_FORMAT
    }
}

/// An authorizer of an HTTP API as lade sets it (and as API Gateway reports it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HttpAuthorizerSettings {
    /// `JWT`: tokens issued by `issuer` for one of `audience`.
    Jwt {
        identity_source: Vec<String>,
        issuer: String,
        audience: Vec<String>,
    },
    /// `REQUEST`: a Lambda function, payload 2.0, with simple responses.
    Lambda {
        identity_source: Vec<String>,
        /// The authorizer URI: `arn:…:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`.
        uri: String,
        /// Seconds a result is cached; 0 disables caching.
        ttl: i32,
        payload_format: String,
        simple_responses: bool,
    },
}

impl HttpAuthorizerSettings {
    /// API Gateway's `AuthorizerType`.
    pub fn api_type(&self) -> &'static str {
        match self {
            HttpAuthorizerSettings::Jwt { .. } => "JWT",
            HttpAuthorizerSettings::Lambda { .. } => "REQUEST",
        }
    }

    /// The route `AuthorizationType` that uses this authorizer.
    pub fn route_auth_kind(&self) -> &'static str {
        match self {
            HttpAuthorizerSettings::Jwt { .. } => "JWT",
            HttpAuthorizerSettings::Lambda { .. } => "CUSTOM",
        }
    }

    pub fn identity_source(&self) -> &[String] {
        match self {
            HttpAuthorizerSettings::Jwt {
                identity_source, ..
            }
            | HttpAuthorizerSettings::Lambda {
                identity_source, ..
            } => identity_source,
        }
    }
}

/// An authorizer of an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveHttpAuthorizer {
    pub id: String,
    pub name: String,
    pub settings: HttpAuthorizerSettings,
}

/// A stage of an HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveHttpStage {
    pub name: String,
    /// Whether every change to the API is deployed to the stage at once.
    pub auto_deploy: bool,
}
