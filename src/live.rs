//! Reads what this project and stage own in the account into the [`Live`] model.
//!
//! Read-only: nothing here mutates. Ownership is proven by the IAM path
//! `/lade/<project>/<stage>/` for roles and by the `lade:project` / `lade:stage` tags
//! for functions. A name the manifest wants that is held by a resource lade does not own
//! is recorded in [`Live::foreign`]; the caller refuses to plan over it.
//!
//! Call pattern: one `ListRoles` (paginated) plus the policy reads for each owned role;
//! one tag query for functions; one `GetFunction` per owned or wanted function; one
//! `GetRole` per wanted role that is not found under lade's path; one `GetRestApis`
//! (paginated), and for the owned API one `GetResources` (embedded methods), one
//! `GetStage` and one `GetDeployments`; when an API is involved, one `GetPolicy` per
//! owned function. Reads run
//! concurrently, bounded by [`READ_CONCURRENCY`].

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::cloud::{Cloud, CloudError};
use crate::model::{Desired, Foreign, Live, LiveApi, ResourceKind, Scope};

/// How many reads may be in flight at once.
pub const READ_CONCURRENCY: usize = 8;

/// Reads the live state for `desired.scope`, including the resources the manifest
/// names, so that a name held by someone else is found before anything is planned.
pub async fn read(cloud: &dyn Cloud, desired: &Desired) -> Result<Live, CloudError> {
    let scope = &desired.scope;
    let wanted_functions: BTreeSet<String> =
        desired.functions.values().map(|f| f.name.clone()).collect();
    let wanted_roles: BTreeSet<String> = desired.roles.values().map(|r| r.name.clone()).collect();
    let mut live = read_names(cloud, scope, &wanted_roles, &wanted_functions).await?;
    // Permissions matter only where an API invokes functions, or did.
    if desired.api.is_some() || live.api.is_some() {
        let names: Vec<String> = live.functions.keys().cloned().collect();
        live.permissions = stream::iter(names)
            .map(|name| async move {
                let statements = cloud.get_function_permissions(&name).await?;
                Ok::<_, CloudError>((name, statements))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
    }
    Ok(live)
}

/// Reads the owned REST API with its resources, stage and deployments. More than one
/// owned API means an earlier apply was interrupted after `CreateRestApi` succeeded
/// but before its answer arrived: the one with the most resources is kept and the
/// others are reported for deletion.
async fn read_api(cloud: &dyn Cloud, scope: &Scope, live: &mut Live) -> Result<(), CloudError> {
    let apis = cloud.find_rest_apis(&scope.ownership_tags()).await?;
    let mut read: Vec<LiveApi> = stream::iter(apis)
        .map(|mut api| async move {
            let (resources, stage, deployments) = futures::try_join!(
                cloud.get_api_resources(&api.id),
                cloud.get_stage(&api.id, &scope.stage),
                cloud.get_deployments(&api.id),
            )?;
            api.resources = resources.into_iter().map(|r| (r.path.clone(), r)).collect();
            api.stage = stage;
            api.deployments = deployments;
            Ok::<_, CloudError>(api)
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    read.sort_by(|a, b| {
        (b.stage.is_some(), b.resources.len(), &a.id).cmp(&(
            a.stage.is_some(),
            a.resources.len(),
            &b.id,
        ))
    });
    let mut apis = read.into_iter();
    live.api = apis.next();
    live.extra_apis = apis.map(|api| api.id).collect();
    Ok(())
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

    let mut live = Live {
        region: cloud.region(),
        ..Live::default()
    };
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
    read_api(cloud, scope, &mut live).await?;
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
