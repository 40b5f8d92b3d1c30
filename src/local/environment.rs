//! The environment a local run sees: the manifest's, with references resolved.
//!
//! Text (with `${stage}`, vars and params already resolved by the manifest loader, and
//! `${env:...}` read from this machine's environment) is used as it is. A reference to
//! another resource (`${function:KEY.arn}`, `${role:KEY.arn}`, `${api.url}`) takes its
//! live value when the account was read and the resource is deployed, and otherwise a
//! placeholder that says why, e.g. `<function:KEY.arn: not deployed>`.

use std::collections::BTreeMap;

use crate::arn::invoke_url;
use crate::model::{CrossRef, Desired, Function, Live, Part};

/// What a local run knows of the account.
#[derive(Debug, Clone, PartialEq)]
pub enum Deployed {
    /// The account was read.
    Read(Box<Live>),
    /// It was not: no AWS configuration, or AWS did not answer (the reason).
    Unknown(String),
}

impl Deployed {
    pub fn live(&self) -> Option<&Live> {
        match self {
            Deployed::Read(live) => Some(live),
            Deployed::Unknown(_) => None,
        }
    }

    /// The function's live ARN, if it is deployed.
    pub fn function_arn(&self, desired: &Desired, key: &str) -> Option<String> {
        let name = &desired.functions.get(key)?.name;
        Some(self.live()?.functions.get(name)?.arn.clone())
    }

    /// The deployed REST API's ID, if any.
    pub fn api_id(&self) -> Option<String> {
        Some(self.live()?.api.as_ref()?.id.clone())
    }

    /// The account ID, read from any deployed function's or role's ARN.
    pub fn account_id(&self) -> Option<String> {
        let live = self.live()?;
        let arn = live
            .functions
            .values()
            .map(|f| &f.arn)
            .chain(live.roles.values().map(|r| &r.arn))
            .next()?;
        arn.split(':').nth(4).map(str::to_string)
    }

    fn missing(&self) -> &'static str {
        match self {
            Deployed::Read(_) => "not deployed",
            Deployed::Unknown(_) => "unknown, the account was not read",
        }
    }

    /// The placeholder for a reference without a live value.
    pub fn placeholder(&self, reference: &str) -> String {
        format!("<{reference}: {}>", self.missing())
    }
}

/// `function`'s environment as text, references resolved against `deployed`.
pub fn resolve(
    desired: &Desired,
    function: &Function,
    deployed: &Deployed,
) -> BTreeMap<String, String> {
    function
        .environment
        .iter()
        .map(|(name, value)| {
            let text = value
                .parts
                .iter()
                .map(|part| match part {
                    Part::Text(text) => text.clone(),
                    Part::Ref(reference) => resolve_ref(desired, reference, deployed),
                })
                .collect();
            (name.clone(), text)
        })
        .collect()
}

fn resolve_ref(desired: &Desired, reference: &CrossRef, deployed: &Deployed) -> String {
    let live = deployed.live();
    match reference {
        CrossRef::FunctionArn(key) => deployed
            .function_arn(desired, key)
            .unwrap_or_else(|| deployed.placeholder(&format!("function:{key}.arn"))),
        CrossRef::RoleArn(key) => desired
            .roles
            .get(key)
            .and_then(|role| live?.roles.get(&role.name))
            .map(|role| role.arn.clone())
            .unwrap_or_else(|| deployed.placeholder(&format!("role:{key}.arn"))),
        CrossRef::ApiUrl => live
            .and_then(|live| {
                Some(invoke_url(
                    &live.api.as_ref()?.id,
                    live.region.as_deref()?,
                    desired.api_stage(),
                ))
            })
            .unwrap_or_else(|| deployed.placeholder("api.url")),
        CrossRef::FunctionUrl(key) => desired
            .functions
            .get(key)
            .and_then(|function| live?.function_urls.get(&function.name))
            .map(|url| url.url.clone())
            .unwrap_or_else(|| deployed.placeholder(&format!("function:{key}.url"))),
    }
}

/// Whether this machine has AWS configuration to read the account with: an endpoint,
/// credentials or a profile in the environment, or a shared config or credentials
/// file. Without any, lade does not try (the SDK would probe the instance metadata
/// service and time out).
pub fn aws_configured(env: &BTreeMap<String, String>) -> bool {
    let set = |name: &str| env.get(name).is_some_and(|v| !v.is_empty());
    let names = [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ];
    if names.iter().any(|name| set(name)) {
        return true;
    }
    let home = env.get("HOME").map(std::path::PathBuf::from);
    let file = |var: &str, default: &str| {
        env.get(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".aws").join(default)))
            .is_some_and(|path| path.is_file())
    };
    file("AWS_SHARED_CREDENTIALS_FILE", "credentials") || file("AWS_CONFIG_FILE", "config")
}
