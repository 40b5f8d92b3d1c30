//! `lade graph`: the plan's steps as a dependency graph, in Mermaid (which GitHub
//! renders in Markdown) or Graphviz DOT.
//!
//! One node per step, labelled with its number and description, and one edge from each
//! step to every step that waits for it. Steps that delete are drawn in red. Output is
//! deterministic: nodes in step order, edges in step order then dependency order.

use std::fmt::Write as _;

use crate::plan::Plan;

/// The plan as a Mermaid `flowchart TD`.
pub fn mermaid(plan: &Plan) -> String {
    let mut out = String::from("flowchart TD\n");
    if plan.is_empty() {
        out.push_str("    empty[\"No changes\"]\n");
        return out;
    }
    for step in &plan.steps {
        let label = format!("{}. {}", step.id + 1, step.op.describe());
        let _ = writeln!(out, "    s{}[\"{}\"]", step.id + 1, mermaid_escape(&label));
    }
    for step in &plan.steps {
        for dependency in &step.depends_on {
            let _ = writeln!(out, "    s{} --> s{}", dependency + 1, step.id + 1);
        }
    }
    let deletes: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.op.is_delete())
        .map(|s| format!("s{}", s.id + 1))
        .collect();
    if !deletes.is_empty() {
        out.push_str("    classDef delete stroke:#cf222e,color:#cf222e\n");
        let _ = writeln!(out, "    class {} delete", deletes.join(","));
    }
    out
}

/// Mermaid's entity codes for the characters that end or confuse a quoted label.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The plan as a Graphviz `digraph`, e.g. for `lade graph --format dot | dot -Tsvg`.
pub fn dot(plan: &Plan) -> String {
    let scope = &plan.scope;
    let mut out = String::from("digraph plan {\n");
    let title = format!("lade plan: project {} stage {}", scope.project, scope.stage);
    let _ = writeln!(out, "    label=\"{}\";", dot_escape(&title));
    out.push_str(
        "    labelloc=t;\n    rankdir=TB;\n    node [shape=box, fontname=\"Helvetica\"];\n",
    );
    if plan.is_empty() {
        out.push_str("    empty [label=\"No changes\"];\n}\n");
        return out;
    }
    for step in &plan.steps {
        let label = format!("{}. {}", step.id + 1, step.op.describe());
        let colour = if step.op.is_delete() {
            ", color=\"#cf222e\", fontcolor=\"#cf222e\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    s{} [label=\"{}\"{colour}];",
            step.id + 1,
            dot_escape(&label)
        );
    }
    for step in &plan.steps {
        for dependency in &step.depends_on {
            let _ = writeln!(out, "    s{} -> s{};", dependency + 1, step.id + 1);
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string's escapes: `\` and `"`, and newlines as `\n`.
fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
