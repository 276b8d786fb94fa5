//! The approvers' page in a real browser: headless Chromium, driven over
//! WebDriver (chromedriver, started here), logs in with an approver key,
//! opens the pending refund, reads the rule and the amount it read, and
//! approves it; the agent's waiting call returns allow with a token that
//! redeems once.
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them).
//! Without them the test says so loudly and skips — except under CI, where
//! a missing browser is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_server::db::Role;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// A W3C WebDriver session: the handful of commands the test needs.
struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
}

impl Browser {
    async fn start(chromium: &std::path::Path, chromedriver: &std::path::Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{root}/status")).send().await {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            }
        }}});
        let r: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver made no session: {r}"))
            .to_string();
        Browser {
            http,
            base: format!("{root}/session/{id}"),
            driver,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// The element `css` names, once the page has one. An error answer
    /// ("no such element" while a page loads) is an object too: only the
    /// W3C element key counts as found.
    async fn element(&self, css: &str) -> String {
        for _ in 0..100 {
            let v = self
                .cmd(
                    reqwest::Method::POST,
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = v.get(ELEMENT).and_then(Value::as_str) {
                return id.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.source().await;
        panic!("no element `{css}` on the page:\n{page}");
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.act(css, "value", json!({ "text": text })).await;
    }

    async fn click(&self, css: &str) {
        self.act(css, "click", json!({})).await;
    }

    /// Finds `css` and acts on it, finding it again when the page changed
    /// under the reference (a stale element answers with an error, a
    /// success with `null`).
    async fn act(&self, css: &str, what: &str, body: Value) {
        for _ in 0..50 {
            let e = self.element(css).await;
            let v = self
                .cmd(
                    reqwest::Method::POST,
                    &format!("/element/{e}/{what}"),
                    body.clone(),
                )
                .await;
            if v.is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot {what} `{css}`");
    }

    async fn accept_alert(&self) {
        for _ in 0..50 {
            let v = self
                .cmd(reqwest::Method::POST, "/alert/accept", json!({}))
                .await;
            if v.is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no confirmation dialog to accept");
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

impl Drop for Browser {
    /// Ends the session (chromedriver closes its browser) and chromedriver
    /// itself, whether the test passed or not: a plain blocking request, so
    /// it works while a failed test unwinds.
    fn drop(&mut self) {
        if let Some((host, path)) = self
            .base
            .strip_prefix("http://")
            .and_then(|r| r.split_once('/'))
        {
            if let Ok(mut s) = std::net::TcpStream::connect(host) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = write!(
                    s,
                    "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                );
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_approves_a_refund_in_the_browser() {
    let (Some(chromium), Some(chromedriver)) = (find("chromium"), find("chromedriver")) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: install `chromium` and `chromium-driver`"
        );
        eprintln!(
            "\n\n!!!!!!!! SKIPPED the browser test: `chromium` or `chromedriver` is not installed \
             (apt-get install -y chromium chromium-driver) !!!!!!!!\n\n"
        );
        return;
    };
    let data = data_dir("browser");
    let agent_key = key(&data, Role::Agent, "acme", "refund-bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent_key);
    let site = format!("http://{}", server.addr);

    // The agent asks for a large refund: escalated, queued; it waits.
    let d = agent.decide(&refund(20_000, "web-1")).await;
    assert_eq!(d["decision"], "escalate");
    let id = d["approval"].as_str().unwrap().to_string();
    let waiting = {
        let agent = agent.clone();
        let id = id.clone();
        tokio::spawn(async move {
            agent
                .get(&format!("/v1/approvals/{id}/wait?timeout=120"))
                .await
        })
    };

    let browser = Browser::start(&chromium, &chromedriver).await;
    // The page sends a stranger to the login form; a wrong key is refused.
    browser.goto(&format!("{site}/ui")).await;
    browser.type_into("#key", "p0k_wrong").await;
    browser.click("#login").await;
    browser.element("#error").await;
    assert!(browser.source().await.contains("unknown or revoked key"));
    browser.type_into("#key", &approver_key).await;
    browser.click("#login").await;

    // The queue lists the refund; its page shows the rule, the amount it
    // read, the risk.
    browser.click(&format!("#open-{id}")).await;
    browser.element("#matched").await;
    let page = browser.source().await;
    assert!(page.contains("large refund"), "{page}");
    assert!(page.contains("amount = 20000"), "{page}");
    assert!(page.contains(d["risk"]["tier"].as_str().unwrap()));

    browser
        .type_into("#comment", "customer called, verified")
        .await;
    browser.click("#approve").await;
    browser.accept_alert().await;
    browser.element("#answered").await;
    let page = browser.source().await;
    assert!(
        page.contains("approved") && page.contains("alice"),
        "{page}"
    );

    // The agent's wait returns allow with a token; it redeems once.
    let (s, w) = waiting.await.unwrap();
    assert_eq!(s, 200);
    assert_eq!(w["decision"], "allow", "{w}");
    assert!(w["reason"]
        .as_str()
        .unwrap()
        .contains("customer called, verified"));
    let redeem = json!({"token": w["token"], "request": refund(20_000, "web-1")});
    assert_eq!(agent.post("/v1/tokens/redeem", &redeem).await.0, 200);
    assert_eq!(agent.post("/v1/tokens/redeem", &redeem).await.0, 403);

    // The decisions view charts it.
    browser.goto(&format!("{site}/ui/decisions")).await;
    browser.element("#chart rect").await;
    browser.close().await;
    server.shutdown().await.unwrap();
}
