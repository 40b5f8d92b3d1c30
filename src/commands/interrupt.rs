//! Ctrl-C during `apply` and `destroy`.
//!
//! Once [`listen`] has run, SIGINT (Ctrl-C at a terminal, or `kill -INT`) no longer
//! kills the process: each one moves the command's [`Interrupt`] one level up, and
//! the command decides what that means where it is:
//!
//! - before execution (reading AWS, planning, at the confirmation prompt), the first
//!   Ctrl-C cancels: exit 1, "cancelled; nothing was changed";
//! - during execution, the first Ctrl-C starts no new step and lets the steps in flight
//!   finish; the second abandons them (`apply::execute_with`). The summary then says
//!   what was done and what remains, and the exit code is 1.
//!
//! The handler is installed before the first AWS request, so no Ctrl-C of the command
//! can find the default behaviour (dying mid-request) in place.

use tokio::task::JoinHandle;

use crate::apply::{Interrupt, Stop};

/// The task that turns signals into requests; stops listening when dropped.
pub struct Listener(Option<JoinHandle<()>>);

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Installs the Ctrl-C handler and forwards every Ctrl-C to `interrupt`. Must be
/// called inside the runtime. If the handler cannot be installed, Ctrl-C keeps its
/// default behaviour (the process ends at once) and a warning is logged.
pub fn listen(interrupt: &Interrupt) -> Listener {
    // The stream is created here, not in the task, so that the handler is in place
    // before this function returns.
    let mut signals = match signals() {
        Ok(signals) => signals,
        Err(error) => {
            tracing::warn!("could not listen for Ctrl-C ({error}); Ctrl-C will end lade at once");
            return Listener(None);
        }
    };
    let interrupt = interrupt.clone();
    Listener(Some(tokio::spawn(async move {
        while signals.recv().await.is_some() {
            if interrupt.request() == Stop::Abandoning {
                tracing::debug!("second interrupt: abandoning the steps in flight");
            }
        }
    })))
}

/// A stream of Ctrl-C notifications that buffers one between reads, so that a second
/// Ctrl-C pressed while the first is handled is not lost (a fresh
/// `tokio::signal::ctrl_c()` per Ctrl-C would only see those after it is polled).
#[cfg(unix)]
fn signals() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

#[cfg(windows)]
fn signals() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}
