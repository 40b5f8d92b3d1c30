//! `cors:` → [`Cors`], for a function URL or an API.
//!
//! Checks what AWS would refuse, before any request: each origin is `*` or
//! `scheme://host[:port]`; `allow_credentials: true` is refused with origin `*`
//! (browsers refuse the pair, and Lambda and API Gateway refuse it too); each method is
//! an HTTP method or `*` (for a function URL, one Lambda takes: not `OPTIONS`);
//! `max_age` is 0 to 86400 seconds; for a function URL, each list holds at most as
//! many items, each at most as long, as Lambda takes.

use crate::manifest::raw::{RawCors, Sp};
use crate::manifest::rules;
use crate::model::Cors;

use super::Validator;

/// Whose CORS settings these are: the rules differ a little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CorsFor {
    /// A function URL: Lambda's `Cors` shape and limits.
    Url,
    /// An API: REST (lade's OPTIONS methods) or HTTP (the API's `CorsConfiguration`).
    Api,
}

/// The HTTP methods a function URL's CORS settings accept (and `*`). Not `OPTIONS`:
/// Lambda answers preflight requests itself, and takes methods of at most 6
/// characters.
const URL_METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"];

/// At most this many seconds of `max_age` (Lambda's limit, and what browsers honour).
const MAX_AGE: i64 = 86400;

impl Validator<'_, '_> {
    pub(super) fn cors(&mut self, owner: &str, raw: &Sp<RawCors>, target: CorsFor) -> Option<Cors> {
        let list = |items: &Option<Vec<Sp<String>>>| -> Vec<String> {
            items
                .iter()
                .flatten()
                .map(|item| item.value.clone())
                .collect()
        };
        let cors = &raw.value;
        if target == CorsFor::Url {
            self.url_cors_limits(owner, cors);
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
            match target {
                CorsFor::Url if !URL_METHODS.contains(&method.value.as_str()) => {
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
                            URL_METHODS.join(", ")
                        ));
                }
                CorsFor::Api
                    if method.value != "*"
                        && (!rules::METHODS.contains(&method.value.as_str())
                            || method.value == "ANY") =>
                {
                    self.r
                        .error(
                            method.loc,
                            format!(
                                "`{}` in the `allow_methods` of {owner} is not an HTTP method",
                                method.value
                            ),
                        )
                        .help("write methods in uppercase (`GET`, `POST`, …), or `*` for all");
                }
                _ => {}
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
                    .help("browsers cache a preflight answer for at most 86400 seconds (a day)");
                0
            }
        };
        if target == CorsFor::Api && cors.allow_origins.as_ref().is_none_or(Vec::is_empty) {
            self.r
                .error(raw.loc, format!("the `cors` of {owner} allows no origin"))
                .help("list the origins browsers may call from in `allow_origins`, e.g. `[\"https://example.com\"]`, or `[\"*\"]`");
        }
        Some(Cors {
            allow_origins: list(&cors.allow_origins),
            allow_methods: list(&cors.allow_methods),
            allow_headers: list(&cors.allow_headers),
            expose_headers: list(&cors.expose_headers),
            allow_credentials: credentials,
            max_age,
        })
    }

    /// Lambda's limits on each list (the `Cors` shape of its API reference).
    fn url_cors_limits(&mut self, owner: &str, cors: &RawCors) {
        let lists = [
            ("allow_origins", &cors.allow_origins, 100, 253),
            // Each method is checked against URL_METHODS.
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
