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
use crate::manifest::raw::{RawCors, RawUrl, Sp};
use crate::model::{Cors, CrossRef, Function, InvokeMode, UrlAuth, UrlSettings};

use super::Validator;

/// The HTTP methods a function URL's CORS settings accept (and `*`). Not `OPTIONS`:
/// Lambda answers preflight requests itself, and takes methods of at most 6
/// characters.
const METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"];

/// At most this many seconds of `max_age` (Lambda's limit).
const MAX_AGE: i64 = 86400;

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
            .and_then(|cors| self.cors(owner, cors))
            .and_then(Cors::non_empty);
        Some(UrlSettings {
            auth,
            cors,
            invoke_mode,
        })
    }

    fn cors(&mut self, owner: &str, raw: &Sp<RawCors>) -> Option<Cors> {
        let list = |items: &Option<Vec<Sp<String>>>| -> Vec<String> {
            items
                .iter()
                .flatten()
                .map(|item| item.value.clone())
                .collect()
        };
        let cors = &raw.value;
        // Lambda's limits on each list (the `Cors` shape of the API reference).
        let lists = [
            ("allow_origins", &cors.allow_origins, 100, 253),
            // Each method is checked against METHODS below.
            ("allow_methods", &cors.allow_methods, 6, usize::MAX),
            ("allow_headers", &cors.allow_headers, 100, 1024),
            ("expose_headers", &cors.expose_headers, 100, 1024),
        ];
        for (name, items, most, longest) in lists {
            let items = items.as_deref().unwrap_or_default();
            if let Some(extra) = items.get(most) {
                self.r
                    .error(
                        extra.loc,
                        format!(
                            "`{name}` of {owner} has {} items; Lambda takes at most {most}",
                            items.len()
                        ),
                    )
                    .help("list fewer, or `*` where it stands for all");
            }
            for item in items.iter().filter(|i| i.value.len() > longest) {
                self.r
                    .error(
                        item.loc,
                        format!("an item of `{name}` of {owner} has {} characters; Lambda takes at most {longest}", item.value.len()),
                    )
                    .help("shorten it");
            }
        }
        for origin in cors.allow_origins.iter().flatten() {
            if origin.value != "*" && !is_origin(&origin.value) {
                self.r
                    .error(
                        origin.loc,
                        format!("`{}` in the `allow_origins` of {owner} is not an origin", origin.value),
                    )
                    .help("an origin is `*` or `scheme://host[:port]`, e.g. `https://example.com`, with no path");
            }
        }
        for method in cors.allow_methods.iter().flatten() {
            if !METHODS.contains(&method.value.as_str()) {
                self.r
                    .error(
                        method.loc,
                        format!(
                            "`{}` in the `allow_methods` of {owner} is not a method a function URL's CORS takes",
                            method.value
                        ),
                    )
                    .help(format!(
                        "write one of {}; Lambda answers preflight (OPTIONS) requests itself",
                        METHODS.join(", ")
                    ));
            }
        }
        let credentials = cors.allow_credentials.as_ref().is_some_and(|c| c.value);
        if credentials
            && let Some(star) = cors
                .allow_origins
                .iter()
                .flatten()
                .find(|origin| origin.value == "*")
        {
            let at = cors.allow_credentials.as_ref().map_or(star.loc, |c| c.loc);
            self.r
                .error(
                    at,
                    format!("`allow_credentials: true` in {owner} cannot go with origin `*`"),
                )
                .help("browsers refuse credentials from a wildcard origin: list the origins that may send them");
        }
        let max_age = match &cors.max_age {
            None => 0,
            Some(age) if (0..=MAX_AGE).contains(&age.value) => {
                i32::try_from(age.value).unwrap_or_default()
            }
            Some(age) => {
                self.r
                    .error(
                        age.loc,
                        format!(
                            "`max_age` in {owner} must be between 0 and {MAX_AGE} seconds, not {}",
                            age.value
                        ),
                    )
                    .help("Lambda caches a preflight answer for at most 86400 seconds (a day)");
                0
            }
        };
        Some(Cors {
            allow_origins: list(&cors.allow_origins),
            allow_methods: list(&cors.allow_methods),
            allow_headers: list(&cors.allow_headers),
            expose_headers: list(&cors.expose_headers),
            allow_credentials: credentials,
            max_age,
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

/// `scheme://host[:port]`: a scheme of letters, a host of letters, digits, `-`, `.` and
/// a leading `*.`, and an optional port of digits; no path.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphabetic())
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn origins() {
        for good in [
            "https://example.com",
            "http://localhost:3000",
            "https://*.example.com",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "example.com",
            "https://",
            "https://example.com/path",
            "https://a:b",
            "://x",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
