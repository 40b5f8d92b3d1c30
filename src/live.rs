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
//!    or after two pages ([`LIST_PAGES`](crate::cloud::LIST_PAGES)), and is skipped
//!    when there is none. The two are joined by name, so an owned function needs no
//!    `GetFunction`. `GetFunction` is sent only for anomalies:
//!    - a wanted name that exists but is not in the owned set: to read its tags, and
//!      report it as foreign, or as owned when the tagging index lagged behind;
//!    - an owned name missing from the listing (deleted moments ago, or a lagging
//!      listing), and an owned or wanted name beyond the two pages listed;
//!    - an owned function whose `lade:config` tag does not match its listed
//!      configuration: the tagging index may lag a recent `TagResource`, so the
//!      apparent drift is confirmed against `GetFunction`'s consistent tags.
//! 3. **API**: one `GetRestApis` (paginated), and for each owned API one
//!    `GetResources` (methods embedded, paginated), one `GetStages` (lade's stage,
//!    and the others, whose deployments pruning leaves alone) and one `GetDeployments`.
//!
//! Then the **triggers**: one `ListEventSourceMappings` for the account (100 mappings
//! a page) when lade owns any function, keeping the mappings on owned functions. (A
//! mapping outlives its function, so destroy reads them too.) With the three branches
//! above, the **rules**: per bus (the default one and each the manifest names) one
//! `ListRules` by the name prefix `<project>-<stage>-`, and per rule listed a
//! `ListTagsForResource` and a `ListTargetsByRule`; after the permissions, one more
//! `ListRules` per bus that only a rule statement of lade's names.
//!
//! Alongside them the **function URLs**: one `GetFunctionUrlConfig` per owned function
//! whose manifest has `url:` or that carries the `lade:url` tag. Lambda has no
//! account-wide listing of URLs (`ListFunctionUrlConfigs` is per function, like the
//! `Get`), and one read per owned function would add N requests to every plan for a
//! feature most functions do not use; the tag, which apply writes before
//! `CreateFunctionUrlConfig` and removes after `DeleteFunctionUrlConfig`, finds a URL
//! the manifest no longer asks for, destroy included. A plan with no URL wanted or
//! marked reads none. (The tag comes from the tagging index, which can lag: a URL
//! made seconds ago whose `url:` is removed at once may be missed by that one plan.)
//!
//! Then **permissions**: one `GetPolicy` per owned function when the manifest or the
//! account has an API, since any of them can hold lade's invoke statement: the routed
//! ones, and the others if a route to them was removed (by lade, in an apply that was
//! interrupted before the statement went, or by hand outside lade). With no API on
//! either side none is read, except for the functions with a URL (wanted, live or
//! marked), which can hold the public statements of a URL without auth: a statement
//! can then be left only if the API was deleted outside lade, and it names an API that
//! no longer exists.
//!
//! Then, in the plan only, one `GetRole` per role the manifest gives by ARN that no
//! live function uses yet, and one `GetPolicy` per managed policy not yet attached to
//! its role: one that does not exist fails the plan ([`Live::missing`]).
//!
//! Once the plan is built, [`confirm_owned`] reads with `GetFunction` each existing
//! function it changes or deletes whose ownership came only from the tagging index,
//! which lags and keeps listing deleted functions with their old tags.
//!
//! A no-op plan of N functions behind N routes with R roles and P inline policies
//! therefore makes N `GetPolicy`, one `GetResources` (tagging), ⌈F/50⌉ `ListFunctions`
//! at most (F functions in the account), ⌈M/100⌉ `ListEventSourceMappings` (M mappings
//! in the account), one `ListRules` (and two reads per rule), `ListRoles` + R·(3 + P)
//! IAM reads, and four API Gateway reads: no `GetFunction`.
//!
//! Every read goes through [`Gates`]: at most `limits.total()` in flight, and at most
//! `limits.service(s)` for each service (the tagging API counts only against the total).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures::stream::{self, StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use crate::cloud::{Cloud, CloudError, Limits, PerService, Service};
use crate::kinds::function::record::{TAG_CONFIG, live_fingerprint};
use crate::kinds::{function, function_url, role};
use crate::model::{
    Desired, Foreign, Live, LiveApi, LiveFunction, LiveRole, ResourceKind, RoleRef, Scope,
};

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
    let wanted_functions = desired.function_names();
    let wanted_roles = desired.role_names();
    let wanted_urls: BTreeSet<String> = desired
        .functions
        .values()
        .filter(|f| f.url.is_some())
        .map(|f| f.name.clone())
        .collect();
    let wants_authorizers = desired
        .api
        .as_ref()
        .is_some_and(|api| !api.authorizers.is_empty());
    let mut live = read_scope(
        cloud,
        &desired.scope,
        desired.api_stage(),
        &wanted_roles,
        &wanted_functions,
        &wanted_urls,
        &desired.rule_buses(),
        wants_authorizers,
        &gates,
    )
    .await?;
    live.missing = missing_arns(cloud, desired, &live, &gates).await?;
    confirm_drift(cloud, desired, &mut live, &gates).await?;

    let targets = permission_targets(desired, &live);
    let targets = targets
        .into_iter()
        .chain(rule_permission_targets(desired, &live))
        .chain(invoker_permission_targets(desired, &live));
    let targets: BTreeSet<String> = targets.collect();
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
    read_rules_on_other_buses(cloud, desired, &mut live, &gates).await?;
    read_invokers(cloud, desired, &mut live, &gates).await?;
    Ok(live)
}

/// The owned functions whose statements can name a bucket or topic that invokes
/// them: those the manifest gives an `s3` or `sns` trigger, and those marked
/// `lade:invokers` (which had one when lade last applied).
fn invoker_permission_targets(desired: &Desired, live: &Live) -> BTreeSet<String> {
    live.functions
        .iter()
        .filter(|(name, function)| {
            function.tags.contains_key(crate::model::TAG_INVOKERS)
                || desired.functions.values().any(|f| {
                    &f.name == *name && (!f.notifications.is_empty() || !f.subscriptions.is_empty())
                })
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The S3 buckets and SNS topics that invoke owned functions, and what lade owns on
/// them: the buckets and topics the manifest names, and those that a statement of
/// lade's (`lade-s3-…`, `lade-sns-…`) on an owned function names, so that a bucket or
/// topic the manifest no longer names is still cleaned up. The statements of
/// functions marked `lade:invokers` are read here when the caller has not (destroy).
///
/// Per bucket one `GetBucketNotificationConfiguration`; per topic one
/// `ListSubscriptionsByTopic` (paginated) and one `GetSubscriptionAttributes` per
/// subscription of an owned function. A bucket or topic the manifest names that does
/// not exist goes to [`Live::missing`] (as `bucket <name>` or the topic's ARN).
async fn read_invokers(
    cloud: &dyn Cloud,
    desired: &Desired,
    live: &mut Live,
    gates: &Gates,
) -> Result<(), CloudError> {
    use crate::kinds::{notification, subscription};
    let unread: Vec<String> = live
        .functions
        .iter()
        .filter(|(name, f)| {
            f.tags.contains_key(crate::model::TAG_INVOKERS) && !live.permissions.contains_key(*name)
        })
        .map(|(name, _)| name.clone())
        .collect();
    let read: Vec<(String, Vec<crate::model::Permission>)> = stream::iter(unread)
        .map(|name| async move {
            let statements = gates
                .run(Some(Service::Lambda), cloud.get_function_permissions(&name))
                .await?;
            Ok::<_, CloudError>((name, statements))
        })
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    live.permissions.extend(read);

    let wanted_buckets: BTreeSet<String> = desired
        .functions
        .values()
        .flat_map(|f| f.notifications.iter().map(|n| n.bucket.clone()))
        .collect();
    let wanted_topics: BTreeSet<String> = desired
        .functions
        .values()
        .flat_map(|f| f.subscriptions.iter().map(|s| s.topic.clone()))
        .collect();
    let statements: Vec<&crate::model::Permission> = live
        .permissions
        .iter()
        .filter(|(name, _)| live.functions.contains_key(*name))
        .flat_map(|(_, statements)| statements)
        .collect();
    let buckets: BTreeSet<String> = statements
        .iter()
        .filter(|p| p.sid.starts_with(notification::STATEMENT_PREFIX))
        .filter_map(|p| p.source_arn.as_deref().and_then(crate::arn::bucket_of))
        .map(str::to_owned)
        .chain(wanted_buckets.iter().cloned())
        .collect();
    let topics: BTreeSet<String> = statements
        .iter()
        .filter(|p| p.sid.starts_with(subscription::STATEMENT_PREFIX))
        .filter_map(|p| p.source_arn.clone())
        .chain(wanted_topics.iter().cloned())
        .collect();

    let owned = desired.scope.notification_prefix();
    let read: Vec<(String, Option<crate::cloud::BucketNotifications>)> = stream::iter(buckets)
        .map(|bucket| async move {
            let found = gates
                .run(Some(Service::S3), cloud.bucket_notifications(&bucket))
                .await?;
            Ok::<_, CloudError>((bucket, found))
        })
        .buffer_unordered(gates.width(Service::S3))
        .try_collect()
        .await?;
    for (bucket, found) in read {
        let Some(found) = found else {
            if wanted_buckets.contains(&bucket) {
                live.missing.insert(format!("bucket {bucket}"));
            }
            continue;
        };
        live.buckets
            .insert(bucket.clone(), own_entries(&bucket, &owned, found));
    }

    let function_arns: BTreeMap<String, String> = live
        .functions
        .values()
        .map(|f| (f.arn.clone(), f.name.clone()))
        .collect();
    let read: Vec<(String, Option<Vec<crate::cloud::TopicSubscription>>)> = stream::iter(topics)
        .map(|topic| async move {
            let found = gates
                .run(Some(Service::Sns), cloud.topic_subscriptions(&topic))
                .await?;
            Ok::<_, CloudError>((topic, found))
        })
        .buffer_unordered(gates.width(Service::Sns))
        .try_collect()
        .await?;
    let mut ours = Vec::new();
    for (topic, found) in read {
        let Some(found) = found else {
            if wanted_topics.contains(&topic) {
                live.missing.insert(topic);
            }
            continue;
        };
        for sub in found {
            if sub.protocol != "lambda" || !sub.arn.starts_with("arn:") {
                continue;
            }
            if let Some(function) = function_arns.get(&sub.endpoint) {
                ours.push((topic.clone(), function.clone(), sub.arn));
            }
        }
    }
    let read: Vec<crate::model::LiveSubscription> = stream::iter(ours)
        .map(|(topic, function, arn)| async move {
            let filter = gates
                .run(Some(Service::Sns), cloud.subscription_filter(&arn))
                .await?;
            Ok::<_, CloudError>(crate::model::LiveSubscription {
                arn,
                topic,
                function,
                filter,
            })
        })
        .buffer_unordered(gates.width(Service::Sns))
        .try_collect()
        .await?;
    for sub in read {
        live.subscriptions
            .entry(sub.function.clone())
            .or_default()
            .push(sub);
    }
    for subs in live.subscriptions.values_mut() {
        subs.sort_by(|a, b| a.topic.cmp(&b.topic));
    }
    Ok(())
}

/// A bucket's configuration split into lade's entries (by id prefix) and the rest,
/// with the others' Lambda entries in the AWS CLI's JSON form.
fn own_entries(
    bucket: &str,
    owned: &str,
    found: crate::cloud::BucketNotifications,
) -> crate::model::LiveBucket {
    let mut notifications = Vec::new();
    let mut foreign = Vec::new();
    for entry in found.lambda {
        if entry.id.starts_with(owned) {
            notifications.push(crate::model::LiveNotification {
                function: crate::arn::function_of(&entry.function_arn)
                    .unwrap_or(&entry.function_arn)
                    .to_string(),
                id: entry.id,
                bucket: bucket.to_string(),
                function_arn: entry.function_arn,
                settings: entry.settings,
            });
        } else {
            let mut rules = Vec::new();
            if let Some(prefix) = &entry.settings.prefix {
                rules.push(serde_json::json!({"Name": "Prefix", "Value": prefix}));
            }
            if let Some(suffix) = &entry.settings.suffix {
                rules.push(serde_json::json!({"Name": "Suffix", "Value": suffix}));
            }
            let mut json = serde_json::json!({
                "Id": entry.id,
                "LambdaFunctionArn": entry.function_arn,
                "Events": entry.settings.events,
            });
            if !rules.is_empty() {
                json["Filter"] = serde_json::json!({"Key": {"FilterRules": rules}});
            }
            foreign.push(json);
        }
    }
    let mut others = match found.others {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    if !foreign.is_empty() {
        others.insert(
            "LambdaFunctionConfigurations".into(),
            serde_json::Value::Array(foreign),
        );
    }
    crate::model::LiveBucket {
        notifications,
        others: serde_json::Value::Object(others),
    }
}

/// The rules on buses the manifest no longer names: a rule's bus is in the
/// `SourceArn` of its permission (`…:rule/<bus>/<name>`), which lade adds before the
/// rule and removes only after it, so every bus that may still hold a rule of lade's
/// is found there. One `ListRules` per such bus; none when there is none.
async fn read_rules_on_other_buses(
    cloud: &dyn Cloud,
    desired: &Desired,
    live: &mut Live,
    gates: &Gates,
) -> Result<(), CloudError> {
    let known = desired.rule_buses();
    let buses: BTreeSet<String> = live
        .permissions
        .values()
        .flatten()
        .filter(|p| p.sid.starts_with(crate::kinds::rule::STATEMENT_PREFIX))
        .filter_map(|p| p.source_arn.as_deref())
        .filter_map(crate::arn::Arn::parse)
        .filter_map(|arn| {
            let path = arn.resource.strip_prefix("rule/")?;
            path.rsplit_once('/').map(|(bus, _)| bus.to_string())
        })
        .filter(|bus| !known.contains(bus))
        .collect();
    if buses.is_empty() {
        return Ok(());
    }
    let found = read_rules(cloud, &desired.scope, &buses, gates).await?;
    for (function, rules) in found {
        let all = live.rules.entry(function).or_default();
        all.extend(rules);
        all.sort_by(|a, b| (&a.bus, &a.name).cmp(&(&b.bus, &b.name)));
    }
    Ok(())
}

/// The event-source mappings of the owned functions, by function name: one
/// `ListEventSourceMappings` for the account (100 mappings a page), and none when
/// lade owns no function. A mapping is lade's when the function it invokes is, since a
/// mapping carries no tags of its own that lade reads.
async fn read_event_sources(
    cloud: &dyn Cloud,
    functions: &BTreeMap<String, LiveFunction>,
    gates: &Gates,
) -> Result<BTreeMap<String, Vec<crate::model::LiveEventSource>>, CloudError> {
    if functions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let listed = gates
        .run(Some(Service::Lambda), cloud.list_event_sources())
        .await?;
    let mut owned: BTreeMap<String, Vec<crate::model::LiveEventSource>> = BTreeMap::new();
    for mapping in listed {
        if functions.contains_key(&mapping.function) {
            owned
                .entry(mapping.function.clone())
                .or_default()
                .push(mapping);
        }
    }
    for mappings in owned.values_mut() {
        mappings.sort_by(|a, b| (&a.arn, &a.uuid).cmp(&(&b.arn, &b.uuid)));
    }
    Ok(owned)
}

/// The URLs of the owned functions that the manifest gives one (`wanted`) or that
/// carry the `lade:url` tag: one `GetFunctionUrlConfig` each. Lambda has no listing of
/// the account's URLs, and reading every owned function's would cost a request per
/// function on every plan; the tag, written before a URL is created and removed after
/// it is deleted, finds a URL the manifest no longer asks for.
async fn read_function_urls(
    cloud: &dyn Cloud,
    functions: &BTreeMap<String, LiveFunction>,
    wanted: &BTreeSet<String>,
    gates: &Gates,
) -> Result<BTreeMap<String, crate::model::LiveFunctionUrl>, CloudError> {
    let targets: Vec<&String> = functions
        .iter()
        .filter(|(name, function)| {
            wanted.contains(*name) || function.tags.contains_key(function_url::TAG_URL)
        })
        .map(|(name, _)| name)
        .collect();
    let read: Vec<Option<crate::model::LiveFunctionUrl>> = stream::iter(targets)
        .map(|name| gates.run(Some(Service::Lambda), cloud.get_function_url(name)))
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    Ok(read
        .into_iter()
        .flatten()
        .map(|url| (url.function.clone(), url))
        .collect())
}

/// Reads what `scope` owns, and checks who holds each of the wanted names, with the
/// default [`Limits`]. No permissions: see [`read_with`].
pub async fn read_names(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted_roles: &BTreeSet<String>,
    wanted_functions: &BTreeSet<String>,
    buses: &BTreeSet<String>,
) -> Result<Live, CloudError> {
    let gates = Gates::new(&Limits::default());
    let mut live = read_scope(
        cloud,
        scope,
        &scope.stage,
        wanted_roles,
        wanted_functions,
        &BTreeSet::new(),
        buses,
        false,
        &gates,
    )
    .await?;
    // The buckets and topics that invoke functions marked `lade:invokers`, found
    // through their statements (a destroy has no manifest to name them).
    let nothing = Desired {
        scope: scope.clone(),
        region: None,
        roles: BTreeMap::new(),
        functions: BTreeMap::new(),
        api: None,
        uses_account: false,
        today: crate::runtimes::today(),
    };
    read_invokers(cloud, &nothing, &mut live, &gates).await?;
    Ok(live)
}

/// The owned functions whose resource policy can hold a rule's statement: every one,
/// when the manifest or the account has a rule.
fn rule_permission_targets(desired: &Desired, live: &Live) -> BTreeSet<String> {
    let wanted = desired.functions.values().any(|f| !f.rules.is_empty());
    if !wanted && live.rules.is_empty() {
        return BTreeSet::new();
    }
    live.functions.keys().cloned().collect()
}

/// What `lade outputs` and the outputs after an apply show: the owned REST API (four
/// requests, when `api`), and one `GetFunctionUrlConfig` per function the manifest
/// gives a URL. Read-only, like every read here.
pub async fn read_outputs(
    cloud: &dyn Cloud,
    desired: &Desired,
    limits: &Limits,
    api: bool,
) -> Result<Live, CloudError> {
    let gates = Gates::new(limits);
    let mut live = if api {
        let ((api, extra_apis), (http_api, extra_http_apis)) = futures::try_join!(
            read_api(cloud, &desired.scope, desired.api_stage(), &gates),
            read_http_api(cloud, &desired.scope, false, &gates),
        )?;
        Live {
            region: cloud.region(),
            api,
            extra_apis,
            http_api,
            extra_http_apis,
            ..Live::default()
        }
    } else {
        Live {
            region: cloud.region(),
            ..Live::default()
        }
    };
    let names: Vec<&String> = desired
        .functions
        .values()
        .filter(|f| f.url.is_some())
        .map(|f| &f.name)
        .collect();
    let urls: Vec<Option<crate::model::LiveFunctionUrl>> = stream::iter(names)
        .map(|name| gates.run(Some(Service::Lambda), cloud.get_function_url(name)))
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    live.function_urls = urls
        .into_iter()
        .flatten()
        .map(|url| (url.function.clone(), url))
        .collect();
    Ok(live)
}

#[allow(clippy::too_many_arguments)] // scope and the API stage, the wanted names, the gates
async fn read_scope(
    cloud: &dyn Cloud,
    scope: &Scope,
    stage: &str,
    wanted_roles: &BTreeSet<String>,
    wanted_functions: &BTreeSet<String>,
    wanted_urls: &BTreeSet<String>,
    buses: &BTreeSet<String>,
    wants_authorizers: bool,
    gates: &Gates,
) -> Result<Live, CloudError> {
    let (
        (roles, foreign_roles),
        (functions, confirmed, foreign_functions),
        (api, extra_apis),
        (http_api, extra_http_apis),
        rules,
    ) = futures::try_join!(
        read_roles(cloud, scope, wanted_roles, gates),
        read_functions(cloud, scope, wanted_functions, gates),
        read_api(cloud, scope, stage, gates),
        read_http_api(cloud, scope, wants_authorizers, gates),
        read_rules(cloud, scope, buses, gates),
    )?;
    let mut foreign: Vec<Foreign> = foreign_roles.into_iter().chain(foreign_functions).collect();
    foreign.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let (event_sources, function_urls) = futures::try_join!(
        read_event_sources(cloud, &functions, gates),
        read_function_urls(cloud, &functions, wanted_urls, gates),
    )?;
    Ok(Live {
        region: cloud.region(),
        roles,
        functions,
        foreign,
        api,
        extra_apis,
        http_api,
        extra_http_apis,
        permissions: BTreeMap::new(),
        event_sources,
        function_urls,
        rules,
        buckets: BTreeMap::new(),
        subscriptions: BTreeMap::new(),
        confirmed,
        missing: BTreeSet::new(),
    })
}

/// The EventBridge rules lade owns, by the function each invokes: per bus (the
/// default one and each the manifest names) one `ListRules` by name prefix
/// (`<project>-<stage>-`), and for each rule listed a `ListTagsForResource` and a
/// `ListTargetsByRule`. A rule is lade's when its tags name this project and stage and
/// a function (`lade:function`); its name or target proves nothing.
async fn read_rules(
    cloud: &dyn Cloud,
    scope: &Scope,
    buses: &BTreeSet<String>,
    gates: &Gates,
) -> Result<BTreeMap<String, Vec<crate::model::LiveRule>>, CloudError> {
    let prefix = scope.rule_prefix();
    let listed: Vec<_> = stream::iter(buses)
        .map(|bus| {
            let prefix = &prefix;
            async move {
                gates
                    .run(Some(Service::EventBridge), cloud.list_rules(bus, prefix))
                    .await
            }
        })
        .buffer_unordered(gates.width(Service::EventBridge))
        .try_collect::<Vec<_>>()
        .await?;
    let mut owned: BTreeMap<String, Vec<crate::model::LiveRule>> = BTreeMap::new();
    for (rule, tags) in listed.into_iter().flatten() {
        if scope.owns_tags(&tags) && tags.contains_key(crate::model::TAG_FUNCTION) {
            owned.entry(rule.function.clone()).or_default().push(rule);
        }
    }
    for rules in owned.values_mut() {
        rules.sort_by(|a, b| (&a.bus, &a.name).cmp(&(&b.bus, &b.name)));
    }
    Ok(owned)
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
/// `ListFunctions`), the names among them read consistently with `GetFunction`, and
/// the wanted names someone else holds. See the module docs.
async fn read_functions(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted: &BTreeSet<String>,
    gates: &Gates,
) -> Result<
    (
        BTreeMap<String, LiveFunction>,
        BTreeSet<String>,
        Vec<Foreign>,
    ),
    CloudError,
> {
    let tagged = gates
        .run(None, cloud.find_functions(&scope.ownership_tags()))
        .await?;
    let names: BTreeSet<String> = tagged.keys().chain(wanted).cloned().collect();
    let (mut listed, complete): (BTreeMap<String, LiveFunction>, bool) = if names.is_empty() {
        (BTreeMap::new(), true)
    } else {
        let listing = gates
            .run(Some(Service::Lambda), cloud.list_functions(&names))
            .await?;
        let listed = listing
            .functions
            .into_iter()
            .filter(|f| names.contains(&f.name))
            .map(|f| (f.name.clone(), f))
            .collect();
        (listed, listing.complete)
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
            // Wanted, and free; or beyond the pages listed, so asked for by name.
            (None, None) if !complete => anomalies.push(name),
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
    let mut confirmed = BTreeSet::new();
    for function in read.into_iter().flatten() {
        match function::proof(scope, &function.tags) {
            Ok(()) => {
                confirmed.insert(function.name.clone());
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
    Ok((owned, confirmed, foreign))
}

/// Confirms with a consistent read (`GetFunction`) that lade still owns each function
/// in `touched` (the functions a plan would change or delete) whose ownership so far
/// comes only from the tagging index. The index lags and keeps listing deleted
/// functions for hours, with their old tags: a function deleted and re-created by
/// someone else under the same name, or untagged to release it, would otherwise pass
/// for lade's. A function that is gone is dropped from `live`; one that is no longer
/// lade's is dropped too, and recorded as foreign when the manifest wants its name
/// (`wanted`), so that the plan refuses to touch it.
///
/// Returns whether `live` changed, in which case the plan must be made again from it
/// (and its touched functions confirmed in turn: each name is read at most once).
pub async fn confirm_owned(
    cloud: &dyn Cloud,
    scope: &Scope,
    wanted: &BTreeSet<String>,
    live: &mut Live,
    touched: &BTreeSet<String>,
    limits: &Limits,
) -> Result<bool, CloudError> {
    let gates = Gates::new(limits);
    let unconfirmed: Vec<&String> = touched
        .iter()
        .filter(|name| live.functions.contains_key(*name) && !live.confirmed.contains(*name))
        .collect();
    let read: Vec<(String, Option<LiveFunction>)> = stream::iter(unconfirmed)
        .map(|name| {
            let gates = &gates;
            async move {
                let found = gates
                    .run(Some(Service::Lambda), cloud.get_function(name))
                    .await?;
                Ok::<_, CloudError>((name.clone(), found))
            }
        })
        .buffer_unordered(gates.width(Service::Lambda))
        .try_collect()
        .await?;
    let mut changed = false;
    for (name, found) in read {
        live.confirmed.insert(name.clone());
        match found {
            Some(function) => match function::proof(scope, &function.tags) {
                Ok(()) => {
                    if live.functions.get(&name) != Some(&function) {
                        live.functions.insert(name, function);
                        changed = true;
                    }
                }
                Err(reason) => {
                    live.functions.remove(&name);
                    live.permissions.remove(&name);
                    live.function_urls.remove(&name);
                    if wanted.contains(&name) {
                        live.foreign.push(Foreign {
                            kind: ResourceKind::Function,
                            name,
                            reason,
                        });
                    }
                    changed = true;
                }
            },
            None => {
                live.functions.remove(&name);
                live.permissions.remove(&name);
                live.function_urls.remove(&name);
                changed = true;
            }
        }
    }
    live.foreign
        .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(changed)
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
        if !live.functions.contains_key(&function.name) {
            continue;
        }
        live.confirmed.insert(function.name.clone());
        match function::proof(&desired.scope, &function.tags) {
            Ok(()) => {
                live.functions.insert(function.name.clone(), function);
            }
            // The index still lists it as lade's, but it is not (any more).
            Err(reason) => {
                live.functions.remove(&function.name);
                live.foreign.push(Foreign {
                    kind: ResourceKind::Function,
                    name: function.name.clone(),
                    reason,
                });
            }
        }
    }
    live.foreign
        .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(())
}

/// The ARNs the manifest names that do not exist, so that the plan fails at once
/// rather than the apply halfway: a function's role given by ARN (else apply would
/// retry `CreateFunction` for minutes, as if a new role were still propagating), and
/// a role's managed policy (else `AttachRolePolicy` fails after other steps ran, and
/// every re-run fails the same way). One read per distinct ARN, and none for what the
/// account already shows in use: a function already on that role, a policy already
/// attached to that role. A no-op plan makes none.
async fn missing_arns(
    cloud: &dyn Cloud,
    desired: &Desired,
    live: &Live,
    gates: &Gates,
) -> Result<BTreeSet<String>, CloudError> {
    let roles: BTreeSet<&str> = desired
        .functions
        .values()
        .filter_map(|function| match &function.role {
            RoleRef::Arn(arn) => Some((function, arn)),
            RoleRef::Key(_) => None,
        })
        .filter(|(function, arn)| {
            live.functions
                .get(&function.name)
                .is_none_or(|live| &live.role_arn != *arn)
                && !live.roles.values().any(|role| &role.arn == *arn)
        })
        .map(|(_, arn)| arn.as_str())
        .collect();
    let policies: BTreeSet<&str> = desired
        .roles
        .values()
        .flat_map(|role| {
            let attached = live.roles.get(&role.name).map(|r| &r.managed_policies);
            role.managed_policies
                .iter()
                .filter(move |arn| attached.is_none_or(|attached| !attached.contains(*arn)))
        })
        .map(String::as_str)
        .collect();
    let reads = roles
        .into_iter()
        .map(|arn| (arn, true))
        .chain(policies.into_iter().map(|arn| (arn, false)));
    let found: Vec<(String, bool)> = stream::iter(reads)
        .map(|(arn, is_role)| async move {
            let exists = if is_role {
                gates
                    .run(Some(Service::Iam), cloud.role_exists(arn))
                    .await?
            } else {
                gates
                    .run(Some(Service::Iam), cloud.policy_exists(arn))
                    .await?
            };
            Ok::<_, CloudError>((arn.to_owned(), exists))
        })
        .buffer_unordered(gates.width(Service::Iam))
        .try_collect()
        .await?;
    Ok(found
        .into_iter()
        .filter(|(_, exists)| !exists)
        .map(|(arn, _)| arn)
        .collect())
}

/// The owned functions whose resource policy can hold a statement of lade that
/// matters: every owned function when the manifest or the account has an API (see the
/// module docs), none otherwise.
fn permission_targets(desired: &Desired, live: &Live) -> BTreeSet<String> {
    if desired.api.is_none()
        && live.api.is_none()
        && live.extra_apis.is_empty()
        && live.http_api.is_none()
        && live.extra_http_apis.is_empty()
    {
        // Without an API, only functions with a URL (wanted, live or marked) can hold
        // lade's statements: the public ones of a URL without auth.
        return live
            .functions
            .iter()
            .filter(|(name, function)| {
                live.function_urls.contains_key(*name)
                    || function.tags.contains_key(function_url::TAG_URL)
                    || desired
                        .functions
                        .values()
                        .any(|f| &f.name == *name && f.url.is_some())
            })
            .map(|(name, _)| name.clone())
            .collect();
    }
    live.functions.keys().cloned().collect()
}

/// Reads the owned REST APIs with their resources, stages and deployments: `stage` is
/// the one the manifest names (`api.stage`), the others are kept in `other_stages`
/// (see [`LiveApi::previous_stages`] for those lade made). More than
/// one owned API means an earlier apply was interrupted after `CreateRestApi`
/// succeeded but before its answer arrived: the one with the most resources is kept
/// and the others are reported for deletion.
async fn read_api(
    cloud: &dyn Cloud,
    scope: &Scope,
    stage: &str,
    gates: &Gates,
) -> Result<(Option<LiveApi>, Vec<String>), CloudError> {
    let api_gateway = Some(Service::ApiGateway);
    let apis = gates
        .run(api_gateway, cloud.find_rest_apis(&scope.ownership_tags()))
        .await?;
    let mut read: Vec<LiveApi> = stream::iter(apis)
        .map(|mut api| async move {
            let (resources, stages, deployments) = futures::try_join!(
                gates.run(api_gateway, cloud.get_api_resources(&api.id)),
                gates.run(api_gateway, cloud.get_stages(&api.id)),
                gates.run(api_gateway, cloud.get_deployments(&api.id)),
            )?;
            api.resources = resources.into_iter().map(|r| (r.path.clone(), r)).collect();
            let (ours, others): (Vec<_>, Vec<_>) =
                stages.into_iter().partition(|s| s.name == stage);
            api.stage = ours.into_iter().next();
            api.other_stages = others;
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

/// Reads the owned HTTP APIs (API Gateway v2): one `GetApis` (paginated), and for each
/// owned API one `GetRoutes`, `GetIntegrations` and `GetStages`, then `GetAuthorizers`
/// when the manifest has authorizers or a live route uses one (an API without either
/// has none lade would change; one left unused by an interrupted apply goes with the
/// API, or is found once the manifest names an authorizer again). As for REST APIs,
/// more than one owned API is left by an interrupted `CreateApi`: the one with the most
/// routes is kept and the others are reported for deletion.
async fn read_http_api(
    cloud: &dyn Cloud,
    scope: &Scope,
    wants_authorizers: bool,
    gates: &Gates,
) -> Result<(Option<crate::model::LiveHttpApi>, Vec<String>), CloudError> {
    let v2 = Some(Service::ApiGatewayV2);
    let apis = gates
        .run(v2, cloud.find_http_apis(&scope.ownership_tags()))
        .await?;
    let mut read: Vec<crate::model::LiveHttpApi> = stream::iter(apis)
        .map(|mut api| async move {
            let (routes, integrations, stages) = futures::try_join!(
                gates.run(v2, cloud.get_http_routes(&api.id)),
                gates.run(v2, cloud.get_http_integrations(&api.id)),
                gates.run(v2, cloud.get_http_stages(&api.id)),
            )?;
            let authorizers =
                if wants_authorizers || routes.iter().any(|r| r.auth.authorizer_id.is_some()) {
                    gates.run(v2, cloud.get_http_authorizers(&api.id)).await?
                } else {
                    Vec::new()
                };
            api.routes = routes.into_iter().map(|r| (r.key.clone(), r)).collect();
            api.integrations = integrations
                .into_iter()
                .map(|i| (i.id.clone(), i))
                .collect();
            api.authorizers = authorizers
                .into_iter()
                .map(|a| (a.name.clone(), a))
                .collect();
            api.stages = stages.into_iter().map(|s| (s.name.clone(), s)).collect();
            Ok::<_, CloudError>(api)
        })
        .buffer_unordered(gates.width(Service::ApiGatewayV2))
        .try_collect()
        .await?;
    read.sort_by(|a, b| (b.routes.len(), &a.id).cmp(&(a.routes.len(), &b.id)));
    let mut apis = read.into_iter();
    let kept = apis.next();
    Ok((kept, apis.map(|api| api.id).collect()))
}
