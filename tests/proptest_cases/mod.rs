//! The proptest configuration shared by the property tests (`properties.rs`,
//! `loader_props.rs`).

use proptest::test_runner::Config as ProptestConfig;

/// `cases` cases per property; `PROPTEST_CASES` overrides it for a longer search. A
/// failure prints its minimal input rather than writing a regressions file.
pub fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
