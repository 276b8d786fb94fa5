//! An in-memory LSP client for the tests: it runs `permit0_lsp::serve` on a
//! thread over `Connection::memory()` and speaks real JSON-RPC messages to it
//! (initialize, initialized, didOpen, requests, shutdown, exit).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::{Position, Range, Uri};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Splits a fixture at its `$0` cursor marker: the text without the marker
/// and the marker's LSP position (UTF-16 columns).
pub fn cursor(fixture: &str) -> (String, Position) {
    let at = fixture.find("$0").expect("fixture has no $0 marker");
    let text = fixture.replacen("$0", "", 1);
    let before = &text[..at];
    let line = before.matches('\n').count() as u32;
    let col = before
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .encode_utf16()
        .count() as u32;
    (
        text,
        Position {
            line,
            character: col,
        },
    )
}

/// The text an LSP range covers.
pub fn slice(text: &str, range: Range) -> String {
    let idx = permit0_lsp::line_index::LineIndex::new(text);
    let a = idx.offset(range.start) as usize;
    let b = idx.offset(range.end) as usize;
    text[a..b].to_string()
}

/// Applies text edits (non-overlapping) to a text.
pub fn apply_edits(text: &str, edits: &[lsp_types::TextEdit]) -> String {
    let idx = permit0_lsp::line_index::LineIndex::new(text);
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                idx.offset(e.range.start) as usize,
                idx.offset(e.range.end) as usize,
                e.new_text.as_str(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, t);
    }
    out
}

pub struct Client {
    conn: Connection,
    server: Option<JoinHandle<Result<(), permit0_lsp::Error>>>,
    next_id: i32,
    /// Notifications received while waiting for responses.
    pub notifications: Vec<Notification>,
    /// Requests the server sent (each answered with `null`).
    pub server_requests: Vec<Request>,
    /// A fresh folder for this client's documents and taxonomy cache.
    pub dir: PathBuf,
}

impl Client {
    /// Starts a server and initializes it with a client that supports
    /// Markdown hovers and hierarchical symbols.
    pub fn new() -> Client {
        Client::with_capabilities(json!({
            "textDocument": {
                "hover": { "contentFormat": ["markdown", "plaintext"] },
                "documentSymbol": { "hierarchicalDocumentSymbolSupport": true },
                "publishDiagnostics": { "relatedInformation": true }
            }
        }))
    }

    pub fn with_capabilities(capabilities: Value) -> Client {
        let mut c = Client::start();
        let cache = c.dir.join("cache");
        let r = c.request_raw(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": { "cacheDir": cache.to_str().unwrap() }
            }),
        );
        assert!(r.error.is_none(), "initialize failed: {:?}", r.error);
        assert!(r.result.unwrap()["capabilities"]["hoverProvider"] == json!(true));
        c.notify("initialized", json!({}));
        c
    }

    /// Starts a server without initializing it.
    pub fn start() -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || permit0_lsp::serve(server_side));
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("permit0-lsp-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Client {
            conn: client_side,
            server: Some(server),
            next_id: 0,
            notifications: Vec::new(),
            server_requests: Vec::new(),
            dir,
        }
    }

    pub fn uri(&self, name: &str) -> Uri {
        path_uri(&self.dir.join(name))
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.to_string(),
                params,
            )))
            .unwrap();
    }

    fn recv(&mut self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not answer")
    }

    fn answer(&mut self, r: Request) {
        let resp = Response::new_ok(r.id.clone(), Value::Null);
        self.conn.sender.send(Message::Response(resp)).unwrap();
        self.server_requests.push(r);
    }

    pub fn request_raw(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.to_string(),
                params,
            )))
            .unwrap();
        loop {
            match self.recv() {
                Message::Response(r) if r.id == id => return r,
                Message::Response(r) => panic!("unexpected response {r:?}"),
                Message::Notification(n) => self.notifications.push(n),
                Message::Request(r) => self.answer(r),
            }
        }
    }

    /// A typed request; panics on an error response.
    pub fn request<R: lsp_types::request::Request>(&mut self, params: R::Params) -> R::Result {
        let r = self.request_raw(R::METHOD, serde_json::to_value(params).unwrap());
        if let Some(e) = r.error {
            panic!("{} failed: {e:?}", R::METHOD);
        }
        serde_json::from_value(r.result.unwrap_or(Value::Null)).unwrap()
    }

    /// Opens a document in the client's folder.
    pub fn open(&mut self, name: &str, text: &str) -> Uri {
        let uri = self.uri(name);
        self.open_uri(&uri, text);
        uri
    }

    pub fn open_uri(&mut self, uri: &Uri, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri.as_str(), "languageId": "p0", "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, uri: &Uri, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri.as_str(), "version": version }, "contentChanges": changes }),
        );
    }

    /// Waits for the next diagnostics published for `uri`.
    pub fn diagnostics(&mut self, uri: &Uri) -> lsp_types::PublishDiagnosticsParams {
        loop {
            if let Some(i) = self.notifications.iter().position(|n| {
                n.method == "textDocument/publishDiagnostics"
                    && n.params["uri"] == json!(uri.as_str())
            }) {
                let n = self.notifications.remove(i);
                return serde_json::from_value(n.params).unwrap();
            }
            match self.recv() {
                Message::Notification(n) => self.notifications.push(n),
                Message::Request(r) => self.answer(r),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Waits for the diagnostics of `uri` at `version`.
    pub fn diagnostics_at(&mut self, uri: &Uri, version: i32) -> Vec<lsp_types::Diagnostic> {
        loop {
            let p = self.diagnostics(uri);
            if p.version == Some(version) {
                return p.diagnostics;
            }
        }
    }

    pub fn position_params(
        &self,
        uri: &Uri,
        pos: Position,
    ) -> lsp_types::TextDocumentPositionParams {
        lsp_types::TextDocumentPositionParams {
            text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
            position: pos,
        }
    }

    pub fn hover(&mut self, uri: &Uri, pos: Position) -> Option<String> {
        let h = self.request::<lsp_types::request::HoverRequest>(lsp_types::HoverParams {
            text_document_position_params: self.position_params(uri, pos),
            work_done_progress_params: Default::default(),
        })?;
        match h.contents {
            lsp_types::HoverContents::Markup(m) => Some(m.value),
            other => panic!("unexpected hover contents {other:?}"),
        }
    }

    pub fn completion(&mut self, uri: &Uri, pos: Position) -> Vec<lsp_types::CompletionItem> {
        let r = self.request::<lsp_types::request::Completion>(lsp_types::CompletionParams {
            text_document_position: self.position_params(uri, pos),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: None,
        });
        match r {
            Some(lsp_types::CompletionResponse::List(l)) => l.items,
            Some(lsp_types::CompletionResponse::Array(a)) => a,
            None => Vec::new(),
        }
    }

    pub fn definition(&mut self, uri: &Uri, pos: Position) -> Vec<lsp_types::Location> {
        let r =
            self.request::<lsp_types::request::GotoDefinition>(lsp_types::GotoDefinitionParams {
                text_document_position_params: self.position_params(uri, pos),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            });
        match r {
            None => Vec::new(),
            Some(lsp_types::GotoDefinitionResponse::Scalar(l)) => vec![l],
            Some(lsp_types::GotoDefinitionResponse::Array(v)) => v,
            Some(lsp_types::GotoDefinitionResponse::Link(v)) => v
                .into_iter()
                .map(|l| lsp_types::Location {
                    uri: l.target_uri,
                    range: l.target_selection_range,
                })
                .collect(),
        }
    }

    /// Shuts the server down properly and checks that it ended cleanly.
    pub fn shutdown(mut self) {
        let r = self.request_raw("shutdown", Value::Null);
        assert!(r.error.is_none());
        self.notify("exit", Value::Null);
        let server = self.server.take().unwrap();
        let result = server.join().expect("the server thread panicked");
        assert!(result.is_ok(), "the server ended with {result:?}");
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Sends `exit` (with or without `shutdown` before) and returns the result.
    pub fn exit(mut self) -> Result<(), permit0_lsp::Error> {
        self.notify("exit", Value::Null);
        let server = self.server.take().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        server.join().expect("the server thread panicked")
    }
}

pub fn path_uri(p: &Path) -> Uri {
    permit0_lsp::uri::from_path(p).unwrap()
}

/// Labels of completion items.
pub fn labels(items: &[lsp_types::CompletionItem]) -> Vec<String> {
    items.iter().map(|i| i.label.clone()).collect()
}

/// The item with a label, or a panic listing the labels.
pub fn item<'a>(
    items: &'a [lsp_types::CompletionItem],
    label: &str,
) -> &'a lsp_types::CompletionItem {
    items
        .iter()
        .find(|i| i.label == label)
        .unwrap_or_else(|| panic!("no completion `{label}` in {:?}", labels(items)))
}

/// The text a completion item inserts.
pub fn insert_text(item: &lsp_types::CompletionItem) -> String {
    match &item.text_edit {
        Some(lsp_types::CompletionTextEdit::Edit(e)) => e.new_text.clone(),
        Some(lsp_types::CompletionTextEdit::InsertAndReplace(e)) => e.new_text.clone(),
        None => item
            .insert_text
            .clone()
            .unwrap_or_else(|| item.label.clone()),
    }
}
