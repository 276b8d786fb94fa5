//! The embedded store keeps recent sessions' history and API keys in
//! memory, and commits observations in groups. None of it may change an
//! answer: a second process (another connection on the same data
//! directory) that records into a session is seen by the next observation
//! here, or revokes a key is obeyed by the next request; and many threads
//! recording into one session at once are each counted exactly once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Db;
use permit0_server::store::{Keep, SqliteStore};
use permit0_session::{Observation, ScopeStep, SessionStore};
use permit0_vm::wire::AggKindWire;
use permit0_vm::AggQuery;
use std::sync::Arc;

const COUNT: AggQuery = AggQuery {
    agg: 0,
    key: 7,
    kind: AggKindWire::Count,
    window_ms: 0,
    window_actions: 0,
    scope: 0,
};

/// Counts the scope's entries, then records one: what a capped action does.
fn count_and_record(store: &SqliteStore, scope: &str) -> i64 {
    let mut seen = -1;
    store
        .observe(
            &Observation {
                time: Some(permit0_vm::time::now_ms()),
                scopes: &[ScopeStep {
                    scope,
                    queries: &[COUNT],
                    record: Some(&[(7, 1)]),
                }],
            },
            &mut |_, v| seen = v,
        )
        .unwrap();
    seen
}

#[test]
fn another_process_s_entries_are_seen_at_once() {
    let data = data_dir("store-two-connections");
    let here = SqliteStore::new(Arc::new(Db::open(&data).unwrap()), Keep::default());
    let there = SqliteStore::new(Arc::new(Db::open(&data).unwrap()), Keep::default());
    // Here reads the session (and keeps it cached), recording three.
    assert_eq!(
        (0..3)
            .map(|_| count_and_record(&here, "s"))
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // The other process records two more into the same session.
    assert_eq!(count_and_record(&there, "s"), 3);
    assert_eq!(count_and_record(&there, "s"), 4);
    // Here counts all five: its cache was dropped when the other committed.
    assert_eq!(count_and_record(&here, "s"), 5);
}

#[test]
fn concurrent_observations_of_one_session_each_count_once() {
    let data = data_dir("store-groups");
    let store = Arc::new(SqliteStore::new(
        Arc::new(Db::open(&data).unwrap()),
        Keep::default(),
    ));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|_| count_and_record(&store, "s"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen: Vec<i64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    seen.sort_unstable();
    // 200 observations saw 0, 1, …, 199 entries before theirs: no two read
    // the same history, none was lost.
    assert_eq!(seen, (0..200).collect::<Vec<_>>());
    assert_eq!(store.entries("s").unwrap(), 200);
}

/// An agent's key, looked up (and cached) by a running server, is revoked
/// by another process — `permit0 keys revoke` on the data directory. The
/// very next request with it is refused: the server's key cache is dropped
/// when another connection commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_another_process_is_refused_at_once() {
    use permit0_server::db::Role;
    let data = data_dir("store-revoke");
    let bot = key(&data, Role::Agent, "acme", "bot");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &bot);
    assert_eq!(agent.decide(&refund(100, "k-1")).await["decision"], "allow");
    let other = Db::open(&data).unwrap();
    let id = other.find_key(&bot).unwrap().unwrap().id;
    assert!(other.revoke_key(&id, permit0_vm::time::now_ms()).unwrap());
    assert_eq!(agent.post("/v1/decide", &refund(100, "k-1")).await.0, 401);
    server.shutdown().await.unwrap();
}

/// Inside a decision (`deferred`), an observation is written into the
/// group open on the connection and answered at once, but not committed:
/// another process sees none of it until the decision settles, and then
/// all of it at once — three decisions in flight, one commit. Each still
/// saw the entries of those before it.
#[test]
fn decisions_in_flight_share_one_commit_and_none_is_visible_before_it() {
    use permit0_server::db::deferred;
    let data = data_dir("store-deferred");
    let db = Arc::new(Db::open(&data).unwrap());
    let here = SqliteStore::new(db.clone(), Keep::default());
    let there = SqliteStore::new(Arc::new(Db::open(&data).unwrap()), Keep::default());
    let mut groups = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (n, g) = deferred(|| count_and_record(&here, "s"));
        seen.push(n);
        groups.extend(g);
    }
    assert_eq!(seen, [0, 1, 2]);
    assert_eq!(
        groups.len(),
        3,
        "each decision notes the group it wrote into"
    );
    assert!(
        groups.iter().all(|g| Arc::ptr_eq(g, &groups[0])),
        "one group"
    );
    assert_eq!(there.entries("s").unwrap(), 0, "nothing committed yet");
    let commits = db.group_commits_made();
    db.settle(&groups).unwrap();
    assert_eq!(db.group_commits_made(), commits + 1);
    assert_eq!(there.entries("s").unwrap(), 3);
    // Settling again is an answer, not a second commit.
    db.settle(&groups).unwrap();
    assert_eq!(db.group_commits_made(), commits + 1);
}
