//! `api:` → [`Api`]: the REST API's settings and its routes.
//!
//! Owns route keys (`GET /items/{id}`: method, path, parameters), repeated routes,
//! parameter names that API Gateway needs to agree, the function each route invokes,
//! and the API's own settings (name, endpoint, binary media types). It does not build
//! API Gateway resources: `plan` does, from [`Route`]s.

use std::collections::HashMap;

use crate::manifest::raw::{self, RawApi, RawRoute, Sp};
use crate::manifest::rules::{self, suggest};
use crate::model::{Api, ApiSettings, Authorization, Endpoint, Route, Scope};

use super::Validator;

impl Validator<'_, '_> {
    pub(super) fn api(&mut self, scope: &Scope, api: &RawApi) -> Api {
        let mut routes = Vec::new();
        // (method, path with parameters blanked) → the route key that used it first.
        let mut seen: HashMap<(String, String), Sp<String>> = HashMap::new();
        // Parameter names at each parent path, which API Gateway requires to agree.
        let mut params: HashMap<String, Sp<String>> = HashMap::new();
        for (key, target) in api.routes.iter() {
            let (function, authorization, api_key_required) = match target {
                RawRoute::Short(f) => (f, None, None),
                RawRoute::Long(long) => (
                    &long.function,
                    long.authorization.as_ref().map(|a| a.value),
                    long.api_key_required.as_ref().map(|k| k.value),
                ),
            };
            let Some((method, path)) = self.route_key(key) else {
                continue;
            };
            let normal = normalize_params(&path);
            if let Some(first) = seen.get(&(method.clone(), normal.clone())) {
                self.r
                    .error(key.loc, format!("route `{}` repeats route `{}`", key.value, first.value))
                    .help(format!(
                        "`{}` is on line {}; API Gateway serves one integration per method and path",
                        first.value, first.loc.line
                    ));
                continue;
            }
            seen.insert((method.clone(), normal), key.clone());
            if !self.param_names_agree(key, &path, &mut params) {
                continue;
            }
            if !self.declared.functions.contains(&function.value) {
                let declared = &self.declared.functions;
                let mut h = self.r.error(
                    function.loc,
                    format!(
                        "route `{}` points to function `{}`, which is not defined in `functions:`",
                        key.value, function.value
                    ),
                );
                if let Some(s) = suggest(&function.value, declared.iter().map(String::as_str)) {
                    h = h.help(format!("did you mean `{s}`?"));
                }
                if !declared.is_empty() {
                    h = h.help(format!(
                        "defined functions: {}",
                        declared
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                let _ = h;
                continue;
            }
            routes.push(Route {
                method,
                path,
                function: function.value.clone(),
                authorization: match authorization {
                    Some(raw::Authorization::AwsIam) => Authorization::AwsIam,
                    Some(raw::Authorization::None) | None => Authorization::None,
                },
                api_key_required: api_key_required.unwrap_or(false),
                authorizer: None,
                scopes: Vec::new(),
            });
        }
        for media_type in api.binary_media_types.iter().flatten() {
            let valid = media_type.value.split_once('/').is_some_and(|(t, s)| {
                !t.is_empty() && !s.is_empty() && !media_type.value.contains(char::is_whitespace)
            });
            if !valid {
                self.r
                    .error(
                        media_type.loc,
                        format!("`{}` is not a media type", media_type.value),
                    )
                    .help("a media type is `type/subtype`, e.g. `image/png` or `*/*`");
            }
        }
        Api {
            settings: ApiSettings {
                name: api
                    .name
                    .as_ref()
                    .map(|n| n.value.clone())
                    .unwrap_or_else(|| scope.api_name()),
                description: api
                    .description
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
                endpoint: match api.endpoint.as_ref().map(|e| e.value) {
                    Some(raw::Endpoint::Edge) => Endpoint::Edge,
                    Some(raw::Endpoint::Regional) | None => Endpoint::Regional,
                },
                binary_media_types: api
                    .binary_media_types
                    .iter()
                    .flatten()
                    .map(|m| m.value.clone())
                    .collect(),
            },
            routes,
            // Provisional until the lead's `api.type`/`stage`/`cors`/`authorizers` land.
            protocol: crate::model::ApiProtocol::Rest,
            stage: scope.stage.clone(),
            cors: None,
            authorizers: Default::default(),
        }
    }

    /// Splits `"GET /items"` into method and path, reporting what is wrong.
    pub(super) fn route_key(&mut self, key: &Sp<String>) -> Option<(String, String)> {
        let Some((method, path)) = key.value.split_once(' ') else {
            self.r
                .error(key.loc, format!("route `{}` has no method", key.value))
                .help(format!(
                    "write the method, a space, then the path, e.g. `GET {}`",
                    if key.value.starts_with('/') {
                        key.value.as_str()
                    } else {
                        "/items"
                    }
                ));
            return None;
        };
        if path.starts_with(char::is_whitespace) {
            self.r
                .error(
                    key.loc,
                    format!(
                        "route `{}` has more than one space after the method",
                        key.value
                    ),
                )
                .help(format!("write `{method} {}`", path.trim_start()));
            return None;
        }
        let mut ok = true;
        if !rules::METHODS.contains(&method) {
            ok = false;
            let mut h = self.r.error(
                key.loc,
                format!("`{method}` in route `{}` is not an HTTP method", key.value),
            );
            h = if rules::METHODS.contains(&method.to_ascii_uppercase().as_str()) {
                h.help(format!(
                    "methods are uppercase: `{}`",
                    method.to_ascii_uppercase()
                ))
            } else if let Some(s) = suggest(method, rules::METHODS.iter().copied()) {
                h.help(format!("did you mean `{s}`?"))
            } else {
                h.help(format!("methods: {}", rules::METHODS.join(", ")))
            };
            let _ = h;
        }
        if let Err(why) = rules::check_route_path(path) {
            ok = false;
            self.r
                .error(key.loc, format!("route `{}`: {why}", key.value))
                .help("a path is `/`-separated segments, each text or a `{param}`; only the last may be a greedy `{proxy+}`, e.g. `GET /items/{id}`");
        }
        ok.then(|| (method.to_owned(), path.to_owned()))
    }

    /// API Gateway has one resource per path, so `/items/{id}` and `/items/{key}` cannot
    /// both exist: sibling parameters must share a name.
    pub(super) fn param_names_agree(
        &mut self,
        key: &Sp<String>,
        path: &str,
        params: &mut HashMap<String, Sp<String>>,
    ) -> bool {
        let mut parent = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('{') {
                let slot = format!("{parent}/{{}}");
                match params.get(&slot) {
                    Some(first) if first.value != segment => {
                        self.r
                            .error(
                                key.loc,
                                format!(
                                    "route `{}` names the parameter `{segment}` where another route names it `{}`",
                                    key.value, first.value
                                ),
                            )
                            .help(format!(
                                "API Gateway needs one name per path position (line {}); rename one of them",
                                first.loc.line
                            ));
                        return false;
                    }
                    Some(_) => {}
                    None => {
                        params.insert(
                            slot,
                            Sp {
                                value: segment.to_owned(),
                                loc: key.loc,
                            },
                        );
                    }
                }
            }
            parent.push('/');
            parent.push_str(if segment.starts_with('{') {
                "{}"
            } else {
                segment
            });
        }
        true
    }
}

fn normalize_params(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}
