//! The plain reporters for `apply` and `destroy`: timestamped lines for logs, and JSON
//! lines for programs. The live terminal view is in `progress.rs`.

use std::time::{SystemTime, UNIX_EPOCH};

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
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
