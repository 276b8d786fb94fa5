//! Retention: the decisions the approver page lists and the history of
//! sessions that went idle do not grow without bound. Old decisions go
//! after `decisions_max_age_days`, the oldest beyond `decisions_max_rows`;
//! an idle session's entries go once older than `session_max_age_ms` —
//! and a live session keeps what its windows read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::{Db, NewDecision};
use permit0_server::state::{Embedded, StateStore};
use permit0_server::store::Keep;
use permit0_session::{Observation, ScopeStep, SessionStore};
use std::sync::Arc;

const DAY: i64 = 86_400_000;

fn decision(db: &Db, time_ms: i64, session: &str) {
    db.record_decision(&NewDecision {
        tenant: "acme",
        time_ms,
        session: Some(session),
        actor: None,
        action: Some("payments.refund"),
        verdict: "allow",
        reason: "small refund",
        approval: None,
        grant: None,
    })
    .unwrap();
}

#[test]
fn old_decisions_go_and_at_most_max_rows_stay() {
    let data = data_dir("retention-decisions");
    let db = Arc::new(Db::open(&data).unwrap());
    let store = Embedded::new(db.clone(), Keep::default());
    let now = permit0_vm::time::now_ms();
    // Five decisions 40 days old, five from today.
    for i in 0..5 {
        decision(&db, now - 40 * DAY + i, "old");
    }
    for i in 0..5 {
        decision(&db, now - 1000 + i, "new");
    }
    // 30 days' retention: the five old ones go, today's stay.
    let n = store.prune(now - 30 * DAY, 0, 0).unwrap();
    assert_eq!(n, 5);
    let left = db.recent_decisions("acme", 100).unwrap();
    assert_eq!(left.len(), 5);
    assert!(left.iter().all(|d| d.session.as_deref() == Some("new")));
    // At most three rows: the two oldest of today's go.
    store.prune(0, 3, 0).unwrap();
    let left = db.recent_decisions("acme", 100).unwrap();
    let times: Vec<i64> = left.iter().map(|d| d.time_ms).collect();
    assert_eq!(times, [now - 996, now - 997, now - 998]);
}

fn record(store: &dyn SessionStore, scope: &str, time: i64) {
    store
        .observe(
            &Observation {
                time: Some(time),
                scopes: &[ScopeStep {
                    scope,
                    queries: &[],
                    record: Some(&[(1, 1)]),
                }],
            },
            &mut |_, _| {},
        )
        .unwrap();
}

#[test]
fn an_idle_session_s_old_entries_go_and_a_live_one_keeps_its_own() {
    let data = data_dir("retention-sessions");
    let db = Arc::new(Db::open(&data).unwrap());
    let keep = Keep {
        max_entries: 512,
        max_age_ms: 7 * DAY,
    };
    let store = Embedded::new(db, keep);
    let sessions = store.sessions();
    let now = permit0_vm::time::now_ms();
    // A session that acted ten days ago and never again; one that acts now
    // (and also acted three days ago, inside the week its windows may read).
    for i in 0..3 {
        record(sessions.as_ref(), "idle", now - 10 * DAY + i);
    }
    record(sessions.as_ref(), "live", now - 3 * DAY);
    record(sessions.as_ref(), "live", now);
    assert_eq!(sessions.entries("idle").unwrap(), 3);

    // Pruned in steps of 5,000 entries: one pass covers these five.
    let gone = store.prune(0, 0, now - 7 * DAY).unwrap();
    assert_eq!(gone, 3);
    assert_eq!(sessions.entries("idle").unwrap(), 0);
    assert_eq!(sessions.entries("live").unwrap(), 2);
}
