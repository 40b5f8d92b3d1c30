//! Lambda operations: functions, their code and tags, and their resource policies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diff::Ref;
use crate::diff::env::PlannedValue;
use crate::model::{Architecture, PublicStatement, SourceKind, SourceSettings, UrlSettings};

/// A function's configuration as planned. The role may be one this plan creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSettings {
    pub handler: String,
    pub runtime: String,
    pub role: Ref,
    pub memory: i32,
    pub timeout: i32,
    pub environment: BTreeMap<String, PlannedValue>,
    pub description: String,
}

/// The package a step uploads: apply rebuilds it and checks the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRef {
    /// The function key whose `source` builds it.
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// What a source permission lets invoke a function: a bucket's notifications or a
/// topic's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionSource {
    /// An S3 bucket, by name: principal `s3.amazonaws.com`, `SourceArn` the bucket's
    /// ARN, and `SourceAccount` the function's account (a bucket ARN names no account,
    /// and bucket names can move to another account once deleted).
    Bucket(String),
    /// An SNS topic, by ARN: principal `sns.amazonaws.com`, `SourceArn` the topic.
    Topic(String),
}

impl PermissionSource {
    /// The service principal it invokes as.
    pub fn principal(&self) -> &'static str {
        match self {
            PermissionSource::Bucket(_) => crate::arn::S3_PRINCIPAL,
            PermissionSource::Topic(_) => crate::arn::SNS_PRINCIPAL,
        }
    }

    /// Its `SourceArn`, in the partition of `function_arn`.
    pub fn source_arn(&self, function_arn: &str) -> Option<String> {
        match self {
            PermissionSource::Bucket(bucket) => crate::arn::bucket_arn(function_arn, bucket),
            PermissionSource::Topic(topic) => Some(topic.clone()),
        }
    }

    /// Its `SourceAccount`: the function's account for a bucket, none for a topic (its
    /// ARN names the account).
    pub fn source_account<'a>(&self, function_arn: &'a str) -> Option<&'a str> {
        match self {
            PermissionSource::Bucket(_) => crate::arn::account_of(function_arn),
            PermissionSource::Topic(_) => None,
        }
    }

    /// The source for people: `bucket uploads` or `topic arn:…`.
    pub fn what(&self) -> String {
        match self {
            PermissionSource::Bucket(bucket) => format!("bucket {bucket}"),
            PermissionSource::Topic(topic) => format!("topic {topic}"),
        }
    }
}

/// One Lambda call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LambdaOp {
    CreateFunction {
        name: String,
        settings: FunctionSettings,
        architecture: Architecture,
        code: CodeRef,
        tags: BTreeMap<String, String>,
    },
    UpdateFunctionConfiguration {
        name: String,
        /// The function's ARN, to record what was applied in its `lade:config` tag.
        arn: String,
        settings: FunctionSettings,
    },
    UpdateFunctionCode {
        name: String,
        code: CodeRef,
        architecture: Architecture,
    },
    TagFunction {
        name: String,
        arn: String,
        tags: BTreeMap<String, String>,
    },
    UntagFunction {
        name: String,
        arn: String,
        keys: Vec<String>,
    },
    DeleteFunction {
        name: String,
    },
    AddPermission {
        function: String,
        statement_id: String,
        function_arn: Ref,
        api: Ref,
    },
    RemovePermission {
        function: String,
        statement_id: String,
    },
    /// The statement that lets an API's authorizer call the function, scoped to the
    /// authorizer's ARN (`…:execute-api:REGION:ACCOUNT:API_ID/authorizers/ID`).
    AddAuthorizerPermission {
        function: String,
        statement_id: String,
        function_arn: Ref,
        api: Ref,
        authorizer: Ref,
    },
    /// The statement that lets one EventBridge rule invoke the function, scoped to the
    /// rule's ARN.
    AddRulePermission {
        function: String,
        statement_id: String,
        function_arn: Ref,
        rule: String,
        bus: String,
    },
    RemoveRulePermission {
        function: String,
        statement_id: String,
        rule: String,
    },
    /// The statement that lets one bucket or topic invoke the function, scoped to it.
    AddSourcePermission {
        function: String,
        statement_id: String,
        function_arn: Ref,
        source: PermissionSource,
    },
    RemoveSourcePermission {
        function: String,
        statement_id: String,
        source: PermissionSource,
    },
    CreateEventSourceMapping {
        function: String,
        kind: SourceKind,
        /// The queue's or stream's ARN.
        source: String,
        settings: SourceSettings,
    },
    UpdateEventSourceMapping {
        function: String,
        /// The mapping's id.
        uuid: String,
        kind: SourceKind,
        source: String,
        settings: SourceSettings,
    },
    DeleteEventSourceMapping {
        function: String,
        uuid: String,
        source: String,
    },
    /// Marks the function with `lade:url` (so that later reads look for its URL), then
    /// creates the URL.
    CreateFunctionUrlConfig {
        function: String,
        function_arn: Ref,
        settings: UrlSettings,
    },
    UpdateFunctionUrlConfig {
        function: String,
        settings: UrlSettings,
    },
    /// Deletes the URL, then the function's `lade:url` mark.
    DeleteFunctionUrlConfig {
        function: String,
        function_arn: String,
    },
    /// One public statement of a URL without auth.
    AddUrlPermission {
        function: String,
        statement: PublicStatement,
    },
    RemoveUrlPermission {
        function: String,
        statement: PublicStatement,
    },
}

impl LambdaOp {
    /// The existing function this step changes or deletes (its configuration, code,
    /// tags or resource policy), whose ownership must be confirmed before it runs;
    /// `None` for a create, which makes its function.
    pub fn changes_function(&self) -> Option<&str> {
        match self {
            LambdaOp::CreateFunction { .. } => None,
            LambdaOp::UpdateFunctionConfiguration { name, .. }
            | LambdaOp::UpdateFunctionCode { name, .. }
            | LambdaOp::TagFunction { name, .. }
            | LambdaOp::UntagFunction { name, .. }
            | LambdaOp::DeleteFunction { name } => Some(name),
            // What invokes a function changes it too: a queue mapped to a function
            // someone else now holds would invoke theirs.
            LambdaOp::AddPermission { function, .. }
            | LambdaOp::AddAuthorizerPermission { function, .. }
            | LambdaOp::RemovePermission { function, .. }
            | LambdaOp::AddRulePermission { function, .. }
            | LambdaOp::RemoveRulePermission { function, .. }
            | LambdaOp::AddSourcePermission { function, .. }
            | LambdaOp::RemoveSourcePermission { function, .. }
            | LambdaOp::CreateEventSourceMapping { function, .. }
            | LambdaOp::UpdateEventSourceMapping { function, .. }
            | LambdaOp::DeleteEventSourceMapping { function, .. }
            | LambdaOp::CreateFunctionUrlConfig { function, .. }
            | LambdaOp::UpdateFunctionUrlConfig { function, .. }
            | LambdaOp::DeleteFunctionUrlConfig { function, .. }
            | LambdaOp::AddUrlPermission { function, .. }
            | LambdaOp::RemoveUrlPermission { function, .. } => Some(function),
        }
    }

    /// The AWS API operation, e.g. `CreateFunction`.
    pub fn api_call(&self) -> &'static str {
        match self {
            LambdaOp::CreateFunction { .. } => "CreateFunction",
            LambdaOp::UpdateFunctionConfiguration { .. } => "UpdateFunctionConfiguration",
            LambdaOp::UpdateFunctionCode { .. } => "UpdateFunctionCode",
            LambdaOp::TagFunction { .. } => "TagResource",
            LambdaOp::UntagFunction { .. } => "UntagResource",
            LambdaOp::DeleteFunction { .. } => "DeleteFunction",
            LambdaOp::AddPermission { .. } => "AddPermission",
            LambdaOp::AddAuthorizerPermission { .. } => "AddPermission",
            LambdaOp::RemovePermission { .. } => "RemovePermission",
            LambdaOp::AddRulePermission { .. } => "AddPermission",
            LambdaOp::RemoveRulePermission { .. } => "RemovePermission",
            LambdaOp::AddSourcePermission { .. } => "AddPermission",
            LambdaOp::RemoveSourcePermission { .. } => "RemovePermission",
            LambdaOp::CreateEventSourceMapping { .. } => "CreateEventSourceMapping",
            LambdaOp::UpdateEventSourceMapping { .. } => "UpdateEventSourceMapping",
            LambdaOp::DeleteEventSourceMapping { .. } => "DeleteEventSourceMapping",
            LambdaOp::CreateFunctionUrlConfig { .. } => "CreateFunctionUrlConfig",
            LambdaOp::UpdateFunctionUrlConfig { .. } => "UpdateFunctionUrlConfig",
            LambdaOp::DeleteFunctionUrlConfig { .. } => "DeleteFunctionUrlConfig",
            LambdaOp::AddUrlPermission { .. } => "AddPermission",
            LambdaOp::RemoveUrlPermission { .. } => "RemovePermission",
        }
    }

    /// A one-line description for people.
    pub fn describe(&self) -> String {
        match self {
            LambdaOp::CreateFunction { name, .. } => format!("create function {name}"),
            LambdaOp::UpdateFunctionConfiguration { name, .. } => {
                format!("update configuration of function {name}")
            }
            LambdaOp::UpdateFunctionCode { name, .. } => format!("update code of function {name}"),
            LambdaOp::TagFunction { name, .. } => format!("tag function {name}"),
            LambdaOp::UntagFunction { name, .. } => format!("untag function {name}"),
            LambdaOp::DeleteFunction { name } => format!("delete function {name}"),
            LambdaOp::AddPermission { function, .. } => {
                format!("allow the API to invoke function {function}")
            }
            LambdaOp::RemovePermission { function, .. } => {
                format!("remove the API's permission to invoke function {function}")
            }
            LambdaOp::AddAuthorizerPermission { function, .. } => {
                format!("allow the API's authorizer to invoke function {function}")
            }
            LambdaOp::AddRulePermission { function, rule, .. } => {
                format!("let rule {rule} invoke function {function}")
            }
            LambdaOp::RemoveRulePermission { function, rule, .. } => {
                format!("remove rule {rule}'s permission to invoke function {function}")
            }
            LambdaOp::AddSourcePermission {
                function, source, ..
            } => format!("let {} invoke function {function}", source.what()),
            LambdaOp::RemoveSourcePermission {
                function, source, ..
            } => format!(
                "remove {}'s permission to invoke function {function}",
                source.what()
            ),
            LambdaOp::CreateEventSourceMapping {
                function, source, ..
            } => format!("let {source} invoke function {function}"),
            LambdaOp::UpdateEventSourceMapping {
                function, source, ..
            } => format!("update how {source} invokes function {function}"),
            LambdaOp::DeleteEventSourceMapping {
                function, source, ..
            } => format!("stop {source} invoking function {function}"),
            LambdaOp::CreateFunctionUrlConfig {
                function, settings, ..
            } => format!(
                "give function {function} a URL (auth {})",
                settings.auth.as_str()
            ),
            LambdaOp::UpdateFunctionUrlConfig { function, .. } => {
                format!("update the URL of function {function}")
            }
            LambdaOp::DeleteFunctionUrlConfig { function, .. } => {
                format!("delete the URL of function {function}")
            }
            LambdaOp::AddUrlPermission {
                function,
                statement,
            } => format!(
                "let anyone call the URL of function {function} ({})",
                statement.action()
            ),
            LambdaOp::RemoveUrlPermission {
                function,
                statement,
            } => format!(
                "stop letting anyone call the URL of function {function} ({})",
                statement.action()
            ),
        }
    }

    /// Whether the step removes something.
    pub fn is_delete(&self) -> bool {
        match self {
            LambdaOp::DeleteFunction { .. }
            | LambdaOp::RemovePermission { .. }
            | LambdaOp::DeleteEventSourceMapping { .. }
            | LambdaOp::DeleteFunctionUrlConfig { .. }
            | LambdaOp::RemoveUrlPermission { .. }
            | LambdaOp::RemoveRulePermission { .. }
            | LambdaOp::RemoveSourcePermission { .. } => true,
            LambdaOp::CreateFunction { .. }
            | LambdaOp::UpdateFunctionConfiguration { .. }
            | LambdaOp::UpdateFunctionCode { .. }
            | LambdaOp::TagFunction { .. }
            | LambdaOp::UntagFunction { .. }
            | LambdaOp::AddPermission { .. }
            | LambdaOp::AddAuthorizerPermission { .. }
            | LambdaOp::AddRulePermission { .. }
            | LambdaOp::AddSourcePermission { .. }
            | LambdaOp::CreateEventSourceMapping { .. }
            | LambdaOp::UpdateEventSourceMapping { .. }
            | LambdaOp::CreateFunctionUrlConfig { .. }
            | LambdaOp::UpdateFunctionUrlConfig { .. }
            | LambdaOp::AddUrlPermission { .. } => false,
        }
    }
}
