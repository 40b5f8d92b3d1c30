//! The in-memory double's event-source mappings, in
//! [`Account::event_sources`](super::Account::event_sources). Like Lambda, creating a
//! mapping needs the function to exist, and a second mapping from the same source to
//! the same function is refused (`ResourceConflictException`).

use async_trait::async_trait;

use super::{MemoryCloud, Operation, no_such};
use crate::cloud::{CloudError, EventSourceApi, NewEventSource};
use crate::model::{LiveEventSource, SourceKind, SourceSettings};

/// The event-source mapping operations the double records.
#[derive(Debug, Clone, Copy)]
enum MappingCall {
    ListEventSourceMappings,
    CreateEventSourceMapping,
    UpdateEventSourceMapping,
    DeleteEventSourceMapping,
}

impl Operation for MappingCall {
    fn is_read(self) -> bool {
        match self {
            MappingCall::ListEventSourceMappings => true,
            MappingCall::CreateEventSourceMapping
            | MappingCall::UpdateEventSourceMapping
            | MappingCall::DeleteEventSourceMapping => false,
        }
    }
}

#[async_trait]
impl EventSourceApi for MemoryCloud {
    async fn list_event_sources(&self) -> Result<Vec<LiveEventSource>, CloudError> {
        self.record(MappingCall::ListEventSourceMappings);
        let account = self.account.lock().unwrap();
        Ok(account.event_sources.values().cloned().collect())
    }

    async fn create_event_source(&self, source: &NewEventSource) -> Result<String, CloudError> {
        self.record(MappingCall::CreateEventSourceMapping);
        let mut account = self.account.lock().unwrap();
        if !account.functions.contains_key(&source.function) {
            return Err(no_such("function", &source.function));
        }
        if let Some(existing) = account
            .event_sources
            .values_mut()
            .find(|m| m.function == source.function && m.arn == source.arn)
        {
            existing.settings = source.settings.clone();
            existing.state = state(&source.settings);
            return Ok(existing.uuid.clone());
        }
        let uuid = account.next_id("esm-");
        account.event_sources.insert(
            uuid.clone(),
            LiveEventSource {
                uuid: uuid.clone(),
                function: source.function.clone(),
                arn: source.arn.clone(),
                state: state(&source.settings),
                settings: source.settings.clone(),
            },
        );
        Ok(uuid)
    }

    async fn update_event_source(
        &self,
        uuid: &str,
        _kind: SourceKind,
        settings: &SourceSettings,
    ) -> Result<(), CloudError> {
        self.record(MappingCall::UpdateEventSourceMapping);
        let mut account = self.account.lock().unwrap();
        let mapping = account
            .event_sources
            .get_mut(uuid)
            .ok_or_else(|| no_such("event-source mapping", uuid))?;
        // Lambda never changes where a stream is read from.
        let starting_position = mapping.settings.starting_position.clone();
        mapping.settings = SourceSettings {
            starting_position,
            ..settings.clone()
        };
        mapping.state = state(settings);
        Ok(())
    }

    async fn delete_event_source(&self, uuid: &str) -> Result<(), CloudError> {
        self.record(MappingCall::DeleteEventSourceMapping);
        self.account.lock().unwrap().event_sources.remove(uuid);
        Ok(())
    }
}

fn state(settings: &SourceSettings) -> String {
    if settings.enabled {
        "Enabled"
    } else {
        "Disabled"
    }
    .to_string()
}
