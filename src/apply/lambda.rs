//! Performs Lambda steps: functions, their code and tags, and invoke permissions.

use std::collections::BTreeMap;

use super::context::Context;
use super::error::ApplyError;
use crate::arn;
use crate::cloud::{FunctionConfig, NewEventSource, NewFunction};
use crate::diff::Output;
use crate::diff::env::PlannedValue;
use crate::kinds::function_url::TAG_URL;
use crate::plan::{FunctionSettings, LambdaOp};

impl Context<'_> {
    pub(super) async fn lambda(&self, op: &LambdaOp) -> Result<(), ApplyError> {
        let cloud = self.cloud;
        match op {
            LambdaOp::CreateFunction {
                name,
                settings,
                architecture,
                code,
                tags,
            } => {
                self.create_function(name, settings, *architecture, code, tags)
                    .await?
            }
            LambdaOp::UpdateFunctionConfiguration {
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
            LambdaOp::UpdateFunctionCode {
                name,
                code,
                architecture,
            } => {
                let zip = self.artifact(code)?.bytes.clone();
                cloud.update_function_code(name, zip, *architecture).await?
            }
            LambdaOp::TagFunction { arn, tags, .. } => cloud.tag_function(arn, tags).await?,
            LambdaOp::UntagFunction { arn, keys, .. } => cloud.untag_function(arn, keys).await?,
            LambdaOp::DeleteFunction { name } => self.delete_function(name).await?,
            LambdaOp::AddPermission {
                function,
                statement_id,
                function_arn,
                api,
            } => {
                let (api, arn) = (self.resolve(api).await?, self.resolve(function_arn).await?);
                let source =
                    arn::source_arn(&arn, &api).ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?;
                cloud
                    .add_permission(
                        function,
                        statement_id,
                        arn::API_GATEWAY_PRINCIPAL,
                        &source,
                        None,
                    )
                    .await?
            }
            LambdaOp::AddAuthorizerPermission {
                function,
                statement_id,
                function_arn,
                api,
                authorizer,
            } => {
                let (api, arn) = (self.resolve(api).await?, self.resolve(function_arn).await?);
                let authorizer = self.resolve(authorizer).await?;
                let source = arn::authorizer_source_arn(&arn, &api, &authorizer)
                    .ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?;
                cloud
                    .add_permission(
                        function,
                        statement_id,
                        arn::API_GATEWAY_PRINCIPAL,
                        &source,
                        None,
                    )
                    .await?
            }
            LambdaOp::AddRulePermission {
                function,
                statement_id,
                function_arn,
                rule,
                bus,
            } => {
                let arn = self.resolve(function_arn).await?;
                let source = arn::rule_arn(&arn, bus, rule)
                    .ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?;
                cloud
                    .add_permission(function, statement_id, arn::EVENTS_PRINCIPAL, &source, None)
                    .await?
            }
            LambdaOp::AddSourcePermission {
                function,
                statement_id,
                function_arn,
                source,
            } => {
                let arn = self.resolve(function_arn).await?;
                let source_arn = source
                    .source_arn(&arn)
                    .ok_or_else(|| ApplyError::NotAnArn(arn.clone()))?;
                cloud
                    .add_permission(
                        function,
                        statement_id,
                        source.principal(),
                        &source_arn,
                        source.source_account(&arn),
                    )
                    .await?
            }
            LambdaOp::RemoveRulePermission {
                function,
                statement_id,
                ..
            }
            | LambdaOp::RemoveSourcePermission {
                function,
                statement_id,
                ..
            } => cloud.remove_permission(function, statement_id).await?,
            LambdaOp::RemovePermission {
                function,
                statement_id,
            } => cloud.remove_permission(function, statement_id).await?,
            LambdaOp::CreateEventSourceMapping {
                function,
                kind,
                source,
                settings,
            } => {
                let mapping = NewEventSource {
                    function: function.clone(),
                    kind: *kind,
                    arn: source.clone(),
                    settings: settings.clone(),
                };
                cloud.create_event_source(&mapping).await?;
            }
            LambdaOp::UpdateEventSourceMapping {
                uuid,
                kind,
                settings,
                ..
            } => cloud.update_event_source(uuid, *kind, settings).await?,
            LambdaOp::DeleteEventSourceMapping { uuid, .. } => {
                cloud.delete_event_source(uuid).await?
            }
            LambdaOp::CreateFunctionUrlConfig {
                function,
                function_arn,
                settings,
            } => {
                // The mark first: a URL is then never without it, so later reads find it.
                let arn = self.resolve(function_arn).await?;
                let mark = BTreeMap::from([(TAG_URL.to_string(), "1".to_string())]);
                cloud.tag_function(&arn, &mark).await?;
                let url = cloud.create_function_url(function, settings).await?;
                self.learn(Output::FunctionUrl(function.clone()), url);
            }
            LambdaOp::UpdateFunctionUrlConfig { function, settings } => {
                let url = cloud.update_function_url(function, settings).await?;
                self.learn(Output::FunctionUrl(function.clone()), url);
            }
            LambdaOp::DeleteFunctionUrlConfig {
                function,
                function_arn,
            } => {
                cloud.delete_function_url(function).await?;
                cloud
                    .untag_function(function_arn, &[TAG_URL.to_string()])
                    .await?;
            }
            LambdaOp::AddUrlPermission {
                function,
                statement,
            } => cloud.add_url_permission(function, *statement).await?,
            LambdaOp::RemoveUrlPermission {
                function,
                statement,
            } => cloud.remove_permission(function, statement.sid()).await?,
        }
        Ok(())
    }

    /// `DeleteFunction`, right after a consistent read (`GetFunction`) shows that the
    /// function is still lade's. The plan confirmed it too, but a saved plan may be
    /// applied much later, and in the meantime someone may have deleted the function
    /// and made another under its name: Lambda has no precondition on a delete, so
    /// this read is the last chance to leave theirs alone. A function already gone
    /// counts as deleted.
    async fn delete_function(&self, name: &str) -> Result<(), ApplyError> {
        let Some(found) = self.cloud.get_function(name).await? else {
            return Ok(());
        };
        if let Err(reason) = crate::kinds::function::proof(&self.plan.scope, &found.tags) {
            return Err(ApplyError::NoLongerOwned {
                name: name.to_owned(),
                reason,
            });
        }
        Ok(self.cloud.delete_function(name).await?)
    }

    /// `CreateFunction` with the record of what lade applied in its tags, once the
    /// request is known to fit Lambda's size; learns the function's ARN.
    async fn create_function(
        &self,
        name: &str,
        settings: &FunctionSettings,
        architecture: crate::model::Architecture,
        code: &crate::plan::CodeRef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApplyError> {
        let config = self.config(name, settings).await?;
        let mut tags = tags.clone();
        tags.extend(applied_record(&config, settings));
        let zip = self.artifact(code)?.bytes.clone();
        let request = crate::limits::base64_len(zip.len() as u64)
            + crate::limits::create_request_overhead(name, &config, &tags);
        if request >= crate::limits::CODE_REQUEST_BYTES {
            return Err(ApplyError::OverLimit {
                function: name.to_owned(),
                reason: format!(
                    "its CreateFunction request would be {request} bytes with the package in base64; Lambda takes less than {}",
                    crate::limits::CODE_REQUEST_BYTES
                ),
            });
        }
        let function = NewFunction {
            name: name.to_owned(),
            config,
            architecture,
            zip,
            tags,
        };
        let arn = self.cloud.create_function(&function).await?;
        self.learn(Output::FunctionArn(name.to_owned()), arn);
        Ok(())
    }

    /// The configuration `UpdateFunctionConfiguration` sets, with references and
    /// sensitive values filled in.
    async fn config(
        &self,
        function: &str,
        settings: &FunctionSettings,
    ) -> Result<FunctionConfig, ApplyError> {
        let role_arn = self.resolve(&settings.role).await?;
        let mut environment = BTreeMap::new();
        for (key, value) in &settings.environment {
            environment.insert(key.clone(), self.env_value(function, key, value).await?);
        }
        let config = FunctionConfig {
            handler: settings.handler.clone(),
            runtime: settings.runtime.clone(),
            role_arn,
            memory: settings.memory,
            timeout: settings.timeout,
            environment,
            description: settings.description.clone(),
        };
        // The manifest checked these limits with every reference at its longest; now
        // that the values are known, check them again before Lambda would refuse them.
        crate::limits::check_configuration(&config).map_err(|reason| ApplyError::OverLimit {
            function: function.to_owned(),
            reason,
        })?;
        Ok(config)
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
