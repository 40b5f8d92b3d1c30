//! Function URLs: a function's own HTTPS endpoint (`url:`), and the public statements
//! a URL without auth needs in the function's resource policy.
//!
//! A URL's identity is its function: Lambda gives a function one URL (for its
//! unqualified name, which is all lade uses). A URL is lade's when its function is,
//! so a URL on an owned function that the manifest does not ask for is deleted.
//! Because Lambda has no account-wide listing of URLs, live reads a function's URL
//! only where the manifest asks for one or the function's `lade:url` tag ([`TAG_URL`])
//! says it has one: the tag is written before the URL is created and removed after it
//! is deleted, so an interrupted apply leaves a tag without a URL (one wasted read),
//! never a URL without a tag.
//!
//! Every setting changes in place (`UpdateFunctionUrlConfig`). A URL without auth
//! (`auth: none`) needs two statements with fixed ids ([`PublicStatement`]), as AWS
//! documents for URLs made since October 2025; they are added after the URL is made
//! or set to `NONE`, and removed *before* it becomes `AWS_IAM` or is deleted (the
//! `lambda:InvokeFunction` statement, conditioned only on the call coming through
//! the URL, would otherwise let any signed caller in). A function is deleted after its
//! URL; its resource policy goes with it.

use super::{DiffCx, Fingerprint, Kind, PlanCx, fingerprint};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue, Ref};
use crate::model::{Cors, Live, PublicStatement, ResourceKind, UrlAuth, UrlSettings};
use crate::plan::address::{Address, Object, PUBLIC};
use crate::plan::graph::{Need, Phase, StepSpec};
use crate::plan::{LambdaOp, Op};

/// Tag key on a function that has (or is about to have) a URL: the read of its URL
/// is skipped for functions without it that the manifest gives none.
pub const TAG_URL: &str = "lade:url";

/// The function URL kind.
pub struct FunctionUrl;

/// The public statements lade's account holds for `function`, by the fixed ids.
pub fn public_statements(live: &Live, function: &str) -> Vec<PublicStatement> {
    let statements = live.permissions.get(function);
    PublicStatement::ALL
        .into_iter()
        .filter(|s| statements.into_iter().flatten().any(|p| p.sid == s.sid()))
        .collect()
}

fn wanted_statements(settings: Option<&UrlSettings>) -> Vec<PublicStatement> {
    match settings {
        Some(settings) if settings.auth == UrlAuth::None => PublicStatement::ALL.to_vec(),
        _ => Vec::new(),
    }
}

fn sids(statements: &[PublicStatement]) -> FieldValue {
    FieldValue::List(statements.iter().map(|s| s.sid().to_string()).collect())
}

impl Kind for FunctionUrl {
    fn name(&self) -> &'static str {
        "function URL"
    }

    fn diff(&self, cx: &DiffCx) -> Vec<Change> {
        let (desired, live) = (cx.desired, cx.live);
        let mut changes = Vec::new();
        for function in desired.functions.values() {
            let name = &function.name;
            let existing = live.function_urls.get(name);
            if let Some(wanted) = &function.url {
                let fields = url_fields(wanted, existing.map(|u| &u.settings));
                let action = match existing {
                    None => Some(Action::Create),
                    Some(_) if fields.is_empty() => None,
                    Some(_) => Some(Action::Update),
                };
                if let Some(action) = action {
                    changes.push(Change {
                        fields,
                        ..Change::new(Address::FunctionUrl(name.clone()), name, action)
                    });
                }
            }
            let wanted = wanted_statements(function.url.as_ref());
            let present = public_statements(live, name);
            let action = match (wanted.is_empty(), present.is_empty()) {
                _ if wanted == present => None,
                (false, true) => Some(Action::Create),
                (false, false) => Some(Action::Update),
                (true, _) => Some(Action::Delete),
            };
            if let Some(action) = action {
                changes.push(Change {
                    fields: vec![FieldChange {
                        field: Field::PublicStatements,
                        old: (!present.is_empty()).then(|| sids(&present)),
                        new: (!wanted.is_empty()).then(|| sids(&wanted)),
                    }],
                    ..Change::new(
                        Address::PublicUrl(name.clone()),
                        format!("{name}{PUBLIC}"),
                        action,
                    )
                });
            }
        }
        // URLs of owned functions the manifest gives none: a removed `url:`, or a
        // removed function (its statements go with it).
        for name in live.function_urls.keys() {
            let wanted = desired
                .functions
                .values()
                .any(|f| &f.name == name && f.url.is_some());
            if !wanted {
                changes.push(Change::new(
                    Address::FunctionUrl(name.clone()),
                    name,
                    Action::Delete,
                ));
            }
        }
        changes
    }

    fn steps(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::FunctionUrl)
            .filter(|c| c.action != Action::Delete)
        {
            match &change.address {
                Address::FunctionUrl(function) => {
                    let Some(wanted) = wanted_url(cx, function) else {
                        continue;
                    };
                    let ready = Need::Ready(Address::Function(function.clone()));
                    let spec = if change.action == Action::Create {
                        StepSpec::new(
                            Phase::FunctionUrls,
                            Op::Lambda(LambdaOp::CreateFunctionUrlConfig {
                                function: function.clone(),
                                function_arn: function_arn(cx.live, function),
                                settings: wanted.clone(),
                            }),
                        )
                        .creates(change.address.clone())
                    } else {
                        StepSpec::new(
                            Phase::FunctionUrls,
                            Op::Lambda(LambdaOp::UpdateFunctionUrlConfig {
                                function: function.clone(),
                                settings: wanted.clone(),
                            }),
                        )
                        .sets(change.address.clone())
                    };
                    specs.push(
                        spec.needs([ready, Need::Gone(Address::PublicUrl(function.clone()))])
                            .why("a URL needs its function, and loses its public statements before it requires auth"),
                    );
                }
                Address::PublicUrl(function) => {
                    let present = public_statements(cx.live, function);
                    for statement in PublicStatement::ALL {
                        if present.contains(&statement) {
                            continue;
                        }
                        let spec = StepSpec::new(
                            Phase::FunctionUrls,
                            Op::Lambda(LambdaOp::AddUrlPermission {
                                function: function.clone(),
                                statement,
                            }),
                        )
                        .needs([
                            Need::Exists(Address::Function(function.clone())),
                            Need::Ready(Address::FunctionUrl(function.clone())),
                        ])
                        .why("the public may call a URL once it is made without auth");
                        specs.push(if change.action == Action::Create {
                            spec.creates(change.address.clone())
                        } else {
                            spec.sets(change.address.clone())
                        });
                    }
                }
                _ => {}
            }
        }
        specs
    }

    fn deletes(&self, cx: &PlanCx) -> Vec<StepSpec> {
        let mut specs = Vec::new();
        for change in cx
            .changes_of(ResourceKind::FunctionUrl)
            .filter(|c| c.action == Action::Delete)
        {
            match &change.address {
                Address::FunctionUrl(function) => {
                    let Some(live) = cx.live.functions.get(function) else {
                        continue;
                    };
                    specs.push(
                        StepSpec::new(
                            Phase::FunctionUrlCleanup,
                            Op::Lambda(LambdaOp::DeleteFunctionUrlConfig {
                                function: function.clone(),
                                function_arn: live.arn.clone(),
                            }),
                        )
                        .deletes(change.address.clone()),
                    );
                }
                Address::PublicUrl(function) => {
                    for statement in public_statements(cx.live, function) {
                        specs.push(
                            StepSpec::new(
                                Phase::FunctionUrlCleanup,
                                Op::Lambda(LambdaOp::RemoveUrlPermission {
                                    function: function.clone(),
                                    statement,
                                }),
                            )
                            .deletes(change.address.clone()),
                        );
                    }
                }
                _ => {}
            }
        }
        specs
    }

    fn fingerprints(&self, live: &Live) -> Vec<(Object, Fingerprint)> {
        live.function_urls
            .iter()
            .map(|(function, url)| (Object::FunctionUrl(function.clone()), fingerprint(url)))
            .collect()
    }
}

fn wanted_url<'a>(cx: &'a PlanCx, function: &str) -> Option<&'a UrlSettings> {
    cx.desired
        .functions
        .values()
        .find(|f| f.name == function)?
        .url
        .as_ref()
}

fn function_arn(live: &Live, function: &str) -> Ref {
    match live.functions.get(function) {
        Some(existing) => Ref::Known(existing.arn.clone()),
        None => Ref::After(crate::diff::Output::FunctionArn(function.to_string())),
    }
}

/// One setting of a URL, as a plan shows it; `None` where it is not set.
type Setting = fn(&UrlSettings) -> Option<FieldValue>;

fn cors_list(list: fn(&Cors) -> &Vec<String>) -> impl Fn(&UrlSettings) -> Option<FieldValue> {
    move |s| {
        s.cors
            .as_ref()
            .map(list)
            .filter(|l| !l.is_empty())
            .map(|l| FieldValue::List(l.clone()))
    }
}

/// How a URL's settings differ (every setting, for a new URL).
fn url_fields(wanted: &UrlSettings, live: Option<&UrlSettings>) -> Vec<FieldChange> {
    let rows: [(Field, Setting); 8] = [
        (Field::UrlAuth, |s| {
            Some(FieldValue::Text(s.auth.as_str().to_string()))
        }),
        (Field::InvokeMode, |s| {
            Some(FieldValue::Text(s.invoke_mode.as_str().to_string()))
        }),
        (Field::AllowOrigins, |s| cors_list(|c| &c.allow_origins)(s)),
        (Field::AllowMethods, |s| cors_list(|c| &c.allow_methods)(s)),
        (Field::AllowHeaders, |s| cors_list(|c| &c.allow_headers)(s)),
        (Field::ExposeHeaders, |s| {
            cors_list(|c| &c.expose_headers)(s)
        }),
        (Field::AllowCredentials, |s| {
            s.cors
                .as_ref()
                .filter(|c| c.allow_credentials)
                .map(|_| FieldValue::Flag(true))
        }),
        (Field::MaxAge, |s| {
            s.cors
                .as_ref()
                .filter(|c| c.max_age != 0)
                .map(|c| FieldValue::Number(c.max_age.into()))
        }),
    ];
    rows.into_iter()
        .filter_map(|(field, value)| {
            let new = value(wanted);
            let old = live.and_then(value);
            let differs = match live {
                Some(_) => old != new,
                None => new.is_some(),
            };
            differs.then_some(FieldChange { field, old, new })
        })
        .collect()
}
