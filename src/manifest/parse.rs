//! Text → [`RawManifest`], reporting every syntax and shape error.
//!
//! 1. serde-saphyr parses the text into a [`Node`] tree, within a budget that refuses
//!    alias bombs and oversized documents quickly. A syntax error ends here, with its
//!    location.
//! 2. Repeated keys are reported and dropped, anywhere in the tree.
//! 3. [`de::collect`] reads the tree through the raw types; each error it meets
//!    (unknown key, wrong type, missing field, bad enum value) becomes a diagnostic
//!    worded for the manifest, e.g. "unknown key `memmory` in function `list-items`".

use std::sync::OnceLock;

use serde_json::Value;

use super::de::{self, ErrorKind, Step};
use super::diagnostic::Reporter;
use super::node::{Kind, Loc, Node};
use super::raw::RawManifest;
use super::rules::suggest;

/// The largest manifest lade reads. Real manifests are a few KB.
pub(crate) const MAX_BYTES: usize = 1024 * 1024;

/// The deepest nesting lade reads; a real manifest is about 8 levels deep.
const MAX_DEPTH: usize = 32;

/// Parses `text` into a tree, or reports why it is not YAML lade can read.
pub(crate) fn tree(text: &str, r: &mut Reporter) -> Option<Node> {
    if text.len() > MAX_BYTES {
        r.error(
            Loc::default(),
            format!(
                "the manifest is {} bytes; lade reads manifests of at most {MAX_BYTES} bytes",
                text.len()
            ),
        )
        .help("is this the right file?");
        return None;
    }
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        r.error(Loc::default(), "the manifest is empty")
            .help("start with `project: <name>`; see examples/hello/lade.yaml");
        return None;
    }
    yaml(text, r)
}

/// Parses YAML text into a tree within the budget, or reports the syntax error.
pub(crate) fn yaml(text: &str, r: &mut Reporter) -> Option<Node> {
    let mut options = serde_saphyr::Options::default();
    // Repeated keys reach the tree, so they can all be reported with both lines.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    // Budgets far above any real manifest, far below what hurts: a "billion laughs"
    // alias bomb trips them in microseconds instead of expanding.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 100_000;
    budget.max_nodes = 50_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_BYTES;
    budget.max_recorded_anchor_events = 50_000;
    budget.max_recorded_anchor_bytes = MAX_BYTES;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 50_000;
    options.with_snippet = false;

    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(node) => Some(node),
        Err(err) => {
            syntax_error(&err, text, r);
            None
        }
    }
}

/// Reports why serde-saphyr could not read `text`, in the manifest's words where the
/// cause is known, and pointing at the place to fix: the tab, the unclosed bracket.
fn syntax_error(err: &serde_saphyr::Error, text: &str, r: &mut Reporter) {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let loc = err.location().map(Loc::from).unwrap_or_default();
    let message = bare_message(&err.without_snippet().to_string());
    let mut cause = err;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = cause {
        cause = error;
    }
    match cause {
        Error::Budget {
            breach: BudgetBreach::Documents { .. },
            ..
        } => {
            r.error(loc, "the manifest holds more than one YAML document")
                .help("lade reads one document per file: remove this `---` line and what follows it, or give each document a manifest of its own");
        }
        Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => {
            r.error(
                loc,
                format!("the manifest nests deeper than {MAX_DEPTH} levels"),
            )
            .help("no manifest needs that much nesting; look for brackets opened by mistake");
        }
        Error::Budget { .. } => alias_bomb(loc, r),
        _ if message.contains("budget breached") => alias_bomb(loc, r),
        Error::NonFiniteFloat { value, .. } => {
            r.error(loc, format!("`{value}` is not a finite number"))
                .help(format!(
                    "YAML reads it as a number too large for any field (or as infinity or NaN); if you meant text, quote it: `\"{value}\"`"
                ));
        }
        _ if message.contains("tab") => match tab_in_indentation(text, loc.line) {
            Some(at) => {
                r.error(at, "invalid YAML: a tab in the indentation")
                    .help("YAML indents with spaces only; replace the tab with spaces");
            }
            None => {
                r.error(loc, format!("invalid YAML: {message}"))
                    .help("YAML does not allow a tab here; use spaces");
            }
        },
        _ => match unclosed_flow(text, loc) {
            Some((bracket, at)) => {
                let close = if bracket == '[' { ']' } else { '}' };
                r.error(at, format!("invalid YAML: this `{bracket}` is never closed"))
                    .help(format!(
                        "close it with `{close}`; the parser read on to line {}, and stopped there: {message}",
                        loc.line
                    ));
            }
            None => {
                let help = if message.contains("did not find expected key")
                    || message.contains("mapping values are not allowed")
                    || message.contains("did not find expected '-'")
                {
                    Some("check this line's indentation: the keys of one mapping start in the same column, and a nested mapping starts further right than its key".to_owned())
                } else if message.contains("simple key expected ':'") {
                    Some("a mapping entry is `key: value`, with a colon after the key".to_owned())
                } else {
                    None
                };
                r.error(loc, format!("invalid YAML: {message}"))
                    .help_if(help);
            }
        },
    }
}

fn alias_bomb(loc: Loc, r: &mut Reporter) {
    r.error(loc, "the manifest expands into too many values (anchors and aliases reused too often)")
        .help("lade refuses documents that expand into more than a few thousand nodes (for example through repeated aliases); write the manifest out plainly");
}

/// The first tab in the indentation of line `from` or one of the few lines after it:
/// the parser may notice a tab only on the token after it.
fn tab_in_indentation(text: &str, from: u32) -> Option<Loc> {
    let lines = super::diagnostic::lines(text);
    let first = (from as usize).max(1);
    (first..=first + 3)
        .filter_map(|n| Some((n, *lines.get(n - 1)?)))
        .find_map(|(n, line)| {
            let indent: String = line
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let column = indent.find('\t')?;
            Some(Loc {
                line: u32::try_from(n).ok()?,
                column: u32::try_from(column + 1).ok()?,
                len: 1,
            })
        })
}

/// A flow collection (`[` or `{`) still open where the parser stopped, on an earlier
/// line: the parser's own location is where it gave up, often a line or more later.
///
/// A light scan, not a parser: it knows quotes, comments and block scalars well enough
/// to find the bracket a person forgot to close.
fn unclosed_flow(text: &str, stop: Loc) -> Option<(char, Loc)> {
    let mut open: Vec<(char, Loc)> = Vec::new();
    let mut quote: Option<char> = None;
    // The indentation of the key whose block scalar (`|`, `>`) is being skipped.
    let mut block: Option<usize> = None;
    for (i, line) in super::diagnostic::lines(text).iter().enumerate() {
        let number = u32::try_from(i + 1).ok()?;
        if number > stop.line {
            break;
        }
        let indent = line.chars().take_while(|c| *c == ' ').count();
        if let Some(key_indent) = block {
            if line.trim().is_empty() || indent > key_indent {
                continue;
            }
            block = None;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut value_start = true;
        let mut j = 0;
        while j < chars.len() {
            let c = chars[j];
            let column = u32::try_from(j + 1).ok()?;
            if number == stop.line && column >= stop.column {
                break;
            }
            match quote {
                Some('"') if c == '\\' => j += 1,
                Some(q) if c == q => {
                    if q == '\'' && chars.get(j + 1) == Some(&'\'') {
                        j += 1;
                    } else {
                        quote = None;
                        value_start = false;
                    }
                }
                Some(_) => {}
                None => match c {
                    ' ' | '\t' => {}
                    '#' if j == 0 || chars[j - 1] == ' ' || chars[j - 1] == '\t' => break,
                    '"' | '\'' if value_start => quote = Some(c),
                    '[' | '{' if value_start => open.push((
                        c,
                        Loc {
                            line: number,
                            column,
                            len: 1,
                        },
                    )),
                    ']' | '}' if !open.is_empty() => {
                        open.pop();
                        value_start = false;
                    }
                    ',' if !open.is_empty() => value_start = true,
                    ':' if chars.get(j + 1).is_none_or(|n| *n == ' ' || *n == '\t')
                        || !open.is_empty() =>
                    {
                        value_start = true;
                    }
                    '-' | '?' if value_start && chars.get(j + 1).is_none_or(|n| *n == ' ') => {}
                    '|' | '>' if value_start && open.is_empty() => {
                        block = Some(indent);
                        break;
                    }
                    _ => value_start = false,
                },
            }
            j += 1;
        }
    }
    open.pop().filter(|(_, at)| at.line < stop.line)
}

/// serde-saphyr's message without its trailing " at line L, column C".
fn bare_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    let cut = first
        .rfind(" at line ")
        .filter(|i| first[*i..].contains(", column "))
        .unwrap_or(first.len());
    let trimmed = first[..cut].trim();
    trimmed
        .strip_prefix("error: ")
        .unwrap_or(trimmed)
        .to_owned()
}

/// Reports and drops repeated keys anywhere in the tree.
pub(crate) fn drop_duplicates(root: &mut Node, r: &mut Reporter) {
    root.drop_duplicate_keys(&mut |names, repeated, first| {
        let key = repeated.as_key().unwrap_or_default();
        r.error(
            repeated.loc,
            format!("duplicate key `{key}` {}", context(names)),
        )
        .help(format!(
            "`{key}` is first set on line {}; keep one of them",
            first.loc.line
        ));
    });
}

/// Reads the tree through the raw types, reporting each error. `None` if the manifest
/// is too broken to go on (its top level is not a mapping).
pub(crate) fn raw(root: &mut Node, r: &mut Reporter) -> Option<RawManifest> {
    // Values removed after an error, so a later "missing" does not repeat it.
    let mut removed: Vec<(Vec<Step>, String)> = Vec::new();
    // Unknown keys reported, with a did-you-mean: their mapping's path, the key, where
    // it is, and the key it suggests. The key is gone from the tree by the time its
    // mapping is found to miss the key it meant.
    let mut unknown: Vec<Misspelt> = Vec::new();
    de::collect::<RawManifest>(root, &mut |err, root, structs| {
        report(err, root, structs, &mut removed, &mut unknown, r);
    })
}

fn report(
    err: &de::Error,
    root: &Node,
    structs: &de::Structs,
    removed: &mut Vec<(Vec<Step>, String)>,
    unknown: &mut Vec<Misspelt>,
    r: &mut Reporter,
) {
    let node = de::lookup(root, &err.path);
    let loc = node.map_or(Loc::default(), |n| n.loc);
    let names = key_names(root, &err.path);
    let subject = subject(root, &err.path);
    if let Some((Step::Value(_), parent)) = err.path.split_last() {
        removed.push((parent.to_vec(), names.last().cloned().unwrap_or_default()));
    }
    match &err.kind {
        ErrorKind::Type { found, expected } | ErrorKind::Value { found, expected } => {
            let quote = (expected == "a string"
                && node.is_some_and(|n| {
                    matches!(n.kind, Kind::Bool(_) | Kind::Int(_) | Kind::Float(_))
                }))
            .then(|| r.token(loc))
            .flatten()
            .map(|token| format!("quote it to make it a string: `\"{token}\"`"));
            let about = match err.path.split_last() {
                Some((Step::Value(_), parent)) => structs
                    .get(parent)
                    .and_then(|s| description_of(s, names.last()?))
                    .map(|d| {
                        format!(
                            "`{}`: {}",
                            names.last().map_or("", String::as_str),
                            lowercase_first(&d)
                        )
                    }),
                _ => None,
            };
            // A whole number too large for any integer type reaches here as a float,
            // and would be shown as one (`1.2345e59`): show what was written instead.
            let huge = (expected == "a whole number")
                .then(|| node.filter(|n| matches!(n.kind, Kind::Float(_))))
                .flatten()
                .and_then(|_| r.token(loc))
                .filter(|t| {
                    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
                    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
                });
            let root = err.path.is_empty().then(|| {
                "a manifest is a mapping of keys such as `project:` and `functions:`; see examples/hello/lade.yaml".to_owned()
            });
            let message = match huge {
                Some(token) => {
                    format!("{subject} must be a whole number, and `{token}` is far too large")
                }
                None => format!("{subject} must be {expected}, not {found}"),
            };
            r.error(loc, message)
                .help_if(quote)
                .help_if(about)
                .help_if(root);
        }
        ErrorKind::UnknownField { field, expected } => {
            let owner = &names[..names.len().saturating_sub(1)];
            let help = match suggest(field, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the keys allowed here are {}", list(expected)),
            };
            if let Some(meant) = suggest(field, expected.iter().copied()) {
                unknown.push(Misspelt {
                    mapping: err.path[..err.path.len().saturating_sub(1)].to_vec(),
                    key: field.to_string(),
                    at: loc,
                    meant: meant.to_owned(),
                });
            }
            r.error(loc, format!("unknown key `{field}` {}", context(owner)))
                .help(help);
        }
        ErrorKind::UnknownVariant { variant, expected } => {
            let mut h = r.error(
                loc,
                format!(
                    "{subject} must be one of {}, not `{variant}`",
                    list(expected)
                ),
            );
            if let Some(s) = suggest(variant, expected.iter().copied()) {
                h = h.help(format!("did you mean `{s}`?"));
            }
            let _ = h;
        }
        ErrorKind::MissingField(_) => {
            let Some(name) = structs.get(&err.path) else {
                r.error(loc, format!("{subject} is incomplete"));
                return;
            };
            let present = node.map(Node::keys).unwrap_or_default();
            // Point at the key that names the incomplete mapping, e.g. `list-items:`.
            let at = match err.path.split_last() {
                Some((Step::Value(i), parent)) => {
                    let mut p = parent.to_vec();
                    p.push(Step::Key(*i));
                    de::lookup(root, &p).map_or(loc, |n| n.loc)
                }
                _ => loc,
            };
            let owner = if err.path.is_empty() {
                "the manifest".to_owned()
            } else {
                owner(&names)
            };
            for (field, description) in required_fields(name) {
                let already = removed.iter().any(|(p, f)| p == &err.path && f == &field);
                if present.contains(&field) || already {
                    continue;
                }
                // An unknown key whose did-you-mean is this field (`sourc:`) is the
                // cause: its error is listed first, and this one points back to it.
                let misspelt = unknown
                    .iter()
                    .find(|u| u.mapping == err.path && u.meant == field);
                let mut help = r
                    .error_after(
                        at,
                        misspelt.map(|u| u.at),
                        format!("{owner} is missing `{field}`"),
                    )
                    .help(format!("add `{field}:`, {}", lowercase_first(&description)));
                if let Some(u) = misspelt {
                    help = help.help(format!(
                        "or rename `{}` (line {}) to `{field}`",
                        u.key, u.at.line
                    ));
                }
                let _ = help;
            }
        }
        ErrorKind::Custom(message) => {
            r.error(loc, format!("{subject}: {message}"));
        }
    }
}

/// The names of the mapping keys along `path`.
fn key_names(root: &Node, path: &[Step]) -> Vec<String> {
    let mut names = Vec::new();
    let mut node = root;
    for step in path {
        if let (Kind::Map(entries), Step::Key(i) | Step::Value(i)) = (&node.kind, step) {
            names.push(entries[*i].0.as_key().unwrap_or_default());
        }
        match de::lookup(node, std::slice::from_ref(step)) {
            Some(next) => node = next,
            None => break,
        }
    }
    names
}

/// How a message names the node at `path`: "`memory` in function `api`",
/// "item 2 of `managed_policies` in role `basic`", "the manifest".
fn subject(root: &Node, path: &[Step]) -> String {
    let names = key_names(root, path);
    match path.last() {
        None => "the manifest".into(),
        Some(Step::Key(_)) => {
            let owner = &names[..names.len().saturating_sub(1)];
            format!(
                "key `{}` {}",
                names.last().map_or("", String::as_str),
                context(owner)
            )
        }
        Some(Step::Value(_)) if entity(&names).is_some() => entity(&names).unwrap_or_default(),
        Some(Step::Value(_)) => {
            let owner = &names[..names.len().saturating_sub(1)];
            format!(
                "`{}` {}",
                names.last().map_or("", String::as_str),
                context(owner)
            )
        }
        Some(Step::Item(i)) => {
            let owner = &names[..names.len().saturating_sub(1)];
            format!(
                "item {} of `{}` {}",
                i + 1,
                names.last().map_or("", String::as_str),
                context(owner)
            )
        }
    }
}

/// The name of an entry that is itself a thing: "function `api`", "policy `p` of role `r`".
fn entity(names: &[String]) -> Option<String> {
    match names {
        [s, k] if s == "functions" => Some(format!("function `{k}`")),
        [s, k] if s == "roles" => Some(format!("role `{k}`")),
        [s, k, p, name] if s == "roles" && p == "policies" => {
            Some(format!("policy `{name}` of role `{k}`"))
        }
        [a, r, k] if a == "api" && r == "routes" => Some(format!("route `{k}`")),
        _ => None,
    }
}

/// "in function `api`", "at the top level", ...: where a key sits.
pub(crate) fn context(names: &[String]) -> String {
    if names.is_empty() {
        "at the top level".into()
    } else {
        format!("in {}", owner(names))
    }
}

/// The thing the keys `names` lead into: "function `api`", "policy `p` of role `r`".
fn owner(names: &[String]) -> String {
    match names {
        [s, k, rest @ ..] if s == "functions" => match rest {
            [field, ..] if field == "environment" => {
                format!("the environment of function `{k}`")
            }
            [field, ..] if field == "tags" => format!("the tags of function `{k}`"),
            _ => format!("function `{k}`"),
        },
        [s, k, p, name, ..] if s == "roles" && p == "policies" => {
            format!("policy `{name}` of role `{k}`")
        }
        [s, k, ..] if s == "roles" => format!("role `{k}`"),
        [a, r, k, ..] if a == "api" && r == "routes" => format!("route `{k}`"),
        [_, ..] => format!("`{}`", names.join(".")),
        [] => "the manifest".into(),
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "The code: ..." → "the code: ...", but "Lambda functions" stays.
fn lowercase_first(s: &str) -> String {
    let first_word = s.split_whitespace().next().unwrap_or("");
    if !matches!(
        first_word,
        "The" | "A" | "An" | "One" | "Memory" | "Timeout" | "Whether"
    ) {
        return s.to_owned();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The required fields of the raw struct serde calls `name`, with the first sentence
/// of each one's description, read from the generated schema: the same source.
/// An unknown key with a did-you-mean, as reported.
struct Misspelt {
    /// The path of the mapping it is in.
    mapping: Vec<Step>,
    key: String,
    at: Loc,
    /// The key it suggests.
    meant: String,
}

fn required_fields(name: &str) -> Vec<(String, String)> {
    let schema = schema();
    let def = if name == "Manifest" {
        Some(schema)
    } else {
        schema.get("$defs").and_then(|d| d.get(name))
    };
    let Some(def) = def else {
        return Vec::new();
    };
    let required = def.get("required").and_then(Value::as_array);
    required
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|field| {
            let description = field_description(def, field);
            (field.to_owned(), description.replace('\n', " "))
        })
        .collect()
}

/// The first sentence of a field's schema description, on one line.
fn field_description(def: &Value, field: &str) -> String {
    let full = def
        .pointer(&format!("/properties/{field}/description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .replace('\n', " ");
    // A sentence ends at ". " before a capital letter, not inside "e.g. `x`".
    let end = full
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|i| full[i + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
        .unwrap_or(full.len());
    full[..end].trim_end_matches('.').to_owned()
}

/// The description of `field` of the raw struct serde calls `name`.
fn description_of(name: &str, field: &str) -> Option<String> {
    let schema = schema();
    let def = if name == "Manifest" {
        Some(schema)
    } else {
        schema.get("$defs").and_then(|d| d.get(name))
    }?;
    let d = field_description(def, field);
    (!d.is_empty()).then_some(d)
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::to_value(schemars::schema_for!(RawManifest)).unwrap_or(Value::Null)
    })
}
