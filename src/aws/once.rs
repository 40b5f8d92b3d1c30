//! No blind retries of a create that AWS cannot deduplicate.
//!
//! The SDK retries a request when the connection drops, when the answer never comes,
//! and on a 500 or 503, whatever the operation. For most of lade's writes that is
//! safe: they overwrite (`PutRolePolicy`, `PutIntegration`), or the retry is answered
//! "already exists"/"not found", which the adapter treats as done (`CreateRole`,
//! `CreateFunction`, every delete). Three creates are different, because a request
//! that AWS carried out but whose answer was lost cannot be recognised by the retry:
//!
//! - `CreateRestApi`: API names are not unique, so the retry makes a second API;
//! - `CreateResource`: AWS answers a duplicate with `ConflictException`, but only if
//!   the first request is visible by then (emulators make a second resource instead);
//! - `AddPermission`: AWS answers a duplicate statement ID with a conflict, emulators
//!   add a second statement.
//!
//! For these, [`NoBlindRetry`] lets the SDK retry only throttling, which AWS answers
//! before acting. After any other failure without a clear answer
//! ([`AwsError::is_ambiguous`](super::error::AwsError::is_ambiguous)), the adapter's
//! own loop (`retry.rs`) first reads what AWS did, and creates again only if nothing
//! was created.

use std::error::Error;
use std::fmt;
use std::marker::PhantomData;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

use super::error::THROTTLED;

/// A retry classifier that forbids every retry but that of throttling, for the
/// operation whose error type is `E`. It runs after the SDK's own classifiers, so it
/// overrides their decision to retry a transient fault.
pub(super) struct NoBlindRetry<E> {
    _error: PhantomData<fn() -> E>,
}

impl<E> NoBlindRetry<E> {
    pub(super) fn new() -> Self {
        NoBlindRetry {
            _error: PhantomData,
        }
    }
}

impl<E> fmt::Debug for NoBlindRetry<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NoBlindRetry")
    }
}

impl<E> ClassifyRetry for NoBlindRetry<E>
where
    E: Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let throttled = error
            .as_operation_error()
            .and_then(|error| error.downcast_ref::<E>())
            .and_then(ProvideErrorMetadata::code)
            .is_some_and(|code| THROTTLED.contains(&code));
        if throttled {
            // Leave it to the SDK's throttling classifier.
            RetryAction::NoActionIndicated
        } else {
            RetryAction::RetryForbidden
        }
    }

    fn name(&self) -> &'static str {
        "lade: no blind retry of a non-idempotent create"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
