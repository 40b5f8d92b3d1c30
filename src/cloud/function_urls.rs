//! Lambda function URLs, and the public statements a URL without auth needs in its
//! function's resource policy. A URL has no tags of its own: it is lade's when its
//! function is. See the parent module for the idempotency contract.

use async_trait::async_trait;

use super::CloudError;
use crate::model::{LiveFunctionUrl, PublicStatement, UrlSettings};

/// The function URL reads and writes lade needs.
#[async_trait]
pub trait FunctionUrlApi: Send + Sync {
    /// The function's URL (`GetFunctionUrlConfig`); `None` when it has none (or the
    /// function is gone).
    async fn get_function_url(&self, function: &str)
    -> Result<Option<LiveFunctionUrl>, CloudError>;

    /// Creates the function's URL (`CreateFunctionUrlConfig`) and returns it. A URL
    /// that already exists (an interrupted apply made it) is set to `settings` instead.
    async fn create_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError>;

    /// Sets every setting of the function's URL (`UpdateFunctionUrlConfig`): CORS
    /// given as a whole, so that removed fields are cleared.
    async fn update_function_url(
        &self,
        function: &str,
        settings: &UrlSettings,
    ) -> Result<String, CloudError>;

    /// Deletes the function's URL. A URL already gone counts as success.
    async fn delete_function_url(&self, function: &str) -> Result<(), CloudError>;

    /// Adds one public statement (principal `*`) for the function's URL. A statement
    /// with that id already there counts as success.
    async fn add_url_permission(
        &self,
        function: &str,
        statement: PublicStatement,
    ) -> Result<(), CloudError>;
}
