//! A [`Change`](super::Change) as the plan's JSON holds it: `kind` and `name` for
//! people and for readers of older plans, the typed `address`, and a replace's
//! `replaces` beside `action`, as docs/plan-json.md describes.

use serde::{Deserialize, Serialize};

use super::{Action, FieldChange};
use crate::model::ResourceKind;
use crate::plan::address::Address;

/// What happens to a resource, without what a replace replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Verb {
    Create,
    Update,
    Delete,
    Replace,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Change {
    kind: ResourceKind,
    name: String,
    /// Absent in plans saved before changes carried their address.
    #[serde(default)]
    address: Option<Address>,
    key: Option<String>,
    action: Verb,
    fields: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    drift: bool,
}

impl From<super::Change> for Change {
    fn from(change: super::Change) -> Change {
        let (action, replaces) = match change.action {
            Action::Create => (Verb::Create, None),
            Action::Update => (Verb::Update, None),
            Action::Delete => (Verb::Delete, None),
            Action::Replace { of } => (Verb::Replace, Some(of)),
        };
        Change {
            kind: change.address.kind(),
            name: change.name,
            address: Some(change.address),
            key: change.key,
            action,
            fields: change.fields,
            replaces,
            drift: change.drift,
        }
    }
}

impl TryFrom<Change> for super::Change {
    type Error = String;

    fn try_from(change: Change) -> Result<super::Change, String> {
        let address = match change.address {
            Some(address) if address.kind() == change.kind => address,
            Some(address) => {
                return Err(format!(
                    "the change of {} is of kind `{}`, but its address is a {}",
                    change.name,
                    change.kind,
                    address.kind()
                ));
            }
            None => Address::of_named(change.kind, &change.name).ok_or_else(|| {
                format!("the {} change {} has no address", change.kind, change.name)
            })?,
        };
        let action = match (change.action, change.replaces) {
            (Verb::Create, None) => Action::Create,
            (Verb::Update, None) => Action::Update,
            (Verb::Delete, None) => Action::Delete,
            (Verb::Replace, Some(of)) => Action::Replace { of },
            (Verb::Replace, None) => {
                return Err(format!(
                    "the replace of {} does not say what it replaces (`replaces`)",
                    change.name
                ));
            }
            (_, Some(of)) => {
                return Err(format!(
                    "only a replace names what it replaces, but the change of {} names {of}",
                    change.name
                ));
            }
        };
        Ok(super::Change {
            address,
            name: change.name,
            key: change.key,
            action,
            fields: change.fields,
            drift: change.drift,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Change;
    use super::*;

    #[test]
    fn a_replace_reads_back_with_what_it_replaces() {
        let change = Change::new(
            Address::Function("shop-dev-fetch".into()),
            "shop-dev-fetch",
            Action::Replace {
                of: "shop-dev-get".into(),
            },
        );
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["action"], "replace");
        assert_eq!(json["replaces"], "shop-dev-get");
        assert_eq!(serde_json::from_value::<Change>(json).unwrap(), change);
    }

    #[test]
    fn a_change_saved_without_an_address_gets_one_from_its_kind_and_name() {
        let json = serde_json::json!({
            "kind": "route", "name": "GET /items/{id}", "key": null,
            "action": "delete", "fields": []
        });
        let change: Change = serde_json::from_value(json).unwrap();
        assert_eq!(
            change.address,
            Address::Method {
                method: "GET".into(),
                path: "/items/{id}".into()
            }
        );
    }

    #[test]
    fn a_replace_that_names_nothing_and_an_update_that_names_something_are_refused() {
        let refused = |action: &str, replaces: Option<&str>| {
            let mut json = serde_json::json!({
                "kind": "function", "name": "f", "address": {"function": "f"},
                "key": null, "action": action, "fields": []
            });
            if let Some(old) = replaces {
                json["replaces"] = old.into();
            }
            serde_json::from_value::<Change>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(refused("replace", None).contains("does not say what it replaces"));
        assert!(refused("update", Some("g")).contains("only a replace names"));
    }

    #[test]
    fn an_address_of_another_kind_is_refused() {
        let json = serde_json::json!({
            "kind": "role", "name": "f", "address": {"function": "f"},
            "key": null, "action": "delete", "fields": []
        });
        let error = serde_json::from_value::<Change>(json)
            .unwrap_err()
            .to_string();
        assert!(error.contains("its address is a function"), "{error}");
    }
}
