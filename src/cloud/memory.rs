//! An in-memory [`Cloud`], for testing the engine without AWS.
//!
//! It keeps roles and functions in maps, follows the idempotency contract of the trait,
//! and records every call by its AWS operation name, so tests can assert exactly which
//! calls a plan or an apply made (a no-op apply must make no mutating call at all).
//! A paginated read is recorded once per page where the read-count tests rely on it:
//! `ListFunctions` pages hold [`LIST_PAGE`] functions, in name order, like Lambda's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    Cloud, CloudError, CreatedApi, FunctionConfig, MethodSettings, NewApi, NewFunction, NewRole,
    RoleSummary,
};
use crate::model::{
    ApiSettings, Architecture, LiveApi, LiveDeployment, LiveFunction, LiveIntegration, LiveMethod,
    LiveResource, LiveRole, LiveStage, Permission,
};

/// The account ID the double puts in ARNs.
pub const ACCOUNT: &str = "123456789012";

/// The state of the fake account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub roles: BTreeMap<String, LiveRole>,
    pub functions: BTreeMap<String, LiveFunction>,
    /// REST APIs by ID, with their resources, stage and deployments.
    pub apis: BTreeMap<String, LiveApi>,
    /// Each function's resource-policy statements, by function name.
    pub permissions: BTreeMap<String, Vec<Permission>>,
    /// Source of IDs and deployment times: counts up, so IDs are deterministic.
    pub counter: u64,
}

impl Account {
    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    fn api(&mut self, id: &str) -> Result<&mut LiveApi, CloudError> {
        self.apis.get_mut(id).ok_or_else(|| no_such("REST API", id))
    }
}

/// The path of resource `resource_id` in `api`.
fn resource_path(api: &LiveApi, resource_id: &str) -> Result<String, CloudError> {
    api.resources
        .values()
        .find(|r| r.id == resource_id)
        .map(|r| r.path.clone())
        .ok_or_else(|| no_such("resource", resource_id))
}

/// How many functions one `ListFunctions` page holds, as Lambda's default.
pub const LIST_PAGE: usize = 50;

/// Something another client does to the account, at a moment a test chooses.
type Hook = Arc<dyn Fn(&mut Account) + Send + Sync>;

/// An in-memory account that records calls.
#[derive(Default)]
pub struct MemoryCloud {
    pub account: Mutex<Account>,
    calls: Mutex<Vec<String>>,
    /// By operation: run on the account just before each call of it.
    hooks: Mutex<Vec<(String, Hook)>>,
}

impl std::fmt::Debug for MemoryCloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCloud")
            .field("account", &self.account)
            .field("calls", &self.calls)
            .finish_non_exhaustive()
    }
}

/// Read operations; everything else the double records is a mutation.
const READS: &[&str] = &[
    "ListRoles",
    "GetRole",
    "GetResources",
    "ListFunctions",
    "GetFunction",
    "GetRestApis",
    "GetApiResources",
    "GetStage",
    "GetDeployments",
    "GetPolicy",
    "GetCallerIdentity",
];

impl MemoryCloud {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call so far, by AWS operation name, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// Only the mutating calls so far.
    pub fn mutations(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !READS.contains(&c.as_str()))
            .collect()
    }

    pub fn clear_calls(&self) {
        self.calls.lock().unwrap().clear();
    }

    pub fn snapshot(&self) -> Account {
        self.account.lock().unwrap().clone()
    }

    /// Runs `hook` on the account just before every later call of `operation` (an AWS
    /// operation name, as [`calls`](Self::calls) records it), as if another client
    /// acted at that moment: another apply of the same project, or a read that lags.
    pub fn before(&self, operation: &str, hook: impl Fn(&mut Account) + Send + Sync + 'static) {
        self.hooks
            .lock()
            .unwrap()
            .push((operation.to_string(), Arc::new(hook)));
    }

    /// Records a call, after running the hooks for it. Every method calls this first,
    /// before it takes the account's lock.
    fn record(&self, call: &str) {
        self.run_hooks(call);
        self.calls.lock().unwrap().push(call.to_string());
    }

    /// Runs the hooks for `call`; the account's lock must not be held.
    fn run_hooks(&self, call: &str) {
        let hooks: Vec<Hook> = self
            .hooks
            .lock()
            .unwrap()
            .iter()
            .filter(|(operation, _)| operation == call)
            .map(|(_, hook)| hook.clone())
            .collect();
        for hook in hooks {
            hook(&mut self.account.lock().unwrap());
        }
    }

    fn with_role<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut LiveRole) -> T,
    ) -> Result<T, CloudError> {
        let mut account = self.account.lock().unwrap();
        let role = account
            .roles
            .get_mut(name)
            .ok_or_else(|| no_such("role", name))?;
        Ok(f(role))
    }

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

fn no_such(kind: &str, name: &str) -> CloudError {
    CloudError::Service {
        operation: "memory".into(),
        message: format!("no such {kind} `{name}`"),
    }
}

/// Base64 SHA-256, Lambda's `CodeSha256`.
pub fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
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

#[async_trait]
impl Cloud for MemoryCloud {
    fn region(&self) -> Option<String> {
        Some("us-east-1".into())
    }

    async fn account_id(&self) -> Result<String, CloudError> {
        self.record("GetCallerIdentity");
        Ok(ACCOUNT.to_string())
    }

    async fn list_roles(&self, path_prefix: &str) -> Result<Vec<LiveRole>, CloudError> {
        self.record("ListRoles");
        let account = self.account.lock().unwrap();
        Ok(account
            .roles
            .values()
            .filter(|r| r.path.starts_with(path_prefix))
            .cloned()
            .collect())
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleSummary>, CloudError> {
        self.record("GetRole");
        let account = self.account.lock().unwrap();
        Ok(account.roles.get(name).map(|r| RoleSummary {
            name: r.name.clone(),
            arn: r.arn.clone(),
            path: r.path.clone(),
        }))
    }

    async fn read_role(&self, name: &str) -> Result<Option<LiveRole>, CloudError> {
        self.record("GetRole");
        Ok(self.account.lock().unwrap().roles.get(name).cloned())
    }

    async fn find_functions(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
        self.record("GetResources");
        let account = self.account.lock().unwrap();
        Ok(account
            .functions
            .values()
            .filter(|f| tags.iter().all(|(k, v)| f.tags.get(k) == Some(v)))
            .map(|f| (f.name.clone(), f.tags.clone()))
            .collect())
    }

    async fn list_functions(
        &self,
        wanted: &BTreeSet<String>,
    ) -> Result<Vec<LiveFunction>, CloudError> {
        self.run_hooks("ListFunctions");
        let account = self.account.lock().unwrap();
        let mut listed = Vec::new();
        let mut missing = wanted.clone();
        // Like Lambda: pages of LIST_PAGE, each one request, stopping once every
        // wanted name has been seen.
        for page in account
            .functions
            .values()
            .collect::<Vec<_>>()
            .chunks(LIST_PAGE)
        {
            if missing.is_empty() {
                break;
            }
            // Each page is a request; the hooks ran once, before the first.
            self.calls.lock().unwrap().push("ListFunctions".to_string());
            for function in page {
                missing.remove(&function.name);
                listed.push(LiveFunction {
                    tags: BTreeMap::new(),
                    ..(*function).clone()
                });
            }
        }
        Ok(listed)
    }

    async fn get_function(&self, name: &str) -> Result<Option<LiveFunction>, CloudError> {
        self.record("GetFunction");
        Ok(self.account.lock().unwrap().functions.get(name).cloned())
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, CloudError> {
        self.record("CreateRole");
        let mut account = self.account.lock().unwrap();
        if let Some(existing) = account.roles.get(&role.name) {
            return if existing.path == role.path {
                Ok(existing.arn.clone())
            } else {
                Err(CloudError::NotOwned(format!(
                    "role `{}` exists under another path",
                    role.name
                )))
            };
        }
        let arn = format!("arn:aws:iam::{ACCOUNT}:role{}{}", role.path, role.name);
        account.roles.insert(
            role.name.clone(),
            LiveRole {
                name: role.name.clone(),
                arn: arn.clone(),
                path: role.path.clone(),
                trust_policy: role.trust_policy.clone(),
                managed_policies: Default::default(),
                inline_policies: Default::default(),
            },
        );
        Ok(arn)
    }

    async fn update_trust_policy(&self, role: &str, document: &Value) -> Result<(), CloudError> {
        self.record("UpdateAssumeRolePolicy");
        self.with_role(role, |r| r.trust_policy = document.clone())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy: &str,
        document: &Value,
    ) -> Result<(), CloudError> {
        self.record("PutRolePolicy");
        self.with_role(role, |r| {
            r.inline_policies
                .insert(policy.to_string(), document.clone());
        })
    }

    async fn delete_role_policy(&self, role: &str, policy: &str) -> Result<(), CloudError> {
        self.record("DeleteRolePolicy");
        let _ = self.with_role(role, |r| r.inline_policies.remove(policy));
        Ok(())
    }

    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.record("AttachRolePolicy");
        self.with_role(role, |r| {
            r.managed_policies.insert(policy_arn.to_string());
        })
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), CloudError> {
        self.record("DetachRolePolicy");
        let _ = self.with_role(role, |r| r.managed_policies.remove(policy_arn));
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), CloudError> {
        self.record("DeleteRole");
        let mut account = self.account.lock().unwrap();
        if let Some(existing) = account.roles.get(role)
            && (!existing.inline_policies.is_empty() || !existing.managed_policies.is_empty())
        {
            return Err(CloudError::Service {
                operation: "DeleteRole".into(),
                message: format!("DeleteConflict: role `{role}` still has policies"),
            });
        }
        account.roles.remove(role);
        Ok(())
    }

    async fn create_function(&self, function: &NewFunction) -> Result<String, CloudError> {
        self.record("CreateFunction");
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
                Err(CloudError::NotOwned(format!(
                    "function `{}` exists",
                    function.name
                )))
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
        self.record("UpdateFunctionConfiguration");
        self.with_function(name, |f| apply_config(f, config))
    }

    async fn update_function_code(
        &self,
        name: &str,
        zip: Arc<Vec<u8>>,
        architecture: Architecture,
    ) -> Result<(), CloudError> {
        self.record("UpdateFunctionCode");
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
        self.record("TagResource");
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
        self.record("UntagResource");
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
        self.record("DeleteFunction");
        let mut account = self.account.lock().unwrap();
        account.functions.remove(name);
        account.permissions.remove(name);
        Ok(())
    }

    async fn find_rest_apis(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<LiveApi>, CloudError> {
        self.record("GetRestApis");
        let account = self.account.lock().unwrap();
        Ok(account
            .apis
            .values()
            .filter(|api| tags.iter().all(|(k, v)| api.tags.get(k) == Some(v)))
            .map(|api| LiveApi {
                resources: BTreeMap::new(),
                stage: None,
                deployments: Vec::new(),
                ..api.clone()
            })
            .collect())
    }

    async fn get_api_resources(&self, api_id: &str) -> Result<Vec<LiveResource>, CloudError> {
        self.record("GetApiResources");
        let mut account = self.account.lock().unwrap();
        Ok(account.api(api_id)?.resources.values().cloned().collect())
    }

    async fn get_stage(&self, api_id: &str, stage: &str) -> Result<Option<LiveStage>, CloudError> {
        self.record("GetStage");
        let mut account = self.account.lock().unwrap();
        Ok(account
            .api(api_id)?
            .stage
            .clone()
            .filter(|s| s.name == stage))
    }

    async fn get_deployments(&self, api_id: &str) -> Result<Vec<LiveDeployment>, CloudError> {
        self.record("GetDeployments");
        let mut account = self.account.lock().unwrap();
        Ok(account.api(api_id)?.deployments.clone())
    }

    async fn get_function_permissions(
        &self,
        function: &str,
    ) -> Result<Vec<Permission>, CloudError> {
        self.record("GetPolicy");
        let account = self.account.lock().unwrap();
        Ok(account
            .permissions
            .get(function)
            .cloned()
            .unwrap_or_default())
    }

    async fn create_rest_api(&self, api: &NewApi) -> Result<CreatedApi, CloudError> {
        self.record("CreateRestApi");
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("api");
        let root = account.next_id("res");
        let resources = BTreeMap::from([(
            "/".to_string(),
            LiveResource {
                id: root.clone(),
                path: "/".into(),
                methods: BTreeMap::new(),
            },
        )]);
        account.apis.insert(
            id.clone(),
            LiveApi {
                id: id.clone(),
                settings: api.settings.clone(),
                tags: api.tags.clone(),
                resources,
                stage: None,
                deployments: Vec::new(),
            },
        );
        Ok(CreatedApi {
            id,
            root_resource_id: root,
        })
    }

    async fn update_rest_api(
        &self,
        api_id: &str,
        _from: &ApiSettings,
        to: &ApiSettings,
    ) -> Result<(), CloudError> {
        self.record("UpdateRestApi");
        let mut account = self.account.lock().unwrap();
        account.api(api_id)?.settings = to.clone();
        Ok(())
    }

    async fn delete_rest_api(&self, api_id: &str) -> Result<(), CloudError> {
        self.record("DeleteRestApi");
        self.account.lock().unwrap().apis.remove(api_id);
        Ok(())
    }

    async fn create_resource(
        &self,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<String, CloudError> {
        self.record("CreateResource");
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("res");
        let api = account.api(api_id)?;
        let parent = resource_path(api, parent_id)?;
        let path = if parent == "/" {
            format!("/{path_part}")
        } else {
            format!("{parent}/{path_part}")
        };
        if let Some(existing) = api.resources.get(&path) {
            return Ok(existing.id.clone());
        }
        api.resources.insert(
            path.clone(),
            LiveResource {
                id: id.clone(),
                path,
                methods: BTreeMap::new(),
            },
        );
        Ok(id)
    }

    async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), CloudError> {
        self.record("DeleteResource");
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if let Ok(path) = resource_path(api, resource_id) {
            // Like API Gateway, deleting a resource deletes everything under it.
            let prefix = format!("{path}/");
            api.resources
                .retain(|p, _| p != &path && !p.starts_with(&prefix));
        }
        Ok(())
    }

    async fn put_method(
        &self,
        api_id: &str,
        resource_id: &str,
        method: &MethodSettings,
    ) -> Result<(), CloudError> {
        self.record("PutMethod");
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        let path = resource_path(api, resource_id)?;
        let resource = api.resources.get_mut(&path).expect("path from this API");
        let entry = resource
            .methods
            .entry(method.http_method.clone())
            .or_insert(LiveMethod {
                authorization: String::new(),
                api_key_required: false,
                integration: None,
            });
        entry.authorization = method.authorization.as_str().to_string();
        entry.api_key_required = method.api_key_required;
        Ok(())
    }

    async fn delete_method(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
    ) -> Result<(), CloudError> {
        self.record("DeleteMethod");
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if let Ok(path) = resource_path(api, resource_id) {
            api.resources
                .get_mut(&path)
                .expect("path from this API")
                .methods
                .remove(http_method);
        }
        Ok(())
    }

    async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        uri: &str,
    ) -> Result<(), CloudError> {
        self.record("PutIntegration");
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        let path = resource_path(api, resource_id)?;
        let resource = api.resources.get_mut(&path).expect("path from this API");
        let method = resource
            .methods
            .get_mut(http_method)
            .ok_or_else(|| no_such("method", http_method))?;
        method.integration = Some(LiveIntegration {
            kind: "AWS_PROXY".into(),
            http_method: "POST".into(),
            uri: uri.to_string(),
        });
        Ok(())
    }

    async fn add_permission(
        &self,
        function: &str,
        statement_id: &str,
        source_arn: &str,
    ) -> Result<(), CloudError> {
        self.record("AddPermission");
        let mut account = self.account.lock().unwrap();
        if !account.functions.contains_key(function) {
            return Err(no_such("function", function));
        }
        let statements = account.permissions.entry(function.to_string()).or_default();
        // Like the real adapter: a statement with this id but another source is replaced.
        statements.retain(|p| p.sid != statement_id || p.source_arn.as_deref() == Some(source_arn));
        if !statements.iter().any(|p| p.sid == statement_id) {
            statements.push(Permission {
                sid: statement_id.to_string(),
                principal: "apigateway.amazonaws.com".into(),
                action: "lambda:InvokeFunction".into(),
                source_arn: Some(source_arn.to_string()),
            });
        }
        Ok(())
    }

    async fn remove_permission(
        &self,
        function: &str,
        statement_id: &str,
    ) -> Result<(), CloudError> {
        self.record("RemovePermission");
        let mut account = self.account.lock().unwrap();
        if let Some(statements) = account.permissions.get_mut(function) {
            statements.retain(|p| p.sid != statement_id);
        }
        Ok(())
    }

    async fn create_deployment(
        &self,
        api_id: &str,
        stage: &str,
        _description: &str,
    ) -> Result<String, CloudError> {
        self.record("CreateDeployment");
        let mut account = self.account.lock().unwrap();
        let id = account.next_id("dep");
        let created = account.counter as i64;
        let api = account.api(api_id)?;
        api.deployments.insert(
            0,
            LiveDeployment {
                id: id.clone(),
                created,
            },
        );
        api.stage = Some(LiveStage {
            name: stage.to_string(),
            deployment_id: id.clone(),
        });
        Ok(id)
    }

    async fn delete_deployment(&self, api_id: &str, deployment_id: &str) -> Result<(), CloudError> {
        self.record("DeleteDeployment");
        let mut account = self.account.lock().unwrap();
        let api = account.api(api_id)?;
        if api
            .stage
            .as_ref()
            .is_some_and(|s| s.deployment_id == deployment_id)
        {
            return Err(CloudError::Service {
                operation: "DeleteDeployment".into(),
                message: "BadRequestException: Active stages pointing to this deployment must be moved or deleted".into(),
            });
        }
        api.deployments.retain(|d| d.id != deployment_id);
        Ok(())
    }
}
