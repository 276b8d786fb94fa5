//! The approvers' page without a browser: who may log in, and that a form
//! posted without the session's CSRF token changes nothing.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_takes_approver_keys_and_checks_csrf() {
    let data = data_dir("web");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let site = format!("http://{}", server.addr);
    let agent = Client::new(server.addr, &agent_key);
    let id = agent.decide(&refund(20_000, "w-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Not logged in: every page sends you to the login form.
    let r = http
        .get(format!("{site}/ui/approvals/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/ui/login");

    // An agent key cannot log in.
    let r = http
        .post(format!("{site}/ui/login"))
        .form(&[("key", agent_key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = http
        .post(format!("{site}/ui/login"))
        .form(&[("key", approver_key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();

    // A forged form (no CSRF token, or a wrong one) is refused and the
    // approval stays pending.
    for form in [
        vec![("comment", "x")],
        vec![("csrf", "0000"), ("comment", "x")],
    ] {
        let r = http
            .post(format!("{site}/ui/approvals/{id}/approve"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let page = http
        .get(format!("{site}/ui/approvals/{id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<small id="state">pending</small>"#),
        "{page}"
    );

    // With the page's token, the answer goes through.
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = http
        .post(format!("{site}/ui/approvals/{id}/deny"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("comment", "not today")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, w) = agent
        .get(&format!("/v1/approvals/{id}/wait?timeout=0"))
        .await;
    assert_eq!(w["decision"], "deny");

    // The other pages answer a logged-in approver.
    for path in ["/ui", "/ui/decisions", "/ui/grants"] {
        let r = http
            .get(format!("{site}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    server.shutdown().await.unwrap();
}

/// The page's login sessions live in the server's memory, not in the
/// database: a restart logs every approver out. An old cookie then opens
/// nothing — every page sends it to the login form, and a form posted with
/// it (even with its once-valid CSRF token) answers nothing; the approval
/// stays pending until someone logs in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_logs_approvers_out_and_an_old_cookie_answers_nothing() {
    let data = data_dir("web-restart");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let agent = Client::new(server.addr, &agent_key);
    let id = agent.decide(&refund(20_000, "r-1")).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let site = format!("http://{}", server.addr);
    let r = http
        .post(format!("{site}/ui/login"))
        .form(&[("key", approver_key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("{site}/ui/approvals/{id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    server.shutdown().await.unwrap();

    let server = start(options(&data, REFUNDS)).await;
    let site = format!("http://{}", server.addr);
    let r = http
        .get(format!("{site}/ui/approvals/{id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/ui/login");
    let r = http
        .post(format!("{site}/ui/approvals/{id}/approve"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/ui/login");
    let agent = Client::new(server.addr, &agent_key);
    let (_, w) = agent
        .get(&format!("/v1/approvals/{id}/wait?timeout=0"))
        .await;
    assert_eq!(w["state"], "pending", "{w}");
    server.shutdown().await.unwrap();
}

/// The agent names the refund's customer `cus_1` followed by a right-to-left
/// override and text written backwards: on the page, the rest of that line
/// would be drawn turned around, so the approver would read another value
/// than the one released. The page shows such characters as `[U+202E]`
/// (and zero-width ones likewise), never raw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_invisible_and_reordering_characters_as_code_points() {
    let data = data_dir("web-bidi");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let site = format!("http://{}", server.addr);
    let agent = Client::new(server.addr, &agent_key);
    let mut r = refund(20_000, "w-bidi\u{200B}");
    r["args"]["customer"] = serde_json::json!("cus_1\u{202E}0000001 :tnuoma");
    let id = agent.decide(&r).await["approval"]
        .as_str()
        .unwrap()
        .to_string();
    let (http, cookie) = logged_in(&site, &approver_key).await;
    for page in [format!("/ui/approvals/{id}"), "/ui".to_string()] {
        let html = http
            .get(format!("{site}{page}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !html.contains('\u{202E}') && !html.contains('\u{200B}'),
            "{page}"
        );
        assert!(html.contains("w-bidi[U+200B]"), "{page}: {html}");
    }
    let html = http
        .get(format!("{site}/ui/approvals/{id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("cus_1[U+202E]0000001 :tnuoma"), "{html}");
}

/// The grants page says whom a grant answers: the agent key whose request
/// was approved, by id and by the name it was given — so an approver can
/// tell `bot`'s grant from one another agent might be hoping to use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grants_page_names_the_agent_key_a_grant_answers() {
    let data = data_dir("web-grants");
    let agent_key = key(&data, Role::Agent, "acme", "bot");
    let approver_key = key(&data, Role::Approver, "acme", "alice");
    let server = start(options(&data, REFUNDS)).await;
    let site = format!("http://{}", server.addr);
    let agent = Client::new(server.addr, &agent_key);
    let approver = Client::new(server.addr, &approver_key);
    let id = agent.queued(&refund(20_000, "g-7")).await;
    let a = approver
        .approve(
            &id,
            &json!({"grant": {"scope": "session", "minutes": 30, "max_amount": 30_000}}),
        )
        .await;
    let key_id = a["grant"]["agent_key"].as_str().unwrap().to_string();

    let (http, cookie) = logged_in(&site, &approver_key).await;
    let page = http
        .get(format!("{site}/ui/grants"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("agent key <code>{key_id}</code> (bot)")),
        "{page}"
    );
    server.shutdown().await.unwrap();
}

/// An approver logged in to the page: a client that does not follow
/// redirects, and the session cookie to send.
async fn logged_in(site: &str, approver_key: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{site}/ui/login"))
        .form(&[("key", approver_key)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    (http, cookie.split(';').next().unwrap().to_string())
}
