//! `api:` → [`Api`]: the API's type, stage, settings, CORS, authorizers and routes.
//!
//! Owns route keys (`GET /items/{id}`: method, path, parameters; `$default` on HTTP
//! APIs only), repeated routes, parameter names that API Gateway needs to agree, the
//! function each route invokes, each route's authorizer and scopes, the authorizers
//! (their type per API type, the fields each type takes, identity sources), the stage
//! name, and the API's own settings (name, endpoint, binary media types; the last two
//! REST only). It does not build API Gateway resources: the kinds do, from [`Route`]s.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::node::Loc;
use crate::manifest::raw::{self, RawApi, RawAuthorizer, RawRoute, Sp};
use crate::manifest::rules::{self, suggest};
use crate::model::{
    Api, ApiProtocol, ApiSettings, Authorization, Authorizer, DEFAULT_HTTP_STAGE,
    DEFAULT_IDENTITY_SOURCE, DEFAULT_ROUTE, Endpoint, LambdaPayload, Route, Scope,
};

use super::Validator;
use super::cors::CorsFor;

/// At most this many seconds of a Lambda authorizer's result cache (API Gateway's
/// limit, for REST and HTTP APIs alike).
const MAX_TTL: i64 = 3600;

/// A Lambda authorizer's result cache when `ttl` is not set: API Gateway's default.
const DEFAULT_TTL: u32 = 300;

impl Validator<'_, '_> {
    pub(super) fn api(&mut self, scope: &Scope, api: &RawApi) -> Api {
        let protocol = self.api_protocol(api);
        let stage = self.api_stage(scope, api, protocol);
        if protocol == ApiProtocol::Http {
            self.rest_only(api);
        }
        let cors = api
            .cors
            .as_ref()
            .and_then(|cors| self.cors("the API", cors, CorsFor::Api));
        let authorizers: BTreeMap<String, Authorizer> = api
            .authorizers
            .iter()
            .filter_map(|(key, raw)| {
                self.authorizer(protocol, key, raw)
                    .map(|a| (key.value.clone(), a))
            })
            .collect();
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
                    long.api_key_required.as_ref(),
                ),
            };
            let Some((method, path)) = self.route_key_for(protocol, key) else {
                continue;
            };
            if protocol == ApiProtocol::Http
                && let Some(flag) = api_key_required.filter(|k| k.value)
            {
                self.r
                    .error(
                        flag.loc,
                        format!("route `{}` asks for an API key, which HTTP APIs do not have", key.value),
                    )
                    .help("use a REST API (`type: rest`) for API keys, or an authorizer on an HTTP API");
            }
            if cors.is_some() && protocol == ApiProtocol::Rest && method == "OPTIONS" {
                self.r
                    .error(
                        key.loc,
                        format!("route `{}` is an OPTIONS route, but `api.cors` answers OPTIONS on every routed path", key.value),
                    )
                    .help("remove the route, or remove `cors:` and answer preflight requests in the function");
            }
            let (authorizer, scopes) = match target {
                RawRoute::Long(long) => self.route_authorizer(key, long, api, &authorizers),
                RawRoute::Short(_) => (None, Vec::new()),
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
                api_key_required: api_key_required.is_some_and(|k| k.value),
                authorizer,
                scopes,
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
            protocol,
            stage,
            cors,
            authorizers,
        }
    }

    /// `api.type`: `rest` (the default) or `http`.
    fn api_protocol(&mut self, api: &RawApi) -> ApiProtocol {
        match &api.protocol {
            None => ApiProtocol::Rest,
            Some(kind) => match kind.value.as_str() {
                "rest" => ApiProtocol::Rest,
                "http" => ApiProtocol::Http,
                other => {
                    let mut h = self.r.error(
                        kind.loc,
                        format!("`type: {other}` of `api` is not an API type"),
                    );
                    if let Some(s) = suggest(other, ["rest", "http"]) {
                        h = h.help(format!("did you mean `{s}`?"));
                    }
                    let _ = h.help("write `rest` (an API Gateway REST API, the default) or `http` (an HTTP API, API Gateway v2)");
                    ApiProtocol::Rest
                }
            },
        }
    }

    /// `api.stage`, or the default: the lade stage for REST, `$default` for HTTP.
    fn api_stage(&mut self, scope: &Scope, api: &RawApi, protocol: ApiProtocol) -> String {
        let Some(stage) = &api.stage else {
            return match protocol {
                ApiProtocol::Rest => scope.stage.clone(),
                ApiProtocol::Http => DEFAULT_HTTP_STAGE.to_owned(),
            };
        };
        let name = stage.value.as_str();
        if name == DEFAULT_HTTP_STAGE {
            if protocol == ApiProtocol::Rest {
                self.r
                    .error(stage.loc, "`stage: $default` is for HTTP APIs; a REST API's stage needs a name")
                    .help("name the stage, e.g. `stage: v1`, or leave `stage` out to use the lade stage's name");
            }
        } else if name.is_empty()
            || name.len() > 128
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.r
                .error(stage.loc, format!("`{name}` is not an API Gateway stage name"))
                .help("a stage name is 1 to 128 letters, digits, `-` and `_`, e.g. `v1`, `Prod` or `api`");
        }
        name.to_owned()
    }

    /// The settings only a REST API has, refused on an HTTP API.
    fn rest_only(&mut self, api: &RawApi) {
        if let Some(endpoint) = &api.endpoint {
            self.r
                .error(
                    endpoint.loc,
                    "`endpoint` is for REST APIs; an HTTP API is always regional",
                )
                .help("remove `endpoint`, or use `type: rest`");
        }
        if let Some(first) = api.binary_media_types.iter().flatten().next() {
            self.r
                .error(first.loc, "`binary_media_types` is for REST APIs")
                .help("an HTTP API passes binary bodies to the function base64-encoded: remove `binary_media_types`");
        }
    }

    /// One of `api.authorizers`: its type fits the API's, and it has the fields its type
    /// needs and no others.
    fn authorizer(
        &mut self,
        protocol: ApiProtocol,
        key: &Sp<String>,
        raw: &RawAuthorizer,
    ) -> Option<Authorizer> {
        let what = format!("authorizer `{}`", key.value);
        let kind = raw.kind.value.as_str();
        let fits = match (kind, protocol) {
            ("jwt", ApiProtocol::Http) | ("cognito", ApiProtocol::Rest) | ("lambda", _) => true,
            ("jwt", ApiProtocol::Rest) => {
                self.r
                    .error(raw.kind.loc, format!("{what} is a `jwt` authorizer, which REST APIs do not have"))
                    .help("for Cognito tokens on a REST API use `type: cognito` with `user_pools`; or use `type: http` for the API");
                false
            }
            ("cognito", ApiProtocol::Http) => {
                self.r
                    .error(raw.kind.loc, format!("{what} is a `cognito` authorizer, which HTTP APIs do not have"))
                    .help("on an HTTP API, Cognito user pools are `type: jwt` authorizers: `issuer: https://cognito-idp.REGION.amazonaws.com/POOL_ID` and `audience: [CLIENT_ID]`");
                false
            }
            (other, _) => {
                let mut h = self.r.error(
                    raw.kind.loc,
                    format!("`type: {other}` of {what} is not an authorizer type"),
                );
                if let Some(s) = suggest(other, ["jwt", "cognito", "lambda"]) {
                    h = h.help(format!("did you mean `{s}`?"));
                }
                let _ = h.help("write `jwt` (HTTP APIs), `cognito` (REST APIs) or `lambda`");
                false
            }
        };
        // Fields another type takes: a mistake, not something to ignore.
        let fields: [(&str, Option<Loc>, &[&str]); 6] = [
            ("issuer", raw.issuer.as_ref().map(|f| f.loc), &["jwt"]),
            (
                "audience",
                raw.audience
                    .as_ref()
                    .map(|f| first_loc(f.iter(), raw.kind.loc)),
                &["jwt"],
            ),
            (
                "user_pools",
                raw.user_pools
                    .as_ref()
                    .map(|f| first_loc(f.iter(), raw.kind.loc)),
                &["cognito"],
            ),
            (
                "function",
                raw.function.as_ref().map(|f| f.loc),
                &["lambda"],
            ),
            ("payload", raw.payload.as_ref().map(|f| f.loc), &["lambda"]),
            ("ttl", raw.ttl.as_ref().map(|f| f.loc), &["lambda"]),
        ];
        let mut ok = fits;
        for (field, loc, types) in fields {
            if let Some(loc) = loc
                && ["jwt", "cognito", "lambda"].contains(&kind)
                && !types.contains(&kind)
            {
                ok = false;
                self.r
                    .error(
                        loc,
                        format!(
                            "`{field}` of {what} is for `{}` authorizers, not `{kind}`",
                            types.join("`, `")
                        ),
                    )
                    .help(format!("remove `{field}`"));
            }
        }
        let sources = self.identity_sources(&what, raw);
        let identity_source: Vec<String> = sources.iter().map(|(s, _)| s.clone()).collect();
        if !ok {
            return None;
        }
        match kind {
            "jwt" => Some(self.jwt_authorizer(&what, key, raw, identity_source)),
            "cognito" => Some(self.cognito_authorizer(&what, key, raw, identity_source)),
            _ => self.lambda_authorizer(&what, key, raw, protocol, &sources),
        }
    }

    /// A `jwt` authorizer: its issuer (an https URL) and audience.
    fn jwt_authorizer(
        &mut self,
        what: &str,
        key: &Sp<String>,
        raw: &RawAuthorizer,
        identity_source: Vec<String>,
    ) -> Authorizer {
        let issuer = match &raw.issuer {
            Some(issuer) => {
                if !issuer.value.starts_with("https://") {
                    self.r
                        .error(issuer.loc, format!("the `issuer` of {what} is not an https URL"))
                        .help("API Gateway fetches the issuer's keys over https, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf`");
                }
                issuer.value.clone()
            }
            None => {
                self.r
                    .error(key.loc, format!("{what} has no `issuer`"))
                    .help("a JWT authorizer needs the token issuer's URL, e.g. `issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf`");
                String::new()
            }
        };
        let audience: Vec<String> = raw
            .audience
            .iter()
            .flatten()
            .map(|a| a.value.clone())
            .collect();
        if audience.is_empty() {
            self.r
                .error(key.loc, format!("{what} has no `audience`"))
                .help("list the client ids a token must be issued for, e.g. `audience: [my-client-id]`");
        }
        Authorizer::Jwt {
            issuer,
            audience,
            identity_source,
        }
    }

    /// A `cognito` authorizer: its user pools' ARNs.
    fn cognito_authorizer(
        &mut self,
        what: &str,
        key: &Sp<String>,
        raw: &RawAuthorizer,
        identity_source: Vec<String>,
    ) -> Authorizer {
        let pools = raw.user_pools.as_deref().unwrap_or_default();
        if pools.is_empty() {
            self.r
                .error(key.loc, format!("{what} has no `user_pools`"))
                .help("list the user pools' ARNs, e.g. `user_pools: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf]`");
        }
        for pool in pools {
            if !is_user_pool_arn(&pool.value) {
                self.r
                    .error(
                        pool.loc,
                        format!(
                            "`{}` in the `user_pools` of {what} is not a user pool ARN",
                            pool.value
                        ),
                    )
                    .help(
                        "a user pool ARN is `arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`",
                    );
            }
        }
        Authorizer::Cognito {
            user_pools: pools.iter().map(|p| p.value.clone()).collect(),
            identity_source,
        }
    }

    /// A `lambda` authorizer: its function, payload (with the identity sources a
    /// `token` one may read) and result cache.
    fn lambda_authorizer(
        &mut self,
        what: &str,
        key: &Sp<String>,
        raw: &RawAuthorizer,
        protocol: ApiProtocol,
        sources: &[(String, Loc)],
    ) -> Option<Authorizer> {
        let Some(function) = &raw.function else {
            self.r
                .error(key.loc, format!("{what} has no `function`"))
                .help("name the key of the function (in `functions:`) that authorizes, e.g. `function: auth`");
            return None;
        };
        if !self.declared.functions.contains(&function.value) {
            let mut h = self.r.error(
                function.loc,
                format!(
                    "{what} points to function `{}`, which is not defined in `functions:`",
                    function.value
                ),
            );
            if let Some(s) = suggest(
                &function.value,
                self.declared.functions.iter().map(String::as_str),
            ) {
                h = h.help(format!("did you mean `{s}`?"));
            }
            let _ = h;
        }
        let payload = match (&raw.payload, protocol) {
            (None, ApiProtocol::Rest) => LambdaPayload::Token,
            (None, ApiProtocol::Http) => LambdaPayload::Request,
            (Some(p), _) if p.value == "request" => LambdaPayload::Request,
            (Some(p), ApiProtocol::Rest) if p.value == "token" => LambdaPayload::Token,
            (Some(p), ApiProtocol::Http) if p.value == "token" => {
                self.r
                    .error(p.loc, format!("`payload: token` of {what} is for REST APIs"))
                    .help("an HTTP API sends its Lambda authorizers the request (payload format 2.0): write `payload: request` or leave it out");
                LambdaPayload::Request
            }
            (Some(p), _) => {
                self.r
                    .error(p.loc, format!("`payload: {}` of {what} is not a payload", p.value))
                    .help("write `token` (the credential alone, REST only) or `request` (the request's headers, query and context)");
                LambdaPayload::Request
            }
        };
        if payload == LambdaPayload::Token
            && let [(first, _), (_, second), ..] = sources
        {
            self.r
                .error(*second, format!("{what} is a `token` authorizer with more than one identity source"))
                .help(format!("a token authorizer reads one header, e.g. `{first}`; use `payload: request` for several"));
        } else if payload == LambdaPayload::Token
            && let Some((source, at)) = sources
                .iter()
                .find(|(s, _)| !s.starts_with("$request.header."))
        {
            self.r
                .error(*at, format!("`{source}` of {what} is not a header; a `token` authorizer reads a header"))
                .help("write a header, e.g. `$request.header.Authorization`, or use `payload: request`");
        }
        let ttl = match &raw.ttl {
            None => DEFAULT_TTL,
            Some(ttl) if (0..=MAX_TTL).contains(&ttl.value) => {
                u32::try_from(ttl.value).unwrap_or(DEFAULT_TTL)
            }
            Some(ttl) => {
                self.r
                    .error(ttl.loc, format!("`ttl` of {what} must be between 0 and {MAX_TTL} seconds, not {}", ttl.value))
                    .help("API Gateway caches an authorizer's answer for at most an hour; 0 turns the cache off");
                DEFAULT_TTL
            }
        };
        Some(Authorizer::Lambda {
            function: function.value.clone(),
            payload,
            identity_source: sources.iter().map(|(s, _)| s.clone()).collect(),
            ttl,
        })
    }

    /// An authorizer's identity sources in the HTTP-API notation: REST's notation
    /// (`method.request.header.X`) is translated, anything else refused.
    fn identity_sources(&mut self, what: &str, raw: &RawAuthorizer) -> Vec<(String, Loc)> {
        let Some(sources) = &raw.identity_source else {
            return vec![(DEFAULT_IDENTITY_SOURCE.to_owned(), raw.kind.loc)];
        };
        let mut out = Vec::new();
        for source in sources.iter() {
            let value = source.value.as_str();
            let normal = if let Some(rest) = value.strip_prefix("method.request.") {
                format!("$request.{rest}")
            } else if let Some(rest) = value.strip_prefix("context.") {
                format!("$context.{rest}")
            } else if let Some(rest) = value.strip_prefix("stageVariables.") {
                format!("$stageVariables.{rest}")
            } else {
                value.to_owned()
            };
            let known = [
                "$request.header.",
                "$request.querystring.",
                "$context.",
                "$stageVariables.",
            ]
            .iter()
            .any(|prefix| {
                normal
                    .strip_prefix(prefix)
                    .is_some_and(|name| !name.is_empty())
            });
            if !known {
                self.r
                    .error(source.loc, format!("`{value}` in the `identity_source` of {what} is not an identity source"))
                    .help("write where the credential is: `$request.header.NAME`, `$request.querystring.NAME`, `$context.NAME` or `$stageVariables.NAME`");
                continue;
            }
            out.push((normal, source.loc));
        }
        if out.is_empty() {
            out.push((DEFAULT_IDENTITY_SOURCE.to_owned(), raw.kind.loc));
        }
        out
    }

    /// A route's `authorizer` and `scopes`: the authorizer exists, `authorization:
    /// AWS_IAM` does not come with it, and scopes only with a JWT or Cognito one.
    fn route_authorizer(
        &mut self,
        key: &Sp<String>,
        long: &raw::RawRouteLong,
        api: &RawApi,
        authorizers: &BTreeMap<String, Authorizer>,
    ) -> (Option<String>, Vec<String>) {
        let declared: Vec<&str> = api
            .authorizers
            .iter()
            .map(|(k, _)| k.value.as_str())
            .collect();
        let scopes: Vec<String> = long
            .scopes
            .iter()
            .flatten()
            .map(|s| s.value.clone())
            .collect();
        let Some(name) = &long.authorizer else {
            if let Some(first) = long.scopes.iter().flatten().next() {
                self.r
                    .error(first.loc, format!("route `{}` has `scopes` but no `authorizer`", key.value))
                    .help("scopes are checked by a `jwt` or `cognito` authorizer: add `authorizer: <key>`");
            }
            return (None, Vec::new());
        };
        if let Some(iam) = &long.authorization
            && matches!(iam.value, raw::Authorization::AwsIam)
        {
            self.r
                .error(iam.loc, format!("route `{}` has both `authorization: AWS_IAM` and an `authorizer`", key.value))
                .help("a route is guarded one way: keep `authorizer`, or keep `authorization: AWS_IAM`");
        }
        let Some(authorizer) = authorizers.get(&name.value) else {
            // An authorizer that failed its own checks is reported there.
            if !declared.contains(&name.value.as_str()) {
                let mut h = self.r.error(
                    name.loc,
                    format!("route `{}` names authorizer `{}`, which is not defined in `api.authorizers`", key.value, name.value),
                );
                if let Some(s) = suggest(&name.value, declared.iter().copied()) {
                    h = h.help(format!("did you mean `{s}`?"));
                }
                let _ = h;
            }
            return (None, Vec::new());
        };
        if !authorizer.takes_scopes()
            && let Some(first) = long.scopes.iter().flatten().next()
        {
            self.r
                .error(first.loc, format!("route `{}` asks for scopes, but authorizer `{}` is a `lambda` authorizer", key.value, name.value))
                .help("scopes are checked by `jwt` and `cognito` authorizers; a Lambda authorizer decides in its own code");
        }
        (Some(name.value.clone()), scopes)
    }

    /// [`Self::route_key`], with `$default` for HTTP APIs.
    fn route_key_for(
        &mut self,
        protocol: ApiProtocol,
        key: &Sp<String>,
    ) -> Option<(String, String)> {
        if key.value != DEFAULT_ROUTE {
            return self.route_key(key);
        }
        if protocol == ApiProtocol::Rest {
            self.r
                .error(key.loc, "the route `$default` is for HTTP APIs")
                .help("a REST API's catch-all route is `ANY /{proxy+}`; or use `type: http` for the API");
            return None;
        }
        Some((DEFAULT_ROUTE.to_owned(), String::new()))
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

/// The location of the first of `items`, or `or` when there is none.
fn first_loc<'a>(mut items: impl Iterator<Item = &'a Sp<String>>, or: Loc) -> Loc {
    items.next().map_or(or, |item| item.loc)
}

/// `arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID`.
fn is_user_pool_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "cognito-idp", region, account, resource]
        if !partition.is_empty()
            && rules::is_region(region)
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("userpool/").is_some_and(|id| !id.is_empty()))
}

fn normalize_params(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}
