//! AWS naming in one place: ARNs, the URIs and ARNs lade derives from them, service
//! principals, and each partition's DNS suffix.
//!
//! Everything lade builds is derived from an ARN AWS returned (a function's) or from
//! the region, so partition, region and account always come from AWS's own answers:
//! lade works in `aws`, `aws-cn` and `aws-us-gov` (and the isolated partitions) with no
//! per-partition code elsewhere. Nothing here makes a request.

/// The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The parts of `arn`, or `None` when it is not an ARN.
    pub fn parse(arn: &'a str) -> Option<Arn<'a>> {
        let mut parts = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return None;
        };
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// An AWS partition: a group of regions with its own ARNs and DNS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: Beijing and Ningxia (`cn-*`).
    China,
    /// `aws-us-gov`: GovCloud (`us-gov-*`).
    GovCloud,
    /// `aws-iso`: `us-iso-*`.
    Iso,
    /// `aws-iso-b`: `us-isob-*`.
    IsoB,
}

impl Partition {
    /// The partition a region belongs to, from its name (AWS's own rule: the region
    /// prefixes of its endpoints file).
    pub fn of_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::China
        } else if region.starts_with("us-gov-") {
            Partition::GovCloud
        } else if region.starts_with("us-isob-") {
            Partition::IsoB
        } else if region.starts_with("us-iso-") {
            Partition::Iso
        } else {
            Partition::Aws
        }
    }

    /// The partition's id, as ARNs spell it.
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::GovCloud => "aws-us-gov",
            Partition::Iso => "aws-iso",
            Partition::IsoB => "aws-iso-b",
        }
    }

    /// The DNS suffix of the partition's service endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::GovCloud => "amazonaws.com",
            Partition::China => "amazonaws.com.cn",
            Partition::Iso => "c2s.ic.gov",
            Partition::IsoB => "sc2s.sgov.gov",
        }
    }
}

/// The service principal API Gateway invokes Lambda functions as. AWS uses the
/// `amazonaws.com` form in every partition for it (China included).
pub const API_GATEWAY_PRINCIPAL: &str = "apigateway.amazonaws.com";

/// The service principal EventBridge invokes Lambda functions as (every partition).
pub const EVENTS_PRINCIPAL: &str = "events.amazonaws.com";

/// The service principal S3 invokes Lambda functions as for bucket notifications.
pub const S3_PRINCIPAL: &str = "s3.amazonaws.com";

/// The service principal SNS invokes Lambda functions as for subscriptions.
pub const SNS_PRINCIPAL: &str = "sns.amazonaws.com";

/// A bucket's ARN in the function's partition: `arn:<partition>:s3:::<bucket>` (S3
/// bucket ARNs name neither region nor account).
pub fn bucket_arn(function_arn: &str, bucket: &str) -> Option<String> {
    let arn = Arn::parse(function_arn)?;
    Some(format!("arn:{}:s3:::{bucket}", arn.partition))
}

/// The bucket a bucket ARN names: `arn:aws:s3:::uploads` → `uploads`.
pub fn bucket_of(bucket_arn: &str) -> Option<&str> {
    let arn = Arn::parse(bucket_arn)?;
    (arn.service == "s3" && arn.region.is_empty() && arn.account.is_empty())
        .then_some(arn.resource)
        .filter(|bucket| !bucket.is_empty() && !bucket.contains('/'))
}

/// The account of an ARN: `arn:aws:lambda:us-east-1:123456789012:function:f` →
/// `123456789012`.
pub fn account_of(arn: &str) -> Option<&str> {
    Arn::parse(arn)
        .map(|arn| arn.account)
        .filter(|a| !a.is_empty())
}

/// The function name an unqualified function ARN names:
/// `arn:aws:lambda:us-east-1:1:function:f` → `f`; `None` for a version or alias.
pub fn function_of(function_arn: &str) -> Option<&str> {
    let arn = Arn::parse(function_arn)?;
    let name = arn.resource.strip_prefix("function:")?;
    (arn.service == "lambda" && !name.is_empty() && !name.contains(':')).then_some(name)
}

/// The trust principal a role gets when the manifest names none.
pub const LAMBDA_PRINCIPAL: &str = "lambda.amazonaws.com";

/// The Lambda proxy integration URI for a function, in the function's own region and
/// partition.
pub fn integration_uri(function_arn: &str) -> Option<String> {
    let arn = Arn::parse(function_arn)?;
    Some(format!(
        "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        arn.partition, arn.region
    ))
}

/// The `execute-api` ARN that scopes a function's invoke permission to one API: any
/// stage, method and path of that API, and nothing else.
pub fn source_arn(function_arn: &str, api_id: &str) -> Option<String> {
    let arn = Arn::parse(function_arn)?;
    Some(format!(
        "arn:{}:execute-api:{}:{}:{api_id}/*",
        arn.partition, arn.region, arn.account
    ))
}

/// The `execute-api` ARN that scopes a Lambda authorizer's permission to the one
/// authorizer of one API: `…:API_ID/authorizers/AUTHORIZER_ID`.
pub fn authorizer_source_arn(
    function_arn: &str,
    api_id: &str,
    authorizer_id: &str,
) -> Option<String> {
    let arn = Arn::parse(function_arn)?;
    Some(format!(
        "arn:{}:execute-api:{}:{}:{api_id}/authorizers/{authorizer_id}",
        arn.partition, arn.region, arn.account
    ))
}

/// The ARN of an EventBridge rule in the function's partition, region and account:
/// `rule/<name>` on the default bus, `rule/<bus>/<name>` on another (as `PutRule`
/// returns it).
pub fn rule_arn(function_arn: &str, bus: &str, name: &str) -> Option<String> {
    let arn = Arn::parse(function_arn)?;
    let path = if bus == "default" {
        name.to_string()
    } else {
        format!("{bus}/{name}")
    };
    Some(format!(
        "arn:{}:events:{}:{}:rule/{path}",
        arn.partition, arn.region, arn.account
    ))
}

/// The URL a stage of a REST API answers on, with the DNS suffix of the region's
/// partition (`amazonaws.com.cn` in China).
pub fn invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    let suffix = Partition::of_region(region).dns_suffix();
    format!("https://{api_id}.execute-api.{region}.{suffix}/{stage}")
}

/// The invoke URL of an HTTP API's stage: `https://ID.execute-api.REGION.SUFFIX` for
/// the `$default` stage, with `/STAGE` appended for a named one.
pub fn http_invoke_url(api_id: &str, region: &str, stage: &str) -> String {
    let suffix = Partition::of_region(region).dns_suffix();
    let base = format!("https://{api_id}.execute-api.{region}.{suffix}");
    if stage == "$default" || stage.is_empty() {
        base
    } else {
        format!("{base}/{stage}")
    }
}

/// The function name an integration URI points to, for people; the URI itself when it
/// names no function.
pub fn uri_target(uri: &str) -> String {
    uri.split(":function:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(uri)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FN: &str = "arn:aws-cn:lambda:cn-north-1:123456789012:function:shop-dev-list";

    #[test]
    fn uris_and_arns_follow_the_function_partition_and_region() {
        assert_eq!(
            integration_uri(FN).unwrap(),
            format!(
                "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/{FN}/invocations"
            )
        );
        assert_eq!(
            source_arn(FN, "abc123").unwrap(),
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/*"
        );
        assert_eq!(integration_uri("not-an-arn"), None);
        assert_eq!(uri_target(&integration_uri(FN).unwrap()), "shop-dev-list");
    }

    /// Regression (issue "One home per resource kind"): the invoke URL hard-coded
    /// `amazonaws.com`, which does not resolve in China.
    #[test]
    fn http_invoke_urls_have_no_path_for_the_default_stage() {
        assert_eq!(
            http_invoke_url("abc123", "us-east-1", "$default"),
            "https://abc123.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(
            http_invoke_url("abc123", "cn-north-1", "v1"),
            "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/v1"
        );
        assert_eq!(
            authorizer_source_arn(FN, "abc123", "auth9").as_deref(),
            Some("arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/authorizers/auth9")
        );
    }

    #[test]
    fn invoke_urls_use_the_partition_dns_suffix() {
        assert_eq!(
            invoke_url("abc123", "cn-north-1", "dev"),
            "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/dev"
        );
        assert_eq!(
            invoke_url("abc123", "us-east-1", "dev"),
            "https://abc123.execute-api.us-east-1.amazonaws.com/dev"
        );
        assert_eq!(
            invoke_url("abc123", "us-gov-west-1", "prod"),
            "https://abc123.execute-api.us-gov-west-1.amazonaws.com/prod"
        );
    }

    #[test]
    fn partitions_come_from_the_region() {
        assert_eq!(Partition::of_region("cn-northwest-1").id(), "aws-cn");
        assert_eq!(Partition::of_region("us-gov-east-1").id(), "aws-us-gov");
        assert_eq!(Partition::of_region("eu-west-1").id(), "aws");
        assert_eq!(Partition::of_region("us-isob-east-1").id(), "aws-iso-b");
        assert_eq!(Partition::of_region("us-iso-east-1").id(), "aws-iso");
    }

    #[test]
    fn arns_parse_into_their_parts() {
        let arn = Arn::parse(FN).unwrap();
        assert_eq!(
            (arn.partition, arn.service, arn.region, arn.account),
            ("aws-cn", "lambda", "cn-north-1", "123456789012")
        );
        assert_eq!(arn.resource, "function:shop-dev-list");
        assert_eq!(Arn::parse("arn:aws:lambda"), None);
    }
}
