//! The approver's web page (server-rendered HTML and a little JavaScript)
//! and the notifications of new approvals.

use crate::App;
use axum::Router;
use serde_json::Value as Json;
use std::sync::Arc;

/// Logged-in page sessions.
#[derive(Default)]
pub struct Sessions {}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
}

/// Tells the configured webhooks about a new pending approval.
pub fn notify(_app: &App, _tenant: &str, _id: &str, _decision: &Json, _request: &Json) {}
