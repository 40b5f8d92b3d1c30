//! Lambda: functions, found by their tags through the Resource Groups Tagging API, and
//! each function's resource policy (the statements that let API Gateway invoke it).
//! See the parent module for the idempotency contract.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::CloudError;
use crate::model::{Architecture, LiveFunction, Permission};

/// The configuration fields of a function that `UpdateFunctionConfiguration` sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionConfig {
    pub handler: String,
    pub runtime: String,
    pub role_arn: String,
    pub memory: i32,
    pub timeout: i32,
    pub environment: BTreeMap<String, String>,
    pub description: String,
}

/// A function as lade creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFunction {
    pub name: String,
    pub config: FunctionConfig,
    pub architecture: Architecture,
    pub zip: Arc<Vec<u8>>,
    pub tags: BTreeMap<String, String>,
}

/// How many `ListFunctions` pages (of 50) a read pages through at most, before the
/// names still missing are looked up with `GetFunction`: an account may hold thousands
/// of functions, and paging through all of them on every run to find the few a
/// project wants (and that do not exist yet) would cost more than asking for each.
pub const LIST_PAGES: usize = 2;

/// What [`LambdaApi::list_functions`] read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// The functions listed, without tags.
    pub functions: Vec<LiveFunction>,
    /// Whether every wanted function that exists is in `functions`: every wanted name
    /// was seen, or the last page was read. `false` when paging stopped at
    /// [`LIST_PAGES`].
    pub complete: bool,
}

/// What one synchronous `Invoke` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The HTTP status code: 200 for a synchronous invocation that ran, whether the
    /// function succeeded or not (Lambda's `StatusCode`).
    pub status: i32,
    /// What the function returned, or its error as JSON when `function_error` is set.
    pub payload: Vec<u8>,
    /// Lambda's `FunctionError` (`Unhandled`, or `Handled` for some runtimes): set when
    /// the function raised, timed out or crashed.
    pub function_error: Option<String>,
    /// The last 4 KB of the invocation's log, decoded from `LogResult`'s base64.
    pub log_tail: Option<String>,
    /// The version that ran (`$LATEST` when the function has no alias in front).
    pub executed_version: Option<String>,
}

/// The Lambda reads and writes lade needs.
#[async_trait]
pub trait LambdaApi: Send + Sync {
    // ---- reads: never mutate, "not found" is `Ok(None)` ----

    /// The functions tagged with every one of `tags`, by name, each with all its tags
    /// (one tagging-API `GetResources`, paginated). The tagging index is eventually
    /// consistent: a function tagged moments ago may be missing, and one deleted
    /// moments ago may still be listed.
    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError>;
    /// The account's functions with their configuration and code hash but **without
    /// tags** (`tags` left empty), read with `ListFunctions` 50 to a page. Paging stops
    /// after the page on which the last of `wanted` was seen, or after
    /// [`LIST_PAGES`] pages, so the answer may hold other functions too.
    /// [`Listing::complete`] says whether it holds every function of `wanted` that
    /// exists; when it does not, the caller looks the missing names up one by one. An
    /// empty `wanted` makes no request.
    async fn list_functions(&self, wanted: &BTreeSet<String>) -> Result<Listing, CloudError>;
    /// One function by name with its configuration, code hash and tags, whoever owns it.
    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError>;
    /// The statements of a function's resource policy; none when it has no policy.
    async fn get_function_permissions(&self, function: &str)
    -> Result<Vec<Permission>, CloudError>;

    // ---- writes ----

    /// Creates the function, retrying while a new role propagates, and waits for
    /// `State=Active`. Returns its ARN. An existing function with the same name and
    /// ownership tags counts as success.
    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError>;
    /// Sets the configuration, then waits for `LastUpdateStatus=Successful`.
    async fn update_function_configuration(
        &self,
        name: &str,
        config: &FunctionConfig,
    ) -> Result<(), CloudError>;
    /// Uploads new code, then waits for `LastUpdateStatus=Successful`.
    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError>;
    async fn tag_function(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError>;
    async fn untag_function(&self, arn: &str, keys: &[String]) -> Result<(), CloudError>;
    async fn delete_function(&self, name: &str) -> Result<(), CloudError>;
    /// Lets `principal` invoke `function` from `source_arn` (and, when given, only
    /// for resources of `source_account`: S3 bucket ARNs name no account), as
    /// statement `statement_id`. A statement with that id already there, the same,
    /// counts as success; a different one under that id is replaced.
    async fn add_permission(
        &self,
        function: &str,
        statement_id: &str,
        principal: &str,
        source_arn: &str,
        source_account: Option<&str>,
    ) -> Result<(), CloudError>;
    async fn remove_permission(&self, function: &str, statement_id: &str)
    -> Result<(), CloudError>;

    // ---- the data plane ----

    /// Invokes the function synchronously (`RequestResponse`) with `payload` as its
    /// event, asking for the log tail (`LogType=Tail`). A function error is an
    /// [`Invocation`] with `function_error` set, not an `Err`. Not retried after a sent
    /// attempt that failed: the function may have run.
    async fn invoke(&self, name: &str, payload: Vec<u8>) -> Result<Invocation, CloudError>;
}
