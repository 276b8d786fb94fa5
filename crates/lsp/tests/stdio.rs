//! The real stdio server: initialize → initialized → didOpen →
//! publishDiagnostics → hover → shutdown → exit, over Content-Length framed
//! JSON-RPC on a child process's stdin and stdout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::json;
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn stdio_session_end_to_end() {
    let cache = std::env::temp_dir().join(format!("permit0-lsp-stdio-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_permit0-lsp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        while let Ok(Some(m)) = Message::read(&mut r) {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    let recv = || {
        rx.recv_timeout(Duration::from_secs(60))
            .expect("no message from the server")
    };
    let send = |stdin: &mut std::process::ChildStdin, m: Message| m.write(stdin).unwrap();

    send(
        &mut stdin,
        Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "cacheDir": cache } }),
        )
        .into(),
    );
    let Message::Response(init) = recv() else {
        panic!("expected the initialize response")
    };
    assert_eq!(init.result.unwrap()["serverInfo"]["name"], "permit0-lsp");
    send(
        &mut stdin,
        Notification::new("initialized".into(), json!({})).into(),
    );
    let uri = "file:///nonexistent-permit0-dir/refunds.p0";
    send(
        &mut stdin,
        Notification::new(
            "textDocument/didOpen".into(),
            json!({ "textDocument": { "uri": uri, "languageId": "p0", "version": 1,
                    "text": "when payments.refnud amount > 500 then escalate\n" } }),
        )
        .into(),
    );
    let Message::Notification(n) = recv() else {
        panic!("expected diagnostics")
    };
    assert_eq!(n.method, "textDocument/publishDiagnostics");
    assert_eq!(n.params["uri"], uri);
    assert_eq!(n.params["diagnostics"][0]["code"], "P0201");
    send(
        &mut stdin,
        Request::new(
            RequestId::from(2),
            "textDocument/hover".into(),
            json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 7 } }),
        )
        .into(),
    );
    let Message::Response(hover) = recv() else {
        panic!("expected the hover response")
    };
    let value = hover.result.unwrap()["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(value.contains("domain payments"), "{value}");
    send(
        &mut stdin,
        Request::new(RequestId::from(3), "shutdown".into(), json!(null)).into(),
    );
    let Message::Response(r) = recv() else {
        panic!("expected the shutdown response")
    };
    assert!(r.error.is_none());
    send(
        &mut stdin,
        Notification::new("exit".into(), json!(null)).into(),
    );
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(cache);
}
