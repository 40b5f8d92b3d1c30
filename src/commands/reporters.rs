//! The plain reporters for `apply` and `destroy`: timestamped lines for logs, and JSON
//! lines for programs. The live terminal view is in `progress.rs`.

use std::time::SystemTime;

use crate::apply::{Event, Reporter};
use crate::render::{self, colour};

/// One line per event, started steps included, each prefixed with the UTC time, for
/// CI logs and other non-terminals: `2026-11-23T12:34:56Z   ✓  create role … (1.2s)`.
/// Holds no control characters unless colour was asked for.
pub struct Lines {
    pub colour: bool,
}

impl Reporter for Lines {
    fn report(&self, event: &Event) {
        let line = render::event_line(event);
        let line = if self.colour {
            colour::paint_event(&line)
        } else {
            line
        };
        println!("{} {line}", utc_timestamp(SystemTime::now()));
    }
}

/// One JSON object per line per event.
pub struct JsonLines;

impl Reporter for JsonLines {
    fn report(&self, event: &Event) {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    }
}

/// `time` in UTC to the second, RFC 3339: `2026-11-23T12:34:56Z`.
pub fn utc_timestamp(time: SystemTime) -> String {
    jiff::Timestamp::try_from(time)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(seconds: u64) -> String {
        utc_timestamp(UNIX_EPOCH + Duration::from_secs(seconds))
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_436_096), "2026-11-23T12:14:56Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
