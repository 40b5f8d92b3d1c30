//! [`RawManifest`] → [`Desired`]: the checks the types cannot express, and resolution.
//!
//! Like ripgrep's `hiargs`, this turns what was written into what is meant: defaults
//! applied, physical names computed (`<project>-<stage>-<key>`), `source` paths
//! resolved against the manifest's directory, policy documents turned into JSON. Every
//! check reports through the [`Reporter`] and carries on, so one run finds every
//! problem. The only I/O is looking at `source` paths; there is no network call.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use crate::model::{
    Api, ApiSettings, Architecture, Authorization, CrossRef, DEFAULT_TRUST_SERVICE, Desired,
    Endpoint, EnvValue, Function, Role, RoleRef, Route, Scope, Source,
};

use super::DEFAULT_STAGE;
use super::declared::Declared;
use super::diagnostic::Reporter;
use super::node::Loc;
use super::raw::{
    self, Entries, OneOrMany, RawApi, RawArchitecture, RawDefaults, RawFunction, RawManifest,
    RawPolicyDocument, RawRole, RawRoute, Sp,
};
use super::rules::{self, HandlerStyle, suggest};
use super::vars::Resolved;

/// `defaults:`, checked once, as every function inherits it.
#[derive(Default)]
struct Defaults {
    /// The runtime, and whether it is a current one.
    runtime: Option<(Sp<String>, bool)>,
    memory: Option<i32>,
    timeout: Option<i32>,
    architecture: Option<Architecture>,
    environment: BTreeMap<String, Env>,
    tags: BTreeMap<String, String>,
}

/// An environment variable's value, and where each reference in it was written.
#[derive(Clone)]
struct Env {
    value: EnvValue,
    refs: Vec<(CrossRef, Loc)>,
}

/// What a service accepts as a physical name.
#[derive(Clone, Copy)]
struct NameRules {
    kind: &'static str,
    service: &'static str,
    allowed: fn(char) -> bool,
    charset: &'static str,
}

const FUNCTION_NAMES: NameRules = NameRules {
    kind: "function",
    service: "Lambda",
    allowed: rules::is_function_name_char,
    charset: "letters, digits, `-` and `_`",
};

const ROLE_NAMES: NameRules = NameRules {
    kind: "role",
    service: "IAM",
    allowed: rules::is_iam_name_char,
    charset: "letters, digits and `+=,.@_-`",
};

pub(crate) struct Validator<'r, 'a> {
    pub r: &'r mut Reporter<'a>,
    pub base_dir: &'r Path,
    pub declared: Declared,
    pub resolved: &'r Resolved,
}

impl Validator<'_, '_> {
    pub fn desired(&mut self, raw: RawManifest, stage_override: Option<&str>) -> Desired {
        self.lower_name(&raw.project, "project");
        let stage = match stage_override {
            Some(stage) => {
                if !rules::is_lower_name(stage) {
                    self.r
                        .error(
                            Loc::default(),
                            format!("the stage `{stage}` given on the command line is not a valid stage name"),
                        )
                        .help("a stage is lowercase letters, digits and hyphens, starting with a letter, e.g. `prod` or `pr-42`");
                }
                stage.to_owned()
            }
            None => match &raw.stage {
                Some(stage) => {
                    self.lower_name(stage, "stage");
                    stage.value.clone()
                }
                None => DEFAULT_STAGE.to_owned(),
            },
        };
        if let Some(region) = &raw.region
            && !rules::is_region(&region.value)
        {
            self.r
                .error(
                    region.loc,
                    format!("`{}` is not an AWS region", region.value),
                )
                .help("a region looks like `us-east-1` or `eu-central-1`");
        }
        let scope = Scope {
            project: raw.project.value.clone(),
            stage,
        };

        for (name, _) in raw.stages.iter() {
            if name.value != "default" {
                self.lower_name(name, "stage");
            }
        }

        let roles = raw
            .roles
            .iter()
            .filter_map(|(key, role)| self.role(&scope, key, role))
            .map(|role| (role.key.clone(), role))
            .collect();
        let defaults = self.defaults(raw.defaults.as_ref());
        let mut arn_refs = BTreeMap::new();
        let functions = raw
            .functions
            .iter()
            .filter_map(|(key, function)| {
                self.function(&scope, key, function, &defaults, &mut arn_refs)
            })
            .map(|f| (f.key.clone(), f))
            .collect();
        self.reference_cycles(&arn_refs);
        let api = raw.api.as_ref().map(|api| self.api(&scope, api));

        Desired {
            scope,
            region: raw.region.map(|r| r.value),
            roles,
            functions,
            api,
            uses_account: self.resolved.uses_account,
        }
    }

    fn defaults(&mut self, raw: Option<&RawDefaults>) -> Defaults {
        let Some(raw) = raw else {
            return Defaults::default();
        };
        let owner = "`defaults:`";
        Defaults {
            runtime: raw
                .runtime
                .as_ref()
                .map(|runtime| (runtime.clone(), self.runtime(runtime))),
            memory: raw
                .memory
                .as_ref()
                .map(|m| self.range(owner, m, 128, "memory", 128, 10240, "MB")),
            timeout: raw
                .timeout
                .as_ref()
                .map(|t| self.range(owner, t, 3, "timeout", 1, 900, "seconds")),
            architecture: raw.architecture.as_ref().map(|a| architecture(a.value)),
            environment: self.environment(owner, &raw.environment),
            tags: self.tags(&raw.tags),
        }
    }

    /// Functions whose environments hold each other's ARNs cannot be created in any
    /// order: each needs the other to exist first. Reports one cycle per strongly
    /// connected group, from its first key, at that key's reference to the next.
    fn reference_cycles(&mut self, arn_refs: &BTreeMap<String, Vec<(String, Loc)>>) {
        for group in strongly_connected(arn_refs) {
            let start = &group[0];
            let Some(path) = shortest_cycle(arn_refs, start, &group) else {
                continue;
            };
            let at = arn_refs[start]
                .iter()
                .find(|(to, _)| to == &path[1])
                .map_or(Loc::default(), |(_, loc)| *loc);
            let shown = path
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            if path.len() == 2 {
                self.r
                    .error(
                        at,
                        format!("function `{start}` refers to its own ARN, which does not exist until it is created"),
                    )
                    .help(format!("use `${{function:{start}.name}}`, or read the function's own name at run time from `AWS_LAMBDA_FUNCTION_NAME`"));
            } else {
                self.r
                    .error(
                        at,
                        format!("reference cycle: {shown}: each function's environment needs the next one's ARN, so none can be created first"),
                    )
                    .help(format!(
                        "remove one of the references; `${{function:{}.name}}` is known in advance, and code can look the ARN up from the name",
                        path[1]
                    ));
            }
        }
    }

    fn lower_name(&mut self, name: &Sp<String>, what: &str) {
        if !rules::is_lower_name(&name.value) {
            let hint = name.value.to_lowercase().replace(['_', ' ', '.'], "-");
            let mut h = self
                .r
                .error(
                    name.loc,
                    format!("`{}` is not a valid {what} name", name.value),
                )
                .help(format!(
                    "a {what} name is lowercase letters, digits and hyphens, starting with a letter; it becomes part of every resource name"
                ));
            if rules::is_lower_name(&hint) {
                h = h.help(format!("try `{hint}`"));
            }
            let _ = h;
        }
    }

    fn resource_key(&mut self, key: &Sp<String>, kind: &str) -> bool {
        if rules::is_resource_key(&key.value) {
            return true;
        }
        self.r
            .error(
                key.loc,
                format!("`{}` is not a valid {kind} key", key.value),
            )
            .help(format!(
                "a {kind} key is letters, digits and hyphens; it becomes part of the physical name"
            ))
            .help_if(
                rules::is_resource_key(&key.value.replace(['_', '.', ' '], "-"))
                    .then(|| format!("try `{}`", key.value.replace(['_', '.', ' '], "-"))),
            );
        false
    }

    /// The physical name: explicit `name:`, or `<project>-<stage>-<key>`, checked against
    /// the service's charset and 64-character limit.
    fn physical_name(
        &mut self,
        scope: &Scope,
        key: &Sp<String>,
        explicit: Option<&Sp<String>>,
        rules: &NameRules,
    ) -> String {
        let NameRules {
            kind,
            service,
            allowed,
            charset,
        } = *rules;
        let (name, loc) = match explicit {
            Some(name) => (name.value.clone(), name.loc),
            None => (scope.physical_name(&key.value), key.loc),
        };
        let len = name.chars().count();
        let origin = if explicit.is_some() {
            String::new()
        } else {
            " (`<project>-<stage>-<key>`)".to_owned()
        };
        if name.is_empty() {
            self.r
                .error(loc, format!("the {kind} name is empty"))
                .help(format!(
                    "remove `name:` to use `{}`",
                    scope.physical_name(&key.value)
                ));
        } else if len > 64 {
            self.r
                .error(
                    loc,
                    format!(
                        "the {kind} name `{name}`{origin} is {len} characters; {service} allows at most 64"
                    ),
                )
                .help(if explicit.is_some() {
                    "choose a shorter `name:`".to_owned()
                } else {
                    format!("shorten the key, or set a shorter `name:` for this {kind}")
                });
        } else if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
            self.r
                .error(
                    loc,
                    format!("the {kind} name `{name}`{origin} contains `{bad}`, which {service} does not allow"),
                )
                .help(format!("{service} names may only contain {charset}"));
        }
        name
    }

    fn role(&mut self, scope: &Scope, key: &Sp<String>, raw: &RawRole) -> Option<Role> {
        let key_ok = self.resource_key(key, "role");
        let name = self.physical_name(scope, key, raw.name.as_ref(), &ROLE_NAMES);
        let mut trust_services = BTreeSet::new();
        match &raw.trust {
            None => {
                trust_services.insert(DEFAULT_TRUST_SERVICE.to_owned());
            }
            Some(trust) => {
                if let OneOrMany::Many(list) = trust
                    && list.is_empty()
                {
                    self.r
                        .error(key.loc, format!("role `{}` trusts no service", key.value))
                        .help("remove `trust:` to let Lambda assume the role (`lambda.amazonaws.com`)");
                }
                for service in trust.iter() {
                    let service = &service.0;
                    if rules::is_service_principal(&service.value) {
                        trust_services.insert(service.value.clone());
                    } else {
                        let fix = if service.value.contains('.') {
                            String::new()
                        } else {
                            format!(", e.g. `{}.amazonaws.com`", service.value.to_lowercase())
                        };
                        self.r
                            .error(
                                service.loc,
                                format!("`{}` is not a service principal", service.value),
                            )
                            .help(format!(
                                "a service principal looks like `<service>.amazonaws.com`{fix}"
                            ));
                    }
                }
            }
        }
        let mut managed_policies = BTreeSet::new();
        for arn in raw.managed_policies.iter().flatten() {
            let arn = &arn.0;
            if rules::is_policy_arn(&arn.value) {
                managed_policies.insert(arn.value.clone());
            } else {
                self.r
                    .error(arn.loc, format!("`{}` is not a managed policy ARN", arn.value))
                    .help("a managed policy ARN is `arn:<partition>:iam::aws:policy/<path><name>` for AWS managed policies, or `arn:<partition>:iam::<12-digit account id>:policy/<path><name>` for your own")
                    .help_if((!arn.value.starts_with("arn:")).then(|| {
                        format!(
                            "for the AWS managed policy of that name, write `arn:aws:iam::aws:policy/{}`",
                            arn.value
                        )
                    }));
            }
        }
        let mut inline_policies = BTreeMap::new();
        for (name, doc) in raw.policies.iter() {
            if name.value.is_empty()
                || name.value.chars().count() > 128
                || !name.value.chars().all(rules::is_iam_name_char)
            {
                self.r
                    .error(
                        name.loc,
                        format!("`{}` is not a valid policy name", name.value),
                    )
                    .help("an inline policy name is 1 to 128 letters, digits and `+=,.@_-`");
            }
            if let Some(value) = self.policy_document(name, doc) {
                inline_policies.insert(name.value.clone(), value);
            }
        }
        key_ok.then(|| Role {
            key: key.value.clone(),
            name,
            path: scope.iam_path(),
            trust_services,
            managed_policies,
            inline_policies,
        })
    }

    fn policy_document(
        &mut self,
        name: &Sp<String>,
        doc: &RawPolicyDocument,
    ) -> Option<serde_json::Value> {
        let mut ok = true;
        if let Some(version) = &doc.version
            && !matches!(version.value.as_str(), "2012-10-17" | "2008-10-17")
        {
            ok = false;
            self.r
                .error(
                    version.loc,
                    format!(
                        "`Version` of policy `{}` must be `\"2012-10-17\"`, not `{}`",
                        name.value, version.value
                    ),
                )
                .help("`Version` is the policy language version, not a date of yours");
        }
        let statements: Vec<_> = doc.statement.value.iter().collect();
        if statements.is_empty() {
            ok = false;
            self.r
                .error(
                    doc.statement.loc,
                    format!("policy `{}` has no statements", name.value),
                )
                .help(
                    "add a statement with `Effect`, `Action` and `Resource`, or remove the policy",
                );
        }
        for statement in statements {
            match statement.get("Effect").and_then(|e| e.as_str()) {
                Some("Allow" | "Deny") => {}
                other => {
                    ok = false;
                    let what = match other {
                        Some(effect) => format!("has `Effect: {effect}`"),
                        None => "has no `Effect`".to_owned(),
                    };
                    self.r
                        .error(
                            doc.statement.loc,
                            format!("a statement of policy `{}` {what}", name.value),
                        )
                        .help("each statement needs `Effect: Allow` or `Effect: Deny`");
                }
            }
        }
        if !ok {
            return None;
        }
        serde_json::to_value(doc).ok()
    }

    fn function(
        &mut self,
        scope: &Scope,
        key: &Sp<String>,
        raw: &RawFunction,
        defaults: &Defaults,
        arn_refs: &mut BTreeMap<String, Vec<(String, Loc)>>,
    ) -> Option<Function> {
        let key_ok = self.resource_key(key, "function");
        let name = self.physical_name(scope, key, raw.name.as_ref(), &FUNCTION_NAMES);
        let source = self.source(raw);
        let runtime = match (&raw.runtime, &defaults.runtime) {
            (Some(runtime), _) => Some((runtime.value.clone(), self.runtime(runtime))),
            (None, Some((runtime, ok))) => Some((runtime.value.clone(), *ok)),
            (None, None) => {
                // A `runtime:` that failed to read has been reported already.
                if !self.declared.with_runtime.contains(&key.value) {
                    self.r
                        .error(key.loc, format!("function `{}` is missing `runtime`", key.value))
                        .help("add `runtime:` to the function, e.g. `runtime: python3.12`, or to `defaults:` for every function");
                }
                None
            }
        };
        if let Some((runtime, true)) = &runtime {
            self.handler(&raw.handler, runtime);
        }
        let role = self.role_ref(&raw.role);
        let owner = format!("function `{}`", key.value);
        let memory = match &raw.memory {
            Some(m) => self.range(&owner, m, 128, "memory", 128, 10240, "MB"),
            None => defaults.memory.unwrap_or(128),
        };
        let timeout = match &raw.timeout {
            Some(t) => self.range(&owner, t, 3, "timeout", 1, 900, "seconds"),
            None => defaults.timeout.unwrap_or(3),
        };
        let mut environment = defaults.environment.clone();
        environment.extend(self.environment(&owner, &raw.environment));
        self.secrets(
            key,
            raw.secrets.as_deref().unwrap_or_default(),
            &mut environment,
        );
        let refs: Vec<(String, Loc)> = environment
            .values()
            .flat_map(|env| &env.refs)
            .filter_map(|(reference, loc)| match reference {
                CrossRef::FunctionArn(to) => Some((to.clone(), *loc)),
                _ => None,
            })
            .collect();
        arn_refs.insert(key.value.clone(), refs);
        let mut tags = defaults.tags.clone();
        tags.extend(self.tags(&raw.tags));
        if let Some(d) = &raw.description
            && d.value.chars().count() > 256
        {
            self.r
                .error(
                    d.loc,
                    format!(
                        "the description is {} characters; Lambda allows at most 256",
                        d.value.chars().count()
                    ),
                )
                .help("shorten it");
        }
        let architecture = match &raw.architecture {
            Some(a) => architecture(a.value),
            None => defaults.architecture.unwrap_or_default(),
        };
        Some(Function {
            key: key_ok.then(|| key.value.clone())?,
            name,
            source: source?,
            handler: raw.handler.value.clone(),
            runtime: runtime?.0,
            role: role?,
            memory,
            timeout,
            environment: environment
                .into_iter()
                .map(|(k, env)| (k, env.value))
                .collect(),
            description: raw
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .unwrap_or_default(),
            architecture,
            tags,
        })
    }

    fn source(&mut self, raw: &RawFunction) -> Option<Source> {
        let written = &raw.source;
        if written.value.trim().is_empty() {
            self.r
                .error(written.loc, "`source` is empty")
                .help("point `source` at a directory or a `.zip` file, e.g. `source: ./src`");
            return None;
        }
        let path = resolve(self.base_dir, &written.value);
        let exclude: Vec<String> = raw
            .exclude
            .iter()
            .flatten()
            .filter_map(|glob| match globset::Glob::new(&glob.value) {
                Ok(_) => Some(glob.value.clone()),
                Err(err) => {
                    self.r
                        .error(
                            glob.loc,
                            format!("`{}` is not a valid glob: {}", glob.value, err.kind()),
                        )
                        .help("globs look like `*.pyc`, `tests/**` or `**/__pycache__`");
                    None
                }
            })
            .collect();
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => Some(Source::Dir { path, exclude }),
            Ok(meta)
                if meta.is_file()
                    && path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("zip")) =>
            {
                if let Some(first) = raw.exclude.as_ref().and_then(|e| e.first()) {
                    self.r
                        .error(first.loc, "`exclude` only applies to a directory `source`")
                        .help("a `.zip` file is uploaded as it is; remove `exclude`");
                }
                Some(Source::Zip { path })
            }
            Ok(_) => {
                self.r
                    .error(
                        written.loc,
                        format!("`source` `{}` is neither a directory nor a `.zip` file", written.value),
                    )
                    .help("point `source` at the directory that holds your code, or at a ready `.zip` file");
                None
            }
            Err(err) => {
                let link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let (what, help) = if link {
                    (
                        "is a symbolic link that cannot be followed",
                        format!(
                            "`{}` points to something that does not exist, or to a chain of links that loops; fix the link, or point `source` at the real directory",
                            path.display()
                        ),
                    )
                } else if err.kind() == std::io::ErrorKind::NotFound {
                    (
                        "does not exist",
                        format!(
                            "`source` is relative to the manifest's directory (looked for `{}`); {}",
                            path.display(),
                            io_hint(&err)
                        ),
                    )
                } else {
                    (
                        "cannot be read",
                        format!("`{}`: {err}; {}", path.display(), io_hint(&err)),
                    )
                };
                self.r
                    .error(written.loc, format!("`source` `{}` {what}", written.value))
                    .help(help);
                None
            }
        }
    }

    fn runtime(&mut self, runtime: &Sp<String>) -> bool {
        let value = runtime.value.as_str();
        if rules::RUNTIMES.contains(&value) {
            return true;
        }
        if let Some(current) = rules::deprecated_runtime(value) {
            self.r
                .error(
                    runtime.loc,
                    format!("runtime `{value}` is deprecated; Lambda no longer lets you deploy it"),
                )
                .help(format!("use a current runtime such as `{current}`"));
        } else {
            let mut h = self
                .r
                .error(runtime.loc, format!("`{value}` is not a Lambda runtime"));
            h = match suggest(value, rules::RUNTIMES.iter().copied()) {
                Some(s) => h.help(format!("did you mean `{s}`?")),
                None => h.help(format!("current runtimes: {}", rules::RUNTIMES.join(", "))),
            };
            let _ = h;
        }
        false
    }

    fn handler(&mut self, handler: &Sp<String>, runtime: &str) {
        let value = handler.value.as_str();
        let Some(style) = HandlerStyle::of(runtime) else {
            return;
        };
        if value.is_empty() {
            self.r
                .error(handler.loc, "`handler` is empty")
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        } else if value.contains(char::is_whitespace) {
            self.r
                .error(
                    handler.loc,
                    format!("handler `{value}` contains whitespace"),
                )
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        } else if value.chars().count() > 128 {
            self.r
                .error(
                    handler.loc,
                    format!(
                        "handler is {} characters; Lambda allows at most 128",
                        value.chars().count()
                    ),
                )
                .help("shorten the module path or function name");
        } else if !style.accepts(value) {
            self.r
                .error(
                    handler.loc,
                    format!("handler `{value}` does not fit runtime `{runtime}`"),
                )
                .help(format!("for `{runtime}` the handler is {}", style.shape()));
        }
    }

    fn role_ref(&mut self, role: &Sp<String>) -> Option<RoleRef> {
        let value = role.value.as_str();
        if value.starts_with("arn:") {
            if rules::is_role_arn(value) {
                return Some(RoleRef::Arn(value.to_owned()));
            }
            self.r
                .error(role.loc, format!("`{value}` is not a role ARN"))
                .help("a role ARN is `arn:<partition>:iam::<12-digit account id>:role/<path><name>`, e.g. `arn:aws:iam::123456789012:role/my-role`");
            return None;
        }
        if self.declared.roles.iter().any(|r| r == value) {
            return Some(RoleRef::Key(value.to_owned()));
        }
        let declared = &self.declared.roles;
        let mut h = self.r.error(
            role.loc,
            format!("role `{value}` is not defined in `roles:`"),
        );
        if let Some(s) = suggest(value, declared.iter().map(String::as_str)) {
            h = h.help(format!("did you mean `{s}`?"));
        }
        h = if declared.is_empty() {
            h.help("define it under `roles:`, or give an existing role's ARN")
        } else {
            h.help(format!(
                "defined roles: {}; or give an existing role's ARN",
                declared
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        let _ = h;
        None
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call per field reads best as a table"
    )]
    fn range(
        &mut self,
        owner: &str,
        value: &Sp<i64>,
        default: i32,
        what: &str,
        min: i64,
        max: i64,
        unit: &str,
    ) -> i32 {
        if (min..=max).contains(&value.value) {
            return i32::try_from(value.value).unwrap_or(default);
        }
        self.r
            .error(
                value.loc,
                format!(
                    "`{what}` in {owner} must be between {min} and {max} {unit}, not {}",
                    value.value
                ),
            )
            .help(format!("Lambda's {what} is {min} to {max} {unit}"));
        default
    }

    /// Checks the names; values come resolved from [`Resolved::env`] or as plain text.
    fn environment(
        &mut self,
        owner: &str,
        environment: &Entries<Sp<String>>,
    ) -> BTreeMap<String, Env> {
        let mut out = BTreeMap::new();
        for (name, value) in environment.iter() {
            if rules::is_reserved_env(&name.value) {
                self.r
                    .error(
                        name.loc,
                        format!(
                            "`{}` is reserved by Lambda and cannot be set in {owner}",
                            name.value
                        ),
                    )
                    .help("Lambda sets it at run time; use a different name");
            } else if !rules::is_env_key(&name.value) {
                let fixed: String = name
                    .value
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                self.r
                    .error(
                        name.loc,
                        format!(
                            "`{}` is not a valid environment variable name in {owner}",
                            name.value
                        ),
                    )
                    .help("names are letters, digits and `_`, starting with a letter")
                    .help_if(rules::is_env_key(&fixed).then(|| format!("try `{fixed}`")));
            } else {
                let env = match self.resolved.env.get(&value.loc) {
                    Some(resolved) => Env {
                        value: resolved.value.clone(),
                        refs: resolved.refs.clone(),
                    },
                    None => Env {
                        value: EnvValue::text(value.value.clone()),
                        refs: Vec::new(),
                    },
                };
                out.insert(name.value.clone(), env);
            }
        }
        out
    }

    /// Marks the variables `secrets:` names as sensitive; each must be in the
    /// environment (after `defaults:` are merged).
    fn secrets(
        &mut self,
        key: &Sp<String>,
        secrets: &[Sp<String>],
        environment: &mut BTreeMap<String, Env>,
    ) {
        for secret in secrets {
            if let Some(env) = environment.get_mut(&secret.value) {
                env.value.sensitive = true;
                continue;
            }
            let names: Vec<&str> = environment.keys().map(String::as_str).collect();
            let mut h = self.r.error(
                secret.loc,
                format!(
                    "`secrets:` names `{}`, which is not in the environment of function `{}`",
                    secret.value, key.value
                ),
            );
            if let Some(s) = suggest(&secret.value, names.iter().copied()) {
                h = h.help(format!("did you mean `{s}`?"));
            }
            h = if names.is_empty() {
                h.help(format!(
                    "the function has no environment; add `{}` under `environment:`",
                    secret.value
                ))
            } else {
                h.help(format!(
                    "its environment variables: {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            };
            let _ = h;
        }
    }

    fn tags(&mut self, tags: &Entries<Sp<String>>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (key, value) in tags.iter() {
            let lower = key.value.to_ascii_lowercase();
            if lower.starts_with("lade:") || lower.starts_with("aws:") {
                let prefix = &key.value[..key.value.find(':').unwrap_or(0) + 1];
                self.r
                    .error(
                        key.loc,
                        format!("tag key `{}` uses the reserved prefix `{prefix}`", key.value),
                    )
                    .help("`lade:` tags prove ownership and are set by lade; `aws:` tags belong to AWS; choose another key");
            } else if key.value.is_empty() || key.value.chars().count() > 128 {
                self.r
                    .error(key.loc, "a tag key must be 1 to 128 characters")
                    .help("shorten the key");
            } else if value.value.chars().count() > 256 {
                self.r
                    .error(value.loc, "a tag value must be at most 256 characters")
                    .help("shorten the value");
            } else {
                out.insert(key.value.clone(), value.value.clone());
            }
        }
        out
    }

    fn api(&mut self, scope: &Scope, api: &RawApi) -> Api {
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
                    .unwrap_or_else(|| format!("{}-{}", scope.project, scope.stage)),
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
        }
    }

    /// Splits `"GET /items"` into method and path, reporting what is wrong.
    fn route_key(&mut self, key: &Sp<String>) -> Option<(String, String)> {
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
    fn param_names_agree(
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

/// `source` relative to the manifest's directory, without `.` components.
fn resolve(base_dir: &Path, source: &str) -> PathBuf {
    let joined = base_dir.join(source);
    let mut out = PathBuf::new();
    for component in joined.components() {
        if component != Component::CurDir {
            out.push(component);
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn io_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::NotFound => "check the path, or create the directory",
        std::io::ErrorKind::PermissionDenied => "lade is not allowed to read it",
        _ => "check the path",
    }
}

fn architecture(raw: RawArchitecture) -> Architecture {
    match raw {
        RawArchitecture::X86_64 => Architecture::X86_64,
        RawArchitecture::Arm64 => Architecture::Arm64,
    }
}

/// The groups of keys that reach each other through `edges` (Tarjan's algorithm), each
/// sorted, keeping only groups that form a cycle (more than one key, or a key that
/// refers to itself). Ordered by first key.
fn strongly_connected(edges: &BTreeMap<String, Vec<(String, Loc)>>) -> Vec<Vec<String>> {
    struct Tarjan<'e> {
        edges: &'e BTreeMap<String, Vec<(String, Loc)>>,
        index: HashMap<&'e str, usize>,
        low: HashMap<&'e str, usize>,
        stack: Vec<&'e str>,
        groups: Vec<Vec<String>>,
    }
    impl<'e> Tarjan<'e> {
        fn visit(&mut self, v: &'e str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for (w, _) in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.edges.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                group.sort();
                let cyclic = group.len() > 1 || self.edges[v].iter().any(|(to, _)| to == v);
                if cyclic {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for key in edges.keys() {
        if !tarjan.index.contains_key(key.as_str()) {
            tarjan.visit(key);
        }
    }
    tarjan.groups.sort();
    tarjan.groups
}

/// The shortest path from `start` back to itself within `group`, both ends included.
fn shortest_cycle(
    edges: &BTreeMap<String, Vec<(String, Loc)>>,
    start: &str,
    group: &[String],
) -> Option<Vec<String>> {
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        let mut next: Vec<&str> = edges
            .get(v)
            .into_iter()
            .flatten()
            .map(|(to, _)| to.as_str())
            .filter(|to| group.iter().any(|g| g == to))
            .collect();
        next.sort_unstable();
        next.dedup();
        for w in next {
            if w == start {
                // Walk back from `v` to `start`, then read it forwards.
                let mut back = Vec::new();
                let mut at = v;
                while at != start {
                    back.push(at.to_owned());
                    at = came_from[at];
                }
                let mut path = vec![start.to_owned()];
                path.extend(back.into_iter().rev());
                path.push(start.to_owned());
                return Some(path);
            }
            if !came_from.contains_key(w) && w != start {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    None
}
