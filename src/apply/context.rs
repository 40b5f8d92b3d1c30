//! What apply knows while it runs: the plan, the inputs, and the values earlier steps
//! produced. Each service's steps are performed in that service's file.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::error::ApplyError;
use crate::arn;
use crate::cloud::Cloud;
use crate::diff::env::{PlannedValue, sensitive_hash};
use crate::diff::{Output, Ref};
use crate::model::Artifact;
use crate::plan::{CodeRef, Inputs, Op, Plan};

pub(super) struct Context<'a> {
    pub(super) cloud: &'a dyn Cloud,
    pub(super) plan: &'a Plan,
    pub(super) inputs: &'a Inputs,
    /// What earlier steps of this apply produced: ARNs and IDs.
    pub(super) outputs: Mutex<BTreeMap<Output, String>>,
    /// The deployments this apply created, which it must never prune.
    pub(super) deployed: Mutex<Vec<String>>,
}

impl Context<'_> {
    /// Performs one step, through the service it calls.
    pub(super) async fn run(&self, op: &Op) -> Result<(), ApplyError> {
        match op {
            Op::Iam(op) => self.iam(op).await,
            Op::Lambda(op) => self.lambda(op).await,
            Op::ApiGateway(op) => self.api_gateway(op).await,
            Op::EventBridge(op) => self.event_bridge(op).await,
            Op::HttpApi(op) => self.http_api(op).await,
            Op::S3(op) => self.s3(op).await,
            Op::Sns(op) => self.sns(op).await,
        }
    }

    /// The package for `code`, refusing one whose bytes are not what the plan saw.
    pub(super) fn artifact(&self, code: &CodeRef) -> Result<&Artifact, ApplyError> {
        match self.inputs.artifacts.get(&code.key) {
            Some(artifact) if artifact.sha256 == code.sha256 => Ok(artifact),
            Some(artifact) => Err(ApplyError::PackageChanged {
                function: code.key.clone(),
                planned: code.sha256.clone(),
                now: artifact.sha256.clone(),
            }),
            None => Err(ApplyError::NoPackage {
                function: code.key.clone(),
            }),
        }
    }

    pub(super) fn learn(&self, output: Output, value: String) {
        self.outputs
            .lock()
            .expect("outputs poisoned")
            .insert(output, value);
    }

    /// The value of a reference: known at plan time, produced by an earlier step of
    /// this apply, or (after an interrupted apply) read back from AWS.
    pub(super) async fn resolve(&self, reference: &Ref) -> Result<String, ApplyError> {
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
                // `${api.url}` waits for a new API, which the plan deploys to the
                // manifest's stage (`api.stage`).
                let stage =
                    self.plan
                        .steps
                        .iter()
                        .find_map(|step| match &step.op {
                            crate::plan::Op::ApiGateway(
                                crate::plan::RestApiOp::CreateDeployment { stage, .. },
                            ) => Some(stage.as_str()),
                            _ => None,
                        })
                        .unwrap_or(&self.plan.scope.stage);
                Some(arn::invoke_url(&id, &region, stage))
            }
            Output::HttpApiId => {
                let tags = self.plan.scope.ownership_tags();
                let apis = self.cloud.find_http_apis(&tags).await?;
                (apis.len() == 1).then(|| apis[0].id.clone())
            }
            Output::HttpApiUrl(stage) => {
                let id = Box::pin(self.resolve(&Ref::After(Output::HttpApiId))).await?;
                let region = self.cloud.region().unwrap_or_default();
                Some(arn::http_invoke_url(&id, &region, stage))
            }
            // After an interrupted apply, read back by what the step made it for.
            Output::HttpIntegrationId(function) => {
                let api = Box::pin(self.resolve(&Ref::After(Output::HttpApiId))).await?;
                let arn =
                    Box::pin(self.resolve(&Ref::After(Output::FunctionArn(function.clone()))))
                        .await?;
                let integrations = self.cloud.get_http_integrations(&api).await?;
                integrations
                    .into_iter()
                    .find(|i| i.is_lades(&arn))
                    .map(|i| i.id)
            }
            Output::HttpAuthorizerId(name) => {
                let api = Box::pin(self.resolve(&Ref::After(Output::HttpApiId))).await?;
                let authorizers = self.cloud.get_http_authorizers(&api).await?;
                authorizers
                    .into_iter()
                    .find(|a| &a.name == name)
                    .map(|a| a.id)
            }
            Output::ResourceId(_) => None,
            Output::FunctionUrl(name) => self.cloud.get_function_url(name).await?.map(|u| u.url),
        };
        found.ok_or_else(|| ApplyError::NotKnown(output.clone()))
    }

    /// The text of a planned environment value, with references filled in and
    /// sensitive values taken from the inputs.
    pub(super) async fn env_value(
        &self,
        function: &str,
        key: &str,
        value: &PlannedValue,
    ) -> Result<String, ApplyError> {
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
                        return Err(ApplyError::SecretChanged {
                            function: function.to_string(),
                            key: key.to_string(),
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
}
