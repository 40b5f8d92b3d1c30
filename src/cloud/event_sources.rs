//! Lambda event-source mappings: the queues and streams that invoke functions. A
//! mapping has no tags lade reads; it is lade's when the function it invokes is
//! (the function's tags prove that). See the parent module for the idempotency
//! contract.

use async_trait::async_trait;

use super::CloudError;
use crate::model::{LiveEventSource, SourceKind, SourceSettings};

/// A mapping as lade creates it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEventSource {
    /// The function's physical name.
    pub function: String,
    pub kind: SourceKind,
    /// The queue's or stream's ARN.
    pub arn: String,
    pub settings: SourceSettings,
}

/// The event-source mapping reads and writes lade needs.
#[async_trait]
pub trait EventSourceApi: Send + Sync {
    /// Every mapping in the account and region, with its settings
    /// (`ListEventSourceMappings`, paginated): the caller keeps those of the functions
    /// it owns. One request for up to 100 mappings, rather than one per function.
    async fn list_event_sources(&self) -> Result<Vec<LiveEventSource>, CloudError>;

    /// Creates the mapping and waits until it has settled (no longer `Creating`).
    /// Returns its id. `CreateEventSourceMapping` is not idempotent (each call makes a
    /// new mapping), so a mapping from the same source to the same function that
    /// already exists is found first and set to `settings` instead.
    async fn create_event_source(&self, source: &NewEventSource) -> Result<String, CloudError>;

    /// Sets a mapping's settings (all but its starting position, which Lambda never
    /// changes) and waits until it has settled.
    async fn update_event_source(
        &self,
        uuid: &str,
        kind: SourceKind,
        settings: &SourceSettings,
    ) -> Result<(), CloudError>;

    /// Deletes a mapping and waits until it is gone. A mapping already gone counts as
    /// success.
    async fn delete_event_source(&self, uuid: &str) -> Result<(), CloudError>;
}
