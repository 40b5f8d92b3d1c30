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
//! Apply never prints. It reports [`Event`]s to a [`Reporter`]; `render` decides how
//! they look.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::arn;
use crate::cloud::{Cloud, CloudError, CreatedApi, FunctionConfig, NewApi, NewFunction};
use crate::diff::env::{PlannedValue, sensitive_hash};
use crate::diff::{Output, Ref};
use crate::model::Artifact;
pub use crate::plan::Inputs;
use crate::plan::{CodeRef, FunctionSettings, Op, Plan, Service};

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
    /// Every step succeeded.
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
            Err(error) => {
                state[id] = State::Failed;
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

struct Context<'a> {
    cloud: &'a dyn Cloud,
    plan: &'a Plan,
    inputs: &'a Inputs,
    /// What earlier steps of this apply produced: ARNs and IDs.
    outputs: Mutex<BTreeMap<Output, String>>,
}

impl Context<'_> {
    async fn run(&self, op: &Op) -> Result<(), CloudError> {
        let cloud = self.cloud;
        match op {
            Op::CreateRole { role } => {
                let arn = cloud.create_role(role).await?;
                self.learn(Output::RoleArn(role.name.clone()), arn);
            }
            Op::UpdateTrustPolicy { role, document } => {
                cloud.update_trust_policy(role, document).await?
            }
            Op::PutRolePolicy {
                role,
                policy,
                document,
            } => cloud.put_role_policy(role, policy, document).await?,
            Op::DeleteRolePolicy { role, policy } => cloud.delete_role_policy(role, policy).await?,
            Op::AttachRolePolicy { role, policy_arn } => {
                cloud.attach_role_policy(role, policy_arn).await?
            }
            Op::DetachRolePolicy { role, policy_arn } => {
                cloud.detach_role_policy(role, policy_arn).await?
            }
            Op::DeleteRole { role } => cloud.delete_role(role).await?,
            Op::CreateFunction {
                name,
                settings,
                architecture,
                code,
                tags,
            } => {
                let config = self.config(name, settings).await?;
                let mut tags = tags.clone();
                tags.extend(applied_record(&config, settings));
                let function = NewFunction {
                    name: name.clone(),
                    config,
                    architecture: *architecture,
                    zip: self.artifact(code)?.bytes.clone(),
                    tags,
                };
                let arn = cloud.create_function(&function).await?;
                self.learn(Output::FunctionArn(name.clone()), arn);
            }
            Op::UpdateFunctionConfiguration {
                name,
                arn,
                settings,
            } => {
                let config = self.config(name, settings).await?;
                cloud.update_function_configuration(name, &config).await?;
                // Record what lade set, so a later change by anyone else shows as drift.
                cloud
                    .tag_function(arn, &applied_record(&config, settings))
                    .await?
            }
            Op::UpdateFunctionCode {
                name,
                code,
                architecture,
            } => {
                let zip = self.artifact(code)?.bytes.clone();
                cloud.update_function_code(name, zip, *architecture).await?
            }
            Op::TagFunction { arn, tags, .. } => cloud.tag_function(arn, tags).await?,
            Op::UntagFunction { arn, keys, .. } => cloud.untag_function(arn, keys).await?,
            Op::DeleteFunction { name } => cloud.delete_function(name).await?,
            Op::CreateRestApi { api } => {
                let created = self.create_rest_api(api).await?;
                self.learn(Output::ApiId, created.id);
                self.learn(Output::ResourceId("/".into()), created.root_resource_id);
            }
            Op::UpdateRestApi { api_id, from, to } => {
                cloud.update_rest_api(api_id, from, to).await?
            }
            Op::DeleteRestApi { api_id, .. } => cloud.delete_rest_api(api_id).await?,
            Op::CreateResource { api, parent, path } => {
                let api = self.resolve(api).await?;
                let parent = self.resolve(parent).await?;
                let part = path.rsplit('/').next().unwrap_or(path);
                let id = cloud.create_resource(&api, &parent, part).await?;
                self.learn(Output::ResourceId(path.clone()), id);
            }
            Op::DeleteResource {
                api_id,
                resource_id,
                ..
            } => cloud.delete_resource(api_id, resource_id).await?,
            Op::PutMethod {
                api,
                resource,
                method,
                ..
            } => {
                let (api, resource) = (self.resolve(api).await?, self.resolve(resource).await?);
                cloud.put_method(&api, &resource, method).await?
            }
            Op::DeleteMethod {
                api_id,
                resource_id,
                http_method,
                ..
            } => {
                cloud
                    .delete_method(api_id, resource_id, http_method)
                    .await?
            }
            Op::PutIntegration {
                api,
                resource,
                http_method,
                function_arn,
                ..
            } => {
                let (api, resource) = (self.resolve(api).await?, self.resolve(resource).await?);
                let arn = self.resolve(function_arn).await?;
                let uri = arn::integration_uri(&arn).ok_or_else(|| not_an_arn(&arn))?;
                cloud
                    .put_integration(&api, &resource, http_method, &uri)
                    .await?
            }
            Op::AddPermission {
                function,
                statement_id,
                function_arn,
                api,
            } => {
                let (api, arn) = (self.resolve(api).await?, self.resolve(function_arn).await?);
                let source = arn::source_arn(&arn, &api).ok_or_else(|| not_an_arn(&arn))?;
                cloud
                    .add_permission(function, statement_id, &source)
                    .await?
            }
            Op::RemovePermission {
                function,
                statement_id,
            } => cloud.remove_permission(function, statement_id).await?,
            Op::CreateDeployment { api, stage } => {
                let api = self.resolve(api).await?;
                cloud
                    .create_deployment(&api, stage, "deployed by lade")
                    .await?;
            }
            Op::DeleteDeployment {
                api_id,
                deployment_id,
            } => cloud.delete_deployment(api_id, deployment_id).await?,
        }
        Ok(())
    }

    /// `CreateRestApi`, made as idempotent as API Gateway allows. API names are not
    /// unique, so two applies of the same project and stage at once could each create
    /// an API, and each build its routes on its own: the one whose invoke permissions
    /// lost would answer 500 until the next apply deleted it. So:
    ///
    /// 1. Read first: an API that another run created since this plan was made is
    ///    used as it is (the steps after this one are idempotent over what that run
    ///    builds on it).
    /// 2. Otherwise create, then read again: when another run created one at the same
    ///    moment, the API with the smallest ID is kept. A run whose API is not that one
    ///    deletes its own (empty, just made) and uses the kept one. Runs that see the
    ///    same APIs agree; a run that read before the other's create keeps its own,
    ///    and then the other agrees with it unless the other's ID is the smaller. In
    ///    that last case both finish, each on its own API, and the next plan deletes
    ///    the extra (`live` keeps the same smallest ID among complete APIs).
    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError> {
        let cloud = self.cloud;
        let tags = self.plan.scope.ownership_tags();
        let found = cloud.find_rest_apis(&tags).await?;
        if let Some(id) = found.into_iter().map(|a| a.id).min() {
            tracing::info!(api = %id, "the REST API was created by another run since the plan; using it");
            return self.existing_api(id).await;
        }
        let created = cloud.create_rest_api(api).await?;
        let found = cloud.find_rest_apis(&tags).await?;
        let kept = found
            .into_iter()
            .map(|a| a.id)
            .chain([created.id.clone()])
            .min()
            .unwrap_or_else(|| created.id.clone());
        if kept == created.id {
            return Ok(created);
        }
        tracing::info!(
            created = %created.id,
            kept = %kept,
            "another run created the REST API at the same moment; deleting ours and using theirs"
        );
        cloud.delete_rest_api(&created.id).await?;
        self.existing_api(kept).await
    }

    /// The ID and root resource of an API this apply did not create.
    async fn existing_api(&self, id: String) -> Result<CreatedApi, CloudError> {
        let resources = self.cloud.get_api_resources(&id).await?;
        let root = resources
            .into_iter()
            .find(|resource| resource.path == "/")
            .ok_or_else(|| CloudError::Service {
                operation: "GetResources".into(),
                message: format!("REST API {id} has no root resource `/`"),
            })?;
        Ok(CreatedApi {
            id,
            root_resource_id: root.id,
        })
    }

    /// The package for `code`, refusing one whose bytes are not what the plan saw.
    fn artifact(&self, code: &CodeRef) -> Result<&Artifact, CloudError> {
        match self.inputs.artifacts.get(&code.key) {
            Some(artifact) if artifact.sha256 == code.sha256 => Ok(artifact),
            Some(artifact) => Err(CloudError::Service {
                operation: "package".into(),
                message: format!(
                    "the package for function `{}` changed since the plan (planned {}, now {}); plan again",
                    code.key, code.sha256, artifact.sha256
                ),
            }),
            None => Err(CloudError::Service {
                operation: "package".into(),
                message: format!("no package was built for function `{}`", code.key),
            }),
        }
    }

    fn learn(&self, output: Output, value: String) {
        self.outputs
            .lock()
            .expect("outputs poisoned")
            .insert(output, value);
    }

    /// The value of a reference: known at plan time, produced by an earlier step of
    /// this apply, or (after an interrupted apply) read back from AWS.
    async fn resolve(&self, reference: &Ref) -> Result<String, CloudError> {
        let output = match reference {
            Ref::Known(value) => return Ok(value.clone()),
            Ref::After(output) => output,
        };
        if let Some(value) = self.outputs.lock().expect("outputs poisoned").get(output) {
            return Ok(value.clone());
        }
        let found = match output {
            Output::RoleArn(role) => self.cloud.get_role(role).await?.map(|r| r.arn),
            Output::FunctionArn(name) => self.cloud.get_function(name).await?.map(|f| f.arn),
            Output::ApiId => {
                let tags = self.plan.scope.ownership_tags();
                let apis = self.cloud.find_rest_apis(&tags).await?;
                (apis.len() == 1).then(|| apis[0].id.clone())
            }
            Output::ApiUrl => {
                let id = Box::pin(self.resolve(&Ref::After(Output::ApiId))).await?;
                let region = self.cloud.region().unwrap_or_default();
                Some(arn::invoke_url(&id, &region, &self.plan.scope.stage))
            }
            Output::ResourceId(_) => None,
        };
        found.ok_or_else(|| CloudError::Service {
            operation: "apply".into(),
            message: format!(
                "{output:?} is not known: the step that makes it did not run; plan again"
            ),
        })
    }

    /// The text of a planned environment value, with references filled in and
    /// sensitive values taken from the inputs.
    async fn env_value(
        &self,
        function: &str,
        key: &str,
        value: &PlannedValue,
    ) -> Result<String, CloudError> {
        let parts = match value {
            PlannedValue::Text(text) => return Ok(text.clone()),
            PlannedValue::Template(parts) => parts,
            PlannedValue::Sensitive { hash } => {
                let parts = self
                    .inputs
                    .secrets
                    .get(function)
                    .and_then(|vars| vars.get(key));
                match parts {
                    Some(parts) if sensitive_hash(&self.plan.salt, parts) == *hash => parts,
                    _ => {
                        return Err(CloudError::Service {
                            operation: "apply".into(),
                            message: format!(
                                "the sensitive value of {key} for function {function} changed since the plan; plan again"
                            ),
                        });
                    }
                }
            }
        };
        let mut text = String::new();
        for part in parts {
            text.push_str(&self.resolve(part).await?);
        }
        Ok(text)
    }

    async fn config(
        &self,
        function: &str,
        settings: &FunctionSettings,
    ) -> Result<FunctionConfig, CloudError> {
        let role_arn = self.resolve(&settings.role).await?;
        let mut environment = BTreeMap::new();
        for (key, value) in &settings.environment {
            environment.insert(key.clone(), self.env_value(function, key, value).await?);
        }
        Ok(FunctionConfig {
            handler: settings.handler.clone(),
            runtime: settings.runtime.clone(),
            role_arn,
            memory: settings.memory,
            timeout: settings.timeout,
            environment,
            description: settings.description.clone(),
        })
    }
}

fn not_an_arn(arn: &str) -> CloudError {
    CloudError::Service {
        operation: "apply".into(),
        message: format!("`{arn}` is not a function ARN"),
    }
}

/// The record tags (`lade:config`, `lade:sensitive`) of a configuration lade applies.
fn applied_record(
    config: &FunctionConfig,
    settings: &FunctionSettings,
) -> BTreeMap<String, String> {
    let sensitive = settings
        .environment
        .iter()
        .filter(|(_, value)| matches!(value, PlannedValue::Sensitive { .. }))
        .map(|(key, _)| key.clone())
        .collect();
    crate::kinds::function::record::applied_record(config, &sensitive)
}
