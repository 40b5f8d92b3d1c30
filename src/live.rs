//! Reads what this project and stage own in the account into the [`Live`] model.
//!
//! Read-only: nothing here mutates. Ownership is proven by the IAM path
//! `/lade/<project>/<stage>/` for roles and by the `lade:project` / `lade:stage` tags
//! for functions. A name the manifest wants that is held by a resource lade does not own
//! is recorded in [`Live::foreign`]; the caller refuses to plan over it.
//!
//! Call pattern: one `ListRoles` (paginated) plus the policy reads for each owned role;
//! one tag query for functions; one `GetFunction` per owned or wanted function; one
//! `GetRole` per wanted role that is not found under lade's path. Reads run
//! concurrently, bounded by [`READ_CONCURRENCY`].

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::cloud::{Cloud, CloudError};
use crate::model::{Desired, Foreign, Live, ResourceKind, Scope};

/// How many reads may be in flight at once.
pub const READ_CONCURRENCY: usize = 8;

/// Reads the live state for `desired.scope`, including the resources the manifest
/// names, so that a name held by someone else is found before anything is planned.
pub async fn read(cloud: &dyn Cloud, desired: &Desired) -> Result<Live, CloudError> {
    let scope = &desired.scope;
    let wanted_functions: BTreeSet<String> =
        desired.functions.values().map(|f| f.name.clone()).collect();
    let wanted_roles: BTreeSet<String> = desired.roles.values().map(|r| r.name.clone()).collect();
    read_names(cloud, scope, &wanted_roles, &wanted_functions).await
}

/// Reads what `scope` owns, and checks who holds each of the wanted names.
pub async fn read_names(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted_roles: &BTreeSet<String>,
    wanted_functions: &BTreeSet<String>,
) -> Result<Live, CloudError> {
    let (path, tags) = (scope.iam_path(), scope.ownership_tags());
    let (roles, tagged) = futures::try_join!(cloud.list_roles(&path), cloud.find_functions(&tags))?;

    let mut live = Live::default();
    for role in roles {
        // ListRoles matches by prefix; `/lade/p/s/` cannot be a prefix of another
        // project's path because of the trailing slash, but check the exact path anyway.
        if role.path == scope.iam_path() {
            live.roles.insert(role.name.clone(), role);
        }
    }

    // Every tagged function, plus every wanted name the tag query did not return: the
    // tagging index is eventually consistent, and a wanted name may be taken.
    let names: BTreeSet<String> = tagged
        .into_iter()
        .chain(wanted_functions.iter().cloned())
        .collect();
    let functions: Vec<_> = stream::iter(names)
        .map(|name| async move { cloud.get_function(&name).await })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    for function in functions.into_iter().flatten() {
        if scope.owns_tags(&function.tags) {
            live.functions.insert(function.name.clone(), function);
        } else if wanted_functions.contains(&function.name) {
            live.foreign.push(Foreign {
                kind: ResourceKind::Function,
                name: function.name.clone(),
                reason: foreign_tags_reason(scope, &function.tags),
            });
        }
    }

    let missing_roles: Vec<&String> = wanted_roles
        .iter()
        .filter(|name| !live.roles.contains_key(*name))
        .collect();
    let found: Vec<_> = stream::iter(missing_roles)
        .map(|name| async move { cloud.get_role(name).await })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    for role in found.into_iter().flatten() {
        live.foreign.push(Foreign {
            kind: ResourceKind::Role,
            name: role.name,
            reason: format!(
                "its IAM path is `{}`, not `{}`, so lade does not own it",
                role.path,
                scope.iam_path()
            ),
        });
    }
    live.foreign
        .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(live)
}

fn foreign_tags_reason(scope: &Scope, tags: &std::collections::BTreeMap<String, String>) -> String {
    match (
        tags.get(crate::model::TAG_PROJECT),
        tags.get(crate::model::TAG_STAGE),
    ) {
        (None, _) => "it has no `lade:project` tag, so lade does not own it".to_string(),
        (Some(project), stage) => format!(
            "it belongs to lade project `{project}` stage `{}`, not `{}` stage `{}`",
            stage.map(String::as_str).unwrap_or("?"),
            scope.project,
            scope.stage
        ),
    }
}
