//! The in-memory double's function URLs, in
//! [`Account::function_urls`](super::Account::function_urls), and their public
//! statements in [`Account::permissions`](super::Account::permissions). Like Lambda,
//! a URL needs its function, and a second `CreateFunctionUrlConfig` is refused
//! (`ResourceConflictException`), which the double answers by updating, as the adapter
//! does.

use async_trait::async_trait;

use super::{MemoryCloud, Operation, no_such};
use crate::cloud::{CloudError, FunctionUrlApi};
use crate::model::{LiveFunctionUrl, Permission, PublicStatement, UrlSettings};

/// The function URL operations the double records.
#[derive(Debug, Clone, Copy)]
enum UrlCall {
    GetFunctionUrlConfig,
    CreateFunctionUrlConfig,
    UpdateFunctionUrlConfig,
    DeleteFunctionUrlConfig,
    AddPermission,
}

impl Operation for UrlCall {
    fn is_read(self) -> bool {
        match self {
            UrlCall::GetFunctionUrlConfig => true,
            UrlCall::CreateFunctionUrlConfig
            | UrlCall::UpdateFunctionUrlConfig
            | UrlCall::DeleteFunctionUrlConfig
            | UrlCall::AddPermission => false,
        }
    }
}

#[async_trait]
impl FunctionUrlApi for MemoryCloud {
    async fn get_function_url(
        &self,
        function: &str,
    ) -> Result<Option<LiveFunctionUrl>, CloudError> {
        self.record(UrlCall::GetFunctionUrlConfig);
        let account = self.account.lock().unwrap();
        Ok(account.function_urls.get(function).cloned())
    }

    async fn create_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError> {
        self.record(UrlCall::CreateFunctionUrlConfig);
        let mut account = self.account.lock().unwrap();
        if !account.functions.contains_key(function) {
            return Err(no_such("function", function));
        }
        let id = account.next_id("url");
        let url = account
            .function_urls
            .entry(function.to_string())
            .or_insert_with(|| LiveFunctionUrl {
                function: function.to_string(),
                url: format!("https://{id}.lambda-url.us-east-1.on.aws/"),
                settings: settings.clone(),
            });
        url.settings = settings.clone();
        Ok(url.url.clone())
    }

    async fn update_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError> {
        self.record(UrlCall::UpdateFunctionUrlConfig);
        let mut account = self.account.lock().unwrap();
        let url = account
            .function_urls
            .get_mut(function)
            .ok_or_else(|| no_such("function URL", function))?;
        url.settings = settings.clone();
        Ok(url.url.clone())
    }

    async fn delete_function_url(&self, function: &str) -> Result<(), CloudError> {
        self.record(UrlCall::DeleteFunctionUrlConfig);
        self.account.lock().unwrap().function_urls.remove(function);
        Ok(())
    }

    async fn add_url_permission(
        &self,
        function: &str,
        statement: PublicStatement,
    ) -> Result<(), CloudError> {
        self.record(UrlCall::AddPermission);
        let mut account = self.account.lock().unwrap();
        if !account.functions.contains_key(function) {
            return Err(no_such("function", function));
        }
        let statements = account.permissions.entry(function.to_string()).or_default();
        if !statements.iter().any(|p| p.sid == statement.sid()) {
            statements.push(Permission {
                sid: statement.sid().to_string(),
                principal: "*".into(),
                action: statement.action().into(),
                source_arn: None,
                source_account: None,
            });
        }
        Ok(())
    }
}
