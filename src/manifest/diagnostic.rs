//! Manifest errors, rendered the way rustc renders its own.
//!
//! ```text
//! error: unknown key `memmory` in function `list-items`
//!   --> lade.yaml:12:5
//!    |
//! 12 |     memmory: 256
//!    |     ^^^^^^^
//!    |
//!    = help: did you mean `memory`?
//! ```
//!
//! A [`Diagnostic`] carries its file name and the quoted source line, so
//! [`Diagnostics`] renders on its own, long after the text is gone.
//!
//! The layout is drawn by `annotate-snippets`, the renderer rustc and cargo use, so
//! the awkward cases are handled as they handle them: a tab is shown as four spaces,
//! a control character as its Unicode picture (no raw escape reaches the terminal),
//! and the caret counts display columns, so it stays under the token after wide
//! characters. This module owns what to quote and where the caret goes
//! ([`SourceSpan::quoted`]). The library works the header's `file:line:column` out
//! from that byte range, 1-based and in characters as an editor counts them, which is
//! the diagnostic's own column for any place on the line or one past its end (where
//! every parser and validator error lies; tests/loader_props.rs checks it).
//! Diagnostics are never coloured (see [`RENDERER`]).

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::node::Loc;

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    file: String,
    /// `None` for problems with no place in the text (an unreadable file, `--stage`).
    span: Option<SourceSpan>,
    message: String,
    help: Vec<String>,
    /// Sorted just after this place rather than at its own: the error there caused
    /// this one (a misspelt `sourc:` makes `source` missing), and reads first.
    after: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceSpan {
    line: u32,
    column: u32,
    /// Characters to underline, at least 1.
    len: u32,
    text: String,
}

impl Diagnostic {
    /// What is wrong, in one line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How to fix it.
    pub fn help(&self) -> &[String] {
        &self.help
    }

    /// 1-based line and column, if the problem has a place in the text.
    pub fn position(&self) -> Option<(u32, u32)> {
        self.span.as_ref().map(|s| (s.line, s.column))
    }
}

impl SourceSpan {
    /// The part of the line to quote, and the byte range to underline in it.
    ///
    /// The line is cut after its last non-blank character, as long as that keeps the
    /// span's start: so the header's column is still the diagnostic's. A span that
    /// runs past the text (or into trailing blanks) is cut there; one that starts past
    /// it underlines the place just after the text with a single caret.
    fn quoted(&self) -> (&str, Range<usize>) {
        let text = self.text.as_str();
        let byte = |chars: usize| {
            text.char_indices()
                .nth(chars)
                .map_or(text.len(), |(i, _)| i)
        };
        let start = byte(self.column.saturating_sub(1) as usize);
        let end = byte(self.column.saturating_sub(1) as usize + self.len.max(1) as usize);
        let keep = text.trim_end().len().max(start);
        (&text[..keep], start..end.min(keep))
    }
}

/// rustc's layout, without colour: lade prints diagnostics to stderr as plain text
/// whatever `--color` says, as it always has.
///
/// The width is wide enough that no line of a manifest is ever cut: a manifest is at
/// most [`MAX_BYTES`](super::parse::MAX_BYTES), and a byte shows as at most four
/// columns (a tab). The quoted line is the evidence; it is shown whole.
const RENDERER: Renderer = Renderer::plain().term_width(4 * super::parse::MAX_BYTES + 64);

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut group = Group::with_title(Level::ERROR.primary_title(self.message.as_str()));
        if let Some(span) = &self.span {
            let (source, range) = span.quoted();
            group = group.element(
                Snippet::source(source)
                    .path(self.file.as_str())
                    .line_start(span.line as usize)
                    .annotation(AnnotationKind::Primary.span(range)),
            );
        }
        for help in &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        writeln!(f, "{}", RENDERER.render(&[group]))
    }
}

/// Every problem found in a manifest, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub(crate) fn new(mut items: Vec<Diagnostic>) -> Self {
        items.sort_by_key(|d| match d.after {
            Some((line, column)) => (line, column, 1),
            None => {
                let (line, column) = d.position().unwrap_or((0, 0));
                (line, column, 0)
            }
        });
        items.dedup();
        Diagnostics(items)
    }

    /// Diagnostics from several files, each file's kept in order.
    pub(crate) fn concat(all: impl IntoIterator<Item = Diagnostics>) -> Self {
        Diagnostics(all.into_iter().flat_map(|d| d.0).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let file = self.0.first().map_or("the manifest", |d| d.file.as_str());
        let files = if self.0.iter().all(|d| d.file == file) {
            file
        } else {
            "the manifest and its var files"
        };
        match self.0.len() {
            1 => write!(f, "1 error in {files}"),
            n => write!(f, "{n} errors in {files}"),
        }
    }
}

impl std::error::Error for Diagnostics {}

/// Builds diagnostics for one manifest text.
pub(crate) struct Reporter<'a> {
    file: String,
    lines: Vec<&'a str>,
    items: Vec<Diagnostic>,
    /// Places already reported as a variable that could not be resolved: later errors
    /// about the value written there would only repeat the first one.
    suppressed: Vec<(u32, u32)>,
    /// Where the help of a suppressed error goes.
    discarded: Vec<String>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: String, text: &'a str) -> Self {
        Reporter {
            file,
            lines: lines(text),
            items: Vec::new(),
            suppressed: Vec::new(),
            discarded: Vec::new(),
        }
    }

    /// Reports a problem at `loc`, or with no place if `loc` is unknown (line 0).
    pub fn error(&mut self, loc: Loc, message: impl Into<String>) -> Help<'_> {
        self.error_after(loc, None, message)
    }

    /// Reports a problem at `loc` that `cause` (reported too) explains, so that it is
    /// listed right after the error at `cause` whatever their places.
    pub fn error_after(
        &mut self,
        loc: Loc,
        cause: Option<Loc>,
        message: impl Into<String>,
    ) -> Help<'_> {
        if loc.line > 0 && self.suppressed.contains(&(loc.line, loc.column)) {
            self.discarded.clear();
            return Help(&mut self.discarded);
        }
        let span = (loc.line > 0).then(|| SourceSpan {
            line: loc.line,
            column: loc.column.max(1),
            len: loc.len.max(1),
            text: self
                .lines
                .get(loc.line as usize - 1)
                .copied()
                .unwrap_or("")
                .to_owned(),
        });
        self.items.push(Diagnostic {
            file: self.file.clone(),
            span,
            message: message.into(),
            help: Vec::new(),
            after: cause
                .filter(|c| c.line > 0)
                .map(|c| (c.line, c.column.max(1))),
        });
        Help(&mut self.items.last_mut().expect("just pushed").help)
    }

    /// The source text of the token at `loc`, as written (quotes included).
    pub fn token(&self, loc: Loc) -> Option<String> {
        let line = self.lines.get((loc.line as usize).checked_sub(1)?)?;
        let token: String = line
            .chars()
            .skip(loc.column.saturating_sub(1) as usize)
            .take(loc.len as usize)
            .collect();
        (!token.is_empty()).then_some(token)
    }

    /// Drops every later error about the value at `loc`: its variable could not be
    /// resolved, which has been reported already.
    pub fn suppress(&mut self, loc: Loc) {
        if loc.line > 0 {
            self.suppressed.push((loc.line, loc.column));
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.items.is_empty()
    }

    pub fn finish(self) -> Diagnostics {
        Diagnostics::new(self.items)
    }
}

/// The lines of `text` as YAML counts them, and so as the parser's line numbers do:
/// a line ends at `\r\n`, `\n` or a lone `\r` (which `str::lines` would not split).
pub(crate) fn lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    if !rest.is_empty() {
        lines.push(rest);
    }
    lines
}

/// Adds `= help:` lines to the diagnostic just reported.
pub(crate) struct Help<'a>(&'a mut Vec<String>);

impl Help<'_> {
    pub fn help(self, help: impl Into<String>) -> Self {
        self.0.push(help.into());
        self
    }

    pub fn help_if(self, help: Option<String>) -> Self {
        if let Some(help) = help {
            self.0.push(help);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report for one error at `line:column`, `len` characters long, in `text`.
    fn render(text: &str, line: u32, column: u32, len: u32) -> String {
        let mut r = Reporter::new("lade.yaml".into(), text);
        r.error(Loc { line, column, len }, "bad").help("fix it");
        r.finish().to_string()
    }

    #[test]
    fn quotes_the_line_and_underlines_the_token() {
        assert_eq!(
            render("project: shop\n  memmory: 256\n", 2, 3, 7),
            "error: bad\n --> lade.yaml:2:3\n  |\n2 |   memmory: 256\n  |   ^^^^^^^\n  |\n  = help: fix it\n\n1 error in lade.yaml"
        );
    }

    #[test]
    fn a_problem_with_no_place_has_only_its_help() {
        assert_eq!(
            render("project: shop\n", 0, 0, 0),
            "error: bad\n |\n = help: fix it\n\n1 error in lade.yaml"
        );
    }

    /// A tab shows as four spaces, and the caret sits under what follows it, whatever
    /// the terminal's tab stops.
    #[test]
    fn a_tab_is_shown_as_spaces_with_the_caret_after_it() {
        assert_eq!(
            render("a:\n\tb: 1\n", 2, 2, 1),
            "error: bad\n --> lade.yaml:2:2\n  |\n2 |     b: 1\n  |     ^\n  |\n  = help: fix it\n\n1 error in lade.yaml"
        );
    }

    /// A control character in the manifest never reaches the terminal raw: an escape
    /// would otherwise print colour, or worse, with `--color never`.
    #[test]
    fn control_characters_are_shown_as_pictures() {
        let shown = render("name: \u{1b}[31mred\n", 1, 7, 1);
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert!(shown.contains("1 | name: ␛[31mred\n"), "{shown}");
    }

    /// Wide characters take two columns, and the caret counts columns, not characters.
    #[test]
    fn the_caret_lines_up_after_wide_characters() {
        let shown = render("name: 日本 x\n", 1, 10, 1);
        assert!(shown.contains(" --> lade.yaml:1:10\n"), "{shown}");
        assert!(
            shown.contains("1 | name: 日本 x\n  |            ^\n"),
            "{shown}"
        );
    }

    /// The parser points one past the end of a line for "expected more here".
    #[test]
    fn a_span_past_the_end_gets_one_caret_after_the_text() {
        let shown = render("x: [\n", 1, 5, 3);
        assert!(shown.contains(" --> lade.yaml:1:5\n"), "{shown}");
        assert!(shown.contains("1 | x: [\n  |     ^\n"), "{shown}");
    }

    /// Trailing blanks are not quoted, nor underlined, unless the error is there.
    #[test]
    fn trailing_blanks_are_cut_but_keep_the_column() {
        let shown = render("key: value   \n", 1, 6, 20);
        assert!(
            shown.contains("1 | key: value\n  |      ^^^^^\n"),
            "{shown}"
        );
        let shown = render("key:   \n", 1, 7, 1);
        assert!(shown.contains(" --> lade.yaml:1:7\n"), "{shown}");
        assert!(shown.contains("  |       ^\n"), "{shown}");
    }

    /// A line on which nothing is written (the end of the file) still has a place.
    #[test]
    fn a_line_past_the_text_is_quoted_empty() {
        let shown = render("project: shop\n", 2, 1, 1);
        assert!(
            shown.contains(" --> lade.yaml:2:1\n  |\n2 |\n  | ^\n"),
            "{shown}"
        );
    }

    /// The quoted line is the evidence: however long, it is shown whole, not cut to the
    /// terminal's width.
    #[test]
    fn a_long_line_is_quoted_whole() {
        let line = format!("description: {}", "x".repeat(5000));
        let shown = render(&line, 1, 14, 5000);
        assert!(shown.contains(&format!("1 | {line}\n")), "{shown}");
        assert!(shown.contains(&format!("  |{}{}\n", " ".repeat(14), "^".repeat(5000))));
    }

    /// YAML ends a line at a lone `\r` too (old Mac files), so the parser's line 2 is
    /// the text after it; a raw `\r` in the output would send the cursor back over the
    /// line number.
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        let shown = render("project: shop\r  memmory: 256\r", 2, 3, 7);
        assert!(!shown.contains('\r'), "{shown:?}");
        assert!(
            shown.contains(" --> lade.yaml:2:3\n  |\n2 |   memmory: 256\n  |   ^^^^^^^\n"),
            "{shown}"
        );
    }

    /// lade writes diagnostics as plain text whatever `--color` says (the renderer is
    /// `Renderer::plain`), so `--color never`, `NO_COLOR` and a log file see no ANSI.
    #[test]
    fn no_colour_is_ever_written() {
        let mut r = Reporter::new("lade.yaml".into(), "functions:\n  api:\n    memmory: 1\n");
        r.error(
            Loc {
                line: 3,
                column: 5,
                len: 7,
            },
            "unknown key `memmory` in function `api`",
        )
        .help("did you mean `memory`?");
        r.error(Loc::default(), "the stage `Prod` is not a valid stage name")
            .help("a stage is lowercase");
        let shown = r.finish().to_string();
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
    }

    #[test]
    fn several_errors_are_separated_and_counted() {
        let mut r = Reporter::new("lade.yaml".into(), "a: 1\nbb: 2\n");
        r.error(
            Loc {
                line: 2,
                column: 1,
                len: 2,
            },
            "second",
        );
        r.error(
            Loc {
                line: 1,
                column: 1,
                len: 1,
            },
            "first",
        );
        assert_eq!(
            r.finish().to_string(),
            "error: first\n --> lade.yaml:1:1\n  |\n1 | a: 1\n  | ^\n\nerror: second\n --> lade.yaml:2:1\n  |\n2 | bb: 2\n  | ^^\n\n2 errors in lade.yaml"
        );
    }
}
