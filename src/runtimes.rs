//! Lambda's managed runtimes and their published end of life, as dated data.
//!
//! Lambda deprecates a runtime in three steps, each on a published date (AWS Lambda
//! developer guide, "Lambda runtimes": the "Supported runtimes" and "Deprecated
//! runtimes" tables): on the *deprecation* date it stops patching the runtime; on the
//! *block create* date `CreateFunction` refuses it; on the *block update* date
//! `UpdateFunctionConfiguration` and `UpdateFunctionCode` refuse it too (a function
//! can still be moved *to* another runtime). [`RUNTIMES`] copies those tables, and
//! [`status`] says where a runtime stands on a given day, so lade refuses exactly what
//! Lambda refuses on that day, warns ahead of the dates, and keeps accepting what
//! Lambda still allows. The day is always passed in (the commands pass today's UTC
//! date, tests their own), never read from the clock here.
//!
//! AWS moves these dates (it postponed python3.9's blocks by a year): when it does,
//! this table is the one place to edit, with [`TABLE_CHECKED`].

/// The day the table was last compared with AWS's page.
pub const TABLE_CHECKED: Date = date(2026, 12, 1);

/// How many days ahead of a runtime's deprecation lade starts to warn: Lambda's own
/// notice period (it announces deprecations at least 180 days ahead).
pub const WARN_DAYS: i64 = 180;

/// A calendar day, as AWS publishes the dates (jiff's civil date).
pub type Date = jiff::civil::Date;

/// A date from its year, month and day, in `const` context too.
pub use jiff::civil::date;

/// Today, in UTC, from the system clock.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// One runtime and its published dates (`None`: not scheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runtime {
    pub id: &'static str,
    pub deprecation: Option<Date>,
    pub block_create: Option<Date>,
    pub block_update: Option<Date>,
    /// The runtime to move to.
    pub successor: &'static str,
}

const fn rt(
    id: &'static str,
    dates: Option<(Date, Date, Date)>,
    successor: &'static str,
) -> Runtime {
    match dates {
        Some((deprecation, block_create, block_update)) => Runtime {
            id,
            deprecation: Some(deprecation),
            block_create: Some(block_create),
            block_update: Some(block_update),
            successor,
        },
        None => Runtime {
            id,
            deprecation: None,
            block_create: None,
            block_update: None,
            successor,
        },
    }
}

const fn d(year: i16, month: i8, day: i8) -> Date {
    date(year, month, day)
}

/// Every Lambda-managed runtime lade knows, with AWS's dates: deprecation, block
/// create, block update. Runtimes retired long ago have the dates AWS last published.
pub const RUNTIMES: &[Runtime] = &[
    // Node.js
    rt(
        "nodejs24.x",
        Some((d(2028, 4, 30), d(2028, 6, 1), d(2028, 7, 1))),
        "nodejs24.x",
    ),
    rt(
        "nodejs22.x",
        Some((d(2027, 4, 30), d(2027, 6, 1), d(2027, 7, 1))),
        "nodejs24.x",
    ),
    rt(
        "nodejs20.x",
        Some((d(2026, 4, 30), d(2026, 8, 31), d(2026, 9, 30))),
        "nodejs24.x",
    ),
    rt(
        "nodejs18.x",
        Some((d(2025, 9, 1), d(2025, 10, 1), d(2025, 11, 1))),
        "nodejs24.x",
    ),
    rt(
        "nodejs16.x",
        Some((d(2024, 6, 12), d(2025, 2, 28), d(2025, 3, 31))),
        "nodejs24.x",
    ),
    rt(
        "nodejs14.x",
        Some((d(2023, 12, 4), d(2024, 1, 9), d(2024, 2, 8))),
        "nodejs24.x",
    ),
    rt(
        "nodejs12.x",
        Some((d(2023, 3, 31), d(2023, 3, 31), d(2023, 4, 30))),
        "nodejs24.x",
    ),
    rt(
        "nodejs10.x",
        Some((d(2021, 7, 30), d(2021, 7, 30), d(2022, 2, 14))),
        "nodejs24.x",
    ),
    rt(
        "nodejs8.10",
        Some((d(2020, 3, 6), d(2020, 1, 6), d(2020, 3, 6))),
        "nodejs24.x",
    ),
    rt(
        "nodejs6.10",
        Some((d(2019, 8, 12), d(2019, 7, 12), d(2019, 8, 12))),
        "nodejs24.x",
    ),
    rt(
        "nodejs4.3-edge",
        Some((d(2020, 4, 30), d(2019, 3, 31), d(2020, 4, 30))),
        "nodejs24.x",
    ),
    rt(
        "nodejs4.3",
        Some((d(2020, 3, 5), d(2020, 3, 5), d(2020, 3, 5))),
        "nodejs24.x",
    ),
    rt(
        "nodejs",
        Some((d(2016, 10, 31), d(2016, 10, 31), d(2016, 10, 31))),
        "nodejs24.x",
    ),
    // Python
    rt(
        "python3.14",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "python3.14",
    ),
    rt(
        "python3.13",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "python3.14",
    ),
    rt(
        "python3.12",
        Some((d(2028, 10, 31), d(2028, 11, 30), d(2029, 1, 10))),
        "python3.14",
    ),
    rt(
        "python3.11",
        Some((d(2027, 6, 30), d(2027, 7, 31), d(2027, 8, 31))),
        "python3.14",
    ),
    rt(
        "python3.10",
        Some((d(2026, 10, 31), d(2026, 11, 30), d(2027, 1, 15))),
        "python3.14",
    ),
    rt(
        "python3.9",
        Some((d(2025, 12, 15), d(2027, 2, 1), d(2027, 3, 3))),
        "python3.14",
    ),
    rt(
        "python3.8",
        Some((d(2024, 10, 14), d(2025, 2, 28), d(2025, 3, 31))),
        "python3.14",
    ),
    rt(
        "python3.7",
        Some((d(2023, 12, 4), d(2024, 1, 9), d(2024, 2, 8))),
        "python3.14",
    ),
    rt(
        "python3.6",
        Some((d(2022, 7, 18), d(2022, 7, 18), d(2022, 8, 29))),
        "python3.14",
    ),
    rt(
        "python2.7",
        Some((d(2021, 7, 15), d(2021, 7, 15), d(2022, 5, 30))),
        "python3.14",
    ),
    // Java
    rt(
        "java25",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "java25",
    ),
    rt(
        "java21",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "java25",
    ),
    rt(
        "java17",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "java25",
    ),
    rt(
        "java11",
        Some((d(2027, 6, 30), d(2027, 7, 31), d(2027, 8, 31))),
        "java25",
    ),
    rt(
        "java8.al2",
        Some((d(2027, 6, 30), d(2027, 7, 31), d(2027, 8, 31))),
        "java25",
    ),
    rt(
        "java8",
        Some((d(2024, 1, 8), d(2024, 2, 8), d(2024, 3, 12))),
        "java25",
    ),
    // .NET
    rt(
        "dotnet10",
        Some((d(2028, 11, 14), d(2028, 12, 14), d(2029, 1, 15))),
        "dotnet10",
    ),
    rt(
        "dotnet8",
        Some((d(2026, 11, 10), d(2026, 12, 10), d(2027, 1, 11))),
        "dotnet10",
    ),
    rt(
        "dotnet7",
        Some((d(2024, 5, 14), d(2024, 5, 14), d(2024, 5, 14))),
        "dotnet10",
    ),
    rt(
        "dotnet6",
        Some((d(2024, 12, 20), d(2025, 2, 28), d(2025, 3, 31))),
        "dotnet10",
    ),
    rt(
        "dotnet5.0",
        Some((d(2022, 5, 10), d(2022, 5, 10), d(2022, 5, 10))),
        "dotnet10",
    ),
    rt(
        "dotnetcore3.1",
        Some((d(2023, 4, 3), d(2023, 4, 3), d(2023, 5, 3))),
        "dotnet10",
    ),
    rt(
        "dotnetcore2.1",
        Some((d(2022, 1, 5), d(2022, 1, 5), d(2022, 4, 13))),
        "dotnet10",
    ),
    rt(
        "dotnetcore2.0",
        Some((d(2019, 5, 30), d(2019, 4, 30), d(2019, 5, 30))),
        "dotnet10",
    ),
    rt(
        "dotnetcore1.0",
        Some((d(2019, 7, 30), d(2019, 6, 27), d(2019, 7, 30))),
        "dotnet10",
    ),
    // Ruby
    rt(
        "ruby3.4",
        Some((d(2028, 3, 31), d(2028, 4, 30), d(2028, 5, 31))),
        "ruby3.4",
    ),
    rt(
        "ruby3.3",
        Some((d(2027, 3, 31), d(2027, 4, 30), d(2027, 5, 31))),
        "ruby3.4",
    ),
    rt(
        "ruby3.2",
        Some((d(2026, 3, 31), d(2026, 8, 31), d(2026, 9, 30))),
        "ruby3.4",
    ),
    rt(
        "ruby2.7",
        Some((d(2023, 12, 7), d(2024, 1, 9), d(2024, 2, 8))),
        "ruby3.4",
    ),
    rt(
        "ruby2.5",
        Some((d(2021, 7, 30), d(2021, 7, 30), d(2022, 3, 31))),
        "ruby3.4",
    ),
    // OS-only
    rt(
        "provided.al2023",
        Some((d(2029, 6, 30), d(2029, 7, 31), d(2029, 8, 31))),
        "provided.al2023",
    ),
    rt(
        "provided.al2",
        Some((d(2026, 7, 31), d(2026, 8, 31), d(2026, 9, 30))),
        "provided.al2023",
    ),
    rt(
        "provided",
        Some((d(2024, 1, 8), d(2024, 2, 8), d(2024, 3, 12))),
        "provided.al2023",
    ),
    rt(
        "go1.x",
        Some((d(2024, 1, 8), d(2024, 2, 8), d(2024, 3, 12))),
        "provided.al2023",
    ),
];

/// The runtime with this identifier, if Lambda has (or had) one.
pub fn find(id: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.id == id)
}

/// Where a runtime stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Supported, and not deprecated within [`WARN_DAYS`].
    Current,
    /// Supported, but deprecated on `on`, within [`WARN_DAYS`].
    Deprecating { on: Date },
    /// Deprecated: no more patches; functions can still be created and updated.
    Deprecated { since: Date, block_create: Date },
    /// `CreateFunction` refuses it; existing functions can still be updated.
    CreateBlocked { since: Date, block_update: Date },
    /// Lambda refuses to create or update a function with it.
    Blocked { since: Date },
}

/// Where `runtime` stands on `today`.
pub fn status(runtime: &Runtime, today: Date) -> Status {
    let (Some(deprecation), Some(block_create), Some(block_update)) = (
        runtime.deprecation,
        runtime.block_create,
        runtime.block_update,
    ) else {
        return Status::Current;
    };
    if today >= block_update {
        Status::Blocked {
            since: block_update,
        }
    } else if today >= block_create {
        Status::CreateBlocked {
            since: block_create,
            block_update,
        }
    } else if today >= deprecation {
        Status::Deprecated {
            since: deprecation,
            block_create,
        }
    } else if today
        .until(deprecation)
        .is_ok_and(|left| i64::from(left.get_days()) <= WARN_DAYS)
    {
        Status::Deprecating { on: deprecation }
    } else {
        Status::Current
    }
}

/// The runtimes a new function may use on `today`, for messages.
pub fn creatable(today: Date) -> Vec<&'static str> {
    RUNTIMES
        .iter()
        .filter(|r| {
            matches!(
                status(r, today),
                Status::Current | Status::Deprecating { .. } | Status::Deprecated { .. }
            )
        })
        .map(|r| r.id)
        .collect()
}

/// The runtimes the JSON Schema offers: those Lambda still accepted for new functions
/// on [`TABLE_CHECKED`]. Fixed by the table, so the schema does not change by the day.
pub fn schema_enum() -> Vec<&'static str> {
    creatable(TABLE_CHECKED)
}

/// The plan's warning for a function that uses `runtime` on `today`, if any.
pub fn warning(function: &str, runtime: &Runtime, today: Date) -> Option<String> {
    let id = runtime.id;
    let to = runtime.successor;
    match status(runtime, today) {
        Status::Current => None,
        Status::Deprecating { on } => Some(format!(
            "function `{function}`: Lambda deprecates runtime `{id}` on {on}, then blocks creating functions with it on {} and updating them on {}; move to `{to}`",
            runtime.block_create.unwrap_or(on),
            runtime.block_update.unwrap_or(on),
        )),
        Status::Deprecated {
            since,
            block_create,
        } => Some(format!(
            "function `{function}`: runtime `{id}` is deprecated since {since} (no more security patches); Lambda blocks creating functions with it on {block_create} and updating them on {}; move to `{to}`",
            runtime.block_update.unwrap_or(block_create),
        )),
        Status::CreateBlocked {
            since,
            block_update,
        } => Some(format!(
            "function `{function}`: Lambda no longer creates functions with runtime `{id}` (since {since}) and blocks updating them on {block_update}; move to `{to}`"
        )),
        Status::Blocked { since } => Some(format!(
            "function `{function}`: Lambda refuses to create or update functions with runtime `{id}` since {since}; move to `{to}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_starts_on_its_day() {
        let r = find("dotnet8").unwrap();
        assert_eq!(status(r, d(2026, 5, 13)), Status::Current);
        assert_eq!(
            status(r, d(2026, 5, 14)),
            Status::Deprecating {
                on: d(2026, 11, 10)
            }
        );
        assert!(matches!(
            status(r, d(2026, 11, 10)),
            Status::Deprecated { .. }
        ));
        assert!(matches!(
            status(r, d(2026, 12, 9)),
            Status::Deprecated { .. }
        ));
        assert!(matches!(
            status(r, d(2026, 12, 10)),
            Status::CreateBlocked { .. }
        ));
        assert!(matches!(
            status(r, d(2027, 1, 10)),
            Status::CreateBlocked { .. }
        ));
        assert_eq!(
            status(r, d(2027, 1, 11)),
            Status::Blocked {
                since: d(2027, 1, 11)
            }
        );
    }

    #[test]
    fn in_december_2026() {
        let today = d(2026, 12, 2);
        // Still allowed, with a warning: python3.9's blocks were postponed to 2027.
        assert!(creatable(today).contains(&"python3.9"));
        assert!(warning("api", find("python3.9").unwrap(), today).is_some());
        // Blocked on both counts.
        for gone in ["nodejs20.x", "ruby3.2", "provided.al2", "python3.8"] {
            assert!(
                matches!(status(find(gone).unwrap(), today), Status::Blocked { .. }),
                "{gone}"
            );
        }
        // No new functions, but existing ones can be updated.
        assert!(matches!(
            status(find("python3.10").unwrap(), today),
            Status::CreateBlocked { .. }
        ));
        assert_eq!(status(find("python3.14").unwrap(), today), Status::Current);
    }

    #[test]
    fn the_table_is_consistent() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RUNTIMES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            if let (Some(a), Some(b), Some(c)) = (r.deprecation, r.block_create, r.block_update) {
                assert!(b <= c, "{}: blocks create after update", r.id);
                assert!(a <= c, "{}: deprecated after the update block", r.id);
            }
            let successor = find(r.successor).expect("the successor is in the table");
            assert_eq!(
                status(successor, TABLE_CHECKED),
                Status::Current,
                "{}'s successor {} is current",
                r.id,
                r.successor
            );
        }
    }
}
