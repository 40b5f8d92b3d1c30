//! Why a step failed: AWS said no, or what apply was given no longer matches the plan.

use crate::cloud::CloudError;
use crate::diff::Output;

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// AWS refused or failed the call, already classified by the adapter.
    #[error(transparent)]
    Cloud(Box<CloudError>),
    /// The function's package was rebuilt with other bytes than the plan recorded.
    #[error(
        "the package for function `{function}` changed since the plan (planned {planned}, now {now}); plan again"
    )]
    PackageChanged {
        function: String,
        planned: String,
        now: String,
    },
    /// No package was built for a function the step uploads.
    #[error("no package was built for function `{function}`")]
    NoPackage { function: String },
    /// A sensitive value no longer matches the salted hash the plan recorded.
    #[error(
        "the sensitive value of {key} for function {function} changed since the plan; plan again"
    )]
    SecretChanged { function: String, key: String },
    /// A value an earlier step makes is not known: that step did not run, and AWS has
    /// no object to read it from.
    #[error("{0:?} is not known: the step that makes it did not run; plan again")]
    NotKnown(Output),
    /// A function ARN that AWS returned does not parse as an ARN.
    #[error("`{0}` is not a function ARN")]
    NotAnArn(String),
    /// A plan asks to prune the deployment this apply created, which the stage now
    /// points at (a plan edited by hand: `plan` never lists it).
    #[error("deployment {0} is the one this apply created, which the stage points at")]
    JustDeployed(String),
    /// A deployment the plan prunes is served by a stage or its canary now.
    #[error("deployment {deployment} is in use: stage {stage} (or its canary) points at it")]
    DeploymentInUse { deployment: String, stage: String },
    /// A function the plan deletes is no longer lade's: its consistent tags, read
    /// just before `DeleteFunction`, do not prove it.
    #[error(
        "function {name} is not lade's any more ({reason}): it was re-created or untagged since the plan, so lade leaves it alone; plan again"
    )]
    NoLongerOwned { name: String, reason: String },
    /// Once its references are resolved, a function's configuration or package is more
    /// than Lambda takes; nothing was sent.
    #[error("function {function} cannot be sent to Lambda: {reason}")]
    OverLimit { function: String, reason: String },
}

impl ApplyError {
    /// Whether the step failed because of its input (what the manifest asks for), so
    /// that running apply again unchanged would fail the same way.
    pub fn is_input(&self) -> bool {
        match self {
            ApplyError::Cloud(error) => matches!(**error, CloudError::Refused { .. }),
            ApplyError::OverLimit { .. } => true,
            ApplyError::PackageChanged { .. }
            | ApplyError::NoPackage { .. }
            | ApplyError::SecretChanged { .. }
            | ApplyError::NotKnown(_)
            | ApplyError::NotAnArn(_)
            | ApplyError::JustDeployed(_)
            | ApplyError::DeploymentInUse { .. }
            | ApplyError::NoLongerOwned { .. } => false,
        }
    }
}

impl From<CloudError> for ApplyError {
    fn from(error: CloudError) -> Self {
        ApplyError::Cloud(Box::new(error))
    }
}
