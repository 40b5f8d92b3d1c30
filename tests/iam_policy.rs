//! `docs/iam-policy.json` is the least-privilege policy lade needs for plan, apply and
//! destroy, and `docs/iam-policy-plan.json` the read-only one `plan` needs. These tests
//! keep them in step with the code: every AWS operation the adapter sends (found by
//! scanning `src/aws/` for `call("Operation", …)` and SDK waiters) must be allowed on
//! the resources it touches, and the policies must allow nothing else.
//!
//! Both documents are templates: `REGION`, `ACCOUNT_ID` and `PROJECT` stand for the
//! region, the account and the lade project, so that every ARN pins what AWS lets an
//! ARN pin (docs/security.md). The tests fill them in as `us-east-1`, `123456789012`
//! and `shop`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// What one operation needs: `(IAM action, an example resource ARN it is authorized
/// against)`. `"*"` as the example means the action supports no resource-level
/// permission, so the policy must grant it on `*`.
type Needs = &'static [(&'static str, &'static str)];

const LADE_ROLE: &str = "arn:aws:iam::123456789012:role/lade/shop/dev/shop-dev-api";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-list";
const BUCKET: &str = "arn:aws:s3:::uploads";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerts";
const MAPPING: &str = "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:u1";
const RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-nightly-0a1b2c3d";
const BUS_RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/orders/shop-dev-orders-0a1b2c3d";
const RESTAPIS: &str = "arn:aws:apigateway:us-east-1::/restapis";
const API: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3";
const RESOURCES: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/resources";
const RESOURCE: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/resources/r1";
const METHOD: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/resources/r1/methods/GET";
const INTEGRATION: &str =
    "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/resources/r1/methods/GET/integration";
const STAGE: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/dev";
const DEPLOYMENTS: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/deployments";
const DEPLOYMENT: &str = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/deployments/d1";
const HTTP_APIS: &str = "arn:aws:apigateway:us-east-1::/apis";
const HTTP_API: &str = "arn:aws:apigateway:us-east-1::/apis/h1j2k3";
const HTTP_API_TAGS: &str =
    "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fapis%2Fh1j2k3";
const STAGE_TAGS: &str = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fa1b2c3%2Fstages%2Fdev";
const API_TAGS: &str = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fa1b2c3";

/// Every operation lade's adapter sends, by the file that sends it, with what IAM
/// checks for it. An operation found in the source but missing here fails the test;
/// so does an entry here that the source no longer sends.
const OPERATIONS: &[(&str, &str, Needs)] = &[
    // STS: the account ID for `${account}`.
    (
        "account.rs",
        "GetCallerIdentity",
        &[("sts:GetCallerIdentity", "*")],
    ),
    // IAM.
    ("iam.rs", "ListRoles", &[("iam:ListRoles", "*")]),
    (
        "iam.rs",
        "ListRolePolicies",
        &[("iam:ListRolePolicies", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "GetRolePolicy",
        &[("iam:GetRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "ListAttachedRolePolicies",
        &[("iam:ListAttachedRolePolicies", LADE_ROLE)],
    ),
    // Looks up a name the manifest wants, wherever it is, to tell "free" from "taken
    // by someone else"; a role that does not exist yet has no path.
    (
        "iam.rs",
        "GetRole",
        &[
            ("iam:GetRole", LADE_ROLE),
            ("iam:GetRole", "arn:aws:iam::123456789012:role/shop-dev-api"),
            (
                "iam:GetRole",
                "arn:aws:iam::123456789012:role/team/shop-dev-api",
            ),
        ],
    ),
    // Checks at plan time that a managed policy the manifest attaches exists, AWS's
    // own (account `aws`) or the account's.
    (
        "iam.rs",
        "GetPolicy",
        &[
            (
                "iam:GetPolicy",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            ),
            (
                "iam:GetPolicy",
                "arn:aws:iam::123456789012:policy/team-read",
            ),
        ],
    ),
    // Tags in the request need `iam:TagRole` too.
    (
        "iam.rs",
        "CreateRole",
        &[("iam:CreateRole", LADE_ROLE), ("iam:TagRole", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "UpdateAssumeRolePolicy",
        &[("iam:UpdateAssumeRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "PutRolePolicy",
        &[("iam:PutRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "DeleteRolePolicy",
        &[("iam:DeleteRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "AttachRolePolicy",
        &[("iam:AttachRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "DetachRolePolicy",
        &[("iam:DetachRolePolicy", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "PutRolePermissionsBoundary",
        &[("iam:PutRolePermissionsBoundary", LADE_ROLE)],
    ),
    (
        "iam.rs",
        "DeleteRolePermissionsBoundary",
        &[("iam:DeleteRolePermissionsBoundary", LADE_ROLE)],
    ),
    ("iam.rs", "DeleteRole", &[("iam:DeleteRole", LADE_ROLE)]),
    // Lambda, and the tagging API that finds functions by tag.
    ("lambda.rs", "GetResources", &[("tag:GetResources", "*")]),
    // Reads the configuration of many functions per request; it has no resource ARN.
    (
        "lambda.rs",
        "ListFunctions",
        &[("lambda:ListFunctions", "*")],
    ),
    // Its answer holds the function's tags only with `lambda:ListTags` allowed too, and
    // lade proves ownership from them.
    (
        "lambda.rs",
        "GetFunction",
        &[
            ("lambda:GetFunction", FUNCTION),
            ("lambda:ListTags", FUNCTION),
        ],
    ),
    // Naming the role passes it to Lambda; tags in the request need TagResource.
    (
        "lambda.rs",
        "CreateFunction",
        &[
            ("lambda:CreateFunction", FUNCTION),
            ("lambda:TagResource", FUNCTION),
            ("iam:PassRole", LADE_ROLE),
        ],
    ),
    (
        "lambda.rs",
        "UpdateFunctionConfiguration",
        &[
            ("lambda:UpdateFunctionConfiguration", FUNCTION),
            ("iam:PassRole", LADE_ROLE),
        ],
    ),
    (
        "lambda.rs",
        "UpdateFunctionCode",
        &[("lambda:UpdateFunctionCode", FUNCTION)],
    ),
    (
        "lambda.rs",
        "TagResource",
        &[("lambda:TagResource", FUNCTION)],
    ),
    (
        "lambda.rs",
        "UntagResource",
        &[("lambda:UntagResource", FUNCTION)],
    ),
    (
        "lambda.rs",
        "DeleteFunction",
        &[("lambda:DeleteFunction", FUNCTION)],
    ),
    ("lambda.rs", "GetPolicy", &[("lambda:GetPolicy", FUNCTION)]),
    // `lade invoke KEY`, the smoke test after an apply.
    (
        "lambda.rs",
        "Invoke",
        &[("lambda:InvokeFunction", FUNCTION)],
    ),
    (
        "lambda.rs",
        "AddPermission",
        &[("lambda:AddPermission", FUNCTION)],
    ),
    (
        "lambda.rs",
        "RemovePermission",
        &[("lambda:RemovePermission", FUNCTION)],
    ),
    // Triggers: listing and creating a mapping name no mapping yet.
    (
        "event_sources.rs",
        "ListEventSourceMappings",
        &[("lambda:ListEventSourceMappings", "*")],
    ),
    (
        "event_sources.rs",
        "CreateEventSourceMapping",
        &[("lambda:CreateEventSourceMapping", "*")],
    ),
    (
        "event_sources.rs",
        "GetEventSourceMapping",
        &[("lambda:GetEventSourceMapping", MAPPING)],
    ),
    (
        "event_sources.rs",
        "UpdateEventSourceMapping",
        &[("lambda:UpdateEventSourceMapping", MAPPING)],
    ),
    (
        "event_sources.rs",
        "DeleteEventSourceMapping",
        &[("lambda:DeleteEventSourceMapping", MAPPING)],
    ),
    // Function URLs: authorized on the function.
    (
        "function_urls.rs",
        "GetFunctionUrlConfig",
        &[("lambda:GetFunctionUrlConfig", FUNCTION)],
    ),
    (
        "function_urls.rs",
        "CreateFunctionUrlConfig",
        &[("lambda:CreateFunctionUrlConfig", FUNCTION)],
    ),
    (
        "function_urls.rs",
        "UpdateFunctionUrlConfig",
        &[("lambda:UpdateFunctionUrlConfig", FUNCTION)],
    ),
    (
        "function_urls.rs",
        "DeleteFunctionUrlConfig",
        &[("lambda:DeleteFunctionUrlConfig", FUNCTION)],
    ),
    (
        "function_urls.rs",
        "AddPermission",
        &[("lambda:AddPermission", FUNCTION)],
    ),
    // EventBridge: rules on the default bus and on others, named `<project>-…`.
    ("events.rs", "ListRules", &[("events:ListRules", "*")]),
    (
        "events.rs",
        "ListTagsForResource",
        &[
            ("events:ListTagsForResource", RULE),
            ("events:ListTagsForResource", BUS_RULE),
        ],
    ),
    (
        "events.rs",
        "ListTargetsByRule",
        &[
            ("events:ListTargetsByRule", RULE),
            ("events:ListTargetsByRule", BUS_RULE),
        ],
    ),
    (
        "events.rs",
        "DescribeRule",
        &[
            ("events:DescribeRule", RULE),
            ("events:DescribeRule", BUS_RULE),
        ],
    ),
    // Tags in the request are authorized as a tagging call on the new rule.
    (
        "events.rs",
        "PutRule",
        &[
            ("events:PutRule", RULE),
            ("events:TagResource", RULE),
            ("events:PutRule", BUS_RULE),
        ],
    ),
    (
        "events.rs",
        "TagResource",
        &[
            ("events:TagResource", RULE),
            ("events:TagResource", BUS_RULE),
        ],
    ),
    (
        "events.rs",
        "PutTargets",
        &[("events:PutTargets", RULE), ("events:PutTargets", BUS_RULE)],
    ),
    (
        "events.rs",
        "RemoveTargets",
        &[
            ("events:RemoveTargets", RULE),
            ("events:RemoveTargets", BUS_RULE),
        ],
    ),
    (
        "events.rs",
        "DeleteRule",
        &[("events:DeleteRule", RULE), ("events:DeleteRule", BUS_RULE)],
    ),
    // S3: the notification configuration of a bucket the manifest names (not lade's,
    // so any bucket of the account: S3 bucket ARNs name no account or region).
    (
        "s3.rs",
        "GetBucketNotificationConfiguration",
        &[("s3:GetBucketNotification", BUCKET)],
    ),
    (
        "s3.rs",
        "PutBucketNotificationConfiguration",
        &[("s3:PutBucketNotification", BUCKET)],
    ),
    // SNS: subscriptions to a topic the manifest names; IAM authorizes each on the
    // topic.
    (
        "sns.rs",
        "ListSubscriptionsByTopic",
        &[("sns:ListSubscriptionsByTopic", TOPIC)],
    ),
    (
        "sns.rs",
        "GetSubscriptionAttributes",
        &[("sns:GetSubscriptionAttributes", TOPIC)],
    ),
    ("sns.rs", "Subscribe", &[("sns:Subscribe", TOPIC)]),
    (
        "sns.rs",
        "SetSubscriptionAttributes",
        &[("sns:SetSubscriptionAttributes", TOPIC)],
    ),
    ("sns.rs", "Unsubscribe", &[("sns:Unsubscribe", TOPIC)]),
    // API Gateway (REST): IAM authorizes the HTTP method on the resource path.
    (
        "apigateway.rs",
        "GetRestApis",
        &[("apigateway:GET", RESTAPIS)],
    ),
    ("apigateway.rs", "GetRestApi", &[("apigateway:GET", API)]),
    (
        "apigateway.rs",
        "GetResources",
        &[("apigateway:GET", RESOURCES)],
    ),
    (
        "apigateway.rs",
        "GetResource",
        &[("apigateway:GET", RESOURCE)],
    ),
    ("apigateway.rs", "GetStage", &[("apigateway:GET", STAGE)]),
    (
        "apigateway.rs",
        "GetStages",
        &[(
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages",
        )],
    ),
    (
        "apigateway.rs",
        "GetDeployments",
        &[("apigateway:GET", DEPLOYMENTS)],
    ),
    // Tags in the request are authorized as a tagging call on the new API.
    (
        "apigateway.rs",
        "CreateRestApi",
        &[("apigateway:POST", RESTAPIS), ("apigateway:PUT", API_TAGS)],
    ),
    (
        "apigateway.rs",
        "UpdateRestApi",
        &[("apigateway:PATCH", API)],
    ),
    (
        "apigateway.rs",
        "DeleteRestApi",
        &[("apigateway:DELETE", API)],
    ),
    (
        "apigateway.rs",
        "CreateResource",
        &[("apigateway:POST", RESOURCE)],
    ),
    (
        "apigateway.rs",
        "DeleteResource",
        &[("apigateway:DELETE", RESOURCE)],
    ),
    ("apigateway.rs", "PutMethod", &[("apigateway:PUT", METHOD)]),
    (
        "apigateway.rs",
        "UpdateMethod",
        &[("apigateway:PATCH", METHOD)],
    ),
    (
        "apigateway.rs",
        "DeleteMethod",
        &[("apigateway:DELETE", METHOD)],
    ),
    (
        "apigateway.rs",
        "PutIntegration",
        &[("apigateway:PUT", INTEGRATION)],
    ),
    // With `stageName` it also creates or moves the stage, in the same call.
    (
        "apigateway.rs",
        "CreateDeployment",
        &[("apigateway:POST", DEPLOYMENTS)],
    ),
    (
        "apigateway.rs",
        "DeleteDeployment",
        &[("apigateway:DELETE", DEPLOYMENT)],
    ),
    // API Gateway v2 (HTTP APIs): as for REST, the HTTP method on the resource path.
    ("http_api.rs", "GetApis", &[("apigateway:GET", HTTP_APIS)]),
    (
        "http_api.rs",
        "GetRoutes",
        &[(
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/routes",
        )],
    ),
    (
        "http_api.rs",
        "GetIntegrations",
        &[(
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/integrations",
        )],
    ),
    (
        "http_api.rs",
        "GetAuthorizers",
        &[(
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/authorizers",
        )],
    ),
    (
        "http_api.rs",
        "GetStages",
        &[(
            "apigateway:GET",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/stages",
        )],
    ),
    (
        "http_api.rs",
        "CreateApi",
        &[
            ("apigateway:POST", HTTP_APIS),
            ("apigateway:PUT", HTTP_API_TAGS),
        ],
    ),
    (
        "http_api.rs",
        "UpdateApi",
        &[("apigateway:PATCH", HTTP_API)],
    ),
    (
        "http_api.rs",
        "DeleteCorsConfiguration",
        &[(
            "apigateway:DELETE",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/cors",
        )],
    ),
    (
        "http_api.rs",
        "DeleteApi",
        &[("apigateway:DELETE", HTTP_API)],
    ),
    (
        "http_api.rs",
        "CreateIntegration",
        &[(
            "apigateway:POST",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/integrations",
        )],
    ),
    (
        "http_api.rs",
        "DeleteIntegration",
        &[(
            "apigateway:DELETE",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/integrations/i1",
        )],
    ),
    (
        "http_api.rs",
        "CreateRoute",
        &[(
            "apigateway:POST",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/routes",
        )],
    ),
    (
        "http_api.rs",
        "UpdateRoute",
        &[(
            "apigateway:PATCH",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/routes/r1",
        )],
    ),
    (
        "http_api.rs",
        "DeleteRoute",
        &[(
            "apigateway:DELETE",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/routes/r1",
        )],
    ),
    (
        "http_api.rs",
        "CreateAuthorizer",
        &[(
            "apigateway:POST",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/authorizers",
        )],
    ),
    (
        "http_api.rs",
        "UpdateAuthorizer",
        &[(
            "apigateway:PATCH",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/authorizers/a1",
        )],
    ),
    (
        "http_api.rs",
        "DeleteAuthorizer",
        &[(
            "apigateway:DELETE",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/authorizers/a1",
        )],
    ),
    (
        "http_api.rs",
        "CreateStage",
        &[(
            "apigateway:POST",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/stages",
        )],
    ),
    (
        "http_api.rs",
        "UpdateStage",
        &[(
            "apigateway:PATCH",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/stages/$default",
        )],
    ),
    (
        "http_api.rs",
        "DeleteStage",
        &[(
            "apigateway:DELETE",
            "arn:aws:apigateway:us-east-1::/apis/h1j2k3/stages/$default",
        )],
    ),
    // A stage lade creates carries the ownership tags: a tagging call on the stage.
    (
        "apigateway.rs",
        "CreateStage",
        &[
            (
                "apigateway:POST",
                "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages",
            ),
            ("apigateway:PUT", STAGE_TAGS),
        ],
    ),
    (
        "apigateway.rs",
        "UpdateStage",
        &[("apigateway:PATCH", STAGE)],
    ),
    (
        "apigateway.rs",
        "DeleteStage",
        &[("apigateway:DELETE", STAGE)],
    ),
];

/// The SDK waiters lade uses, and the operation each one polls.
const WAITERS: &[(&str, &str)] = &[
    ("wait_until_function_active_v2", "GetFunction"),
    ("wait_until_function_updated_v2", "GetFunction"),
];

// ---- reading the policy ----

struct Statement {
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
    condition: Option<Value>,
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("expected a string or a list of strings, got {other}"),
    }
}

/// The template's placeholders and what the tests fill in.
const PLACEHOLDERS: [(&str, &str); 3] = [
    ("REGION", "us-east-1"),
    ("ACCOUNT_ID", "123456789012"),
    ("PROJECT", "shop"),
];

fn template(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("docs/{file} exists"))
}

/// The deploy policy, filled in.
fn policy() -> Vec<Statement> {
    statements("iam-policy.json")
}

/// The plan policy, filled in.
fn plan_policy() -> Vec<Statement> {
    statements("iam-policy-plan.json")
}

fn statements(file: &str) -> Vec<Statement> {
    let mut text = template(file);
    for (placeholder, value) in PLACEHOLDERS {
        text = text.replace(placeholder, value);
    }
    let document: Value = serde_json::from_str(&text).expect("the policy is JSON");
    assert_eq!(document["Version"], "2012-10-17");
    let statements = document["Statement"].as_array().expect("a Statement list");
    let mut sids = BTreeSet::new();
    statements
        .iter()
        .map(|s| {
            let object = s.as_object().expect("a statement is an object");
            let allowed: BTreeSet<&str> = ["Sid", "Effect", "Action", "Resource", "Condition"]
                .into_iter()
                .collect();
            for key in object.keys() {
                assert!(
                    allowed.contains(key.as_str()),
                    "statement uses `{key}`: lade's policy lists what it allows, explicitly"
                );
            }
            assert_eq!(s["Effect"], "Allow");
            let sid = s["Sid"]
                .as_str()
                .expect("every statement has a Sid")
                .to_string();
            assert!(sids.insert(sid.clone()), "Sid {sid} is repeated");
            Statement {
                sid,
                actions: strings(&s["Action"]),
                resources: strings(&s["Resource"]),
                condition: s.get("Condition").cloned(),
            }
        })
        .collect()
}

/// IAM's wildcard match: `*` is any run of characters (`/` included), `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The statements that allow `action` on `resource` (`"*"`: on every resource).
fn allowing<'a>(policy: &'a [Statement], action: &str, resource: &str) -> Vec<&'a Statement> {
    policy
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == action))
        .filter(|s| {
            s.resources.iter().any(|r| {
                if resource == "*" {
                    r == "*"
                } else {
                    glob(r, resource)
                }
            })
        })
        .collect()
}

// ---- reading the adapter's source ----

/// The non-test source of each file in `src/aws/`, by file name.
fn adapter_sources() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".rs") || name == "tests.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = match text.find("#[cfg(test)]") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        sources.insert(name, code);
    }
    sources
}

/// Byte offset just past the `)` that closes the `(` at `open`.
fn closing(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after offset {open}");
}

/// Every `(file, operation)` the adapter sends: the literal first argument of each
/// `.call(` and the operation each waiter polls. Also checks that every SDK request
/// (`.send()`) is made inside a `.call(`, so no request escapes this scan.
fn operations_in_source() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (file, code) in adapter_sources() {
        let mut spans = Vec::new();
        for (at, _) in code.match_indices(".call(") {
            let open = at + ".call".len();
            let rest = code[open + 1..].trim_start();
            let Some(literal) = rest.strip_prefix('"') else {
                panic!("{file}: `.call(` without a literal operation name near offset {at}");
            };
            let name = &literal[..literal.find('"').unwrap()];
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "{file}: `{name}` does not look like an AWS operation name"
            );
            found.insert((file.clone(), name.to_string()));
            spans.push(open..closing(&code, open));
        }
        for (at, _) in code.match_indices(".send()") {
            assert!(
                spans.iter().any(|span| span.contains(&at)),
                "{file}: an SDK request at offset {at} is sent outside `call(…)`, so this \
                 test cannot see its operation name: wrap it in `call`"
            );
        }
        for (at, _) in code.match_indices("wait_until_") {
            let name: String = code[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let Some((_, operation)) = WAITERS.iter().find(|(w, _)| *w == name) else {
                panic!("{file}: waiter `{name}` is not in WAITERS: add the operation it polls");
            };
            found.insert((file.clone(), operation.to_string()));
        }
    }
    found
}

// ---- the tests ----

#[test]
fn the_scan_finds_the_adapter_calls() {
    let found = operations_in_source();
    // A scanner that silently found nothing would make the next test vacuous.
    assert!(found.len() >= 35, "only {} operations found", found.len());
    for expected in [
        "CreateFunction",
        "PutRolePolicy",
        "CreateDeployment",
        "GetCallerIdentity",
    ] {
        assert!(
            found.iter().any(|(_, op)| op == expected),
            "{expected} not found in src/aws/"
        );
    }
}

#[test]
fn every_operation_lade_sends_is_in_the_table_and_vice_versa() {
    let found = operations_in_source();
    let table: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(file, op, _)| (file.to_string(), op.to_string()))
        .collect();
    let missing: Vec<_> = found.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "src/aws/ sends operations this test does not know: {missing:?}. Add each to \
         OPERATIONS with the IAM actions it needs, and allow them in docs/iam-policy.json"
    );
    let stale: Vec<_> = table.difference(&found).collect();
    assert!(
        stale.is_empty(),
        "OPERATIONS lists operations src/aws/ no longer sends: {stale:?}; remove them (and \
         their actions from docs/iam-policy.json, if nothing else needs them)"
    );
}

#[test]
fn the_policy_allows_every_operation_on_its_resources() {
    let policy = policy();
    let mut missing = Vec::new();
    for (file, operation, needs) in OPERATIONS {
        for (action, resource) in *needs {
            if allowing(&policy, action, resource).is_empty() {
                missing.push(format!("{operation} ({file}) needs {action} on {resource}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/iam-policy.json does not allow:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_policy_allows_nothing_lade_does_not_need() {
    let policy = policy();
    let needed: BTreeSet<&str> = OPERATIONS
        .iter()
        .flat_map(|(_, _, needs)| needs.iter().map(|(action, _)| *action))
        .collect();
    for statement in &policy {
        for action in &statement.actions {
            assert!(
                !action.contains('*') && !action.contains('?'),
                "{}: wildcard action `{action}`",
                statement.sid
            );
            assert!(
                needed.contains(action.as_str()),
                "{}: `{action}` is allowed but no operation of lade needs it",
                statement.sid
            );
        }
    }
}

#[test]
fn writes_are_scoped_to_lade_roles_functions_and_rest_apis() {
    let policy = policy();
    // `*` only where the action supports no resource-level permission.
    let anywhere: BTreeSet<&str> = [
        "sts:GetCallerIdentity",
        "tag:GetResources",
        "iam:ListRoles",
        "lambda:ListFunctions",
        // Neither names a mapping: one does not exist yet, the other lists them all.
        "lambda:ListEventSourceMappings",
        "lambda:CreateEventSourceMapping",
        // Lists rules by name prefix: EventBridge authorizes it on no rule.
        "events:ListRules",
    ]
    .into_iter()
    .collect();
    for statement in &policy {
        for action in &statement.actions {
            let (service, name) = action.split_once(':').unwrap();
            let scoped_to = |prefixes: &[&str]| {
                for resource in &statement.resources {
                    assert!(
                        prefixes.iter().any(|p| resource.starts_with(p)),
                        "{}: {action} on `{resource}`, outside {prefixes:?}",
                        statement.sid
                    );
                }
            };
            match service {
                _ if anywhere.contains(action.as_str()) => {}
                "iam" if name == "GetRole" => scoped_to(&["arn:aws:iam::123456789012:role/"]),
                "iam" if name == "GetPolicy" => scoped_to(&[
                    "arn:aws:iam::aws:policy/",
                    "arn:aws:iam::123456789012:policy/",
                ]),
                "iam" => scoped_to(&["arn:aws:iam::123456789012:role/lade/shop/"]),
                "lambda" if name.ends_with("EventSourceMapping") => {
                    scoped_to(&["arn:aws:lambda:us-east-1:123456789012:event-source-mapping:"])
                }
                "lambda" => scoped_to(&["arn:aws:lambda:us-east-1:123456789012:function:"]),
                "apigateway" => scoped_to(&[
                    "arn:aws:apigateway:us-east-1::/restapis",
                    "arn:aws:apigateway:us-east-1::/apis",
                    "arn:aws:apigateway:us-east-1::/tags/",
                ]),
                // The project's rules, on the default bus or another.
                "events" => scoped_to(&["arn:aws:events:us-east-1:123456789012:rule/"]),
                // Buckets and topics are not lade's: any of the account's (bucket
                // ARNs name no account); lade changes only its own entries on them.
                "s3" => scoped_to(&["arn:aws:s3:::"]),
                "sns" => scoped_to(&["arn:aws:sns:us-east-1:123456789012:"]),
                other => panic!("{}: unexpected service `{other}`", statement.sid),
            }
            if !anywhere.contains(action.as_str()) {
                assert!(
                    !statement.resources.iter().any(|r| r == "*"),
                    "{}: {action} on `*`",
                    statement.sid
                );
            }
        }
    }
}

#[test]
fn pass_role_is_only_for_lade_roles_and_only_to_lambda() {
    let policy = policy();
    let passing: Vec<&Statement> = policy
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == "iam:PassRole"))
        .collect();
    assert_eq!(passing.len(), 1, "one statement allows iam:PassRole");
    let statement = passing[0];
    assert_eq!(statement.actions, ["iam:PassRole"], "PassRole stands alone");
    assert_eq!(
        statement.resources,
        ["arn:aws:iam::123456789012:role/lade/shop/*"]
    );
    assert_eq!(
        statement.condition,
        Some(serde_json::json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))
    );
    // A role outside lade's path, or another project's, or in another account, cannot
    // be passed; nor can the policy on such a role be written.
    for role in [
        "arn:aws:iam::123456789012:role/admin",
        "arn:aws:iam::123456789012:role/lade/other/dev/other-dev-api",
        "arn:aws:iam::999999999999:role/lade/shop/dev/shop-dev-api",
    ] {
        for action in ["iam:PassRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"] {
            assert!(
                allowing(&policy, action, role).is_empty(),
                "{action} on {role}"
            );
        }
    }
    assert!(!allowing(&policy, "iam:PassRole", LADE_ROLE).is_empty());
}

/// `AddPermission` only ever names API Gateway, EventBridge, or the public (`*`) for a
/// function URL without auth, as the principal, so the policy lets the deployer open a
/// function to nothing else (`lambda:Principal`).
#[test]
fn add_permission_is_only_for_api_gateway_eventbridge_s3_sns_and_public_urls() {
    let policy = policy();
    let adding: Vec<&Statement> = policy
        .iter()
        .filter(|s| s.actions.iter().any(|a| a == "lambda:AddPermission"))
        .collect();
    assert_eq!(adding.len(), 2, "two statements allow lambda:AddPermission");
    let mut principals = Vec::new();
    for statement in &adding {
        assert_eq!(
            statement.actions,
            ["lambda:AddPermission"],
            "it stands alone"
        );
        let condition = statement.condition.clone().expect("a condition");
        principals.push(condition["StringEquals"]["lambda:Principal"].clone());
        assert_eq!(condition.as_object().unwrap().len(), 1, "{condition}");
    }
    assert_eq!(
        principals,
        [
            serde_json::json!([
                "apigateway.amazonaws.com",
                "events.amazonaws.com",
                "s3.amazonaws.com",
                "sns.amazonaws.com"
            ]),
            serde_json::json!("*")
        ]
    );
    // The adapter sends the principal its caller names, and the only callers (apply's
    // Lambda steps) name API Gateway and EventBridge; a function URL's public
    // statements name `*`.
    let sources = adapter_sources();
    assert!(sources["lambda.rs"].contains(".principal(principal)"));
    let public: Vec<&str> = sources["function_urls.rs"]
        .match_indices(".principal(")
        .map(|(at, _)| {
            let rest = &sources["function_urls.rs"][at + ".principal(".len()..];
            &rest[..rest.find(')').unwrap()]
        })
        .collect();
    assert_eq!(public, ["\"*\""]);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/apply/lambda.rs");
    let apply = std::fs::read_to_string(path).unwrap();
    let principals: Vec<&str> = apply
        .match_indices(".add_permission(")
        .map(|(at, _)| {
            let args = &apply[at + ".add_permission(".len()..];
            let args = &args[..args.find(')').unwrap()];
            args.split(',').nth(2).unwrap().trim()
        })
        .collect();
    assert_eq!(
        principals,
        [
            "arn::API_GATEWAY_PRINCIPAL",
            "arn::API_GATEWAY_PRINCIPAL",
            "arn::EVENTS_PRINCIPAL",
            "source.principal("
        ]
    );
    // (The scan stops at the first `)`.) A source permission names S3 or SNS, nothing
    // else.
    assert_eq!(lade::arn::S3_PRINCIPAL, "s3.amazonaws.com");
    assert_eq!(lade::arn::SNS_PRINCIPAL, "sns.amazonaws.com");
    assert_eq!(lade::arn::API_GATEWAY_PRINCIPAL, "apigateway.amazonaws.com");
    assert_eq!(lade::arn::EVENTS_PRINCIPAL, "events.amazonaws.com");
}

/// Every ARN pins the region and the account where the service's ARNs hold them (IAM
/// ARNs have no region, API Gateway's no account), and actions that take no resource
/// are pinned to the region by `aws:RequestedRegion` where they are regional.
#[test]
fn the_documents_pin_region_and_account_where_aws_allows() {
    for file in ["iam-policy.json", "iam-policy-plan.json"] {
        let document: Value = serde_json::from_str(&template(file)).unwrap();
        for statement in document["Statement"].as_array().unwrap() {
            let sid = statement["Sid"].as_str().unwrap();
            for resource in strings(&statement["Resource"]) {
                let pinned = match resource.split(':').nth(2) {
                    Some("lambda") => resource.starts_with("arn:aws:lambda:REGION:ACCOUNT_ID:"),
                    // AWS's own managed policies are in the account `aws`.
                    Some("iam") => {
                        resource.starts_with("arn:aws:iam::ACCOUNT_ID:")
                            || resource == "arn:aws:iam::aws:policy/*"
                    }
                    Some("apigateway") => resource.starts_with("arn:aws:apigateway:REGION::"),
                    Some("s3") => resource == "arn:aws:s3:::*",
                    Some("sns") => resource.starts_with("arn:aws:sns:REGION:ACCOUNT_ID:"),
                    Some("events") => {
                        resource.starts_with("arn:aws:events:REGION:ACCOUNT_ID:rule/")
                            && resource.contains("PROJECT-")
                    }
                    _ => resource == "*",
                };
                assert!(pinned, "{file} {sid}: `{resource}` is not pinned");
            }
            let actions = strings(&statement["Action"]);
            let regional = actions.iter().any(|a| {
                a == "lambda:ListFunctions" || a == "tag:GetResources" || a == "events:ListRules"
            });
            if regional {
                assert_eq!(
                    statement["Condition"]["StringEquals"]["aws:RequestedRegion"], "REGION",
                    "{file} {sid}"
                );
            }
        }
    }
}

/// `docs/iam-policy-plan.json` allows every read lade's `plan` sends, and nothing
/// that writes: a pull request's plan job can run with it.
#[test]
fn the_plan_policy_allows_the_reads_and_no_write() {
    let policy = plan_policy();
    let is_read = |op: &str| op.starts_with("Get") || op.starts_with("List");
    let mut missing = Vec::new();
    for (file, operation, needs) in OPERATIONS.iter().filter(|(_, op, _)| is_read(op)) {
        for (action, resource) in *needs {
            if allowing(&policy, action, resource).is_empty() {
                missing.push(format!("{operation} ({file}) needs {action} on {resource}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/iam-policy-plan.json does not allow:\n{}",
        missing.join("\n")
    );
    let read_actions: BTreeSet<&str> = OPERATIONS
        .iter()
        .filter(|(_, op, _)| is_read(op))
        .flat_map(|(_, _, needs)| needs.iter().map(|(action, _)| *action))
        .collect();
    for statement in &policy {
        for action in &statement.actions {
            assert!(
                read_actions.contains(action.as_str()),
                "{}: `{action}` is not a read lade's plan needs",
                statement.sid
            );
        }
    }
    // The deploy policy allows at least everything the plan policy does.
    let deploy = self::policy();
    for (_, _, needs) in OPERATIONS.iter().filter(|(_, op, _)| is_read(op)) {
        for (action, resource) in *needs {
            assert!(!allowing(&deploy, action, resource).is_empty(), "{action}");
        }
    }
}

#[test]
fn the_glob_matches_like_iam() {
    assert!(glob("arn:aws:iam::*:role/lade/*", LADE_ROLE));
    assert!(glob(
        "arn:aws:iam::123456789012:role/lade/shop/*",
        LADE_ROLE
    ));
    assert!(!glob(
        "arn:aws:iam::*:role/lade/*",
        "arn:aws:iam::1:role/other/x"
    ));
    assert!(glob("arn:aws:apigateway:*::/restapis/*", METHOD));
    assert!(!glob("arn:aws:apigateway:*::/restapis/*", RESTAPIS));
    assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
}
