//! A function's `url:` → its [`UrlSettings`]: a function URL.
//!
//! Checks what `CreateFunctionUrlConfig` would refuse, before any request: `auth` is
//! `none` or `iam`, `invoke_mode` is `buffered` or `response_stream`; each CORS origin
//! is `*` or `scheme://host[:port]`; `allow_credentials: true` is refused with origin
//! `*` (browsers refuse the pair, and Lambda refuses it too); each method is an HTTP
//! method Lambda takes (not `OPTIONS`) or `*`; `max_age` is 0 to 86400 seconds; each
//! list holds at most as many items, each at most as long, as Lambda takes. Also that
//! a `${function:KEY.url}` names a function that has a URL.

use std::collections::BTreeMap;

use crate::manifest::node::Loc;
use crate::manifest::raw::{RawUrl, Sp};
use crate::model::{Cors, CrossRef, Function, InvokeMode, UrlAuth, UrlSettings};

use super::Validator;
use super::cors::CorsFor;

impl Validator<'_, '_> {
    pub(super) fn url(&mut self, owner: &str, raw: Option<&Sp<RawUrl>>) -> Option<UrlSettings> {
        let long = match &raw?.value {
            RawUrl::Short(flag) if flag.value => {
                return Some(UrlSettings {
                    auth: UrlAuth::None,
                    cors: None,
                    invoke_mode: InvokeMode::Buffered,
                });
            }
            RawUrl::Short(_) => return None,
            RawUrl::Long(long) => long,
        };
        let auth = match &long.auth {
            None => UrlAuth::None,
            Some(auth) => match auth.value.as_str() {
                "none" => UrlAuth::None,
                "iam" => UrlAuth::Iam,
                other => {
                    self.r
                        .error(auth.loc, format!("`auth: {other}` in {owner} is not a kind of function URL auth"))
                        .help("write `none` (anyone may call it) or `iam` (signed requests IAM allows)");
                    UrlAuth::None
                }
            },
        };
        let invoke_mode = match &long.invoke_mode {
            None => InvokeMode::Buffered,
            Some(mode) => match mode.value.as_str() {
                "buffered" => InvokeMode::Buffered,
                "response_stream" => InvokeMode::ResponseStream,
                other => {
                    self.r
                        .error(
                            mode.loc,
                            format!("`invoke_mode: {other}` in {owner} is not an invoke mode"),
                        )
                        .help("write `buffered` (the whole answer at once) or `response_stream`");
                    InvokeMode::Buffered
                }
            },
        };
        let cors = long
            .cors
            .as_ref()
            .and_then(|cors| self.cors(owner, cors, CorsFor::Url))
            .and_then(Cors::non_empty);
        Some(UrlSettings {
            auth,
            cors,
            invoke_mode,
        })
    }

    /// Every `${function:KEY.url}` names a function with a URL.
    pub(super) fn url_refs(
        &mut self,
        functions: &BTreeMap<String, Function>,
        refs: &[(String, CrossRef, Loc)],
    ) {
        for (owner, reference, loc) in refs {
            let CrossRef::FunctionUrl(key) = reference else {
                continue;
            };
            if functions.get(key).is_some_and(|f| f.url.is_none()) {
                self.r
                    .error(
                        *loc,
                        format!("`${{function:{key}.url}}` in function `{owner}`: function `{key}` has no `url:`"),
                    )
                    .help(format!("add `url: true` (or its long form) to function `{key}`"));
            }
        }
    }
}
