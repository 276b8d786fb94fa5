//! Deciding through `permit0 serve` (docs/server.md): `POST /v1/decide`,
//! and for an escalation `GET /v1/approvals/{id}/wait`.

use crate::{Approval, Decider, Decision};
use reqwest::blocking::Client;
use serde_json::Value as Json;
use std::time::Duration;

/// The decision service at `url`, with an `agent` API key. Anything but a
/// well-formed answer (the service down, a 4xx/5xx, an unknown decision) is
/// a deny.
pub struct Remote {
    url: String,
    key: String,
    client: Client,
}

const DECIDE_TIMEOUT: Duration = Duration::from_secs(10);

impl Remote {
    pub fn new(url: &str, key: &str) -> Result<Remote, String> {
        let client = Client::builder()
            .timeout(None)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Remote {
            url: url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            client,
        })
    }

    fn answer(&self, r: reqwest::Result<reqwest::blocking::Response>) -> Result<Json, String> {
        let r = r.map_err(|e| format!("the decision service is unreachable: {e}"))?;
        let status = r.status();
        let body: Json = r
            .json()
            .map_err(|e| format!("the decision service answered {status} with no JSON: {e}"))?;
        if !status.is_success() {
            let why = body.get("error").and_then(Json::as_str).unwrap_or("");
            return Err(format!("the decision service answered {status}: {why}"));
        }
        Ok(body)
    }

    fn decision(&self, body: &Json) -> Decision {
        let reason = body
            .get("reason")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_owned();
        match body.get("decision").and_then(Json::as_str) {
            Some("allow") => Decision::Allow,
            Some("escalate") => Decision::Escalate {
                reason,
                approval: body
                    .get("approval")
                    .and_then(Json::as_str)
                    .map(|id| Approval {
                        id: id.to_owned(),
                        link: format!("{}/ui/approvals/{id}", self.url),
                    }),
            },
            Some("deny") => Decision::Deny(reason),
            _ => Decision::Deny(format!(
                "the decision service's answer has no decision: {body}"
            )),
        }
    }
}

impl Decider for Remote {
    fn decide(&self, request: &[u8]) -> Decision {
        let r = self
            .client
            .post(format!("{}/v1/decide", self.url))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .timeout(DECIDE_TIMEOUT)
            .body(request.to_vec())
            .send();
        match self.answer(r) {
            Ok(body) => self.decision(&body),
            Err(e) => Decision::Deny(e),
        }
    }

    fn wait(&self, approval: &Approval, timeout: Duration) -> Decision {
        let r = self
            .client
            .get(format!(
                "{}/v1/approvals/{}/wait?timeout={}",
                self.url,
                approval.id,
                timeout.as_secs()
            ))
            .bearer_auth(&self.key)
            .timeout(timeout + DECIDE_TIMEOUT)
            .send();
        match self.answer(r) {
            Ok(body) => match self.decision(&body) {
                Decision::Escalate {
                    reason,
                    approval: a,
                } => Decision::Escalate {
                    reason,
                    approval: a.or_else(|| Some(approval.clone())),
                },
                d => d,
            },
            Err(e) => Decision::Deny(e),
        }
    }
}
