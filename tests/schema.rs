//! `schema/lade.schema.json` is generated from the manifest's raw serde types. This test
//! fails when the committed file is stale; `LADE_BLESS=1 cargo test --test schema`
//! rewrites it.

use std::path::Path;

#[test]
fn committed_schema_matches_the_manifest_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/lade.schema.json");
    let generated = lade::manifest::schema_json();
    if std::env::var_os("LADE_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write schema/lade.schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/lade.schema.json is out of date with the manifest types in src/manifest/raw.rs.\n\
         Regenerate it with:\n\n    LADE_BLESS=1 cargo test --test schema\n\n\
         and commit the result."
    );
}

#[test]
fn schema_is_a_draft_2020_12_object_schema_requiring_project() {
    let schema: serde_json::Value =
        serde_json::from_str(&lade::manifest::schema_json()).expect("schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["required"], serde_json::json!(["project"]));
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["$defs"]["Function"]["properties"]["memory"].is_object());
}
