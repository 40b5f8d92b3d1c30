//! AWS's rules for names, identifiers and ARNs, as plain functions and tables.
//!
//! Each check returns `Err` with the reason in words, so `validate` can add where and
//! how to fix it. Nothing here knows about YAML or locations.

/// Environment variables Lambda sets itself and refuses in a function's configuration
/// (Lambda developer guide, "Defined runtime environment variables").
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Whether Lambda reserves this environment variable name.
pub(crate) fn is_reserved_env(key: &str) -> bool {
    RESERVED_ENV.contains(&key) || key.starts_with("AWS_LAMBDA_")
}

/// `[A-Za-z][A-Za-z0-9_]*`.
pub(crate) fn is_env_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[a-z][a-z0-9-]*`: project and stage names.
pub(crate) fn is_lower_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Letters, digits and hyphens: function and role keys.
pub(crate) fn is_resource_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Lambda function names: `[A-Za-z0-9_-]`.
pub(crate) fn is_function_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// IAM names (roles, inline policies): `[\w+=,.@-]`.
pub(crate) fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `xx-xxxx-N`, e.g. `us-east-1`, `us-gov-west-1`.
pub(crate) fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// `<name>.amazonaws.com`, e.g. `lambda.amazonaws.com`.
pub(crate) fn is_service_principal(s: &str) -> bool {
    s.strip_suffix(".amazonaws.com").is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    })
}

/// Splits `arn:<partition>:iam::<account>:<kind>/<rest>`; `None` if not that shape.
fn iam_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !(partition == "aws" || partition.starts_with("aws-"))
        || !partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
    {
        return None;
    }
    let rest = rest.strip_prefix("iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix(kind)?.strip_prefix('/')?;
    let valid_path = !name.is_empty()
        && !name.ends_with('/')
        && !name.contains("//")
        && name.chars().all(|c| c == '/' || is_iam_name_char(c));
    valid_path.then_some((account, name))
}

fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}

/// `arn:<partition>:iam::<12 digits>:role/<path><name>`.
pub(crate) fn is_role_arn(arn: &str) -> bool {
    iam_arn(arn, "role").is_some_and(|(account, _)| is_account_id(account))
}

/// `arn:<partition>:iam::(aws|<12 digits>):policy/<path><name>`.
pub(crate) fn is_policy_arn(arn: &str) -> bool {
    iam_arn(arn, "policy").is_some_and(|(account, _)| account == "aws" || is_account_id(account))
}

/// Which handler syntax a runtime expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandlerStyle {
    /// `file.function`, path segments allowed: Python, Node.js, Ruby.
    Script,
    /// `pkg.Class` or `pkg.Class::method`.
    Java,
    /// `Assembly::Namespace.Class::Method`.
    Dotnet,
    /// Any token, e.g. `bootstrap`.
    Custom,
}

impl HandlerStyle {
    pub fn of(runtime: &str) -> Option<HandlerStyle> {
        if runtime.starts_with("python")
            || runtime.starts_with("nodejs")
            || runtime.starts_with("ruby")
        {
            Some(HandlerStyle::Script)
        } else if runtime.starts_with("java") {
            Some(HandlerStyle::Java)
        } else if runtime.starts_with("dotnet") {
            Some(HandlerStyle::Dotnet)
        } else if runtime.starts_with("provided") {
            Some(HandlerStyle::Custom)
        } else {
            None
        }
    }

    /// The expected shape, with an example, for messages.
    pub fn shape(self) -> &'static str {
        match self {
            HandlerStyle::Script => "`file.function`, e.g. `app.handler` or `src/app.handler`",
            HandlerStyle::Java => {
                "`package.Class` or `package.Class::method`, e.g. `example.Handler::handleRequest`"
            }
            HandlerStyle::Dotnet => {
                "`Assembly::Namespace.Class::Method`, e.g. `MyApp::MyApp.Function::Handler`"
            }
            HandlerStyle::Custom => "the name of your executable, e.g. `bootstrap`",
        }
    }

    /// Whether `handler` has this style's shape (whitespace and length are checked apart).
    pub fn accepts(self, handler: &str) -> bool {
        fn ident(s: &str) -> bool {
            let mut chars = s.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        }
        fn dotted(s: &str) -> bool {
            s.split('.').all(ident)
        }
        match self {
            HandlerStyle::Script => {
                let file_and_fn = handler.rsplit('/').next().unwrap_or(handler);
                let dirs_ok = handler
                    .rsplit_once('/')
                    .is_none_or(|(dirs, _)| dirs.split('/').all(|d| !d.is_empty()));
                match file_and_fn.rsplit_once('.') {
                    Some((file, function)) => dirs_ok && !file.is_empty() && ident(function),
                    None => false,
                }
            }
            HandlerStyle::Java => {
                let (class, method) = match handler.split_once("::") {
                    Some((class, method)) => (class, Some(method)),
                    None => (handler, None),
                };
                dotted(class) && method.is_none_or(ident)
            }
            HandlerStyle::Dotnet => {
                let parts: Vec<&str> = handler.split("::").collect();
                parts.len() == 3
                    && !parts[0].is_empty()
                    && !parts[0].contains(char::is_whitespace)
                    && dotted(parts[1])
                    && ident(parts[2])
            }
            HandlerStyle::Custom => !handler.is_empty(),
        }
    }
}

/// HTTP methods a route may use.
pub(crate) const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

/// Checks an API Gateway resource path; returns why it is wrong.
pub(crate) fn check_route_path(path: &str) -> Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("the path must start with `/`".into());
    };
    if rest.is_empty() {
        return Ok(());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() {
            return Err(if last {
                "the path must not end with `/`".into()
            } else {
                "the path has an empty segment (`//`)".into()
            });
        }
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return Err(format!(
                    "segment `{segment}` opens `{{` but does not close it"
                ));
            };
            let (name, greedy) = match name.strip_suffix('+') {
                Some(name) => (name, true),
                None => (name, false),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "parameter `{segment}` must be a name of letters, digits and `_`, like `{{id}}`"
                ));
            }
            if greedy && !last {
                return Err(format!(
                    "the greedy parameter `{segment}` may only be the last segment"
                ));
            }
        } else if segment.contains(['{', '}']) {
            return Err(format!(
                "segment `{segment}` mixes text and a parameter; a parameter must be a whole segment"
            ));
        } else if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._:".contains(*c)))
        {
            // API Gateway's `CreateResource` takes a path part of `a-zA-Z0-9._:-`, or a
            // `{parameter}`; anything else URLs allow (`~ @ ! $ & ' ( ) * + , ; =`) is
            // refused at apply ("Resource's path part only allow a-zA-Z0-9._- and
            // curly braces at the beginning and the end", `:` accepted since).
            return Err(format!(
                "segment `{segment}` contains `{bad}`; API Gateway allows only letters, digits and `-._:` in a path segment"
            ));
        }
    }
    Ok(())
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_styles() {
        use HandlerStyle::*;
        for (style, ok) in [
            (Script, "app.handler"),
            (Script, "src/app.handler"),
            (Script, "index.main_2"),
            (Java, "example.Handler"),
            (Java, "example.Handler::handleRequest"),
            (Dotnet, "MyApp::MyApp.Function::Handler"),
            (Custom, "bootstrap"),
        ] {
            assert!(style.accepts(ok), "{style:?} should accept {ok}");
        }
        for (style, bad) in [
            (Script, "app"),
            (Script, "app."),
            (Script, ".handler"),
            (Script, "src//app.handler"),
            (Java, "example.Handler::"),
            (Java, "example..Handler"),
            (Dotnet, "MyApp.Function::Handler"),
            (Custom, ""),
        ] {
            assert!(!style.accepts(bad), "{style:?} should reject {bad}");
        }
    }

    #[test]
    fn arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/service/app"));
        assert!(is_role_arn("arn:aws-cn:iam::123456789012:role/app"));
        assert!(!is_role_arn("arn:aws:iam::aws:role/app"));
        assert!(!is_role_arn("arn:aws:iam::12345:role/app"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/app"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/"));
        assert!(is_policy_arn(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ));
        assert!(is_policy_arn("arn:aws:iam::123456789012:policy/mine"));
        assert!(!is_policy_arn("arn:aws:iam::aws:policy"));
        assert!(!is_policy_arn("arn:aws:s3:::bucket"));
    }

    #[test]
    fn regions_and_paths() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("us-east"));
        assert!(!is_region("US-EAST-1"));
        assert!(check_route_path("/").is_ok());
        assert!(check_route_path("/items/{id}").is_ok());
        assert!(check_route_path("/admin/{proxy+}").is_ok());
        assert!(check_route_path("/{proxy+}/x").is_err());
        assert!(check_route_path("items").is_err());
        assert!(check_route_path("/items/").is_err());
        assert!(check_route_path("/a{b}").is_err());
        assert!(check_route_path("/v1/events:batch-get/a_b.c").is_ok());
        for bad in [
            "~", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", "%20",
        ] {
            assert!(check_route_path(&format!("/a{bad}b")).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_keys() {
        assert!(is_env_key("TABLE_NAME"));
        assert!(!is_env_key("1TABLE"));
        assert!(!is_env_key("TABLE-NAME"));
        assert!(is_reserved_env("AWS_REGION"));
        assert!(is_reserved_env("AWS_LAMBDA_FUNCTION_NAME"));
        assert!(is_reserved_env("_HANDLER"));
        assert!(!is_reserved_env("AWS_PROFILE_NAME"));
    }
}
