//! `${...}` variables, resolved in the YAML tree before the raw types read it.
//!
//! Substituting in the tree, in place, means a value a variable supplies goes through
//! exactly the checks a written value does (`memory: ${param:memory}` with 5 gets the
//! memory range error), and every error points at the line where the variable was
//! written. A whole-value variable keeps its type: a number param makes `memory` a
//! number; text that reads as a number or boolean (`--var memory=512`) is typed the way
//! YAML would type it, and still reads as text where a string is wanted.
//!
//! The forms:
//!
//! | written                     | value                                                  |
//! |-----------------------------|--------------------------------------------------------|
//! | `${stage}`, `${project}`    | the active stage; the manifest's `project:`            |
//! | `${region}`                 | the manifest's `region:`, else the caller's region     |
//! | `${account}`                | the account ID; `000000000000` until the caller knows it |
//! | `${env:NAME}`, `${env:NAME, default}` | the process environment; **sensitive**       |
//! | `${var:NAME}`               | `--var-file`s < `--var` < `--secret-var` (sensitive), later wins |
//! | `${param:NAME}`             | the active stage's `params`, then `default`'s          |
//! | `${function:KEY.name}`      | the function's physical name, as text                  |
//! | `${function:KEY.arn}`, `${role:KEY.arn}`, `${api.url}` | a reference, filled in at apply time |
//! | `$${`                       | a literal `${`                                         |
//!
//! Where they may appear: in any string value, not in keys. `project`, `stage`,
//! `region` and `stages:` are read *before* variables are resolved (they decide what
//! the variables mean), so they may not use them. Sensitive values and cross-references
//! may only appear in `environment:` values (a function's or `defaults:`), because
//! everything else ends up in plain plan data; their kind and sensitivity are handed to
//! `validate` in [`Resolved::env`], keyed by the value's location.
//!
//! Substituted text is not scanned again: a value containing `${` stays as it is.

use std::collections::{BTreeMap, HashMap};

use crate::model::{CrossRef, EnvValue, Part, Scope};

use super::declared::Declared;
use super::diagnostic::{Diagnostics, Reporter};
use super::node::{Kind, Loc, Node};
use super::rules::{self, suggest};
use super::{DEFAULT_STAGE, LoadOptions, parse};

/// Stands in for `${account}` until the caller has looked the account up.
pub(crate) const ACCOUNT_PLACEHOLDER: &str = "000000000000";

/// The namespaces of `${NAMESPACE:...}`.
const NAMESPACES: &[&str] = &["env", "var", "param", "function", "role"];
/// The variables without a namespace.
const BARE: &[&str] = &["stage", "project", "region", "account", "api.url"];

/// A scalar a variable stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn of(kind: &Kind) -> Option<Scalar> {
        match kind {
            Kind::Str(s) => Some(Scalar::Str(s.clone())),
            Kind::Int(i) => Some(Scalar::Int(*i)),
            Kind::Float(f) => Some(Scalar::Float(*f)),
            Kind::Bool(b) => Some(Scalar::Bool(*b)),
            _ => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }

    /// The node a whole-value variable becomes: typed, and readable as its text.
    fn into_node(self, loc: Loc) -> Node {
        let text = self.text();
        let kind = match self {
            Scalar::Str(s) => plain_type(&s).unwrap_or(Kind::Str(s)),
            Scalar::Int(i) => Kind::Int(i),
            Scalar::Float(f) => Kind::Float(f),
            Scalar::Bool(b) => Kind::Bool(b),
        };
        let text = (!matches!(kind, Kind::Str(_))).then_some(text);
        Node { kind, loc, text }
    }
}

/// How YAML types a plain scalar that reads as a number or a boolean.
fn plain_type(text: &str) -> Option<Kind> {
    match text {
        "true" | "True" | "TRUE" => return Some(Kind::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Kind::Bool(false)),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return text.parse::<i128>().ok().map(Kind::Int);
    }
    let numeric = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    numeric
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .map(Kind::Float)
}

/// A `--var`, `--secret-var` or var-file value.
#[derive(Debug, Clone)]
struct Var {
    value: Scalar,
    secret: bool,
}

/// The variables a run defines, from its options and var files.
#[derive(Debug, Default)]
pub(crate) struct Vars(BTreeMap<String, Var>);

impl Vars {
    /// Var files in order, then `--var`s, then `--secret-var`s; later wins. Errors in
    /// var files are reported against those files, all of them at once.
    pub fn read(options: &LoadOptions) -> Result<Vars, Diagnostics> {
        let mut vars = BTreeMap::new();
        let mut failures = Vec::new();
        for path in &options.var_files {
            match read_var_file(path) {
                Ok(file) => vars.extend(file),
                Err(diags) => failures.push(diags),
            }
        }
        if !failures.is_empty() {
            return Err(Diagnostics::concat(failures));
        }
        for (secret, list) in [(false, &options.vars), (true, &options.secret_vars)] {
            for (name, value) in list {
                vars.insert(
                    name.clone(),
                    Var {
                        value: Scalar::Str(value.clone()),
                        secret,
                    },
                );
            }
        }
        Ok(Vars(vars))
    }
}

/// A var file: a YAML mapping of names to strings, numbers or booleans, taken as
/// written (`${` in them is not resolved).
fn read_var_file(path: &std::path::Path) -> Result<BTreeMap<String, Var>, Diagnostics> {
    let text = super::read(path, "a var file", parse::MAX_BYTES)?;
    let mut r = Reporter::new(path.display().to_string(), &text);
    let mut vars = BTreeMap::new();
    let blank = text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    if blank {
        return Ok(vars);
    }
    let Some(mut root) = parse::yaml(&text, &mut r) else {
        return Err(r.finish());
    };
    root.drop_duplicate_keys(&mut |_, repeated, first| {
        let key = repeated.as_key().unwrap_or_default();
        r.error(repeated.loc, format!("duplicate var `{key}`"))
            .help(format!(
                "`{key}` is first set on line {}; keep one of them",
                first.loc.line
            ));
    });
    match &root.kind {
        Kind::Map(entries) => {
            for (key, value) in entries {
                let Some(name) = key.as_key() else {
                    r.error(key.loc, "a var name must be text")
                        .help("write `NAME: value`");
                    continue;
                };
                match Scalar::of(&value.kind) {
                    Some(scalar) => {
                        vars.insert(
                            name,
                            Var {
                                value: scalar,
                                secret: false,
                            },
                        );
                    }
                    None => {
                        let found = match value.kind {
                            Kind::Null => "nothing (null)",
                            Kind::Seq(_) => "a list",
                            _ => "a mapping",
                        };
                        r.error(
                            value.loc,
                            format!(
                                "var `{name}` must be a string, a number or a boolean, not {found}"
                            ),
                        )
                        .help("a var file maps each name to one value, e.g. `memory: 512`");
                    }
                }
            }
        }
        _ => {
            r.error(root.loc, "a var file must be a mapping of names to values")
                .help("write one `NAME: value` per line, e.g. `memory: 512`");
        }
    }
    if r.has_errors() {
        Err(r.finish())
    } else {
        Ok(vars)
    }
}

/// What resolution hands to `validate` besides the rewritten tree.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// The `environment:` values that hold a cross-reference or a sensitive value, by
    /// the location of the value. Other values are plain text in the tree.
    pub env: HashMap<Loc, EnvResolution>,
    /// Some value used `${account}`.
    pub uses_account: bool,
}

/// An environment value with its parts, and where each reference was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EnvResolution {
    pub value: EnvValue,
    pub refs: Vec<(CrossRef, Loc)>,
}

/// What one `${...}` stands for.
enum Value {
    Scalar {
        value: Scalar,
        secret: bool,
    },
    /// `${function:KEY.name}`: text, but a reference all the same.
    Name(String),
    Ref(CrossRef),
}

/// One piece of a string: literal text or a variable as written (`${...}`).
enum Piece {
    Text(String),
    Var { inner: String, written: String },
}

/// Resolves every variable in `root`, reporting each problem where it was written.
pub(crate) fn resolve(
    root: &mut Node,
    text: &str,
    declared: &Declared,
    vars: &Vars,
    options: &LoadOptions,
    r: &mut Reporter,
) -> Resolved {
    let mut resolver = Resolver::new(root, text, declared, vars, options, r);
    // Pass 1 resolves everything but environment values, so pass 2 can resolve
    // `${function:KEY.name}` against names that used variables themselves.
    resolver.walk(root, &mut Vec::new(), false);
    resolver.function_names = function_names(root, &resolver.scope, &declared.functions);
    resolver.walk(root, &mut Vec::new(), true);
    Resolved {
        env: resolver.env,
        uses_account: resolver.uses_account,
    }
}

/// The physical name of each function: its `name:`, or `<project>-<stage>-<key>`.
fn function_names(root: &Node, scope: &Scope, keys: &[String]) -> BTreeMap<String, String> {
    keys.iter()
        .map(|key| {
            let explicit = root
                .get("functions")
                .and_then(|f| f.get(key))
                .and_then(|f| f.get("name"))
                .and_then(|n| match &n.kind {
                    Kind::Str(s) => Some(s.as_str()),
                    _ => None,
                });
            (key.clone(), scope.name_or_default(key, explicit))
        })
        .collect()
}

struct Resolver<'o, 'r, 'a> {
    r: &'r mut Reporter<'a>,
    lines: Vec<&'o str>,
    scope: Scope,
    /// Whether `project:` is usable text.
    project_ok: bool,
    region: Option<String>,
    account: Option<&'o str>,
    env_vars: &'o BTreeMap<String, String>,
    vars: &'o Vars,
    /// `None` for a param whose value is not a scalar (the raw types report it).
    params: BTreeMap<String, Option<Scalar>>,
    functions: &'o [String],
    roles: &'o [String],
    has_api: bool,
    function_names: BTreeMap<String, String>,
    env: HashMap<Loc, EnvResolution>,
    uses_account: bool,
}

impl<'o, 'r, 'a> Resolver<'o, 'r, 'a> {
    fn new(
        root: &Node,
        text: &'o str,
        declared: &'o Declared,
        vars: &'o Vars,
        options: &'o LoadOptions,
        r: &'r mut Reporter<'a>,
    ) -> Self {
        let literal = |key: &str| match root.get(key).map(|n| &n.kind) {
            Some(Kind::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let project = literal("project");
        let stage = options
            .stage
            .clone()
            .or_else(|| literal("stage"))
            .unwrap_or_else(|| DEFAULT_STAGE.to_owned());
        let mut resolver = Resolver {
            r,
            lines: super::diagnostic::lines(text),
            project_ok: project.as_deref().is_some_and(rules::is_lower_name),
            scope: Scope {
                project: project.unwrap_or_default(),
                stage,
            },
            region: literal("region").or_else(|| options.region.clone()),
            account: options.account.as_deref(),
            env_vars: &options.env,
            vars,
            params: BTreeMap::new(),
            functions: &declared.functions,
            roles: &declared.roles,
            has_api: declared.api,
            function_names: BTreeMap::new(),
            env: HashMap::new(),
            uses_account: false,
        };
        for key in ["project", "stage", "region"] {
            if let Some(node) = root.get(key) {
                resolver.no_variables(node, &format!("`{key}:`"));
            }
        }
        resolver.params = resolver.params(root);
        resolver
    }

    /// The active stage's params over `default`'s.
    fn params(&mut self, root: &Node) -> BTreeMap<String, Option<Scalar>> {
        let mut params = BTreeMap::new();
        let Some(stages) = root.get("stages") else {
            return params;
        };
        let stage = self.scope.stage.clone();
        for name in ["default", stage.as_str()] {
            let Some(Kind::Map(entries)) = stages
                .get(name)
                .and_then(|s| s.get("params"))
                .map(|p| &p.kind)
            else {
                continue;
            };
            for (key, value) in entries {
                let Some(key) = key.as_key() else { continue };
                let scalar = match Scalar::of(&value.kind) {
                    Some(Scalar::Str(s)) => self.unescape(&s, value, "a param").map(Scalar::Str),
                    other => other,
                };
                params.insert(key, scalar);
            }
        }
        params
    }

    /// Reports `${` in a value read before variables are resolved.
    fn no_variables(&mut self, node: &Node, what: &str) {
        if let Kind::Str(s) = &node.kind {
            self.unescape(s, node, what);
        }
    }

    /// `$${` → `${`; `None` (reported) if `text` uses a variable.
    fn unescape(&mut self, text: &str, node: &Node, what: &str) -> Option<String> {
        let pieces = match split(text) {
            Ok(pieces) => pieces,
            Err(err) => {
                let at = self.locate(node.loc, "${", &mut 0);
                self.malformed(at, &err);
                return None;
            }
        };
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Var { written, .. } => {
                    let at = self.locate(node.loc, &written, &mut 0);
                    self.r
                        .error(at, format!("{what} cannot use variables such as `{written}`"))
                        .help("`project`, `stage`, `region` and stage params are read before variables are resolved, because they decide what variables mean; write the value itself")
                        .help("for a literal `${`, write `$${`");
                    self.r.suppress(node.loc);
                    return None;
                }
            }
        }
        Some(out)
    }

    fn walk(&mut self, node: &mut Node, names: &mut Vec<String>, environment: bool) {
        match &mut node.kind {
            Kind::Str(_) if is_environment_value(names) == environment => {
                self.scalar(node, environment);
            }
            Kind::Seq(items) => {
                for item in items {
                    self.walk(item, names, environment);
                }
            }
            Kind::Map(entries) => {
                for (key, value) in entries {
                    let name = key.as_key().unwrap_or_default();
                    // Read before resolution: see the module comment.
                    if names.is_empty()
                        && matches!(name.as_str(), "project" | "stage" | "region" | "stages")
                    {
                        continue;
                    }
                    names.push(name);
                    self.walk(value, names, environment);
                    names.pop();
                }
            }
            _ => {}
        }
    }

    /// Resolves the variables in one string node, in place.
    fn scalar(&mut self, node: &mut Node, environment: bool) {
        let Kind::Str(text) = &node.kind else {
            return;
        };
        if !text.contains('$') {
            return;
        }
        let pieces = match split(text) {
            Ok(pieces) => pieces,
            Err(err) => {
                let at = self.locate(node.loc, "${", &mut 0);
                self.malformed(at, &err);
                self.r.suppress(node.loc);
                return;
            }
        };
        let whole = matches!(pieces.as_slice(), [Piece::Var { .. }]);
        let mut parts: Vec<Part> = Vec::new();
        let mut refs = Vec::new();
        let mut sensitive = false;
        let mut failed = false;
        let mut whole_value = None;
        let mut cursor = 0;
        for piece in pieces {
            let (inner, written) = match piece {
                Piece::Text(t) => {
                    push_text(&mut parts, &t);
                    continue;
                }
                Piece::Var { inner, written } => (inner, written),
            };
            let at = self.locate(node.loc, &written, &mut cursor);
            let Some(value) = self.lookup(&inner, &written, at) else {
                failed = true;
                continue;
            };
            match value {
                Value::Scalar { value, secret } => {
                    if secret && !environment {
                        let name = match inner.split_once(':') {
                            Some((_, rest)) => rest.split(',').next().unwrap_or("").trim(),
                            None => inner.as_str(),
                        };
                        self.r
                            .error(
                                at,
                                format!("`{written}` is sensitive, and sensitive values may only be used in `environment:`"),
                            )
                            .help(format!(
                                "everywhere else the value would be shown in plain plan data; pass a non-secret value with `--var {name}=...` and `${{var:{name}}}`"
                            ));
                        failed = true;
                        continue;
                    }
                    sensitive |= secret;
                    push_text(&mut parts, &value.text());
                    whole_value = Some(value);
                }
                Value::Name(_) | Value::Ref(_) if !environment => {
                    self.outside_environment(at, &written);
                    failed = true;
                }
                Value::Name(name) => push_text(&mut parts, &name),
                Value::Ref(reference) => {
                    parts.push(Part::Ref(reference.clone()));
                    refs.push((reference, at));
                }
            }
        }
        if failed {
            self.r.suppress(node.loc);
            return;
        }
        if !environment {
            let loc = node.loc;
            *node = match whole_value {
                Some(value) if whole => value.into_node(loc),
                _ => Node {
                    kind: Kind::Str(display(&parts)),
                    loc,
                    text: None,
                },
            };
            return;
        }
        node.kind = Kind::Str(display(&parts));
        if parts.is_empty() {
            parts.push(Part::Text(String::new()));
        }
        if sensitive || !refs.is_empty() {
            self.env.insert(
                node.loc,
                EnvResolution {
                    value: EnvValue { parts, sensitive },
                    refs,
                },
            );
        }
    }

    fn outside_environment(&mut self, at: Loc, written: &str) {
        self.r
            .error(
                at,
                format!("`{written}` refers to another resource, which only `environment:` values may do"),
            )
            .help("lade fills references in when it deploys, and only a function's environment variables can hold them");
    }

    /// What `${inner}` stands for, or `None` after reporting why it stands for nothing.
    fn lookup(&mut self, inner: &str, written: &str, at: Loc) -> Option<Value> {
        let inner = inner.trim();
        let Some((namespace, rest)) = inner.split_once(':') else {
            return self.bare(inner, written, at);
        };
        let rest = rest.trim();
        let namespace = namespace.trim();
        if namespace != "env" && rest.contains(',') {
            self.r
                .error(
                    at,
                    format!("`{written}`: only `${{env:...}}` takes a default"),
                )
                .help(format!(
                    "write `${{{namespace}:{}}}`",
                    rest.split(',').next().unwrap_or("").trim()
                ));
            return None;
        }
        match namespace {
            "env" => self.env_var(rest, written, at),
            "var" => self.var(rest, written, at),
            "param" => self.param(rest, written, at),
            "function" | "role" => self.cross_ref(namespace, rest, written, at),
            other => {
                let mut h = self.r.error(
                    at,
                    format!("unknown variable namespace `{other}` in `{written}`"),
                );
                h = match suggest(other, NAMESPACES.iter().copied()).or_else(|| same_letters(other))
                {
                    Some(s) => h.help(format!("did you mean `${{{s}:{rest}}}`?")),
                    None => h,
                };
                let _ = h.help(ALL_FORMS);
                None
            }
        }
    }

    fn bare(&mut self, name: &str, written: &str, at: Loc) -> Option<Value> {
        let text = |s: &str| {
            Some(Value::Scalar {
                value: Scalar::Str(s.to_owned()),
                secret: false,
            })
        };
        match name {
            "stage" => text(&self.scope.stage.clone()),
            // A bad `project:` is reported on its own line.
            "project" => self
                .project_ok
                .then(|| self.scope.project.clone())
                .and_then(|p| text(&p)),
            "region" => match self.region.clone() {
                Some(region) => text(&region),
                None => {
                    self.r
                        .error(at, format!("`{written}` has no value: the manifest has no `region:` and AWS_REGION is not set"))
                        .help("set `region:` in the manifest, or AWS_REGION in the environment");
                    None
                }
            },
            "account" => match self.account {
                Some(account) => text(account),
                None => {
                    self.uses_account = true;
                    text(ACCOUNT_PLACEHOLDER)
                }
            },
            "api.url" if self.has_api => Some(Value::Ref(CrossRef::ApiUrl)),
            "api.url" => {
                self.r
                    .error(
                        at,
                        format!(
                            "`{written}` refers to the API, but the manifest has no `api:` section"
                        ),
                    )
                    .help("add `api:` with its `routes:`, or remove the reference");
                None
            }
            "" => {
                self.r
                    .error(at, "empty variable `${}`")
                    .help(ALL_FORMS)
                    .help("for a literal `${`, write `$${`");
                None
            }
            other => {
                let mut h = self.r.error(at, format!("unknown variable `{written}`"));
                if let Some(s) = suggest(other, BARE.iter().copied()) {
                    h = h.help(format!("did you mean `${{{s}}}`?"));
                } else if let Some(s) = suggest(other, NAMESPACES.iter().copied()) {
                    h = h.help(format!("did you mean `${{{s}:NAME}}`?"));
                }
                let _ = h.help(ALL_FORMS);
                None
            }
        }
    }

    fn env_var(&mut self, rest: &str, written: &str, at: Loc) -> Option<Value> {
        let (name, default) = match rest.split_once(',') {
            Some((name, default)) => (name.trim(), Some(default.trim())),
            None => (rest, None),
        };
        if name.is_empty() {
            self.r
                .error(at, format!("`{written}` names no environment variable"))
                .help("write `${env:NAME}` or `${env:NAME, default}`");
            return None;
        }
        let value =
            match (self.env_vars.get(name), default) {
                (Some(value), _) => value.clone(),
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    self.r
                    .error(at, format!("`{written}`: environment variable `{name}` is not set"))
                    .help(format!(
                        "set it in the environment, or give a default: `${{env:{name}, default}}`"
                    ));
                    return None;
                }
            };
        // Sensitive whether or not the default was used, so whether a value is shown
        // never depends on the machine lade runs on.
        Some(Value::Scalar {
            value: Scalar::Str(value),
            secret: true,
        })
    }

    fn var(&mut self, name: &str, written: &str, at: Loc) -> Option<Value> {
        if let Some(var) = self.vars.0.get(name) {
            return Some(Value::Scalar {
                value: var.value.clone(),
                secret: var.secret,
            });
        }
        let defined: Vec<&str> = self.vars.0.keys().map(String::as_str).collect();
        let mut h = self
            .r
            .error(at, format!("`{written}`: var `{name}` is not set"));
        if let Some(s) = suggest(name, defined.iter().copied()) {
            h = h.help(format!("did you mean `${{var:{s}}}`?"));
        }
        h = h.help(format!(
            "pass it with `--var {name}=VALUE`, `--secret-var {name}=VALUE` or in a `--var-file`"
        ));
        if !defined.is_empty() {
            h = h.help(format!("defined vars: {}", quoted(&defined)));
        }
        let _ = h;
        None
    }

    fn param(&mut self, name: &str, written: &str, at: Loc) -> Option<Value> {
        match self.params.get(name) {
            Some(Some(value)) => {
                return Some(Value::Scalar {
                    value: value.clone(),
                    secret: false,
                });
            }
            // Not a scalar, or itself bad: reported where it is defined.
            Some(None) => return None,
            None => {}
        }
        let defined: Vec<&str> = self.params.keys().map(String::as_str).collect();
        let stage = self.scope.stage.clone();
        let mut h = self.r.error(
            at,
            format!("`{written}`: param `{name}` is not defined for stage `{stage}`"),
        );
        if let Some(s) = suggest(name, defined.iter().copied()) {
            h = h.help(format!("did you mean `${{param:{s}}}`?"));
        }
        h = if defined.is_empty() {
            h.help(format!(
                "no params are defined for stage `{stage}`; add `{name}` under `stages:` → `{stage}:` (or `default:`) → `params:`"
            ))
        } else {
            h.help(format!("defined params: {}", quoted(&defined)))
                .help(format!(
                    "add `{name}` under `stages:` → `{stage}:` (or `default:`) → `params:`"
                ))
        };
        let _ = h;
        None
    }

    /// `${function:KEY.name}`, `${function:KEY.arn}`, `${function:KEY.url}`,
    /// `${role:KEY.arn}`.
    fn cross_ref(&mut self, kind: &str, rest: &str, written: &str, at: Loc) -> Option<Value> {
        let attributes: &[&str] = if kind == "function" {
            &["name", "arn", "url"]
        } else {
            &["arn"]
        };
        let forms = attributes
            .iter()
            .map(|a| format!("`${{{kind}:KEY.{a}}}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let Some((key, attribute)) = rest.rsplit_once('.') else {
            self.r
                .error(at, format!("`{written}` names no attribute"))
                .help(format!("write {forms}"));
            return None;
        };
        let declared = if kind == "function" {
            self.functions
        } else {
            self.roles
        };
        if !declared.iter().any(|k| k == key) {
            let section = if kind == "function" {
                "functions"
            } else {
                "roles"
            };
            let mut h = self.r.error(
                at,
                format!("`{written}`: {kind} `{key}` is not defined in `{section}:`"),
            );
            if let Some(s) = suggest(key, declared.iter().map(String::as_str)) {
                h = h.help(format!("did you mean `${{{kind}:{s}.{attribute}}}`?"));
            }
            h = if declared.is_empty() {
                h.help(format!("define it under `{section}:`"))
            } else {
                let names: Vec<&str> = declared.iter().map(String::as_str).collect();
                h.help(format!("defined {section}: {}", quoted(&names)))
            };
            let _ = h;
            return None;
        }
        match (kind, attribute) {
            ("function", "name") => Some(Value::Name(
                self.function_names.get(key).cloned().unwrap_or_default(),
            )),
            ("function", "arn") => Some(Value::Ref(CrossRef::FunctionArn(key.to_owned()))),
            ("function", "url") => Some(Value::Ref(CrossRef::FunctionUrl(key.to_owned()))),
            ("role", "arn") => Some(Value::Ref(CrossRef::RoleArn(key.to_owned()))),
            _ => {
                let mut h = self.r.error(
                    at,
                    format!("`{written}`: a {kind} has no attribute `{attribute}`"),
                );
                if let Some(s) = suggest(attribute, attributes.iter().copied()) {
                    h = h.help(format!("did you mean `${{{kind}:{key}.{s}}}`?"));
                }
                let _ = h.help(format!("write {forms}"));
                None
            }
        }
    }

    fn malformed(&mut self, at: Loc, err: &Malformed) {
        let Malformed { rest } = err;
        let guess = rest.split_whitespace().next().unwrap_or("");
        let mut h = self
            .r
            .error(at, format!("`${{{rest}` is not closed with `}}`"));
        if !guess.is_empty() {
            h = h.help(format!("did you mean `${{{guess}}}`?"));
        }
        let _ = h.help("for a literal `${`, write `$${`");
    }

    /// Where `written` is in the text of the value at `loc`, searching from `cursor`
    /// (in characters from the value's start), which moves past it. The value's own
    /// location when it cannot be found on that line (a block scalar, escapes).
    fn locate(&self, loc: Loc, written: &str, cursor: &mut usize) -> Loc {
        let Some(line) = (loc.line as usize)
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
        else {
            return loc;
        };
        let start = loc.column.saturating_sub(1) as usize + *cursor;
        let rest: String = line.chars().skip(start).collect();
        let Some(byte) = rest.find(written) else {
            return loc;
        };
        let offset = rest[..byte].chars().count();
        let len = written.chars().count();
        *cursor += offset + len;
        Loc {
            line: loc.line,
            column: u32::try_from(start + offset + 1).unwrap_or(loc.column),
            len: u32::try_from(len).unwrap_or(0),
        }
    }
}

/// Every form, for the help of an unknown variable.
const ALL_FORMS: &str = "variables are `${stage}`, `${project}`, `${region}`, `${account}`, `${env:NAME}`, `${var:NAME}` and `${param:NAME}`; in `environment:` also `${function:KEY.name}`, `${function:KEY.arn}`, `${role:KEY.arn}` and `${api.url}`";

/// The namespace spelled with the same letters in another order (`evn` → `env`), which
/// is too short a word for [`suggest`] to be sure of.
fn same_letters(word: &str) -> Option<&'static str> {
    let sorted = |w: &str| {
        let mut chars: Vec<char> = w.to_lowercase().chars().collect();
        chars.sort_unstable();
        chars
    };
    NAMESPACES
        .iter()
        .copied()
        .find(|n| sorted(n) == sorted(word))
}

/// `functions.<key>.environment.<NAME>` or `defaults.environment.<NAME>`.
fn is_environment_value(names: &[String]) -> bool {
    match names {
        [f, _, e, _] => f == "functions" && e == "environment",
        [d, e, _] => d == "defaults" && e == "environment",
        _ => false,
    }
}

/// An unclosed `${`; `rest` is what follows it.
struct Malformed {
    rest: String,
}

/// Splits text into literal pieces and `${...}` variables; `$${` is a literal `${`.
fn split(text: &str) -> Result<Vec<Piece>, Malformed> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        literal.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            literal.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                return Err(Malformed {
                    rest: tail.to_owned(),
                });
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Var {
                inner: tail[..end].to_owned(),
                written: format!("${{{}}}", &tail[..end]),
            });
            rest = &tail[end + 1..];
        } else {
            literal.push('$');
            rest = &after[1..];
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal));
    }
    Ok(pieces)
}

/// Appends text, merging it with the text before.
fn push_text(parts: &mut Vec<Part>, text: &str) {
    if let Some(Part::Text(last)) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(Part::Text(text.to_owned()));
    }
}

/// How a value with references reads in the tree: references as written.
fn display(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.clone(),
            Part::Ref(CrossRef::FunctionArn(key)) => format!("${{function:{key}.arn}}"),
            Part::Ref(CrossRef::RoleArn(key)) => format!("${{role:{key}.arn}}"),
            Part::Ref(CrossRef::ApiUrl) => "${api.url}".to_owned(),
            Part::Ref(CrossRef::FunctionUrl(key)) => format!("${{function:{key}.url}}"),
        })
        .collect()
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_handles_escapes_and_unclosed() {
        let pieces = split("a-$${x}-${stage}-$5").unwrap_or_else(|_| panic!("closed"));
        let shown: Vec<String> = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => format!("T({t})"),
                Piece::Var { inner, .. } => format!("V({inner})"),
            })
            .collect();
        assert_eq!(shown, ["T(a-${x}-)", "V(stage)", "T(-$5)"]);
        assert!(split("x ${env:A").is_err());
    }

    #[test]
    fn plain_typing() {
        assert_eq!(plain_type("1024"), Some(Kind::Int(1024)));
        assert_eq!(plain_type("-3"), Some(Kind::Int(-3)));
        assert_eq!(plain_type("0.5"), Some(Kind::Float(0.5)));
        assert_eq!(plain_type("true"), Some(Kind::Bool(true)));
        assert_eq!(plain_type("1.2.3"), None);
        assert_eq!(plain_type("e5"), None);
        assert_eq!(plain_type("abc"), None);
        assert_eq!(plain_type(""), None);
    }
}
