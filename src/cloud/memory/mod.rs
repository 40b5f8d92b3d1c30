//! An in-memory [`Cloud`](super::Cloud), for testing the engine without AWS.
//!
//! It keeps roles and functions in maps, follows the idempotency contract of the
//! traits, and records every call by its AWS operation name, so tests can assert
//! exactly which calls a plan or an apply made (a no-op apply must make no mutating
//! call at all). A paginated read is recorded once per page where the read-count tests
//! rely on it: `ListFunctions` pages hold [`LIST_PAGE`] functions, in name order, like
//! Lambda's.
//!
//! Each service's trait is implemented in its own file, with the operations it records
//! in one enum there. Each enum says of every operation whether it reads, in a `match`
//! without a wildcard arm, so an operation cannot be added and left out of
//! [`MemoryCloud::mutations`]'s reckoning.

mod account;
mod apigateway;
mod event_sources;
mod events;
mod function_urls;
mod http_api;
mod iam;
mod lambda;
mod s3;
mod sns;

pub use events::rule_arn;
pub use s3::MemoryBucket;
pub use sns::MemorySubscription;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine;
use sha2::{Digest, Sha256};

use super::CloudError;
use crate::model::{LiveApi, LiveEventSource, LiveFunction, LiveRole, LiveRule, Permission};

/// The account ID the double puts in ARNs.
pub const ACCOUNT: &str = "123456789012";

/// The state of the fake account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub roles: BTreeMap<String, LiveRole>,
    pub functions: BTreeMap<String, LiveFunction>,
    /// REST APIs by ID, with their resources, stage and deployments.
    pub apis: BTreeMap<String, LiveApi>,
    /// HTTP APIs (API Gateway v2) by ID, with their routes, integrations,
    /// authorizers and stages.
    pub http_apis: BTreeMap<String, crate::model::LiveHttpApi>,
    /// Each function's resource-policy statements, by function name.
    pub permissions: BTreeMap<String, Vec<Permission>>,
    /// Event-source mappings by id.
    pub event_sources: BTreeMap<String, LiveEventSource>,
    /// Function URLs by function name.
    pub function_urls: BTreeMap<String, crate::model::LiveFunctionUrl>,
    /// EventBridge rules with their tags, by `<bus>/<name>`.
    pub rules: BTreeMap<String, (LiveRule, BTreeMap<String, String>)>,
    /// S3 buckets (which lade never creates) with their notification
    /// configurations, by name.
    pub buckets: BTreeMap<String, MemoryBucket>,
    /// SNS topics (which lade never creates) with their subscriptions, by ARN.
    pub topics: BTreeMap<String, Vec<MemorySubscription>>,
    /// The account's own managed policies, by ARN. AWS managed policies
    /// (`arn:…:iam::aws:policy/…`) all exist in the double.
    pub policies: BTreeSet<String>,
    /// Source of IDs and deployment times: counts up, so IDs are deterministic.
    pub counter: u64,
}

impl Account {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }
}

/// How many functions one `ListFunctions` page holds, as Lambda's default.
pub const LIST_PAGE: usize = 50;

/// Something another client does to the account, at a moment a test chooses.
type Hook = Arc<dyn Fn(&mut Account) + Send + Sync>;

/// An AWS operation the double records: a variant of one service's enum, named as AWS
/// names the operation.
trait Operation: fmt::Debug + Copy {
    /// Whether the operation only reads.
    fn is_read(self) -> bool;

    /// The operation's AWS name, e.g. `CreateFunction`: the variant's name.
    fn name(self) -> String {
        format!("{self:?}")
    }
}

/// One recorded call.
#[derive(Debug, Clone)]
struct Call {
    operation: String,
    read: bool,
}

/// An in-memory account that records calls.
#[derive(Default)]
pub struct MemoryCloud {
    pub account: Mutex<Account>,
    calls: Mutex<Vec<Call>>,
    /// By operation: run on the account just before each call of it.
    hooks: Mutex<Vec<(String, Hook)>>,
    /// A lagging tagging index: when set, `GetResources` answers from these tags by
    /// function name (see [`MemoryCloud::freeze_tag_index`]).
    tag_index: Mutex<Option<BTreeMap<String, BTreeMap<String, String>>>>,
}

impl fmt::Debug for MemoryCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCloud")
            .field("account", &self.account)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl MemoryCloud {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call so far, by AWS operation name, in order.
    pub fn calls(&self) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls.iter().map(|call| call.operation.clone()).collect()
    }

    /// Only the mutating calls so far.
    pub fn mutations(&self) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|call| !call.read)
            .map(|call| call.operation.clone())
            .collect()
    }

    pub fn clear_calls(&self) {
        self.calls.lock().unwrap().clear();
    }

    pub fn snapshot(&self) -> Account {
        self.account.lock().unwrap().clone()
    }

    /// Runs `hook` on the account just before every later call of `operation` (an AWS
    /// operation name, as [`calls`](Self::calls) records it), as if another client
    /// acted at that moment: another apply of the same project, or a read that lags.
    pub fn before(&self, operation: &str, hook: impl Fn(&mut Account) + Send + Sync + 'static) {
        self.hooks
            .lock()
            .unwrap()
            .push((operation.to_string(), Arc::new(hook)));
    }

    /// From now on, the tagging API answers from the functions and tags the account
    /// holds at this moment, as AWS's eventually consistent index can for hours: it
    /// keeps listing a function deleted since (with its old tags), and does not list
    /// one created or tagged since. Every other read stays consistent.
    pub fn freeze_tag_index(&self) {
        let account = self.account.lock().unwrap();
        let index = account
            .functions
            .values()
            .map(|f| (f.name.clone(), f.tags.clone()))
            .collect();
        *self.tag_index.lock().unwrap() = Some(index);
    }

    /// The tags the tagging API answers with, by function name: the frozen index, or
    /// the account's own.
    fn tag_index(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        if let Some(index) = self.tag_index.lock().unwrap().as_ref() {
            return index.clone();
        }
        let account = self.account.lock().unwrap();
        account
            .functions
            .values()
            .map(|f| (f.name.clone(), f.tags.clone()))
            .collect()
    }

    /// Records a call, after running the hooks for it. Every method calls this first,
    /// before it takes the account's lock.
    fn record(&self, operation: impl Operation) {
        self.run_hooks(operation);
        self.push(operation);
    }

    /// Records a call without running its hooks: for the second and later pages of
    /// one paginated read.
    fn push(&self, operation: impl Operation) {
        self.calls.lock().unwrap().push(Call {
            operation: operation.name(),
            read: operation.is_read(),
        });
    }

    /// Runs the hooks for `operation`; the account's lock must not be held.
    fn run_hooks(&self, operation: impl Operation) {
        let name = operation.name();
        let hooks: Vec<Hook> = self
            .hooks
            .lock()
            .unwrap()
            .iter()
            .filter(|(operation, _)| *operation == name)
            .map(|(_, hook)| hook.clone())
            .collect();
        for hook in hooks {
            hook(&mut self.account.lock().unwrap());
        }
    }
}

/// Whether `arn` names an AWS managed policy: `arn:<partition>:iam::aws:policy/…`.
fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
        && arn
            .split(':')
            .nth(5)
            .is_some_and(|r| r.starts_with("policy/"))
}

fn no_such(kind: &str, name: &str) -> CloudError {
    CloudError::Service {
        operation: "memory".into(),
        message: format!("no such {kind} `{name}`"),
    }
}

/// Base64 SHA-256, Lambda's `CodeSha256`.
pub fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}
