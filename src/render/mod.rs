//! Turns plans and apply events into text for people and JSON for machines.
//!
//! Renderers are pure: they take data and return strings. They never call AWS and the
//! engine never prints; the commands decide where the strings go.
//!
//! This file holds the plain text and JSON forms. The others have a file each:
//! [`markdown`] for GitHub job summaries and PR comments, [`explain`] for
//! `lade plan --explain` (why each step comes where it does, and the `aws` CLI command
//! that does the same), and [`graph`] for `lade graph` (Mermaid and DOT).
//!
//! No renderer shows a sensitive value: the plan holds none, only masks and hashes.

pub mod colour;
pub mod explain;
pub mod graph;
pub mod markdown;

use std::fmt::Write as _;

use serde_json::Value;
use similar::TextDiff;

use crate::apply::{Event, Outcome};
use crate::diff::{Action, Change, Field, FieldChange, FieldValue};
use crate::model::ResourceKind;
use crate::package::listing::CodeFiles;
use crate::plan::{Plan, Summary};

/// The plan as text: each changed resource with its fields, then the ordered steps,
/// then the summary line.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let scope = &plan.scope;
    for warning in &plan.warnings {
        let _ = writeln!(out, "Warning: {warning}\n");
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "No changes. Project {} stage {} matches the manifest.",
            scope.project, scope.stage
        );
        return out;
    }
    let _ = writeln!(
        out,
        "lade will make these changes to project {} stage {}:\n",
        scope.project, scope.stage
    );
    for change in &plan.changes {
        let files = change.key.as_ref().and_then(|k| plan.code_files.get(k));
        change_text(&mut out, change, files);
    }
    let _ = writeln!(
        out,
        "Steps, in order (a step waits only for the steps in brackets):"
    );
    let width = plan.steps.len().to_string().len();
    for step in &plan.steps {
        let _ = write!(out, "  {:>width$}. {}", step.id + 1, step.op.describe());
        if !step.depends_on.is_empty() {
            let _ = write!(out, "  [after {}]", step_numbers(&step.depends_on));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n{}", summary_line(plan.summary()));
    out
}

/// Step ids as people number them (from 1), comma-separated: `1, 3`.
pub(crate) fn step_numbers(ids: &[usize]) -> String {
    let numbers: Vec<String> = ids.iter().map(|id| (id + 1).to_string()).collect();
    numbers.join(", ")
}

/// "Plan: 2 to add, 1 to change, 0 to destroy."
pub fn summary_line(summary: Summary) -> String {
    format!(
        "Plan: {} to add, {} to change, {} to destroy.",
        summary.add, summary.change, summary.destroy
    )
}

fn change_text(out: &mut String, change: &Change, files: Option<&CodeFiles>) {
    let _ = write!(
        out,
        "  {} {} {}",
        change.action.symbol(),
        change.kind(),
        change.name
    );
    if let Some(key) = &change.key
        && !change.name.ends_with(key.as_str())
    {
        let _ = write!(out, " ({key})");
    }
    if let Action::Replace { of } = &change.action {
        let _ = write!(out, ", replacing {of} (its name changed)");
    }
    if change.drift {
        let _ = write!(out, "  (changed outside lade)");
    }
    out.push('\n');
    // A replacement is created anew: its fields read like a create's.
    let created = change.action.is_new();
    for field in &change.fields {
        field_text(out, created, field);
        if field.field == Field::Code
            && let Some(files) = files
        {
            code_files_text(out, files);
        }
    }
    // What a delete takes with it, so that a destroy's count can be set against the
    // apply's: the route, stage, deployment and permission are counted there.
    if change.action == Action::Delete {
        let with = match change.kind() {
            ResourceKind::Api => Some("its routes, stage and deployments go with it"),
            ResourceKind::Function => Some("its invoke permissions, if any, go with it"),
            _ => None,
        };
        if let Some(with) = with {
            let _ = writeln!(out, "      ({with}: not counted apart)");
        }
    }
    out.push('\n');
}

/// One field of a change; `created` when the resource is made anew.
fn field_text(out: &mut String, created: bool, field: &FieldChange) {
    let indent = "      ";
    match (&field.field, &field.old, &field.new) {
        // On create, an empty value is the default: not worth a line.
        (_, None, Some(new)) if created && new.is_empty() => {}
        (Field::TrustPolicy, None, Some(document)) => {
            let services = document
                .trusted_services()
                .map_or_else(|| document.compact(), |services| services.join(", "));
            let _ = writeln!(out, "{indent}trusted by: {services}");
        }
        (Field::ManagedPolicy(arn), None, Some(_)) => {
            let _ = writeln!(out, "{indent}+ managed policy {arn}");
        }
        (Field::ManagedPolicy(arn), Some(_), None) => {
            let _ = writeln!(out, "{indent}- managed policy {arn}");
        }
        (Field::InlinePolicy(name), None, Some(_)) if created => {
            let _ = writeln!(out, "{indent}+ inline policy {name}");
        }
        (_, old, Some(FieldValue::Code { sha256, size })) => {
            let _ = match old {
                Some(FieldValue::Code { sha256: before, .. }) => {
                    writeln!(out, "{indent}code: {before} → {sha256} ({})", bytes(*size))
                }
                _ => writeln!(out, "{indent}code: {sha256} ({})", bytes(*size)),
            };
        }
        // Maps (an environment, tags) read one key a line: added, removed, changed.
        (name, Some(FieldValue::Map(old)), Some(FieldValue::Map(new))) => {
            let _ = writeln!(out, "{indent}{name}:");
            let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
            for key in keys {
                let shown = |v: &String| FieldValue::text(v.as_str()).compact();
                let _ = match (old.get(key), new.get(key)) {
                    (None, Some(value)) => {
                        writeln!(out, "{indent}  + {key:<width$} = {}", shown(value))
                    }
                    (Some(value), None) => {
                        writeln!(out, "{indent}  - {key:<width$} = {}", shown(value))
                    }
                    (Some(before), Some(after)) if before != after => writeln!(
                        out,
                        "{indent}  ~ {key:<width$} = {} → {}",
                        shown(before),
                        shown(after)
                    ),
                    _ => Ok(()),
                };
            }
        }
        (name, old, new) => {
            let structured =
                |v: &Option<FieldValue>| v.as_ref().is_some_and(FieldValue::is_structured);
            if old.is_some() && (structured(old) || structured(new)) {
                let _ = writeln!(out, "{indent}{name}:");
                let old = old.as_ref().map(FieldValue::lines).unwrap_or_default();
                let new = new.as_ref().map(FieldValue::lines).unwrap_or_default();
                let diff = TextDiff::from_lines(&old, &new);
                for line in diff.unified_diff().context_radius(2).to_string().lines() {
                    if line.starts_with("@@") {
                        continue;
                    }
                    let _ = writeln!(out, "{indent}  {line}");
                }
                return;
            }
            let show = |v: &Option<FieldValue>| {
                v.as_ref()
                    .map_or_else(|| "(none)".into(), FieldValue::compact)
            };
            match (old, new.as_ref().and_then(FieldValue::entries)) {
                (Some(_), _) => {
                    let _ = writeln!(out, "{indent}{name}: {} → {}", show(old), show(new));
                }
                // A new map reads best one entry a line.
                (None, Some(entries)) => {
                    let _ = writeln!(out, "{indent}{name}:");
                    let width = entries.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                    for (key, value) in entries {
                        let _ = writeln!(out, "{indent}  {key:<width$} = {value}");
                    }
                }
                (None, None) => {
                    let _ = writeln!(out, "{indent}{name}: {}", show(new));
                }
            }
        }
    }
}

/// Which files a code change adds, removes or modifies, under its `code:` line.
fn code_files_text(out: &mut String, files: &CodeFiles) {
    let indent = "        ";
    /// More than this many files of a new package are summed up.
    const SHOWN: usize = 10;
    match files {
        CodeFiles::New { files } => {
            let names: Vec<&str> = files.iter().take(SHOWN).map(String::as_str).collect();
            let more = files.len().saturating_sub(SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{indent}{} file(s): {}{more}",
                files.len(),
                names.join(", ")
            );
        }
        CodeFiles::Changed {
            added,
            removed,
            modified,
        } => {
            if added.is_empty() && removed.is_empty() && modified.is_empty() {
                // Same files, same contents: a name's mode or the zip's order changed.
                let _ = writeln!(
                    out,
                    "{indent}the same files; only how they are stored changed"
                );
            }
            for (mark, names) in [("+", added), ("-", removed), ("~", modified)] {
                for name in names {
                    let _ = writeln!(out, "{indent}{mark} {name}");
                }
            }
        }
        CodeFiles::OnlyNew { files } => {
            let _ = writeln!(
                out,
                "{indent}which files changed is unknown: AWS reports only the deployed package's \
                 hash, and no listing of it was kept here; the new one has {files} file(s)"
            );
        }
    }
}

fn bytes(size: u64) -> String {
    match size {
        0..1024 => format!("{size} B"),
        1024..1_048_576 => format!("{:.1} KiB", size as f64 / 1024.0),
        _ => format!("{:.1} MiB", size as f64 / 1_048_576.0),
    }
}

/// One line for an apply event, without control characters.
pub fn event_line(event: &Event) -> String {
    match event {
        Event::Started { description, .. } => format!("  …  {description}"),
        Event::Succeeded {
            description,
            elapsed,
            ..
        } => {
            format!("  ✓  {description} ({:.1}s)", elapsed.as_secs_f64())
        }
        Event::Failed {
            description, error, ..
        } => format!("  ✗  {description}: {error}"),
        Event::Kept {
            description,
            reason,
            ..
        } => format!(
            "  ~  {description}: not done, so it is kept (clean-up is best effort; the next \
             deploy tries again): {reason}"
        ),
        Event::Skipped {
            description,
            blocked_by,
            ..
        } => {
            format!(
                "  -  {description}: skipped, step {} did not succeed",
                blocked_by + 1
            )
        }
        Event::Interrupted { in_flight } => match in_flight.len() {
            0 => "  !  interrupted: no new step starts".to_string(),
            n => format!(
                "  !  interrupted: no new step starts; waiting for the {} in flight \
                 (Ctrl-C again to stop at once)",
                steps(n)
            ),
        },
        Event::Abandoned { description, .. } => {
            format!("  ?  {description}: abandoned in flight, outcome unknown")
        }
    }
}

/// Which command an outcome is of: it names the summary and the command to re-run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Apply,
    Destroy,
}

impl Verb {
    /// The command, as typed: `apply`, `destroy`.
    pub fn command(self) -> &'static str {
        match self {
            Verb::Apply => "apply",
            Verb::Destroy => "destroy",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Verb::Apply => "Apply",
            Verb::Destroy => "Destroy",
        }
    }
}

/// How many not-started steps the summary names one by one; `lade plan` shows the rest.
const LISTED: usize = 10;

/// The closing lines of an apply or destroy.
pub fn outcome_text(plan: &Plan, outcome: &Outcome, verb: Verb) -> String {
    let total = plan.steps.len();
    let seconds = outcome.elapsed.as_secs_f64();
    let title = verb.title();
    let describe = |step: usize| format!("step {}, {}", step + 1, plan.steps[step].op.describe());
    if outcome.is_success() {
        let summary = plan.summary();
        let mut out = format!(
            "{title} complete: {} added, {} changed, {} destroyed ({total} steps in {seconds:.1}s).\n",
            summary.add, summary.change, summary.destroy
        );
        kept_text(&mut out, outcome, describe);
        if outcome.interrupted {
            out.push_str("The interrupt came after the last step had started; nothing remains.\n");
        }
        return out;
    }
    let mut out = if outcome.interrupted {
        format!(
            "{title} interrupted: {} of {total} steps done, {} failed, {} skipped, {} abandoned, {} not started ({seconds:.1}s).\n",
            outcome.succeeded.len(),
            outcome.failed.len(),
            outcome.skipped.len(),
            outcome.abandoned.len(),
            outcome.not_started.len(),
        )
    } else {
        format!(
            "{title} failed: {} of {total} steps done, {} failed, {} skipped, {} not started ({seconds:.1}s).\n",
            outcome.succeeded.len(),
            outcome.failed.len(),
            outcome.skipped.len(),
            outcome.not_started.len(),
        )
    };
    for (step, error) in &outcome.failed {
        let _ = writeln!(out, "  failed: {}: {error}", describe(*step));
    }
    kept_text(&mut out, outcome, describe);
    for step in &outcome.abandoned {
        let _ = writeln!(out, "  abandoned, outcome unknown: {}", describe(*step));
    }
    for step in outcome.not_started.iter().take(LISTED) {
        let _ = writeln!(out, "  not started: {}", describe(*step));
    }
    if outcome.not_started.len() > LISTED {
        let _ = writeln!(
            out,
            "  … and {} more not started",
            outcome.not_started.len() - LISTED
        );
    }
    if outcome.refused.is_empty() {
        let _ = writeln!(
            out,
            "Nothing is lost: run `lade {}` again to finish. It plans again from what exists in AWS now.",
            verb.command()
        );
    } else {
        // Running again unchanged would fail the same way.
        let _ = writeln!(
            out,
            "AWS refused what the manifest asks for in step(s) {}: fix the manifest, then run \
             `lade {}` again. Nothing is lost: it plans again from what exists in AWS now.",
            step_numbers(&outcome.refused),
            verb.command()
        );
    }
    out
}

/// The best-effort clean-up steps that kept what they could not remove, and why.
fn kept_text(out: &mut String, outcome: &Outcome, describe: impl Fn(usize) -> String) {
    if outcome.kept.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Kept {} (clean-up is best effort; the next deploy tries again):",
        match outcome.kept.len() {
            1 => "what 1 clean-up step could not remove".to_string(),
            n => format!("what {n} clean-up steps could not remove"),
        }
    );
    for (step, reason) in &outcome.kept {
        let _ = writeln!(out, "  kept: {}: {reason}", describe(*step));
    }
}

/// The closing line of `apply --json` and `destroy --json`, in the event stream's
/// format (see `docs/plan-json.md`).
pub fn outcome_json(outcome: &Outcome, verb: Verb) -> Value {
    let result = if outcome.is_success() {
        "complete"
    } else if outcome.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    let failed: Vec<Value> = outcome
        .failed
        .iter()
        .map(|(step, error)| serde_json::json!({"step": step, "error": error}))
        .collect();
    let kept: Vec<Value> = outcome
        .kept
        .iter()
        .map(|(step, reason)| serde_json::json!({"step": step, "reason": reason}))
        .collect();
    serde_json::json!({
        "event": "summary",
        "result": result,
        "interrupted": outcome.interrupted,
        "succeeded": outcome.succeeded,
        "failed": failed,
        "kept": kept,
        "skipped": outcome.skipped,
        "abandoned": outcome.abandoned,
        "not_started": outcome.not_started,
        "elapsed": outcome.elapsed,
        "rerun": (!outcome.is_success()).then(|| format!("lade {}", verb.command())),
    })
}

/// "1 step", "3 steps".
fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_string()
    } else {
        format!("{n} steps")
    }
}

/// The plan as JSON (see `docs/plan-json.md`).
pub fn plan_json(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("a plan always serializes");
    text.push('\n');
    text
}
