//! The in-memory double's Lambda: functions in
//! [`Account::functions`](super::Account::functions), their resource policies in
//! [`Account::permissions`](super::Account::permissions).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use super::{ACCOUNT, LIST_PAGE, MemoryCloud, Operation, code_sha256, no_such};
use crate::cloud::{
    CloudError, FunctionConfig, Invocation, LIST_PAGES, LambdaApi, Listing, NewFunction, NotOurs,
};
use crate::model::{Architecture, LiveFunction, Permission, ResourceKind};

/// The Lambda (and tagging API) operations the double records.
#[derive(Debug, Clone, Copy)]
enum LambdaCall {
    GetResources,
    ListFunctions,
    GetFunction,
    GetPolicy,
    CreateFunction,
    UpdateFunctionConfiguration,
    UpdateFunctionCode,
    TagResource,
    UntagResource,
    DeleteFunction,
    AddPermission,
    RemovePermission,
    Invoke,
}

impl Operation for LambdaCall {
    fn is_read(self) -> bool {
        match self {
            LambdaCall::GetResources
            | LambdaCall::ListFunctions
            | LambdaCall::GetFunction
            | LambdaCall::GetPolicy => true,
            LambdaCall::CreateFunction
            | LambdaCall::UpdateFunctionConfiguration
            | LambdaCall::UpdateFunctionCode
            | LambdaCall::TagResource
            | LambdaCall::UntagResource
            | LambdaCall::DeleteFunction
            | LambdaCall::AddPermission
            | LambdaCall::RemovePermission
            // It runs the function's code, which may change anything.
            | LambdaCall::Invoke => false,
        }
    }
}

#[async_trait]
impl LambdaApi for MemoryCloud {
    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
        self.record(LambdaCall::GetResources);
        Ok(self
            .tag_index()
            .into_iter()
            .filter(|(_, found)| tags.iter().all(|(k, v)| found.get(k) == Some(v)))
            .collect())
    }

    async fn list_functions(&self, wanted: &BTreeSet<String>) -> Result<Listing, CloudError> {
        self.run_hooks(LambdaCall::ListFunctions);
        let account = self.account.lock().unwrap();
        let mut listed = Vec::new();
        let mut missing = wanted.clone();
        let all: Vec<_> = account.functions.values().collect();
        let pages: Vec<_> = all.chunks(LIST_PAGE).collect();
        let mut complete = true;
        // Like Lambda: pages of LIST_PAGE, each one request, stopping once every
        // wanted name has been seen, and like the adapter after LIST_PAGES pages.
        for (n, page) in pages.iter().enumerate() {
            if missing.is_empty() {
                break;
            }
            if n == LIST_PAGES {
                complete = false;
                break;
            }
            // Each page is a request; the hooks ran once, before the first.
            self.push(LambdaCall::ListFunctions);
            for function in *page {
                missing.remove(&function.name);
                listed.push(LiveFunction {
                    tags: BTreeMap::new(),
                    ..(*function).clone()
                });
            }
        }
        Ok(Listing {
            functions: listed,
            complete,
        })
    }

    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError> {
        self.record(LambdaCall::GetFunction);
        Ok(self.account.lock().unwrap().functions.get(name).cloned())
    }

    async fn get_function_permissions(
        &self,
        function: &str,
    ) -> Result<Vec<Permission>, CloudError> {
        self.record(LambdaCall::GetPolicy);
        let account = self.account.lock().unwrap();
        Ok(account
            .permissions
            .get(function)
            .cloned()
            .unwrap_or_default())
    }

    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError> {
        self.record(LambdaCall::CreateFunction);
        let mut account = self.account.lock().unwrap();
        if !account
            .roles
            .values()
            .any(|r| r.arn == function.config.role_arn)
            && function.config.role_arn.contains(ACCOUNT)
        {
            return Err(CloudError::Service {
                operation: "CreateFunction".into(),
                message: "The role defined for the function cannot be assumed by Lambda.".into(),
            });
        }
        if let Some(existing) = account.functions.get(&function.name) {
            return if existing.tags == function.tags {
                Ok(existing.arn.clone())
            } else {
                Err(CloudError::NotOwned {
                    kind: ResourceKind::Function,
                    name: function.name.clone(),
                    reason: NotOurs::tags(&existing.tags, &function.tags),
                })
            };
        }
        let arn = format!(
            "arn:aws:lambda:us-east-1:{ACCOUNT}:function:{}",
            function.name
        );
        let mut live = LiveFunction {
            name: function.name.clone(),
            arn: arn.clone(),
            handler: String::new(),
            runtime: String::new(),
            role_arn: String::new(),
            memory: 0,
            timeout: 0,
            environment: BTreeMap::new(),
            description: String::new(),
            architecture: function.architecture,
            code_sha256: code_sha256(&function.zip),
            code_size: function.zip.len() as i64,
            revision_id: "r1".into(),
            tags: function.tags.clone(),
        };
        apply_config(&mut live, &function.config);
        account.functions.insert(function.name.clone(), live);
        Ok(arn)
    }

    async fn update_function_configuration(
        &self,
        name: &str,
        config: &FunctionConfig,
    ) -> Result<(), CloudError> {
        self.record(LambdaCall::UpdateFunctionConfiguration);
        self.with_function(name, |f| apply_config(f, config))
    }

    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError> {
        self.record(LambdaCall::UpdateFunctionCode);
        self.with_function(name, |f| {
            f.code_sha256 = code_sha256(&zip);
            f.code_size = zip.len() as i64;
            f.architecture = architecture;
        })
    }

    async fn tag_function(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        self.record(LambdaCall::TagResource);
        let mut account = self.account.lock().unwrap();
        let function = account
            .functions
            .values_mut()
            .find(|f| f.arn == arn)
            .ok_or_else(|| no_such("function", arn))?;
        function.tags.extend(tags.clone());
        Ok(())
    }

    async fn untag_function(&self, arn: &str, keys: &[String]) -> Result<(), CloudError> {
        self.record(LambdaCall::UntagResource);
        let mut account = self.account.lock().unwrap();
        let function = account
            .functions
            .values_mut()
            .find(|f| f.arn == arn)
            .ok_or_else(|| no_such("function", arn))?;
        for key in keys {
            function.tags.remove(key);
        }
        Ok(())
    }

    async fn delete_function(&self, name: &str) -> Result<(), CloudError> {
        self.record(LambdaCall::DeleteFunction);
        let mut account = self.account.lock().unwrap();
        account.functions.remove(name);
        account.permissions.remove(name);
        account.function_urls.remove(name);
        Ok(())
    }

    async fn add_permission(
        &self,
        function: &str,
        statement_id: &str,
        principal: &str,
        source_arn: &str,
        source_account: Option<&str>,
    ) -> Result<(), CloudError> {
        self.record(LambdaCall::AddPermission);
        let mut account = self.account.lock().unwrap();
        if !account.functions.contains_key(function) {
            return Err(no_such("function", function));
        }
        let statements = account.permissions.entry(function.to_string()).or_default();
        // Like the real adapter: what stands under this id (another source, or more than
        // one statement) is replaced by the one statement.
        statements.retain(|p| p.sid != statement_id);
        statements.push(Permission {
            sid: statement_id.to_string(),
            principal: principal.to_string(),
            action: "lambda:InvokeFunction".into(),
            source_arn: Some(source_arn.to_string()),
            source_account: source_account.map(str::to_string),
        });
        Ok(())
    }

    async fn remove_permission(
        &self,
        function: &str,
        statement_id: &str,
    ) -> Result<(), CloudError> {
        self.record(LambdaCall::RemovePermission);
        let mut account = self.account.lock().unwrap();
        if let Some(statements) = account.permissions.get_mut(function) {
            statements.retain(|p| p.sid != statement_id);
        }
        Ok(())
    }

    /// The double runs no code: a function answers with the event it was given.
    async fn invoke(&self, name: &str, payload: Vec<u8>) -> Result<Invocation, CloudError> {
        self.record(LambdaCall::Invoke);
        self.with_function(name, |_| Invocation {
            status: 200,
            payload,
            function_error: None,
            log_tail: None,
            executed_version: Some("$LATEST".to_string()),
        })
    }
}

impl MemoryCloud {
    fn with_function<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut LiveFunction) -> T,
    ) -> Result<T, CloudError> {
        let mut account = self.account.lock().unwrap();
        let function = account
            .functions
            .get_mut(name)
            .ok_or_else(|| no_such("function", name))?;
        Ok(f(function))
    }
}

fn apply_config(function: &mut LiveFunction, config: &FunctionConfig) {
    function.handler = config.handler.clone();
    function.runtime = config.runtime.clone();
    function.role_arn = config.role_arn.clone();
    function.memory = config.memory;
    function.timeout = config.timeout;
    function.environment = config.environment.clone();
    function.description = config.description.clone();
    function.revision_id = format!("{}-rev", function.revision_id);
}
