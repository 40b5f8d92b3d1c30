//! What the manifest declares, read from the YAML tree before anything else looks at it.
//!
//! [`Declared`] is taken right after parsing, before variables are resolved and before
//! errors prune the tree, because both later stages need it and neither may compute it
//! for the other: [`vars`](super::vars) resolves `${function:KEY.name}` and
//! `${role:KEY.arn}` against these keys, and [`validate`](super::validate) checks
//! references (`role:`, routes) against them. Living here, below both, keeps the
//! dependency one way: `vars` → `declared` ← `validate`. It reports nothing and checks
//! nothing.

use super::node::Node;

/// Keys declared under `functions:` and `roles:`, including ones whose bodies had errors,
/// so a reference to them is not reported a second time as unknown.
pub(crate) struct Declared {
    pub functions: Vec<String>,
    pub roles: Vec<String>,
    /// Functions that write `runtime:`, even if it then failed to read.
    pub with_runtime: Vec<String>,
    /// The manifest has an `api:` section.
    pub api: bool,
    /// Where the `api:` key is, for messages about the section as a whole.
    pub api_at: super::node::Loc,
    /// `api: routes:` has entries, even ones that then failed to read.
    pub api_routes: bool,
}

impl Declared {
    pub fn of(root: &Node) -> Self {
        let functions = root.get("functions");
        let keys = functions.map(Node::keys).unwrap_or_default();
        Declared {
            with_runtime: keys
                .iter()
                .filter(|k| {
                    functions
                        .and_then(|f| f.get(k))
                        .is_some_and(|f| f.get("runtime").is_some())
                })
                .cloned()
                .collect(),
            functions: keys,
            roles: root.get("roles").map(Node::keys).unwrap_or_default(),
            api: root.get("api").is_some(),
            api_routes: root
                .get("api")
                .and_then(|api| api.get("routes"))
                .is_some_and(|routes| !routes.keys().is_empty()),
            api_at: match &root.kind {
                super::node::Kind::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_key().as_deref() == Some("api"))
                    .map(|(k, _)| k.loc)
                    .unwrap_or_default(),
                _ => Default::default(),
            },
        }
    }
}
