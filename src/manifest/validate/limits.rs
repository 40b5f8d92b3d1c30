//! AWS's limits that only the whole model can check, before the first request:
//! the environment's 4 KB and the configuration request's 5120 bytes (with every
//! reference at its longest: an ARN or URL is known only at apply time, which checks
//! again), the 50 tags of a function with lade's own, the statement id of the API's
//! invoke permission, an API with no routes, and edge endpoints where there are none.
//!
//! Each limit's number and measure is [`crate::limits`]'; this file says where it is
//! broken and what to do.

use crate::limits::{
    self, CONFIGURATION_REQUEST_BYTES, ENVIRONMENT_BYTES, FUNCTION_TAGS, LADE_FUNCTION_TAGS,
    STATEMENT_ID_CHARS,
};
use crate::manifest::raw::{self, RawManifest};
use crate::model::Desired;

use super::Validator;

impl Validator<'_, '_> {
    pub(super) fn limits(&mut self, desired: &Desired, raw: &RawManifest) {
        let region = desired.region.as_deref().or(self.env_region);
        for (key, _) in raw.functions.iter() {
            let Some(function) = desired.functions.get(&key.value) else {
                continue;
            };
            let config = limits::longest_config(desired, function, region);
            let environment = limits::environment_bytes(&config.environment);
            let has_refs = function
                .environment
                .values()
                .any(|v| v.refs().next().is_some());
            let at_longest = if has_refs {
                " with its references at their longest"
            } else {
                ""
            };
            if environment > ENVIRONMENT_BYTES {
                let mut sizes: Vec<(usize, &String)> = config
                    .environment
                    .iter()
                    .map(|(k, v)| (k.len() + v.len(), k))
                    .collect();
                sizes.sort_by(|a, b| b.cmp(a));
                let largest: Vec<String> = sizes
                    .iter()
                    .take(3)
                    .map(|(size, k)| format!("`{k}` ({size} bytes)"))
                    .collect();
                self.r
                    .error(
                        key.loc,
                        format!(
                            "the environment of function `{}` is {environment} bytes{at_longest}; Lambda allows at most {ENVIRONMENT_BYTES} bytes in all",
                            key.value
                        ),
                    )
                    .help(format!(
                        "Lambda counts every name and value, as one JSON object; the largest: {}",
                        largest.join(", ")
                    ))
                    .help("keep large values elsewhere (SSM Parameter Store, Secrets Manager, S3) and pass their names");
                continue;
            }
            let request = limits::configuration_request_bytes(&config);
            if request >= CONFIGURATION_REQUEST_BYTES {
                self.r
                    .error(
                        key.loc,
                        format!(
                            "the configuration of function `{}` makes a {request}-byte UpdateFunctionConfiguration request{at_longest}; Lambda takes less than {CONFIGURATION_REQUEST_BYTES}",
                            key.value
                        ),
                    )
                    .help("the request holds the environment, the description, the handler and the role's ARN; shorten the environment or the description");
            }
            let tags =
                function.tags.len() + LADE_FUNCTION_TAGS + usize::from(function.url.is_some());
            if tags > FUNCTION_TAGS {
                self.r
                    .error(
                        key.loc,
                        format!(
                            "function `{}` would carry {tags} tags; Lambda allows at most {FUNCTION_TAGS}",
                            key.value
                        ),
                    )
                    .help(format!(
                        "lade adds {LADE_FUNCTION_TAGS} of its own (`lade:project`, `lade:stage`, `lade:key`, `lade:config`, `lade:sensitive`), so a function may set at most {}, `defaults:` tags included; remove {}",
                        FUNCTION_TAGS - LADE_FUNCTION_TAGS,
                        tags - FUNCTION_TAGS
                    ));
            }
        }
        let Some(api) = &raw.api else {
            return;
        };
        let sid = crate::kinds::rest_api::permissions::statement_id(&desired.scope);
        if sid.len() > STATEMENT_ID_CHARS {
            self.r
                .error(
                    raw.project.loc,
                    format!(
                        "project and stage names are too long for the API's invoke permission: its statement id `lade-api-<project>-<stage>` would be {} characters; Lambda allows at most {STATEMENT_ID_CHARS}",
                        sid.len()
                    ),
                )
                .help(format!(
                    "with an `api:`, the project and stage names together may have at most {} characters",
                    STATEMENT_ID_CHARS - "lade-api--".len()
                ));
        }
        if api.routes.0.is_empty() && !self.declared.api_routes {
            self.r
                .error(self.declared.api_at, "`api:` has no routes")
                .help("API Gateway refuses to deploy an API without methods; add a route such as `GET /items: list-items`, or remove `api:`");
        }
        if let Some(endpoint) = &api.endpoint
            && matches!(endpoint.value, raw::Endpoint::Edge)
            && let Some(region) = region.filter(|r| r.starts_with("cn-"))
        {
            self.r
                .error(
                    endpoint.loc,
                    format!("API Gateway has no edge-optimized endpoints in `{region}`"),
                )
                .help("the China regions offer `REGIONAL` (and private) endpoints only; write `endpoint: REGIONAL`, or remove `endpoint:`");
        }
    }
}
