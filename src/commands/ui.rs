//! How the commands talk to the person or program reading them: whether to colour,
//! whether to stay quiet, and whether a terminal is there for live progress.
//!
//! Decided once from the flags, `NO_COLOR` and the terminal, then handed to every
//! command; renderers stay plain and know nothing of it.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, Output};
use crate::render::colour;

/// The decisions every command prints by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ui {
    /// Write ANSI colour to stdout.
    pub colour: bool,
    /// Print only errors (and output asked for by name, such as `--json`).
    pub quiet: bool,
    /// Show live spinners: stdout is a terminal and no log lines go to stderr that
    /// would tear them.
    pub live: bool,
}

impl Ui {
    /// Decides from the flags, the environment and stdout.
    pub fn new(output: &Output) -> Self {
        let terminal = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Ui {
            colour: wants_colour(output.color, no_color, terminal),
            quiet: output.quiet,
            live: terminal && output.verbose == 0,
        }
    }

    /// Prints text for people (already ending in a newline), unless quiet.
    pub fn say(&self, text: &str) {
        if !self.quiet {
            print!("{text}");
        }
    }

    /// Prints plan text for people, coloured when colour is on, unless quiet.
    pub fn plan(&self, text: &str) {
        if self.colour {
            self.say(&colour::paint_plan(text));
        } else {
            self.say(text);
        }
    }
}

/// `--color auto` colours a terminal unless `NO_COLOR` is set to anything non-empty
/// (<https://no-color.org>); `always` and `never` mean what they say.
pub fn wants_colour(choice: ColorChoice, no_color: bool, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        assert!(wants_colour(ColorChoice::Auto, false, true));
        assert!(!wants_colour(ColorChoice::Auto, true, true));
        assert!(!wants_colour(ColorChoice::Auto, false, false));
        assert!(wants_colour(ColorChoice::Always, true, false));
        assert!(!wants_colour(ColorChoice::Never, false, true));
    }
}
