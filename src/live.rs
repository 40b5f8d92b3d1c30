//! Reads what this project and stage own in the account into the [`Live`] model.
//!
//! Read-only: nothing here mutates. Ownership is proven by the IAM path
//! `/lade/<project>/<stage>/` for roles and by the `lade:project` / `lade:stage` tags
//! for functions. A name the manifest wants that is held by a resource lade does not own
//! is recorded in [`Live::foreign`]; the caller refuses to plan over it.
//!
//! # Call pattern
//!
//! Three branches run concurrently, then the permissions:
//!
//! 1. **Roles**: one `ListRoles` under the project's path (paginated), and for each
//!    owned role `GetRole` (for its permissions boundary, which `ListRoles` leaves
//!    out), `ListRolePolicies`, one `GetRolePolicy` per inline policy and
//!    `ListAttachedRolePolicies`; then one `GetRole` per wanted role not found under
//!    lade's path (to tell "free" from "someone else's").
//! 2. **Functions**: one tagging-API `GetResources` (paginated) gives the owned
//!    functions *with their tags*; then `ListFunctions`, 50 functions a page, gives
//!    every function's configuration (code hash, revision, environment, architecture,
//!    role) but no tags. Paging stops once every owned and wanted name has been seen,
//!    and is skipped when there is none. The two are joined by name, so an owned
//!    function needs no `GetFunction`. `GetFunction` is sent only for anomalies:
//!    - a wanted name that exists but is not in the owned set: to read its tags, and
//!      report it as foreign, or as owned when the tagging index lagged behind;
//!    - an owned name missing from the listing (deleted moments ago, or a lagging
//!      listing);
//!    - an owned function whose `lade:config` tag does not match its listed
//!      configuration: the tagging index may lag a recent `TagResource`, so the
//!      apparent drift is confirmed against `GetFunction`'s consistent tags.
//! 3. **API**: one `GetRestApis` (paginated), and for each owned API one
//!    `GetResources` (methods embedded, paginated), one `GetStage` and one
//!    `GetDeployments`.
//!
//! Then **permissions**: one `GetPolicy` per owned function when the manifest or the
//! account has an API, since any of them can hold lade's invoke statement: the routed
//! ones, and the others if a route to them was removed (by lade, in an apply that was
//! interrupted before the statement went, or by hand outside lade). With no API on
//! either side none is read: a statement can then be left only if the API was
//! deleted outside lade, and it names an API that no longer exists.
//!
//! A no-op plan of N functions behind N routes with R roles and P inline policies
//! therefore makes N `GetPolicy`, one `GetResources` (tagging), ⌈F/50⌉ `ListFunctions`
//! at most (F functions in the account), `ListRoles` + R·(3 + P) IAM reads, and four
//! API Gateway reads: no `GetFunction`.
//!
//! Every read goes through [`Gates`]: at most `limits.total()` in flight, and at most
//! `limits.service(s)` for each service (the tagging API counts only against the total).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use crate::cloud::{Cloud, CloudError, Limits, PerService, Service};
use crate::kinds::function::record::{TAG_CONFIG, live_fingerprint};
use crate::kinds::{function, role};
use crate::model::{Desired, Foreign, Live, LiveApi, LiveFunction, LiveRole, ResourceKind, Scope};

/// Bounds on reads in flight: one semaphore overall and one per service.
pub struct Gates {
    limits: Limits,
    overall: Semaphore,
    services: PerService<Semaphore>,
}

impl Gates {
    pub fn new(limits: &Limits) -> Self {
        Gates {
            limits: *limits,
            overall: Semaphore::new(limits.total()),
            services: PerService::from_fn(|service| Semaphore::new(limits.service(service))),
        }
    }

    /// Runs `read` once its service (if any) and the overall bound allow.
    async fn run<T>(&self, service: Option<Service>, read: impl Future<Output = T>) -> T {
        // The service's permit first, so that a read waiting for its service does not
        // hold a place other services could use.
        let _service = match service {
            Some(service) => Some(self.services[service].acquire().await),
            None => None,
        };
        let _overall = self.overall.acquire().await;
        read.await
    }

    /// How many reads of `service` a stream should keep going.
    fn width(&self, service: Service) -> usize {
        self.limits.service(service)
    }
}

/// Reads the live state for `desired.scope` with the default [`Limits`].
pub async fn read(cloud: &dyn Cloud, desired: &Desired) -> Result<Live, CloudError> {
    read_with(cloud, desired, &Limits::default()).await
}

/// Reads the live state for `desired.scope`, including the resources the manifest
/// names, so that a name held by someone else is found before anything is planned.
pub async fn read_with(
    cloud: &dyn Cloud,
    desired: &Desired,
    limits: &Limits,
) -> Result<Live, CloudError> {
    let gates = Gates::new(limits);
    let wanted_functions: BTreeSet<String> =
        desired.functions.values().map(|f| f.name.clone()).collect();
    let wanted_roles: BTreeSet<String> = desired.roles.values().map(|r| r.name.clone()).collect();
    let mut live = read_scope(
        cloud,
        &desired.scope,
        &wanted_roles,
        &wanted_functions,
        &gates,
    )
    .await?;
    confirm_drift(cloud, desired, &mut live, &gates).await?;

    let targets = permission_targets(desired, &live);
    live.permissions = stream::iter(targets)
        .map(|name| {
            let gates = &gates;
            async move {
                let statements = gates
                    .run(Some(Service::Lambda), cloud.get_function_permissions(&name))
                    .await?;
                Ok::<_, CloudError>((name, statements))
            }
        })
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    Ok(live)
}

/// Reads what `scope` owns, and checks who holds each of the wanted names, with the
/// default [`Limits`]. No permissions: see [`read_with`].
pub async fn read_names(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted_roles: &BTreeSet<String>,
    wanted_functions: &BTreeSet<String>,
) -> Result<Live, CloudError> {
    let gates = Gates::new(&Limits::default());
    read_scope(cloud, scope, wanted_roles, wanted_functions, &gates).await
}

/// Reads only the owned REST API (its resources, stage and deployments): all that the
/// API's URLs need, in four requests, for `lade outputs` and after an apply.
pub async fn read_api_only(
    cloud: &dyn Cloud,
    scope: &Scope,
    limits: &Limits,
) -> Result<Live, CloudError> {
    let (api, extra_apis) = read_api(cloud, scope, &Gates::new(limits)).await?;
    Ok(Live {
        region: cloud.region(),
        api,
        extra_apis,
        ..Live::default()
    })
}

async fn read_scope(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted_roles: &BTreeSet<String>,
    wanted_functions: &BTreeSet<String>,
    gates: &Gates,
) -> Result<Live, CloudError> {
    let ((roles, foreign_roles), (functions, foreign_functions), (api, extra_apis)) = futures::try_join!(
        read_roles(cloud, scope, wanted_roles, gates),
        read_functions(cloud, scope, wanted_functions, gates),
        read_api(cloud, scope, gates),
    )?;
    let mut foreign: Vec<Foreign> = foreign_roles.into_iter().chain(foreign_functions).collect();
    foreign.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(Live {
        region: cloud.region(),
        roles,
        functions,
        foreign,
        api,
        extra_apis,
        permissions: BTreeMap::new(),
    })
}

/// The owned roles, and the wanted role names someone else holds.
async fn read_roles(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted: &BTreeSet<String>,
    gates: &Gates,
) -> Result<(BTreeMap<String, LiveRole>, Vec<Foreign>), CloudError> {
    let path = scope.iam_path();
    let listed = gates
        .run(Some(Service::Iam), cloud.list_roles(&path))
        .await?;
    // ListRoles matches by prefix; `/lade/p/s/` cannot be a prefix of another
    // project's path because of the trailing slash, but check the exact path anyway.
    let owned: BTreeMap<String, LiveRole> = listed
        .into_iter()
        .filter(|listed| role::proof(scope, &listed.path).is_ok())
        .map(|role| (role.name.clone(), role))
        .collect();
    let missing = wanted.iter().filter(|name| !owned.contains_key(*name));
    let found: Vec<_> = stream::iter(missing)
        .map(|name| gates.run(Some(Service::Iam), cloud.get_role(name)))
        .buffer_unordered(gates.width(Service::Iam))
        .try_collect()
        .await?;
    // A role under lade's path that the listing did not show is ours all the same:
    // created since the listing (by another apply of this project and stage) or not
    // listed yet (`ListRoles` is eventually consistent). Read it whole.
    let (late, found): (Vec<_>, Vec<_>) = found
        .into_iter()
        .flatten()
        .partition(|found| role::proof(scope, &found.path).is_ok());
    let late: Vec<_> = stream::iter(late)
        .map(|role| async move {
            gates
                .run(Some(Service::Iam), cloud.read_role(&role.name))
                .await
        })
        .buffer_unordered(gates.width(Service::Iam))
        .try_collect()
        .await?;
    let mut owned = owned;
    owned.extend(
        late.into_iter()
            .flatten()
            .filter(|late| role::proof(scope, &late.path).is_ok())
            .map(|late| (late.name.clone(), late)),
    );
    let foreign = found
        .into_iter()
        .filter_map(|found| {
            let reason = role::proof(scope, &found.path).err()?;
            Some(Foreign {
                kind: ResourceKind::Role,
                name: found.name,
                reason,
            })
        })
        .collect();
    Ok((owned, foreign))
}

/// The owned functions (tags from the tagging API joined with configuration from
/// `ListFunctions`), and the wanted names someone else holds. See the module docs.
async fn read_functions(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted: &BTreeSet<String>,
    gates: &Gates,
) -> Result<(BTreeMap<String, LiveFunction>, Vec<Foreign>), CloudError> {
    let tagged = gates
        .run(None, cloud.find_functions(&scope.ownership_tags()))
        .await?;
    let names: BTreeSet<String> = tagged.keys().chain(wanted).cloned().collect();
    let mut listed: BTreeMap<String, LiveFunction> = if names.is_empty() {
        BTreeMap::new()
    } else {
        gates
            .run(Some(Service::Lambda), cloud.list_functions(&names))
            .await?
            .into_iter()
            .filter(|f| names.contains(&f.name))
            .map(|f| (f.name.clone(), f))
            .collect()
    };

    let mut owned = BTreeMap::new();
    let mut anomalies = Vec::new();
    for name in names {
        match (tagged.get(&name), listed.remove(&name)) {
            (Some(tags), Some(function)) => {
                owned.insert(
                    name,
                    LiveFunction {
                        tags: tags.clone(),
                        ..function
                    },
                );
            }
            // Owned but not listed, or listed and wanted but not known to be ours.
            (Some(_), None) | (None, Some(_)) => anomalies.push(name),
            // Wanted, and free.
            (None, None) => {}
        }
    }

    let read: Vec<_> = stream::iter(anomalies)
        .map(|name| async move {
            gates
                .run(Some(Service::Lambda), cloud.get_function(&name))
                .await
        })
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    let mut foreign = Vec::new();
    for function in read.into_iter().flatten() {
        match function::proof(scope, &function.tags) {
            Ok(()) => {
                owned.insert(function.name.clone(), function);
            }
            Err(reason) if wanted.contains(&function.name) => foreign.push(Foreign {
                kind: ResourceKind::Function,
                name: function.name.clone(),
                reason,
            }),
            Err(_) => {}
        }
    }
    Ok((owned, foreign))
}

/// Re-reads, with `GetFunction`, each owned function whose `lade:config` tag (from
/// the eventually consistent tagging index) does not match its listed configuration,
/// so that a lagging index is not reported as drift.
async fn confirm_drift(
    cloud: &dyn Cloud,
    desired: &Desired,
    live: &mut Live,
    gates: &Gates,
) -> Result<(), CloudError> {
    let suspects: Vec<String> = desired
        .functions
        .values()
        .filter(|wanted| {
            live.functions.get(&wanted.name).is_some_and(|function| {
                let sensitive = wanted.sensitive_keys();
                function
                    .tags
                    .get(TAG_CONFIG)
                    .is_some_and(|applied| *applied != live_fingerprint(function, &sensitive))
            })
        })
        .map(|wanted| wanted.name.clone())
        .collect();
    let read: Vec<_> = stream::iter(suspects)
        .map(|name| async move {
            gates
                .run(Some(Service::Lambda), cloud.get_function(&name))
                .await
        })
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    for function in read.into_iter().flatten() {
        if live.functions.contains_key(&function.name) {
            live.functions.insert(function.name.clone(), function);
        }
    }
    Ok(())
}

/// The owned functions whose resource policy can hold a statement of lade that
/// matters: every owned function when the manifest or the account has an API (see the
/// module docs), none otherwise.
fn permission_targets(desired: &Desired, live: &Live) -> BTreeSet<String> {
    if desired.api.is_none() && live.api.is_none() && live.extra_apis.is_empty() {
        return BTreeSet::new();
    }
    live.functions.keys().cloned().collect()
}

/// Reads the owned REST APIs with their resources, stage and deployments. More than
/// one owned API means an earlier apply was interrupted after `CreateRestApi`
/// succeeded but before its answer arrived: the one with the most resources is kept
/// and the others are reported for deletion.
async fn read_api(
    cloud: &dyn Cloud,
    scope: &Scope,
    gates: &Gates,
) -> Result<(Option<LiveApi>, Vec<String>), CloudError> {
    let api_gateway = Some(Service::ApiGateway);
    let apis = gates
        .run(api_gateway, cloud.find_rest_apis(&scope.ownership_tags()))
        .await?;
    let mut read: Vec<LiveApi> = stream::iter(apis)
        .map(|mut api| async move {
            let (resources, stage, deployments) = futures::try_join!(
                gates.run(api_gateway, cloud.get_api_resources(&api.id)),
                gates.run(api_gateway, cloud.get_stage(&api.id, &scope.stage)),
                gates.run(api_gateway, cloud.get_deployments(&api.id)),
            )?;
            api.resources = resources.into_iter().map(|r| (r.path.clone(), r)).collect();
            api.stage = stage;
            api.deployments = deployments;
            Ok::<_, CloudError>(api)
        })
        .buffer_unordered(gates.width(Service::ApiGateway))
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
    let kept = apis.next();
    Ok((kept, apis.map(|api| api.id).collect()))
}
