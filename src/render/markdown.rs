//! The plan as GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY` and PR comments.
//!
//! Layout: a heading with project and stage, the summary line, a table of the changed
//! resources, one collapsed `<details>` block per resource with each field's old and new
//! value (documents as ```` ```diff ```` blocks), then the ordered steps.
//!
//! GitHub cuts a job summary or a comment off above 64 KB, mid-sentence. So the output
//! stays below [`MARKDOWN_LIMIT`]: when it would not, whole pieces are left out, the
//! details first (from the last resource back), then steps, then table rows, and a
//! closing line says what was left out and how to see all of it.
//!
//! Values come from the plan's changes, where sensitive values are already masked.

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::summary_line;
use crate::diff::{Action, Change, FieldChange, FieldValue};
use crate::plan::Plan;

/// The most bytes [`plan`] returns: GitHub's limit for a job summary or comment is
/// 65,536 bytes, and the output always stays below it.
pub const MARKDOWN_LIMIT: usize = 65_536;

/// Room kept for the truncation notice.
const NOTICE_ROOM: usize = 1024;

/// The plan as Markdown, always shorter than [`MARKDOWN_LIMIT`] bytes.
pub fn plan(plan: &Plan) -> String {
    let scope = &plan.scope;
    let mut head = format!(
        "## lade plan: project `{}`, stage `{}`\n\n",
        scope.project, scope.stage
    );
    for warning in &plan.warnings {
        let _ = writeln!(head, "> [!WARNING]\n> {}\n", cell(warning));
    }
    if plan.is_empty() {
        head.push_str("No changes. The account matches the manifest.\n");
        return head;
    }
    let _ = writeln!(head, "**{}**\n", summary_line(plan.summary()));

    let rows: Vec<String> = plan.changes.iter().map(table_row).collect();
    let details: Vec<String> = plan.changes.iter().map(details_block).collect();
    let steps: Vec<String> = plan.steps.iter().map(step_item).collect();
    const TABLE_HEAD: &str = "| | Kind | Name | Changes |\n|:-:|---|---|---|\n";
    const DETAILS_HEAD: &str = "### Changes in detail\n\n";
    const STEPS_HEAD: &str =
        "### Steps, in order\n\nA step starts once the steps it comes after have succeeded.\n\n";

    // Keep what matters most when space runs out: the table, then the steps, then
    // the details. Each part keeps a prefix of its pieces.
    let mut budget = MARKDOWN_LIMIT - 1 - NOTICE_ROOM - head.len();
    let mut take = |pieces: &[String], heading: &str| -> usize {
        let mut cost = heading.len() + 1;
        if cost > budget {
            return 0;
        }
        let mut kept = 0;
        for piece in pieces {
            if cost + piece.len() > budget {
                break;
            }
            cost += piece.len();
            kept += 1;
        }
        if kept > 0 {
            budget -= cost;
        }
        kept
    };
    let kept_rows = take(&rows, TABLE_HEAD);
    let kept_steps = take(&steps, STEPS_HEAD);
    let kept_details = take(&details, DETAILS_HEAD);

    // Where a part is cut, say so there too.
    let cut = |out: &mut String, kept: usize, all: usize| {
        if kept < all {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "*({} more left out: see the end of this summary)*",
                all - kept
            );
        }
    };
    let mut out = head;
    if kept_rows > 0 {
        out.push_str(TABLE_HEAD);
        rows[..kept_rows].iter().for_each(|r| out.push_str(r));
        cut(&mut out, kept_rows, rows.len());
        out.push('\n');
    }
    if kept_details > 0 {
        out.push_str(DETAILS_HEAD);
        details[..kept_details].iter().for_each(|d| out.push_str(d));
        cut(&mut out, kept_details, details.len());
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
    }
    if kept_steps > 0 {
        out.push_str(STEPS_HEAD);
        steps[..kept_steps].iter().for_each(|s| out.push_str(s));
        cut(&mut out, kept_steps, steps.len());
        out.push('\n');
    }
    let mut left_out = Vec::new();
    if kept_rows < rows.len() {
        left_out.push(format!(
            "{} of {} table rows",
            rows.len() - kept_rows,
            rows.len()
        ));
    }
    if kept_details < details.len() {
        left_out.push(format!(
            "the details of {} of {} resources",
            details.len() - kept_details,
            details.len()
        ));
    }
    if kept_steps < steps.len() {
        left_out.push(format!(
            "{} of {} steps",
            steps.len() - kept_steps,
            steps.len()
        ));
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> **This plan was truncated** to stay under GitHub's 64 KB limit: it leaves out {}. \
             To see all of it, run `lade plan` locally, or `lade plan --json`.",
            left_out.join(", ")
        );
    }
    debug_assert!(out.len() < MARKDOWN_LIMIT);
    out
}

fn table_row(change: &Change) -> String {
    let fields: Vec<String> = change.fields.iter().map(|f| f.field.to_string()).collect();
    // On create every field is new, and the details list them.
    let what = match &change.action {
        Action::Create => "new".to_string(),
        Action::Update => fields.join(", "),
        Action::Delete => "deleted".to_string(),
        Action::Replace { of } => format!("replaces {of}"),
    };
    let what = if change.drift {
        format!("{what} (changed outside lade)")
    } else {
        what
    };
    format!(
        "| `{}` | {} | {} | {} |\n",
        change.action.symbol(),
        change.kind(),
        cell(&name(change)),
        cell(&what)
    )
}

/// The resource's name, with its manifest key when the name does not show it.
fn name(change: &Change) -> String {
    match &change.key {
        Some(key) if !change.name.ends_with(key.as_str()) => format!("{} ({key})", change.name),
        _ => change.name.clone(),
    }
}

/// Text safe inside a table cell: Markdown escaped, `|` escaped, newlines as `<br>`.
fn cell(text: &str) -> String {
    inline(text).replace('\n', "<br>")
}

/// Text with Markdown's and HTML's active characters escaped, `|` included.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML (the `<summary>` line).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An inline code span that holds `text` whatever backticks it contains. GFM table
/// cells need `|` escaped even here; other backslashes are kept as they are.
fn code(text: &str) -> String {
    let text = text.replace('\n', " ").replace('|', "\\|");
    let longest = longest_run(&text, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

fn details_block(change: &Change) -> String {
    let mut out = format!(
        "<details><summary><code>{}</code> {} <b>{}</b></summary>\n\n",
        change.action.symbol(),
        change.kind(),
        html(&name(change))
    );
    let shown: Vec<&FieldChange> = change
        .fields
        .iter()
        .filter(|f| {
            let created = change.action.is_new();
            !(created && f.old.is_none() && f.new.as_ref().is_none_or(FieldValue::is_empty))
        })
        .collect();
    if shown.is_empty() {
        let what = match change.action {
            Action::Create => "Created with default settings.",
            Action::Update => "Updated.",
            Action::Delete => "Deleted.",
            Action::Replace { .. } => "Replaced.",
        };
        let _ = writeln!(out, "{what}");
    }
    for field in shown {
        field_item(&mut out, field);
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str("</details>\n\n");
    out
}

fn field_item(out: &mut String, field: &FieldChange) {
    let label = inline(&field.field.to_string());
    if let Some(FieldValue::Code { sha256, size }) = &field.new {
        let size = super::bytes(*size);
        let _ = match &field.old {
            Some(FieldValue::Code { sha256: before, .. }) => writeln!(
                out,
                "- **{label}**: {} → {} ({size})",
                code(before),
                code(sha256)
            ),
            _ => writeln!(out, "- **{label}**: {} ({size})", code(sha256)),
        };
        return;
    }
    // A new map of plain values reads best one entry a line.
    if let (None, Some(new)) = (&field.old, &field.new)
        && new.is_plain_map()
        && let Some(entries) = new.entries()
    {
        let _ = writeln!(out, "- **{label}**:");
        for (key, value) in entries {
            let _ = writeln!(out, "  - {} = {}", code(&key), shown(&value));
        }
        return;
    }
    if is_document(&field.old) || is_document(&field.new) {
        let _ = writeln!(out, "- **{label}**:\n");
        let old = field
            .old
            .as_ref()
            .map(FieldValue::lines)
            .unwrap_or_default();
        let new = field
            .new
            .as_ref()
            .map(FieldValue::lines)
            .unwrap_or_default();
        let mut diff = String::new();
        for change in TextDiff::from_lines(&old, &new).iter_all_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            let _ = write!(diff, "{sign}{}", change.value());
            if change.missing_newline() {
                diff.push('\n');
            }
        }
        let fence = "`".repeat(longest_run(&diff, '`').max(2) + 1);
        let _ = writeln!(out, "  {fence}diff");
        for line in diff.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  {fence}\n");
        return;
    }
    let _ = match (&field.old, &field.new) {
        (Some(old), new) => writeln!(out, "- **{label}**: {} → {}", scalar(old), optional(new)),
        (None, Some(new)) => writeln!(out, "- **{label}**: {}", scalar(new)),
        (None, None) => writeln!(out, "- **{label}**"),
    };
}

fn optional(value: &Option<FieldValue>) -> String {
    value.as_ref().map_or_else(|| "*(none)*".into(), scalar)
}

fn scalar(value: &FieldValue) -> String {
    match value {
        FieldValue::KnownAfterApply => "*(known after apply)*".into(),
        FieldValue::Text(text) => shown(text),
        other => code(&other.compact()),
    }
}

/// Text as Markdown shows it: in code, or in italics when empty or not yet known.
fn shown(text: &str) -> String {
    match text {
        "" | "(empty)" => "*(empty)*".into(),
        crate::diff::KNOWN_AFTER_APPLY => "*(known after apply)*".into(),
        text => code(text),
    }
}

/// Whether a value reads best as a block: a document, a list or map, or multi-line text.
fn is_document(value: &Option<FieldValue>) -> bool {
    match value {
        Some(FieldValue::Text(text)) => text.contains('\n'),
        Some(other) => other.is_structured(),
        None => false,
    }
}

fn step_item(step: &crate::plan::Step) -> String {
    let mut item = format!("{}. {}", step.id + 1, inline(&step.op.describe()));
    if !step.depends_on.is_empty() {
        let _ = write!(item, " *(after {})*", super::step_numbers(&step.depends_on));
    }
    item.push('\n');
    item
}
