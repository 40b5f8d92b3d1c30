//! IAM policy documents as JSON values.
//!
//! IAM's query API returns trust and inline policy documents URL-encoded (RFC 3986,
//! so `+` is a literal plus, not a space). Some endpoints and proxies return them
//! already decoded. [`parse`] accepts both, so what lade compares is always the
//! parsed JSON, never the transport encoding.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Parses a policy document as IAM returns it, URL-encoded or not. A document that
/// decodes to a JSON *string* (moto double-encodes the documents in its `ListRoles`
/// answers: a JSON string whose text is the document) is parsed once more: a policy
/// document is an object, never a string, so reading one as a string would show a
/// change on every plan that no apply could make go away.
pub(super) fn parse(raw: &str) -> Result<Value, String> {
    match parse_once(raw)? {
        Value::String(inner) => parse_once(&inner).map_err(|error| {
            format!("the document is a JSON string that is not a policy document: {error}")
        }),
        value => Ok(value),
    }
}

fn parse_once(raw: &str) -> Result<Value, String> {
    // A URL-encoded document starts with `%7B`, never with JSON, so trying plain JSON
    // first cannot mistake one for the other.
    if let Ok(value) = serde_json::from_str(raw) {
        return Ok(value);
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|error| format!("the URL-decoded document is not UTF-8: {error}"))?;
    serde_json::from_str(&decoded)
        .map_err(|error| format!("the document is not valid JSON ({error}): {decoded}"))
}

/// Serializes a policy document for IAM.
pub(super) fn render(document: &Value) -> String {
    document.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_url_encoded_documents() {
        let raw = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A\
                   %22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%2C%22Resource%22%3A%22a+b%20c%22%7D%5D%7D";
        assert_eq!(
            parse(raw),
            Ok(json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "a+b c"}]
            }))
        );
    }

    #[test]
    fn accepts_plain_json_even_with_percent_signs() {
        let raw = r#"{"Condition":{"StringLike":{"aws:userid":"%7B"}}}"#;
        assert_eq!(
            parse(raw),
            Ok(json!({"Condition": {"StringLike": {"aws:userid": "%7B"}}}))
        );
    }

    #[test]
    fn a_document_encoded_twice_as_a_json_string_is_parsed_once_more() {
        let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]});
        let twice = Value::String(document.to_string()).to_string();
        assert_eq!(parse(&twice), Ok(document.clone()));
        // URL-encoded around it, as the raw query API answers.
        let encoded: String =
            percent_encoding::utf8_percent_encode(&twice, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert_eq!(parse(&encoded), Ok(document));
        // A string that is no document is an error, not a document.
        let error = parse(r#""not a policy""#).unwrap_err();
        assert!(error.contains("not a policy document"), "{error}");
    }

    #[test]
    fn reports_garbage() {
        let error = parse("%7Bnot json").unwrap_err();
        assert!(error.contains("{not json"), "{error}");
    }

    #[test]
    fn render_round_trips() {
        let document = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(parse(&render(&document)), Ok(document));
    }
}
