//! Carries out a [`Plan`]: walks its DAG and performs each step through [`Cloud`].
//!
//! Apply does exactly the plan it is given and never re-plans. A step starts once every
//! step it depends on has succeeded; up to `limits.total()` steps run at once, and up to
//! `limits.service(s)` of them call service `s`. When a step
//! fails, the steps that depend on it are skipped, the independent ones still run, and
//! the outcome says what was done and what remains: a re-run of `plan`/`apply` picks up
//! from there, because every step is idempotent and ownership is in the account.
//!
//! An apply can be interrupted (Ctrl-C) through an [`Interrupt`]: the first request
//! starts no new step and lets the steps in flight finish, each reported as usual; the
//! second abandons the steps still in flight, whose outcome is then unknown. Either
//! way the outcome lists what was done, what failed and what was not started, and a
//! re-run converges for the same reasons as after a failure.
//!
//! Some steps are clean-up that the manifest does not depend on: pruning an old REST
//! API deployment ([`Op::is_best_effort`]). When one of those fails, what it would have
//! removed is kept: the step is reported as [`Event::Kept`] with the reason, counts as
//! done for the steps after it, and does not make the apply fail. The next apply that
//! deploys tries again. A user is never stuck on clean-up that AWS (or the emulator)
//! refuses.
//!
//! Apply never prints. It reports [`Event`]s to a [`Reporter`]; `render` decides how
//! they look.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

mod apigateway;
mod context;
mod error;
mod events;
mod http_api;
mod iam;
mod lambda;
mod s3;
mod sns;

pub use error::ApplyError;

use crate::cloud::Cloud;
pub use crate::plan::Inputs;
use crate::plan::{Plan, Service};
use context::Context;

/// The bounds on steps in flight are [`Limits`]: overall, and per service from AWS's
/// documented control-plane quotas (see `cloud::limits`). API Gateway's are the
/// tightest, so it gets the fewest; the SDK's retries with backoff absorb what
/// throttling remains.
pub use crate::cloud::Limits;

/// Progress of an apply, one event per step transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        step: usize,
        description: String,
    },
    Succeeded {
        step: usize,
        description: String,
        elapsed: Duration,
    },
    Failed {
        step: usize,
        description: String,
        error: String,
    },
    /// A best-effort clean-up step (see [`Op::is_best_effort`]) did not succeed: what
    /// it would have removed is kept, and the apply goes on as if it had succeeded.
    /// The next apply that deploys tries again.
    Kept {
        step: usize,
        description: String,
        /// Why the step did not succeed: the error, as AWS gave it.
        reason: String,
    },
    /// Not started because a step it depends on did not succeed.
    Skipped {
        step: usize,
        description: String,
        blocked_by: usize,
    },
    /// The apply was interrupted (Ctrl-C): no step starts after this event. The steps
    /// `in_flight` still finish and are reported, unless a second interrupt abandons
    /// them.
    Interrupted {
        in_flight: Vec<usize>,
    },
    /// A step that was in flight when a second interrupt stopped the apply at once. Its
    /// call may or may not have reached AWS; the next plan, read from the account,
    /// shows which.
    Abandoned {
        step: usize,
        description: String,
    },
}

/// Receives events as apply makes progress. Called from the executing task; keep it quick.
pub trait Reporter: Send + Sync {
    fn report(&self, event: &Event);
}

/// A reporter that drops every event.
pub struct Silent;

impl Reporter for Silent {
    fn report(&self, _event: &Event) {}
}

/// How far an [`Interrupt`] has gone. Ordered: each request moves one level up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    /// Not interrupted.
    #[default]
    Running,
    /// Start no new step; let the steps in flight finish and report them.
    Finishing,
    /// Stop at once: abandon the steps in flight.
    Abandoning,
}

/// A request to stop an apply, shared between whoever asks (the Ctrl-C handler of
/// the commands, or a test) and [`execute_with`]. Cheap to clone; every clone is the
/// same request.
#[derive(Debug, Clone)]
pub struct Interrupt {
    level: Arc<watch::Sender<Stop>>,
}

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt::new()
    }
}

impl Interrupt {
    /// A request nobody has made yet.
    pub fn new() -> Self {
        Interrupt {
            level: Arc::new(watch::Sender::new(Stop::Running)),
        }
    }

    /// Asks once more: the first call stops new steps, the second abandons the steps
    /// in flight; later calls change nothing. Returns the new level.
    pub fn request(&self) -> Stop {
        let mut now = Stop::Running;
        self.level.send_modify(|level| {
            *level = match *level {
                Stop::Running => Stop::Finishing,
                Stop::Finishing | Stop::Abandoning => Stop::Abandoning,
            };
            now = *level;
        });
        now
    }

    /// How far the request has gone.
    pub fn level(&self) -> Stop {
        *self.level.borrow()
    }

    /// Completes once the request has reached `level`.
    pub async fn reached(&self, level: Stop) {
        let mut receiver = self.level.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail.
        let _ = receiver.wait_for(|now| *now >= level).await;
    }
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub succeeded: Vec<usize>,
    pub failed: Vec<(usize, String)>,
    /// The failed steps whose input AWS refused (see `ApplyError::is_input`): only a
    /// changed manifest can make them succeed.
    pub refused: Vec<usize>,
    /// Best-effort clean-up steps that did not succeed, with the reason: what they
    /// would have removed is kept. They do not make the outcome a failure.
    pub kept: Vec<(usize, String)>,
    /// Not started because a step they depend on failed.
    pub skipped: Vec<usize>,
    /// Not started because the apply was interrupted first.
    pub not_started: Vec<usize>,
    /// In flight when a second interrupt stopped the apply: outcome unknown.
    pub abandoned: Vec<usize>,
    /// Whether the apply was interrupted (even if nothing was left to do by then).
    pub interrupted: bool,
    pub elapsed: Duration,
}

impl Outcome {
    /// Every step succeeded, or was best-effort clean-up that kept what it could not
    /// remove.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.not_started.is_empty()
            && self.abandoned.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

/// Performs `plan` against `cloud`, with the packages and secrets in `inputs`, to the
/// end.
pub async fn execute(
    plan: &Plan,
    inputs: &Inputs,
    cloud: &dyn Cloud,
    reporter: &dyn Reporter,
    limits: &Limits,
) -> Outcome {
    execute_with(plan, inputs, cloud, reporter, limits, &Interrupt::new()).await
}

/// Performs `plan` like [`execute`], until `interrupt` asks it to stop.
///
/// On the first request no step starts any more: an [`Event::Interrupted`] lists the
/// steps in flight, which finish and are reported as usual, and every step that had
/// not started is in [`Outcome::not_started`]. On the second request the steps still
/// in flight are dropped where they are (an [`Event::Abandoned`] each, and
/// [`Outcome::abandoned`]) and `execute_with` returns at once.
pub async fn execute_with(
    plan: &Plan,
    inputs: &Inputs,
    cloud: &dyn Cloud,
    reporter: &dyn Reporter,
    limits: &Limits,
    interrupt: &Interrupt,
) -> Outcome {
    let started_at = Instant::now();
    let parallelism = limits.total();
    let context = Context {
        cloud,
        plan,
        inputs,
        outputs: Mutex::new(BTreeMap::new()),
        deployed: Mutex::new(Vec::new()),
    };
    let mut state = vec![State::Waiting; plan.steps.len()];
    let mut outcome = Outcome::default();
    let mut running = FuturesUnordered::new();
    let mut busy: BTreeMap<Service, usize> = BTreeMap::new();

    // How far the interrupt had gone when this loop last looked.
    let mut stop = Stop::Running;
    loop {
        let level = interrupt.level();
        if level > stop {
            if stop == Stop::Running {
                outcome.interrupted = true;
                reporter.report(&Event::Interrupted {
                    in_flight: in_flight(&state),
                });
            }
            stop = level;
        }
        if stop == Stop::Abandoning {
            break;
        }
        if stop == Stop::Running {
            // Steps always depend on lower ids, so one pass in id order settles skips
            // transitively and finds every ready step.
            for step in &plan.steps {
                if state[step.id] != State::Waiting {
                    continue;
                }
                if let Some(&blocker) = step
                    .depends_on
                    .iter()
                    .find(|&&d| matches!(state[d], State::Failed | State::Skipped))
                {
                    state[step.id] = State::Skipped;
                    outcome.skipped.push(step.id);
                    reporter.report(&Event::Skipped {
                        step: step.id,
                        description: step.op.describe(),
                        blocked_by: blocker,
                    });
                    continue;
                }
                let ready = step.depends_on.iter().all(|&d| state[d] == State::Done);
                let service = step.op.service();
                let in_service = busy.get(&service).copied().unwrap_or(0);
                // A request that came during this pass already stops the next start.
                if ready
                    && running.len() < parallelism
                    && in_service < limits.service(service)
                    && interrupt.level() == Stop::Running
                {
                    state[step.id] = State::Running;
                    *busy.entry(service).or_default() += 1;
                    reporter.report(&Event::Started {
                        step: step.id,
                        description: step.op.describe(),
                    });
                    let context = &context;
                    running.push(async move {
                        let begun = Instant::now();
                        let result = context.run(&step.op).await;
                        (step.id, result, begun.elapsed())
                    });
                }
            }
        }
        // Wait for a step to end, or for the interrupt to go one level further.
        let next = interrupt.reached(next_level(stop));
        let ended = tokio::select! {
            // The request first: a second Ctrl-C must not wait for a step that ends
            // at the same moment.
            biased;
            () = next => continue,
            ended = running.next() => ended,
        };
        let Some((id, result, elapsed)) = ended else {
            break;
        };
        let description = plan.steps[id].op.describe();
        *busy.entry(plan.steps[id].op.service()).or_default() -= 1;
        match result {
            Ok(()) => {
                state[id] = State::Done;
                outcome.succeeded.push(id);
                reporter.report(&Event::Succeeded {
                    step: id,
                    description,
                    elapsed,
                });
            }
            // Clean-up nothing depends on: keep what it could not remove, and go on.
            Err(error) if plan.steps[id].op.is_best_effort() => {
                state[id] = State::Done;
                let reason = error.to_string();
                tracing::warn!(step = id, %reason, "{description}: kept (best-effort clean-up)");
                outcome.kept.push((id, reason.clone()));
                reporter.report(&Event::Kept {
                    step: id,
                    description,
                    reason,
                });
            }
            Err(error) => {
                state[id] = State::Failed;
                if error.is_input() {
                    outcome.refused.push(id);
                }
                let error = error.to_string();
                outcome.failed.push((id, error.clone()));
                reporter.report(&Event::Failed {
                    step: id,
                    description,
                    error,
                });
            }
        }
    }
    // Dropping the futures of the steps in flight cancels their requests.
    drop(running);
    for (id, step_state) in state.iter().enumerate() {
        match step_state {
            State::Waiting => outcome.not_started.push(id),
            State::Running => {
                outcome.abandoned.push(id);
                reporter.report(&Event::Abandoned {
                    step: id,
                    description: plan.steps[id].op.describe(),
                });
            }
            State::Done | State::Failed | State::Skipped => {}
        }
    }
    outcome.elapsed = started_at.elapsed();
    outcome
}

/// The steps that are running now, in id order.
fn in_flight(state: &[State]) -> Vec<usize> {
    (0..state.len())
        .filter(|&id| state[id] == State::Running)
        .collect()
}

/// The level an interrupt at `stop` would reach next; the last one never comes.
fn next_level(stop: Stop) -> Stop {
    match stop {
        Stop::Running => Stop::Finishing,
        Stop::Finishing | Stop::Abandoning => Stop::Abandoning,
    }
}
