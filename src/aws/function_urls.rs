//! Lambda function URLs and their public statements.
//!
//! `CreateFunctionUrlConfig` refuses a second URL for a function
//! (`ResourceConflictException`, "… already exists"): an attempt whose answer was
//! lost, or another run, made it, so the adapter sets it to the wanted settings
//! instead. `UpdateFunctionUrlConfig` sends every setting, CORS as a whole (an empty
//! `Cors` when the manifest has none, which clears it). Like every call that touches
//! a function, a conflict with an update in progress waits for the function and tries
//! again.
//!
//! The public statements are added as AWS documents them for URLs without auth
//! (<https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>): principal `*`,
//! `lambda:InvokeFunctionUrl` with `FunctionUrlAuthType=NONE`, and, since October
//! 2025, `lambda:InvokeFunction` with `InvokedViaFunctionUrl=true`. The statement is
//! read first (AWS refuses an id that exists) and the SDK does not retry the add
//! blindly (`once.rs`).

use async_trait::async_trait;
use aws_sdk_lambda::operation::add_permission::AddPermissionError;
use aws_sdk_lambda::types::{Cors as SdkCors, FunctionUrlAuthType, InvokeMode as SdkInvokeMode};

use super::AwsCloud;
use super::lambda::retry_when_busy;
use super::once::NoBlindRetry;
use super::retry::{Attempt, until_done};
use crate::cloud::{CloudError, FunctionUrlApi, LambdaApi};
use crate::model::{Cors, InvokeMode, LiveFunctionUrl, PublicStatement, UrlAuth, UrlSettings};

const NOT_FOUND: &str = "ResourceNotFoundException";
const CONFLICT: &str = "ResourceConflictException";

#[async_trait]
impl FunctionUrlApi for AwsCloud {
    async fn get_function_url(
        &self,
        function: &str,
    ) -> Result<Option<LiveFunctionUrl>, CloudError> {
        let read = self
            .call("GetFunctionUrlConfig", || {
                self.lambda
                    .get_function_url_config()
                    .function_name(function)
                    .send()
            })
            .await;
        match read {
            Ok(output) => Ok(Some(LiveFunctionUrl {
                function: function.to_string(),
                url: output.function_url().to_string(),
                settings: UrlSettings {
                    auth: auth_of(output.auth_type()),
                    cors: output.cors().map(cors_of).and_then(Cors::non_empty),
                    invoke_mode: mode_of(output.invoke_mode()),
                },
            })),
            // No URL, or no function.
            Err(error) if error.is(NOT_FOUND) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn create_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError> {
        let waiting_for = format!("function {function} to accept its URL");
        let created = until_done(&self.patience, &waiting_for, move || async move {
            let sent = self
                .call("CreateFunctionUrlConfig", || {
                    self.lambda
                        .create_function_url_config()
                        .function_name(function)
                        .auth_type(sdk_auth(settings.auth))
                        .set_cors(settings.cors.as_ref().map(sdk_cors))
                        .invoke_mode(sdk_mode(settings.invoke_mode))
                        .send()
                })
                .await;
            match sent {
                Ok(output) => Ok(Attempt::Done(Some(output.function_url().to_string()))),
                Err(error) if error.is(CONFLICT) && error.message.contains("exist") => {
                    Ok(Attempt::Done(None))
                }
                other => retry_when_busy(self, function, other)
                    .await
                    .map(|a| match a {
                        Attempt::Done(()) => Attempt::Done(None),
                        Attempt::Again(why) => Attempt::Again(why),
                    }),
            }
        })
        .await?;
        match created {
            Some(url) => Ok(url),
            // Made already: set it as wanted.
            None => self.update_function_url(function, settings).await,
        }
    }

    async fn update_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError> {
        let waiting_for = format!("function {function} to accept its URL's settings");
        until_done(&self.patience, &waiting_for, move || async move {
            let sent = self
                .call("UpdateFunctionUrlConfig", || {
                    self.lambda
                        .update_function_url_config()
                        .function_name(function)
                        .auth_type(sdk_auth(settings.auth))
                        .cors(
                            settings
                                .cors
                                .as_ref()
                                .map_or_else(|| SdkCors::builder().build(), sdk_cors),
                        )
                        .invoke_mode(sdk_mode(settings.invoke_mode))
                        .send()
                })
                .await;
            match sent {
                Ok(output) => Ok(Attempt::Done(output.function_url().to_string())),
                other => retry_when_busy(self, function, other)
                    .await
                    .map(|a| match a {
                        Attempt::Done(()) => Attempt::Again("no answer".into()),
                        Attempt::Again(why) => Attempt::Again(why),
                    }),
            }
        })
        .await
    }

    async fn delete_function_url(&self, function: &str) -> Result<(), CloudError> {
        let waiting_for = format!("function {function} to accept the removal of its URL");
        until_done(&self.patience, &waiting_for, move || async move {
            let sent = self
                .call("DeleteFunctionUrlConfig", || {
                    self.lambda
                        .delete_function_url_config()
                        .function_name(function)
                        .send()
                })
                .await;
            match sent {
                Err(error) if error.is(NOT_FOUND) => Ok(Attempt::Done(())),
                other => retry_when_busy(self, function, other).await,
            }
        })
        .await
    }

    async fn add_url_permission(
        &self,
        function: &str,
        statement: PublicStatement,
    ) -> Result<(), CloudError> {
        let sid = statement.sid();
        let waiting_for = format!("function {function} to accept permission {sid}");
        until_done(&self.patience, &waiting_for, move || async move {
            // Read first: AWS refuses a statement id that exists.
            let existing = self.get_function_permissions(function).await?;
            if existing.iter().any(|p| p.sid == sid) {
                return Ok(Attempt::Done(()));
            }
            let request = self
                .lambda
                .add_permission()
                .function_name(function)
                .statement_id(sid)
                .action(statement.action())
                .principal("*");
            let request = match statement {
                PublicStatement::InvokeFunctionUrl => {
                    request.function_url_auth_type(FunctionUrlAuthType::None)
                }
                PublicStatement::InvokeFunction => request.invoked_via_function_url(true),
            };
            let added = self
                .call("AddPermission", || {
                    request
                        .clone()
                        .customize()
                        .config_override(
                            aws_sdk_lambda::config::Builder::default()
                                .retry_classifier(NoBlindRetry::<AddPermissionError>::new()),
                        )
                        .send()
                })
                .await;
            match added {
                // Perhaps added, its answer lost: the next attempt reads first.
                Err(error) if error.is_ambiguous() => Ok(Attempt::Again(error.to_string())),
                Err(error) if error.is(CONFLICT) && error.message.contains("already exists") => {
                    Ok(Attempt::Again(error.to_string()))
                }
                other => retry_when_busy(self, function, other).await,
            }
        })
        .await
    }
}

fn sdk_auth(auth: UrlAuth) -> FunctionUrlAuthType {
    match auth {
        UrlAuth::None => FunctionUrlAuthType::None,
        UrlAuth::Iam => FunctionUrlAuthType::AwsIam,
    }
}

fn auth_of(auth: &FunctionUrlAuthType) -> UrlAuth {
    match auth {
        FunctionUrlAuthType::None => UrlAuth::None,
        // AWS_IAM, or a value newer than this SDK: never treated as public.
        _ => UrlAuth::Iam,
    }
}

fn sdk_mode(mode: InvokeMode) -> SdkInvokeMode {
    match mode {
        InvokeMode::Buffered => SdkInvokeMode::Buffered,
        InvokeMode::ResponseStream => SdkInvokeMode::ResponseStream,
    }
}

fn mode_of(mode: Option<&SdkInvokeMode>) -> InvokeMode {
    match mode {
        Some(SdkInvokeMode::ResponseStream) => InvokeMode::ResponseStream,
        // BUFFERED, Lambda's default when it reports none.
        _ => InvokeMode::Buffered,
    }
}

fn sdk_cors(cors: &Cors) -> SdkCors {
    SdkCors::builder()
        .set_allow_origins(Some(cors.allow_origins.clone()))
        .set_allow_methods(Some(cors.allow_methods.clone()))
        .set_allow_headers(Some(cors.allow_headers.clone()))
        .set_expose_headers(Some(cors.expose_headers.clone()))
        .allow_credentials(cors.allow_credentials)
        .max_age(cors.max_age)
        .build()
}

fn cors_of(cors: &SdkCors) -> Cors {
    Cors {
        allow_origins: cors.allow_origins().to_vec(),
        allow_methods: cors.allow_methods().to_vec(),
        allow_headers: cors.allow_headers().to_vec(),
        expose_headers: cors.expose_headers().to_vec(),
        allow_credentials: cors.allow_credentials().unwrap_or_default(),
        max_age: cors.max_age().unwrap_or_default(),
    }
}
