//! The events API Gateway sends a Lambda proxy integration, built from a request.
//!
//! [`rest_v1`] is a REST API's event (payload format 1.0), which `lade serve` sends and
//! `--event api:METHOD:/path` samples; [`http_v2`] is an HTTP API's (payload format
//! 2.0), sampled by `--event http:METHOD:/path`. Field by field they follow AWS's
//! "Input format of a Lambda function for proxy integration" pages: `headers` and
//! `queryStringParameters` hold the last value of a repeated name (v1), or all values
//! joined with commas (v2); an absent map is `null` in v1; a body is base64 with
//! `isBase64Encoded: true` when its `Content-Type` is one of the API's binary media
//! types (v1) or is not text (v2).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// An HTTP request, as the local server or a sample spec gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path as sent, percent-encoding kept, without the stage or the query.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// In the order received; names as received (HTTP/1 servers see them lowercased).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub source_ip: String,
}

/// What the event says about the API and the route that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiContext {
    /// The API's ID when deployed, else `local`.
    pub api_id: String,
    /// The account ID when known, else twelve zeros.
    pub account_id: String,
    pub stage: String,
    /// The `Host` the client used, e.g. `127.0.0.1:3000`.
    pub domain: String,
    pub binary_media_types: BTreeSet<String>,
}

/// The route that matched: its resource path (`/items/{id}`) and parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteMatch {
    pub method: String,
    pub resource: String,
    pub params: BTreeMap<String, String>,
}

/// A REST API's Lambda proxy event (payload format 1.0).
pub fn rest_v1(request: &Request, route: &RouteMatch, api: &ApiContext, request_id: &str) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &request.headers {
        headers.insert(name.clone(), json!(value));
        push(&mut multi_headers, name, value);
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (name, value) in query_pairs(&request.query) {
        query.insert(name.clone(), json!(value));
        push(&mut multi_query, &name, &value);
    }
    let (body, base64) = body(request, |content_type| {
        matches_media_type(content_type, &api.binary_media_types)
    });
    let (time, epoch) = now();
    json!({
        "resource": route.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": or_null(params(route)),
        "stageVariables": null,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "resourceId": "local",
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "path": format!("/{}{}", api.stage, request.path),
            "stage": api.stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time,
            "requestTimeEpoch": epoch,
            "protocol": "HTTP/1.1",
            "domainName": api.domain,
            "domainPrefix": api.domain.split('.').next().unwrap_or_default(),
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": header(request, "user-agent"),
                "accountId": null,
                "caller": null,
                "user": null,
                "userArn": null,
                "apiKey": null,
                "accessKey": null,
                "cognitoIdentityId": null,
                "cognitoIdentityPoolId": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
            },
        },
        "body": body,
        "isBase64Encoded": base64,
    })
}

/// An HTTP API's Lambda proxy event (payload format 2.0).
pub fn http_v2(request: &Request, route: &RouteMatch, api: &ApiContext, request_id: &str) -> Value {
    let mut headers: Map<String, Value> = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|c| c.trim().to_string()));
            continue;
        }
        join(&mut headers, &name, value);
    }
    let mut query: Map<String, Value> = Map::new();
    for (name, value) in query_pairs(&request.query) {
        join(&mut query, &name, &value);
    }
    let (body, base64) = body(request, |content_type| !is_text(content_type));
    let (time, epoch) = now();
    let route_key = format!("{} {}", route.method, route.resource);
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "domainName": api.domain,
            "domainPrefix": api.domain.split('.').next().unwrap_or_default(),
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": header(request, "user-agent"),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": time,
            "timeEpoch": epoch,
        },
        "isBase64Encoded": base64,
    });
    // v2 leaves absent parts out rather than sending null.
    let object = event.as_object_mut().expect("an object");
    if !cookies.is_empty() {
        object.insert("cookies".into(), json!(cookies));
    }
    if !query.is_empty() {
        object.insert("queryStringParameters".into(), Value::Object(query));
    }
    let params = params(route);
    if !params.is_empty() {
        object.insert("pathParameters".into(), Value::Object(params));
    }
    if !body.is_null() {
        object.insert("body".into(), body);
    }
    event
}

/// Which sample event `--event` names: `api:METHOD:/path` (REST, v1) or
/// `http:METHOD:/path` (HTTP API, v2); the path may carry a `?query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub format: Format,
    pub method: String,
    pub path: String,
    pub query: String,
}

/// An event's payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// REST API, payload format 1.0.
    RestV1,
    /// HTTP API, payload format 2.0.
    HttpV2,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl Sample {
    /// Reads a sample spec: `Ok(None)` when `spec` names none (it is then a file).
    pub fn parse(spec: &str) -> Result<Option<Sample>, String> {
        let (format, rest) = match spec.split_once(':') {
            Some(("api", rest)) => (Format::RestV1, rest),
            Some(("http", rest)) => (Format::HttpV2, rest),
            _ => return Ok(None),
        };
        let usage = || {
            format!(
                "bad --event `{spec}`: expected api:METHOD:/path (a REST API event) or \
                 http:METHOD:/path (an HTTP API event), e.g. api:GET:/items/42"
            )
        };
        let (method, target) = rest.split_once(':').ok_or_else(usage)?;
        let method = method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(format!(
                "{}; `{method}` is not one of {}",
                usage(),
                METHODS.join(", ")
            ));
        }
        if !target.starts_with('/') {
            return Err(format!("{}; the path must start with `/`", usage()));
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Ok(Some(Sample {
            format,
            method,
            path: path.to_string(),
            query: query.to_string(),
        }))
    }
}

fn push(map: &mut Map<String, Value>, name: &str, value: &str) {
    match map.get_mut(name) {
        Some(Value::Array(values)) => values.push(json!(value)),
        _ => {
            map.insert(name.to_string(), json!([value]));
        }
    }
}

fn join(map: &mut Map<String, Value>, name: &str, value: &str) {
    let joined = match map.get(name).and_then(Value::as_str) {
        Some(previous) => format!("{previous},{value}"),
        None => value.to_string(),
    };
    map.insert(name.to_string(), json!(joined));
}

fn or_null(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

fn params(route: &RouteMatch) -> Map<String, Value> {
    route
        .params
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query's pairs, percent-decoded (`+` is a space).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// The body as the event holds it: `null` when empty, base64 when `binary` says so
/// for its content type (or it is not UTF-8), text otherwise.
fn body(request: &Request, binary: impl Fn(&str) -> bool) -> (Value, bool) {
    if request.body.is_empty() {
        return (Value::Null, false);
    }
    let content_type = header(request, "content-type").unwrap_or("");
    match std::str::from_utf8(&request.body) {
        Ok(text) if !binary(content_type) => (json!(text), false),
        _ => (
            json!(base64::engine::general_purpose::STANDARD.encode(&request.body)),
            true,
        ),
    }
}

/// Whether `content_type` is one of `types` (`image/png`, `image/*`, `*/*`).
pub fn matches_media_type(content_type: &str, types: &BTreeSet<String>) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((kind, _)) = essence.split_once('/') else {
        return false;
    };
    types.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        pattern == "*/*" || pattern == essence || pattern == format!("{kind}/*")
    })
}

/// The content types an HTTP API passes as text.
fn is_text(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.is_empty()
        || essence.starts_with("text/")
        || ["json", "xml", "javascript", "x-www-form-urlencoded", "yaml"]
            .iter()
            .any(|kind| essence.contains(kind))
}

/// API Gateway's request time (`02/Jan/2006:15:04:05 +0000`) and epoch milliseconds.
fn now() -> (String, u64) {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let seconds = millis / 1000;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil(days as i64);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time = format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    (time, millis)
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> ApiContext {
        ApiContext {
            api_id: "local".into(),
            account_id: "000000000000".into(),
            stage: "dev".into(),
            domain: "127.0.0.1:3000".into(),
            binary_media_types: BTreeSet::from(["image/*".to_string()]),
        }
    }

    fn request() -> Request {
        Request {
            method: "GET".into(),
            path: "/items/42".into(),
            query: "a=1&a=2&q=x+y".into(),
            headers: vec![
                ("accept".into(), "*/*".into()),
                ("x-many".into(), "1".into()),
                ("x-many".into(), "2".into()),
                ("cookie".into(), "a=1; b=2".into()),
            ],
            body: b"{\"n\":1}".to_vec(),
            source_ip: "127.0.0.1".into(),
        }
    }

    fn route() -> RouteMatch {
        RouteMatch {
            method: "GET".into(),
            resource: "/items/{id}".into(),
            params: BTreeMap::from([("id".into(), "42".into())]),
        }
    }

    #[test]
    fn rest_v1_holds_last_values_and_every_value() {
        let event = rest_v1(&request(), &route(), &api(), "req-1");
        assert_eq!(event["resource"], "/items/{id}");
        assert_eq!(event["path"], "/items/42");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(event["headers"]["x-many"], "2");
        assert_eq!(event["multiValueHeaders"]["x-many"], json!(["1", "2"]));
        assert_eq!(
            event["queryStringParameters"],
            json!({"a": "2", "q": "x y"})
        );
        assert_eq!(
            event["multiValueQueryStringParameters"]["a"],
            json!(["1", "2"])
        );
        assert_eq!(event["pathParameters"], json!({"id": "42"}));
        assert_eq!(event["stageVariables"], Value::Null);
        assert_eq!(event["requestContext"]["path"], "/dev/items/42");
        assert_eq!(event["requestContext"]["resourcePath"], "/items/{id}");
        assert_eq!(event["requestContext"]["requestId"], "req-1");
        assert_eq!(event["body"], "{\"n\":1}");
        assert_eq!(event["isBase64Encoded"], false);
    }

    #[test]
    fn rest_v1_nulls_what_is_absent_and_encodes_binary_media_types() {
        let mut request = Request {
            method: "POST".into(),
            path: "/upload".into(),
            ..Request::default()
        };
        let route = RouteMatch {
            method: "POST".into(),
            resource: "/upload".into(),
            ..RouteMatch::default()
        };
        let event = rest_v1(&request, &route, &api(), "r");
        for field in ["headers", "queryStringParameters", "pathParameters", "body"] {
            assert_eq!(event[field], Value::Null, "{field}");
        }
        request.headers = vec![("content-type".into(), "image/png".into())];
        request.body = vec![0x89, b'P', b'N', b'G'];
        let event = rest_v1(&request, &route, &api(), "r");
        assert_eq!(event["body"], "iVBORw==");
        assert_eq!(event["isBase64Encoded"], true);
        // Text of a type the API does not list as binary stays text.
        request.headers = vec![("content-type".into(), "text/plain".into())];
        request.body = b"hi".to_vec();
        let event = rest_v1(&request, &route, &api(), "r");
        assert_eq!(event["body"], "hi");
        assert_eq!(event["isBase64Encoded"], false);
    }

    #[test]
    fn http_v2_joins_values_and_splits_cookies() {
        let event = http_v2(&request(), &route(), &api(), "req-2");
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "GET /items/{id}");
        assert_eq!(event["rawPath"], "/items/42");
        assert_eq!(event["rawQueryString"], "a=1&a=2&q=x+y");
        assert_eq!(event["headers"]["x-many"], "1,2");
        assert_eq!(event["headers"].get("cookie"), None);
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(
            event["queryStringParameters"],
            json!({"a": "1,2", "q": "x y"})
        );
        assert_eq!(event["pathParameters"], json!({"id": "42"}));
        assert_eq!(event["requestContext"]["http"]["method"], "GET");
        assert_eq!(event["requestContext"]["stage"], "$default");
        assert_eq!(event["body"], "{\"n\":1}");
        assert_eq!(event["isBase64Encoded"], false);
    }

    #[test]
    fn sample_specs() {
        assert_eq!(
            Sample::parse("api:get:/items/42?x=1").unwrap(),
            Some(Sample {
                format: Format::RestV1,
                method: "GET".into(),
                path: "/items/42".into(),
                query: "x=1".into(),
            })
        );
        assert_eq!(
            Sample::parse("http:POST:/items").unwrap().unwrap().format,
            Format::HttpV2
        );
        assert_eq!(Sample::parse("events/get.json").unwrap(), None);
        for bad in ["api:GET", "api:FETCH:/x", "http:GET:items"] {
            let error = Sample::parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("bad --event `{bad}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn request_time_is_api_gateway_s_format() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
        let (time, _) = now();
        assert_eq!(time.len(), "02/Jan/2006:15:04:05 +0000".len(), "{time}");
    }
}
