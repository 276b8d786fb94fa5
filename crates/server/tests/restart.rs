//! After `kill -9` and a restart, everything the server promised is still
//! there: keys, pending approvals, grants, spent token nonces, sessions.
//! The server runs in a child process (this test binary, re-run as
//! `child_server`) so it can be killed without a chance to clean up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Role;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const CHILD_ENV: &str = "PERMIT0_SERVER_TEST_CHILD_DATA";

/// Not a test: the server process of `state_survives_kill_9`, run only when
/// that test starts it (with the data directory in the environment).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of state_survives_kill_9"]
async fn child_server() {
    let Ok(data) = std::env::var(CHILD_ENV) else {
        return;
    };
    let data = Path::new(&data);
    let server = start(options(data, REFUNDS)).await;
    let tmp = data.join("addr.tmp");
    std::fs::write(&tmp, server.addr.to_string()).unwrap();
    std::fs::rename(&tmp, data.join("addr")).unwrap();
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

fn spawn_child(data: &Path) -> (Child, std::net::SocketAddr) {
    let _ = std::fs::remove_file(data.join("addr"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_server", "--ignored", "--nocapture"])
        .env(CHILD_ENV, data)
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if let Ok(a) = std::fs::read_to_string(data.join("addr")) {
            return (child, a.parse().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the child server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_kill_9() {
    let data = data_dir("restart");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");

    let (mut child, addr) = spawn_child(&data);
    let agent = Client::new(addr, &agent_key);
    let approver = Client::new(addr, &approver_key);
    // One approval left pending.
    let pending = agent.decide(&refund(20_000, "p-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    // One approved with a grant, its token redeemed once.
    let granted = agent.decide(&refund(20_000, "p-2")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, a) = approver
        .post(
            &format!("/v1/approvals/{granted}/approve"),
            &json!({"grant": {"scope": "session", "minutes": 30, "max_amount": 40_000}}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let redeem = json!({"token": a["token"], "request": refund(20_000, "p-2")});
    assert_eq!(agent.post("/v1/tokens/redeem", &redeem).await.0, 200);
    // Four small refunds of session p-3: one more fits under the cap of 5.
    for _ in 0..4 {
        assert_eq!(agent.decide(&refund(100, "p-3")).await["decision"], "allow");
    }

    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (mut child, addr) = spawn_child(&data);
    let agent = Client::new(addr, &agent_key);
    let approver = Client::new(addr, &approver_key);
    // The keys still open the door; the pending approval is still queued.
    let (s, list) = approver.get("/v1/approvals?state=pending").await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = list["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [pending.as_str()]);
    // The spent nonce is still spent.
    let (s, r) = agent.post("/v1/tokens/redeem", &redeem).await;
    assert_eq!(s, 403);
    assert!(
        r["error"].as_str().unwrap().contains("already redeemed"),
        "{r}"
    );
    // The grant still allows what it covers.
    let d = agent.decide(&refund(30_000, "p-2")).await;
    assert_eq!(d["decision"], "allow", "{d}");
    // The session still counts its four refunds.
    assert_eq!(agent.decide(&refund(100, "p-3")).await["decision"], "allow");
    assert_eq!(agent.decide(&refund(100, "p-3")).await["decision"], "deny");
    // And the pending approval can still be answered and waited on.
    let (s, _) = approver
        .post(&format!("/v1/approvals/{pending}/approve"), &json!({}))
        .await;
    assert_eq!(s, 200);
    let (_, w) = agent
        .get(&format!("/v1/approvals/{pending}/wait?timeout=1"))
        .await;
    assert_eq!(w["decision"], "allow");
    child.kill().unwrap();
    child.wait().unwrap();
}
