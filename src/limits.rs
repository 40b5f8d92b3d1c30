//! AWS's limits on what lade sends, in one place: sizes of requests and of their
//! parts, counts and lengths, as AWS documents or enforces them.
//!
//! The manifest checks them before the first request (`manifest::validate`, with every
//! value known only at apply time, such as an ARN in an environment variable, counted
//! at its longest), packaging checks the zip, and apply checks the environment and the
//! configuration again once the references are resolved, before the call that would
//! be refused. Nothing here makes a request or knows about YAML.

use std::collections::BTreeMap;

use serde_json::json;

use crate::cloud::FunctionConfig;
use crate::model::{CrossRef, Desired, EnvValue, Function, Part, RoleRef};

/// Lambda: "the total size of all environment variables doesn't exceed 4 KB", measured
/// on the variables as one JSON object (Lambda's error quotes "String measured:
/// {"KEY":"value",…}").
pub const ENVIRONMENT_BYTES: usize = 4096;

/// Lambda refuses an `UpdateFunctionConfiguration` request body of this many bytes or
/// more ("Request must be smaller than 5120 bytes for the UpdateFunctionConfiguration
/// operation").
pub const CONFIGURATION_REQUEST_BYTES: usize = 5120;

/// Lambda refuses a `CreateFunction` or `UpdateFunctionCode` request of this many
/// bytes or more ("Request must be smaller than 69905067 bytes"): the zip travels in
/// the JSON body as base64, so its "50 MB" is 50 MiB once encoded, rounded up.
pub const CODE_REQUEST_BYTES: u64 = 69_905_067;

/// Lambda: at most 50 tags per function (lade's own included).
pub const FUNCTION_TAGS: usize = 50;

/// Lambda's `AddPermission`: a statement id is 1 to 100 characters.
pub const STATEMENT_ID_CHARS: usize = 100;

/// The tags lade puts on every function beside the manifest's: `lade:project`,
/// `lade:stage`, `lade:key`, `lade:config` and `lade:sensitive` (and `lade:url` on a
/// function with a URL, counted where the function is known).
pub const LADE_FUNCTION_TAGS: usize = 5;

/// The longest region name AWS uses (`ap-southeast-5`, `eusc-de-east-1`), with room.
pub const LONGEST_REGION: usize = 16;
/// The longest partition (`aws-us-gov`).
pub const LONGEST_PARTITION: usize = 10;
/// The longest DNS suffix (`amazonaws.com.cn`).
pub const LONGEST_DNS_SUFFIX: usize = 16;
/// An account ID.
pub const ACCOUNT_ID: usize = 12;
/// A REST API's ID (`a1b2c3d4e5`).
pub const REST_API_ID: usize = 10;

/// The length of `base64(bytes)` for `bytes` bytes, padding included.
pub fn base64_len(bytes: u64) -> u64 {
    bytes.div_ceil(3) * 4
}

/// The environment's size as Lambda measures it: the variables as one JSON object.
pub fn environment_bytes(environment: &BTreeMap<String, String>) -> usize {
    serde_json::to_string(environment).map_or(0, |text| text.len())
}

/// The size of the `UpdateFunctionConfiguration` body that sets `config`, as the SDK
/// writes it (the function's name travels in the path, not the body).
pub fn configuration_request_bytes(config: &FunctionConfig) -> usize {
    let body = json!({
        "Description": config.description,
        "Environment": {"Variables": config.environment},
        "Handler": config.handler,
        "MemorySize": config.memory,
        "Role": config.role_arn,
        "Runtime": config.runtime,
        "Timeout": config.timeout,
    });
    body.to_string().len()
}

/// The size of the `CreateFunction` body for a zip of `zip_bytes` bytes, apart from
/// the zip's base64: the configuration, the name, the tags and the architecture.
pub fn create_request_overhead(
    name: &str,
    config: &FunctionConfig,
    tags: &BTreeMap<String, String>,
) -> u64 {
    let body = json!({
        "Architectures": ["x86_64"],
        "Code": {"ZipFile": ""},
        "FunctionName": name,
        "Tags": tags,
    });
    (body.to_string().len() + configuration_request_bytes(config)) as u64
}

/// Where lengths come from when the region may not be known yet.
fn region_parts(region: Option<&str>) -> (usize, usize, usize) {
    match region {
        Some(region) => {
            let partition = crate::arn::Partition::of_region(region);
            (
                partition.id().len(),
                region.len(),
                partition.dns_suffix().len(),
            )
        }
        None => (LONGEST_PARTITION, LONGEST_REGION, LONGEST_DNS_SUFFIX),
    }
}

/// The longest text a reference can resolve to, in `region` (`None`: any region):
/// ARNs with the longest partition, region and account, and the API's invoke URL.
pub fn longest_ref(desired: &Desired, reference: &CrossRef, region: Option<&str>) -> usize {
    let (partition, region, dns) = region_parts(region);
    match reference {
        // arn:<partition>:lambda:<region>:<account>:function:<name>
        CrossRef::FunctionArn(key) => {
            let name = desired.functions.get(key).map_or(64, |f| f.name.len());
            "arn::lambda:::function:".len() + partition + region + ACCOUNT_ID + name
        }
        // arn:<partition>:iam::<account>:role<path><name>
        CrossRef::RoleArn(key) => {
            let (path, name) = desired
                .roles
                .get(key)
                .map_or((512, 64), |r| (r.path.len(), r.name.len()));
            "arn::iam:::role".len() + partition + ACCOUNT_ID + path + name
        }
        // https://<id>.execute-api.<region>.<suffix>/<stage>
        CrossRef::ApiUrl => {
            "https://.execute-api../".len() + REST_API_ID + region + dns + desired.scope.stage.len()
        }
        // `https://<32-character id>.lambda-url.<region>.on.aws/`; China's suffix is
        // longer, so count the longest.
        CrossRef::FunctionUrl(_) => {
            "https://.lambda-url../".len() + 32 + region + "on.amazonwebservices.com.cn".len()
        }
    }
}

/// An environment value with every reference replaced by as many characters as its
/// longest resolution: what the value can grow to by apply time.
pub fn longest_value(desired: &Desired, value: &EnvValue, region: Option<&str>) -> String {
    value
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.clone(),
            Part::Ref(reference) => "x".repeat(longest_ref(desired, reference, region)),
        })
        .collect()
}

/// A function's configuration as it can be at its longest by apply time: references
/// at their longest, a role this project makes at its longest ARN.
pub fn longest_config(
    desired: &Desired,
    function: &Function,
    region: Option<&str>,
) -> FunctionConfig {
    let role_arn = match &function.role {
        RoleRef::Arn(arn) => arn.clone(),
        RoleRef::Key(key) => "x".repeat(longest_ref(
            desired,
            &CrossRef::RoleArn(key.clone()),
            region,
        )),
    };
    FunctionConfig {
        handler: function.handler.clone(),
        runtime: function.runtime.clone(),
        role_arn,
        memory: function.memory,
        timeout: function.timeout,
        environment: function
            .environment
            .iter()
            .map(|(key, value)| (key.clone(), longest_value(desired, value, region)))
            .collect(),
        description: function.description.clone(),
    }
}

/// The tags lade writes on a function at their longest: the manifest's, the ownership
/// tags, and its records (`lade:config` is a base64 SHA-256, `lade:sensitive` at most
/// 256 characters).
pub fn longest_tags(desired: &Desired, function: &Function) -> BTreeMap<String, String> {
    let mut tags = crate::kinds::function::function_tags(&desired.scope, function);
    tags.insert(
        crate::kinds::function::record::TAG_CONFIG.into(),
        "x".repeat(44),
    );
    tags.insert(
        crate::kinds::function::record::TAG_SENSITIVE.into(),
        "x".repeat(256),
    );
    if function.url.is_some() {
        tags.insert(crate::kinds::function_url::TAG_URL.into(), "1".into());
    }
    tags
}

/// Whether a configuration is within what Lambda takes, once every value is known:
/// the reason when it is not.
pub fn check_configuration(config: &FunctionConfig) -> Result<(), String> {
    let environment = environment_bytes(&config.environment);
    if environment > ENVIRONMENT_BYTES {
        return Err(format!(
            "its environment variables are {environment} bytes as Lambda measures them (one JSON object), over Lambda's limit of {ENVIRONMENT_BYTES}"
        ));
    }
    let request = configuration_request_bytes(config);
    if request >= CONFIGURATION_REQUEST_BYTES {
        return Err(format!(
            "its configuration makes a {request}-byte UpdateFunctionConfiguration request; Lambda takes less than {CONFIGURATION_REQUEST_BYTES}"
        ));
    }
    Ok(())
}

/// Lambda's character set for tag keys and values: letters, digits, spaces and
/// `_ . : / = + - @` (Unicode letters, numbers and separators included).
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(environment: &[(&str, &str)]) -> FunctionConfig {
        FunctionConfig {
            handler: "app.handler".into(),
            runtime: "python3.12".into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            memory: 128,
            timeout: 3,
            environment: environment
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            description: String::new(),
        }
    }

    #[test]
    fn the_environment_is_measured_as_json() {
        assert_eq!(environment_bytes(&BTreeMap::new()), 2);
        let env = config(&[("A", "b"), ("C", "d\"")]).environment;
        assert_eq!(environment_bytes(&env), r#"{"A":"b","C":"d\""}"#.len());
    }

    #[test]
    fn limits_allow_the_limit_and_refuse_one_more() {
        // 4096 bytes: `{"A":"` + value + `"}` is 8 bytes around the value.
        let at = "x".repeat(ENVIRONMENT_BYTES - 8);
        assert!(check_configuration(&config(&[("A", &at)])).is_ok());
        let over = "x".repeat(ENVIRONMENT_BYTES - 7);
        let err = check_configuration(&config(&[("A", &over)])).unwrap_err();
        assert!(err.contains("4097 bytes"), "{err}");
        // Under 4 KB of environment, but a long description and role tip the request over.
        let mut big = config(&[("A", &"x".repeat(4000))]);
        big.description = "d".repeat(256);
        big.role_arn = format!("arn:aws:iam::123456789012:role/{}", "r".repeat(900));
        let err = check_configuration(&big).unwrap_err();
        assert!(err.contains("UpdateFunctionConfiguration"), "{err}");
    }

    #[test]
    fn base64_of_the_largest_zip_fits() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
        // 50 MiB itself does not fit once encoded: 69,905,068 bytes.
        assert_eq!(base64_len(50 * 1024 * 1024), 69_905_068);
        assert!(base64_len(52_428_798) < CODE_REQUEST_BYTES);
        assert!(base64_len(52_428_799) >= CODE_REQUEST_BYTES);
    }

    #[test]
    fn tag_characters() {
        for ok in [
            "team",
            "web app",
            "a/b:c=d+e-f@g_h.i",
            "équipe",
            "チーム",
            "42",
        ] {
            assert!(ok.chars().all(is_tag_char), "{ok}");
        }
        for bad in ["*", "a,b", "x;y", "(x)", "a!", "#1", "$x", "~", "&", "'"] {
            assert!(!bad.chars().all(is_tag_char), "{bad}");
        }
    }
}
