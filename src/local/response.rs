//! How a REST API turns a Lambda proxy response into the HTTP answer.
//!
//! The handler must return an object with only `statusCode` (a number), `headers`
//! (name → value), `multiValueHeaders` (name → list of values), `body` (a string) and
//! `isBase64Encoded`; anything else is, as API Gateway logs it, a "Malformed Lambda
//! proxy response", and the client gets 502 `{"message": "Internal server error"}`,
//! as it does when the handler raises. A body returned as an object rather than a
//! JSON string is the classic case.
//!
//! `headers` and `multiValueHeaders` are merged into one list; a name and value given
//! in both appear once. With no `Content-Type`, API Gateway answers
//! `application/json`. A base64 body (`isBase64Encoded: true`) is decoded only when the
//! request's `Accept` type is one of the API's binary media types; otherwise the
//! client receives the base64 text, as from API Gateway.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;

use super::event::matches_media_type;

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON answer `{"message": ...}`, as API Gateway sends its own errors.
    pub fn message(status: u16, message: &str) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::json!({ "message": message })
                .to_string()
                .into_bytes(),
        }
    }

    /// What a REST API answers for a path or method it has no route for.
    pub fn missing_token() -> Self {
        Self::message(403, "Missing Authentication Token")
    }

    /// What a REST API answers when the handler raised or answered badly.
    pub fn internal_error() -> Self {
        Self::message(502, "Internal server error")
    }

    /// What a REST API answers when the integration ran past 29 seconds.
    pub fn endpoint_timeout() -> Self {
        Self::message(504, "Endpoint request timed out")
    }
}

const KEYS: &[&str] = &[
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// The HTTP answer for `response`, or why API Gateway would call it malformed.
/// `accept` is the request's `Accept` header.
pub fn rest_v1(
    response: &Value,
    accept: Option<&str>,
    binary_media_types: &BTreeSet<String>,
) -> Result<HttpResponse, String> {
    let Some(object) = response.as_object() else {
        return Err(format!(
            "the response is {}, not an object with a statusCode",
            kind(response)
        ));
    };
    if let Some(extra) = object.keys().find(|key| !KEYS.contains(&key.as_str())) {
        return Err(format!(
            "the response has the key `{extra}`; a proxy response may have only {}",
            KEYS.join(", ")
        ));
    }
    let status = match object.get("statusCode") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| (100..=599).contains(n))
            .ok_or_else(|| format!("statusCode {n} is not an HTTP status"))?,
        Some(other) => return Err(format!("statusCode is {}, not a number", kind(other))),
        None => return Err("the response has no statusCode".into()),
    } as u16;

    let mut headers: Vec<(String, String)> = Vec::new();
    let multi = match object.get("multiValueHeaders") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Object(multi)) => multi.clone(),
        Some(other) => {
            return Err(format!(
                "multiValueHeaders is {}, not an object",
                kind(other)
            ));
        }
    };
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(single)) => {
            for (name, value) in single {
                let value = scalar(value, name)?;
                let repeated = multi.iter().any(|(m, values)| {
                    m.eq_ignore_ascii_case(name)
                        && values
                            .as_array()
                            .is_some_and(|values| values.iter().any(|v| v.as_str() == Some(&value)))
                });
                if !repeated {
                    headers.push((name.clone(), value));
                }
            }
        }
        Some(other) => return Err(format!("headers is {}, not an object", kind(other))),
    }
    for (name, values) in &multi {
        let Value::Array(values) = values else {
            return Err(format!("multiValueHeaders.{name} is not a list"));
        };
        for value in values {
            headers.push((name.clone(), scalar(value, name)?));
        }
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), "application/json".into()));
    }

    let base64 = match object.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        // Taken as API Gateway takes them (AWS SAM CLI's local API, from trials, too).
        Some(Value::String(flag)) if flag.eq_ignore_ascii_case("true") => true,
        Some(Value::String(flag)) if flag.eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(format!(
                "isBase64Encoded is {}, not true or false",
                kind(other)
            ));
        }
    };
    let body = match object.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(body)) => body.clone(),
        Some(other) => {
            return Err(format!(
                "body is {}, not a string (return json.dumps(...) / JSON.stringify(...))",
                kind(other)
            ));
        }
    };
    let wants_binary = accept
        .and_then(|accept| accept.split(',').next())
        .is_some_and(|first| matches_media_type(first, binary_media_types));
    let body = if base64 && wants_binary {
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|error| format!("body is not valid base64: {error}"))?
    } else {
        body.into_bytes()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn scalar(value: &Value, name: &str) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("header {name} is {}, not a string", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn none() -> BTreeSet<String> {
        BTreeSet::new()
    }

    #[test]
    fn status_headers_and_body() {
        let answer = rest_v1(
            &json!({
                "statusCode": 201,
                "headers": {"X-One": "1", "Set-Cookie": "a=1", "Vary": "Accept", "X-Num": 7},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Vary": ["Origin"]},
                "body": "{\"ok\":true}",
            }),
            None,
            &none(),
        )
        .unwrap();
        assert_eq!(answer.status, 201);
        assert_eq!(
            answer.headers,
            vec![
                // A pair in both appears once; others merge into one list.
                ("X-One".to_string(), "1".to_string()),
                ("Vary".to_string(), "Accept".to_string()),
                ("X-Num".to_string(), "7".to_string()),
                ("Set-Cookie".to_string(), "a=1".to_string()),
                ("Set-Cookie".to_string(), "b=2".to_string()),
                ("Vary".to_string(), "Origin".to_string()),
                ("content-type".to_string(), "application/json".to_string()),
            ]
        );
        assert_eq!(answer.body, b"{\"ok\":true}");
    }

    #[test]
    fn base64_bodies_are_decoded_only_for_binary_accept_types() {
        let response = json!({"statusCode": 200, "body": "aGk=", "isBase64Encoded": true});
        let binary = BTreeSet::from(["image/png".to_string()]);
        let decoded = rest_v1(&response, Some("image/png, */*"), &binary).unwrap();
        assert_eq!(decoded.body, b"hi");
        let text = rest_v1(&response, Some("text/html"), &binary).unwrap();
        assert_eq!(text.body, b"aGk=");
        let text = rest_v1(&response, None, &binary).unwrap();
        assert_eq!(text.body, b"aGk=");
    }

    #[test]
    fn malformed_responses_say_why() {
        let cases = [
            (json!("hello"), "the response is a string"),
            (json!({"body": "x"}), "no statusCode"),
            (json!({"statusCode": "200"}), "statusCode is a string"),
            (json!({"statusCode": 42}), "not an HTTP status"),
            (
                json!({"statusCode": 200, "body": {"a": 1}}),
                "body is an object, not a string",
            ),
            (
                json!({"statusCode": 200, "message": "hi"}),
                "the key `message`",
            ),
            (
                json!({"statusCode": 200, "headers": []}),
                "headers is a list",
            ),
            (
                json!({"statusCode": 200, "multiValueHeaders": {"a": "b"}}),
                "not a list",
            ),
            (
                json!({"statusCode": 200, "isBase64Encoded": "yes"}),
                "isBase64Encoded is a string",
            ),
        ];
        for (response, reason) in cases {
            let error = rest_v1(&response, None, &none()).unwrap_err();
            assert!(error.contains(reason), "{response}: {error}");
        }
    }

    #[test]
    fn api_gateway_s_own_answers() {
        let token = HttpResponse::missing_token();
        assert_eq!(token.status, 403);
        assert_eq!(token.body, br#"{"message":"Missing Authentication Token"}"#);
        assert_eq!(HttpResponse::internal_error().status, 502);
        assert_eq!(
            HttpResponse::internal_error().body,
            br#"{"message":"Internal server error"}"#
        );
    }
}
