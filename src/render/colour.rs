//! Colour for text the other renderers made: ANSI styles chosen by each line's shape.
//!
//! The renderers stay plain; whether to colour is decided once, in `commands`, which
//! passes their text through these functions only when colour is on. Colouring by line
//! structure (rather than inside each renderer) keeps one source of truth for the text,
//! so stripping the escapes always gives back exactly the plain output.
//!
//! It does not decide *whether* to colour (terminal, `--color`, `NO_COLOR`): that is
//! the commands' business.

use anstyle::{AnsiColor, Style};

const CREATE: Style = AnsiColor::Green.on_default();
const UPDATE: Style = AnsiColor::Yellow.on_default();
const DELETE: Style = AnsiColor::Red.on_default();
const REPLACE: Style = AnsiColor::Magenta.on_default();
const SUMMARY: Style = Style::new().bold();
const PENDING: Style = Style::new().dimmed();

/// The plan text with each line coloured by its first symbol: `+` green, `~` yellow,
/// `-` red and `-/+` magenta (resources, their fields and the lines of unified diffs),
/// and the `Plan: …` summary bold. Every other line, and every line ending, is kept
/// as it is.
pub fn paint_plan(text: &str) -> String {
    paint_lines(text, |line| {
        let start = line.trim_start();
        if start.starts_with("-/+") {
            Some(REPLACE)
        } else if start.starts_with('+') {
            Some(CREATE)
        } else if start.starts_with("~ ") {
            Some(UPDATE)
        } else if start.starts_with('-') {
            Some(DELETE)
        } else if start.starts_with("Plan: ") {
            Some(SUMMARY)
        } else {
            None
        }
    })
}

/// An apply event line (see `render::event_line`) coloured by its mark: `✓` green,
/// `✗` red, `-` (skipped), `~` (kept by best-effort clean-up), `!` (interrupted) and
/// `?` (abandoned) yellow, `…` (started) dim.
pub fn paint_event(line: &str) -> String {
    paint_lines(line, |line| match line.trim_start().chars().next() {
        Some('✓') => Some(CREATE),
        Some('✗') => Some(DELETE),
        Some('-' | '~' | '!' | '?') => Some(UPDATE),
        Some('…') => Some(PENDING),
        _ => None,
    })
}

/// The closing summary of an apply or destroy: green when it is complete, red when it
/// failed, yellow when it was interrupted.
pub fn paint_outcome(text: &str) -> String {
    paint_lines(text, |line| {
        let headline = |word: &str| {
            ["Apply ", "Destroy "]
                .iter()
                .any(|verb| line.starts_with(&format!("{verb}{word}:")))
        };
        if headline("complete") {
            Some(CREATE.bold())
        } else if headline("failed") {
            Some(DELETE.bold())
        } else if headline("interrupted") {
            Some(UPDATE.bold())
        } else {
            None
        }
    })
}

/// Applies `style_of` to each line's text, leaving line endings and unstyled lines
/// untouched.
fn paint_lines(text: &str, style_of: impl Fn(&str) -> Option<Style>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, ending) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match style_of(body) {
            Some(style) if !body.is_empty() => {
                out.push_str(&format!("{style}{body}{style:#}{ending}"));
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Removes ANSI SGR sequences (`ESC [ … m`).
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    const PLAN: &str = "lade will make these changes to project shop stage dev:

  + role shop-dev-api (api)
      trusted by: lambda.amazonaws.com
  ~ function shop-dev-list (list)
      memory: 128 → 256
      policy:
          {
        -   \"Action\": \"s3:GetObject\",
        +   \"Action\": \"s3:*\",
          }
  - function shop-dev-old (old)
  -/+ function shop-dev-moved (moved)

Steps, in order (a step waits only for the steps in brackets):
  1. create role shop-dev-api

Plan: 1 to add, 1 to change, 1 to destroy.
";

    fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
        text.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in {text:?}"))
    }

    #[test]
    fn each_symbol_gets_its_colour() {
        let painted = paint_plan(PLAN);
        let green = "\x1b[32m";
        let yellow = "\x1b[33m";
        let red = "\x1b[31m";
        let magenta = "\x1b[35m";
        let bold = "\x1b[1m";
        assert!(line_with(&painted, "+ role").contains(green));
        assert!(line_with(&painted, "~ function").contains(yellow));
        assert!(line_with(&painted, "- function shop-dev-old").contains(red));
        assert!(line_with(&painted, "-/+ function").contains(magenta));
        assert!(line_with(&painted, "\"s3:*\"").contains(green));
        assert!(line_with(&painted, "\"s3:GetObject\"").contains(red));
        assert!(line_with(&painted, "Plan: 1 to add").starts_with(bold));
        for plain in [
            "trusted by",
            "memory: 128",
            "1. create role",
            "Steps, in order",
        ] {
            assert!(
                !line_with(&painted, plain).contains('\x1b'),
                "{plain:?} should stay plain"
            );
        }
    }

    #[test]
    fn stripping_the_colour_gives_back_the_plain_text() {
        assert_eq!(strip(&paint_plan(PLAN)), PLAN);
        let no_newline = "  + role r";
        assert_eq!(strip(&paint_plan(no_newline)), no_newline);
        assert!(paint_plan(no_newline).ends_with("\x1b[0m"));
    }

    #[test]
    fn event_lines_are_green_or_red() {
        let ok = paint_event("  ✓  create role r (1.2s)");
        let failed = paint_event("  ✗  create role r: AccessDenied");
        assert!(ok.starts_with("\x1b[32m"), "{ok:?}");
        assert!(failed.starts_with("\x1b[31m"), "{failed:?}");
        assert_eq!(strip(&ok), "  ✓  create role r (1.2s)");
        assert_eq!(strip(&failed), "  ✗  create role r: AccessDenied");
        let kept = paint_event("  ~  delete old deployment d: not done, so it is kept");
        assert!(kept.starts_with("\x1b[33m"), "{kept:?}");
    }
}
