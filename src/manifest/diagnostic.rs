//! Manifest errors, rendered the way rustc renders its own.
//!
//! ```text
//! error: unknown key `memmory` in function `list-items`
//!   --> lade.yaml:12:5
//!    |
//! 12 |     memmory: 256
//!    |     ^^^^^^^
//!    = help: did you mean `memory`?
//! ```
//!
//! A [`Diagnostic`] carries its file name and the quoted source line, so
//! [`Diagnostics`] renders on its own, long after the text is gone.

use std::fmt;

use super::node::Loc;

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    file: String,
    /// `None` for problems with no place in the text (an unreadable file, `--stage`).
    span: Option<SourceSpan>,
    message: String,
    help: Vec<String>,
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let Some(span) = &self.span else {
            for help in &self.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
        let width = span.line.to_string().len();
        let pad = " ".repeat(width);
        writeln!(f, "{pad}--> {}:{}:{}", self.file, span.line, span.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{} | {}", span.line, span.text.trim_end())?;
        // Keep tabs as tabs so the caret lines up under the token.
        let indent: String = span
            .text
            .chars()
            .take(span.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let room = span
            .text
            .trim_end()
            .chars()
            .count()
            .saturating_sub(indent.chars().count());
        let carets = (span.len as usize).clamp(1, room.max(1));
        writeln!(f, "{pad} | {indent}{}", "^".repeat(carets))?;
        for help in &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in a manifest, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub(crate) fn new(mut items: Vec<Diagnostic>) -> Self {
        items.sort_by_key(|d| d.position().unwrap_or((0, 0)));
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
