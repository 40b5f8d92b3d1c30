//! The AWS adapter. (Stub: being written.)
pub struct AwsCloud;
impl AwsCloud {
    pub async fn from_env(_region: Option<&str>) -> Self { todo!() }
}
#[async_trait::async_trait]
impl crate::cloud::Cloud for AwsCloud {
    async fn list_roles(&self, _: &str) -> Result<Vec<crate::model::LiveRole>, crate::cloud::CloudError> { todo!() }
    async fn get_role(&self, _: &str) -> Result<Option<crate::cloud::RoleSummary>, crate::cloud::CloudError> { todo!() }
    async fn find_functions(&self, _: &std::collections::BTreeMap<String, String>) -> Result<Vec<String>, crate::cloud::CloudError> { todo!() }
    async fn get_function(&self, _: &str) -> Result<Option<crate::model::LiveFunction>, crate::cloud::CloudError> { todo!() }
    async fn create_role(&self, _: &crate::cloud::NewRole) -> Result<String, crate::cloud::CloudError> { todo!() }
    async fn update_trust_policy(&self, _: &str, _: &serde_json::Value) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn put_role_policy(&self, _: &str, _: &str, _: &serde_json::Value) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn delete_role_policy(&self, _: &str, _: &str) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn attach_role_policy(&self, _: &str, _: &str) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn detach_role_policy(&self, _: &str, _: &str) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn delete_role(&self, _: &str) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn create_function(&self, _: &crate::cloud::NewFunction) -> Result<String, crate::cloud::CloudError> { todo!() }
    async fn update_function_configuration(&self, _: &str, _: &crate::cloud::FunctionConfig) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn update_function_code(&self, _: &str, _: std::sync::Arc<Vec<u8>>, _: crate::model::Architecture) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn tag_function(&self, _: &str, _: &std::collections::BTreeMap<String, String>) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn untag_function(&self, _: &str, _: &[String]) -> Result<(), crate::cloud::CloudError> { todo!() }
    async fn delete_function(&self, _: &str) -> Result<(), crate::cloud::CloudError> { todo!() }
}
