//! The live view of `apply` and `destroy` at a terminal: one line per started step,
//! with a spinner and the time so far, that turns into `✓ step (1.2s)`, `✗ step: error`,
//! `- step: skipped…` or `? step: abandoned…` when the step ends; an interrupt prints
//! its line above the spinners of the steps still finishing.
//!
//! It is only a [`Reporter`]: the engine neither knows nor waits for it. Without a
//! terminal the commands use the plain lines of `reporters.rs` instead.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::apply::{Event, Reporter};
use crate::render::{self, colour};

/// How often spinners turn and their clocks update.
const TICK: Duration = Duration::from_millis(100);

/// Spinners on stdout, one per step that has started.
pub struct Progress {
    multi: MultiProgress,
    running: Mutex<BTreeMap<usize, ProgressBar>>,
    spinner: ProgressStyle,
    done: ProgressStyle,
    colour: bool,
}

impl Progress {
    pub fn new(colour: bool) -> Self {
        let template = if colour {
            "  {spinner:.cyan}  {msg} {secs:.dim}"
        } else {
            "  {spinner}  {msg} {secs}"
        };
        let spinner = ProgressStyle::with_template(template)
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
            .with_key(
                "secs",
                |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "({:.1}s)", state.elapsed().as_secs_f64());
                },
            );
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            running: Mutex::new(BTreeMap::new()),
            spinner,
            done: ProgressStyle::with_template("{msg}").expect("a valid template"),
            colour,
        }
    }

    /// Replaces the step's spinner (or adds a line, for a step that never started)
    /// with the event's final line.
    fn finish(&self, step: usize, event: &Event) {
        let line = render::event_line(event);
        let line = if self.colour {
            colour::paint_event(&line)
        } else {
            line
        };
        let bar = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&step)
            .unwrap_or_else(|| self.multi.add(ProgressBar::hidden()));
        bar.set_style(self.done.clone());
        bar.finish_with_message(line);
    }
}

impl Reporter for Progress {
    fn report(&self, event: &Event) {
        match event {
            Event::Started { step, description } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(self.spinner.clone());
                bar.set_message(description.clone());
                bar.enable_steady_tick(TICK);
                self.running
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(*step, bar);
            }
            Event::Succeeded { step, .. }
            | Event::Failed { step, .. }
            | Event::Kept { step, .. }
            | Event::Skipped { step, .. }
            | Event::Abandoned { step, .. } => self.finish(*step, event),
            // Above the spinners of the steps that are still finishing.
            Event::Interrupted { .. } => {
                let line = render::event_line(event);
                let line = if self.colour {
                    colour::paint_event(&line)
                } else {
                    line
                };
                let _ = self.multi.println(line);
            }
        }
    }
}
