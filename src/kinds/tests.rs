//! Every registered kind does its duties: with nothing desired, it plans the removal of
//! what it owns, and it fingerprints every live object it owns.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{DiffCx, KINDS, PlanCx};
use crate::model::*;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/lade/shop/dev/shop-dev-api";

/// An account that holds one owned object of every kind.
fn everything() -> Live {
    let function = LiveFunction {
        name: "shop-dev-list".into(),
        arn: "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-list".into(),
        handler: "app.handler".into(),
        runtime: "python3.12".into(),
        role_arn: ROLE_ARN.into(),
        memory: 128,
        timeout: 3,
        environment: BTreeMap::new(),
        description: String::new(),
        architecture: Architecture::X86_64,
        code_sha256: "abc".into(),
        code_size: 1,
        revision_id: "r1".into(),
        tags: BTreeMap::new(),
    };
    let role = LiveRole {
        name: "shop-dev-api".into(),
        arn: ROLE_ARN.into(),
        path: "/lade/shop/dev/".into(),
        trust_policy: json!({}),
        managed_policies: BTreeSet::from(["arn:aws:iam::aws:policy/ReadOnlyAccess".into()]),
        inline_policies: BTreeMap::new(),
        boundary: None,
    };
    let api = LiveApi {
        id: "a1b2c3".into(),
        settings: ApiSettings {
            name: "shop-dev".into(),
            description: String::new(),
            endpoint: Endpoint::Regional,
            binary_media_types: BTreeSet::new(),
        },
        tags: BTreeMap::new(),
        resources: BTreeMap::from([(
            "/".into(),
            LiveResource {
                id: "root".into(),
                path: "/".into(),
                methods: BTreeMap::new(),
            },
        )]),
        stage: None,
        other_stages: Vec::new(),
        deployments: Vec::new(),
    };
    Live {
        region: None,
        roles: BTreeMap::from([(role.name.clone(), role)]),
        functions: BTreeMap::from([(function.name.clone(), function)]),
        foreign: Vec::new(),
        api: Some(api),
        extra_apis: Vec::new(),
        http_api: Some(crate::model::LiveHttpApi {
            id: "h1j2k3".into(),
            settings: crate::model::HttpApiSettings {
                name: "shop-dev".into(),
                description: String::new(),
                cors: None,
            },
            tags: BTreeMap::new(),
            routes: BTreeMap::new(),
            integrations: BTreeMap::new(),
            authorizers: BTreeMap::new(),
            stages: BTreeMap::new(),
        }),
        extra_http_apis: Vec::new(),
        permissions: BTreeMap::new(),
        event_sources: BTreeMap::from([(
            "shop-dev-list".into(),
            vec![LiveEventSource {
                uuid: "u1".into(),
                function: "shop-dev-list".into(),
                arn: "arn:aws:sqs:us-east-1:123456789012:jobs".into(),
                state: "Enabled".into(),
                settings: SourceSettings::defaults(SourceKind::Sqs),
            }],
        )]),
        function_urls: BTreeMap::from([(
            "shop-dev-list".into(),
            LiveFunctionUrl {
                function: "shop-dev-list".into(),
                url: "https://abc.lambda-url.us-east-1.on.aws/".into(),
                settings: UrlSettings {
                    auth: UrlAuth::None,
                    cors: None,
                    invoke_mode: InvokeMode::Buffered,
                },
            },
        )]),
        rules: BTreeMap::from([(
            "shop-dev-list".into(),
            vec![LiveRule {
                name: "shop-dev-list-0a1b2c3d".into(),
                arn: "arn:aws:events:us-east-1:123456789012:rule/shop-dev-list-0a1b2c3d".into(),
                bus: "default".into(),
                function: "shop-dev-list".into(),
                settings: RuleSettings {
                    schedule: Some("rate(5 minutes)".into()),
                    pattern: None,
                    input: None,
                    description: String::new(),
                    enabled: true,
                },
                target: Some("arn:aws:lambda:us-east-1:123456789012:function:shop-dev-list".into()),
            }],
        )]),
        buckets: BTreeMap::from([(
            "uploads".into(),
            LiveBucket {
                notifications: vec![LiveNotification {
                    id: "lade/shop/dev/0a1b2c3d".into(),
                    bucket: "uploads".into(),
                    function: "shop-dev-list".into(),
                    function_arn: "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-list"
                        .into(),
                    settings: NotificationSettings {
                        events: vec!["s3:ObjectCreated:*".into()],
                        prefix: None,
                        suffix: None,
                    },
                }],
                others: json!({}),
            },
        )]),
        subscriptions: BTreeMap::from([(
            "shop-dev-list".into(),
            vec![LiveSubscription {
                arn: "arn:aws:sns:us-east-1:123456789012:alerts:1".into(),
                topic: "arn:aws:sns:us-east-1:123456789012:alerts".into(),
                function: "shop-dev-list".into(),
                filter: None,
            }],
        )]),
        confirmed: Default::default(),
        missing: Default::default(),
    }
}

fn nothing() -> Desired {
    Desired {
        scope: Scope {
            project: "shop".into(),
            stage: "dev".into(),
        },
        region: None,
        roles: BTreeMap::new(),
        functions: BTreeMap::new(),
        api: None,
        uses_account: false,
        today: crate::runtimes::date(2026, 12, 2),
    }
}

#[test]
fn every_kind_plans_the_removal_of_what_it_owns() {
    let (desired, live, artifacts) = (nothing(), everything(), BTreeMap::new());
    let diff = DiffCx {
        desired: &desired,
        live: &live,
        artifacts: &artifacts,
    };
    for kind in KINDS {
        let changes = kind.diff(&diff);
        assert!(
            !changes.is_empty()
                && changes
                    .iter()
                    .all(|c| c.action == crate::diff::Action::Delete),
            "{}: with nothing desired, its diff deletes what it owns: {changes:?}",
            kind.name()
        );
        let cx = PlanCx {
            desired: &desired,
            live: &live,
            changes: &changes,
            artifacts: &artifacts,
            salt: "salt",
        };
        let deletes = kind.deletes(&cx);
        assert!(
            !deletes.is_empty() && deletes.iter().all(|s| s.op.is_delete()),
            "{}: its deletes remove what it owns: {deletes:?}",
            kind.name()
        );
        assert!(
            kind.steps(&cx).is_empty(),
            "{}: removing needs no creates",
            kind.name()
        );
    }
}

#[test]
fn every_kind_fingerprints_what_it_owns() {
    let live = everything();
    for kind in KINDS {
        assert!(
            !kind.fingerprints(&live).is_empty(),
            "{}: fingerprints none of its live objects",
            kind.name()
        );
        assert!(
            kind.fingerprints(&Live::default()).is_empty(),
            "{}: fingerprints objects that are not there",
            kind.name()
        );
    }
}

#[test]
fn kinds_have_distinct_names() {
    let names: BTreeSet<&str> = KINDS.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), KINDS.len());
}
