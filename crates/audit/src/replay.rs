//! Logged decision records in, each re-decided against a bundle out: the
//! same request and the same bundle always give the same decision, so any
//! difference is evidence (a different VM, a different bundle, or a log that
//! was not written by this system).
//!
//! Records must be replayed in log order through one [`Replayer`]: it
//! rebuilds the session state of earlier records (a [`MemoryStore`] fed
//! every record with a payload, in order), so session rules decide on replay
//! as they did live. A record kept without its payload cannot feed it: later
//! records of its session may then differ, and the report says so.
//!
//! Time on replay is the record's logged `time` ([`Clock::logged`]): a
//! request's `context.time` is checked against it as it was against the
//! clock live (default skew, see [`Replayer::with_max_skew`]), and a request
//! without one is placed at it.

use permit0_authorizer::Authorizer;
use permit0_session::{Clock, MemoryStore};
use permit0_vm::Program;
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;

/// One field that came out differently.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub field: &'static str,
    pub logged: Json,
    pub replayed: Json,
}

/// The replay of one decision record.
#[derive(Clone, Debug, PartialEq)]
pub enum Replayed {
    Same,
    Differs(Vec<Difference>),
    /// The record was decided by another bundle (its digest).
    OtherBundle(String),
    /// The record keeps no payload (or one that is not a request).
    NotReplayable(String),
}

/// Re-decides records in log order, through an [`Authorizer`] of its own
/// (so with every step of a live decision, and a session store that holds
/// only what the log fed it).
pub struct Replayer {
    auth: Authorizer,
    any_bundle: bool,
    max_skew_ms: Option<i64>,
    /// The log was decided with no clock (`eval --max-skew off`).
    unchecked: bool,
}

/// The request a decision record's payload stands for: its canonical form
/// turned back into a request (a raw tool call again for a tool call), or
/// the request as received.
pub fn request_of(record: &Map<String, Json>) -> Result<Json, String> {
    let mut req = match (record.get("request"), record.get("raw")) {
        (Some(Json::Object(c)), _) => {
            let mut r = c.clone();
            if let Some(Json::Object(tool)) = r.remove("tool") {
                r.remove("action");
                r.insert(
                    "tool".into(),
                    tool.get("name").cloned().unwrap_or(Json::Null),
                );
                r.insert(
                    "args".into(),
                    tool.get("args").cloned().unwrap_or(Json::Null),
                );
            }
            r
        }
        (_, Some(Json::String(raw))) => match serde_json::from_str(raw) {
            Ok(Json::Object(r)) => r,
            _ => return Err("the logged request is not a JSON object".into()),
        },
        _ => return Err("the record keeps only the action digest (no payload)".into()),
    };
    if let Some(Json::String(s)) = record.get("session") {
        req.insert("session".into(), json!({ "id": s }));
    }
    Ok(Json::Object(req))
}

impl Replayer {
    /// Replays with `program`. `any_bundle` replays records of other
    /// bundles too ("what if this bundle had decided?"); otherwise they are
    /// reported as such.
    pub fn new(program: Program, any_bundle: bool) -> Replayer {
        Replayer {
            auth: Authorizer::from_program(program, Vec::new())
                .with_store(Arc::new(MemoryStore::default())),
            any_bundle,
            max_skew_ms: None,
            unchecked: false,
        }
    }

    /// The program records are replayed with.
    pub fn program(&self) -> Arc<Program> {
        self.auth.program()
    }

    /// The skew the log was decided with, if not the default
    /// ([`permit0_session::DEFAULT_MAX_SKEW_MS`]).
    pub fn with_max_skew(mut self, max_skew_ms: i64) -> Replayer {
        self.max_skew_ms = Some(max_skew_ms);
        self
    }

    /// The log was decided with times taken as written (`permit0 eval
    /// --max-skew off`, scenario files): replay takes them so too.
    pub fn unchecked(mut self) -> Replayer {
        self.unchecked = true;
        self
    }

    /// The clock of a record: its logged time.
    fn clock(&self, record: &Map<String, Json>) -> Clock {
        if self.unchecked {
            return Clock::unchecked();
        }
        let logged = record
            .get("time")
            .and_then(Json::as_str)
            .and_then(permit0_vm::time::parse_rfc3339);
        let clock = Clock::logged(logged);
        match self.max_skew_ms {
            Some(ms) => clock.with_max_skew(ms),
            None => clock,
        }
    }

    /// Re-decides one decision record.
    pub fn replay(&mut self, record: &Map<String, Json>) -> Replayed {
        let bundle = record.get("bundle").and_then(Json::as_str).unwrap_or("");
        let request = request_of(record);
        let clock = self.clock(record);
        if !self.any_bundle && bundle != self.auth.program().digest_string() {
            // Not compared, but still part of its session's history.
            if let Ok(r) = &request {
                self.auth.decide_at(r, clock);
            }
            return Replayed::OtherBundle(bundle.to_string());
        }
        let request = match request {
            Ok(r) => r,
            Err(e) => return Replayed::NotReplayable(e),
        };
        let now = self.auth.decide_at(&request, clock).to_json();
        let mut diffs = Vec::new();
        let risk =
            |v: Option<&Json>, k: &str| v.and_then(|r| r.get(k)).cloned().unwrap_or(Json::Null);
        let pairs: [(&'static str, Json, Json); 7] = [
            ("decision", get(record, "decision"), get_j(&now, "decision")),
            ("rule", get(record, "rule"), get_j(&now, "rule")),
            ("reason", get(record, "reason"), get_j(&now, "reason")),
            ("action", get(record, "action"), get_j(&now, "action")),
            (
                "action_digest",
                get(record, "action_digest"),
                get_j(&now, "action_digest"),
            ),
            (
                "risk.score",
                risk(record.get("risk"), "score"),
                risk(now.get("risk"), "score"),
            ),
            (
                "risk.tier",
                risk(record.get("risk"), "tier"),
                risk(now.get("risk"), "tier"),
            ),
        ];
        for (field, logged, replayed) in pairs {
            if logged != replayed {
                diffs.push(Difference {
                    field,
                    logged,
                    replayed,
                });
            }
        }
        if diffs.is_empty() {
            Replayed::Same
        } else {
            Replayed::Differs(diffs)
        }
    }
}

fn get(m: &Map<String, Json>, k: &str) -> Json {
    m.get(k).cloned().unwrap_or(Json::Null)
}

fn get_j(v: &Json, k: &str) -> Json {
    v.get(k).cloned().unwrap_or(Json::Null)
}
