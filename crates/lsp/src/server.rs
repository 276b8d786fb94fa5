//! Messages in, responses and notifications out: the server's one loop.
//!
//! Everything runs on one thread, in message order. Document notifications
//! only record the new text and mark documents stale; once no message is
//! waiting, stale documents are compiled and their diagnostics published
//! (so a burst of keystrokes costs one compilation). A request compiles its
//! document first if it is stale. Every handler runs under `catch_unwind`:
//! whatever the input, a bug answers one request with an error rather than
//! ending the session.

use crate::analysis::{folder_of, Analysis};
use crate::documents::Documents;
use crate::requests;
use crate::taxonomy_files::TaxonomyFiles;
use crate::{uri, Error};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    Request as _,
};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    InitializeParams, InitializeResult, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// What the client told us it supports, as far as the answers depend on it.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCaps {
    pub markdown_hover: bool,
    pub hierarchical_symbols: bool,
    /// The client can watch files for us (`.p0` files changed on disk).
    pub watch_files: bool,
}

pub struct Server<'c> {
    conn: &'c Connection,
    pub docs: Documents,
    analyses: BTreeMap<Uri, Analysis>,
    /// Bumped whenever a document of the folder changes; an analysis of an
    /// older generation is stale (a sibling it read may have changed).
    generations: BTreeMap<Option<PathBuf>, u64>,
    /// Documents whose diagnostics must be published.
    stale: BTreeSet<Uri>,
    /// The document changed last: its diagnostics are published first.
    last_touched: Option<Uri>,
    pub taxonomy: TaxonomyFiles,
    pub caps: ClientCaps,
    initialized: bool,
    shutting_down: bool,
}

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: None,
            },
        )),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            resolve_provider: None,
            work_done_progress_options: Default::default(),
        })),
        ..ServerCapabilities::default()
    }
}

/// Runs the server over a connection until `exit`. Returns `Ok` after
/// `shutdown` then `exit`, as the protocol asks.
pub fn serve(connection: Connection) -> Result<(), Error> {
    let mut server = Server {
        conn: &connection,
        docs: Documents::default(),
        analyses: BTreeMap::new(),
        generations: BTreeMap::new(),
        stale: BTreeSet::new(),
        last_touched: None,
        taxonomy: TaxonomyFiles::new(Vec::new(), None),
        caps: ClientCaps::default(),
        initialized: false,
        shutting_down: false,
    };
    loop {
        let msg = if server.stale.is_empty() {
            match connection.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Err(Error::Disconnected),
            }
        } else {
            match connection.receiver.try_recv() {
                Ok(m) => m,
                Err(e) if e.is_empty() => {
                    // One document at a time, so a keystroke that arrives
                    // meanwhile is not kept waiting behind the others.
                    server.publish_one_stale();
                    continue;
                }
                Err(_) => return Err(Error::Disconnected),
            }
        };
        match msg {
            Message::Request(req) => server.on_request(req),
            Message::Notification(n) if n.method == "exit" => {
                return if server.shutting_down {
                    Ok(())
                } else {
                    Err(Error::ExitWithoutShutdown)
                };
            }
            Message::Notification(n) => server.on_notification(n),
            Message::Response(_) => {}
        }
    }
}

fn parse<P: DeserializeOwned>(v: Value) -> Result<P, String> {
    serde_json::from_value(v).map_err(|e| format!("invalid parameters: {e}"))
}

impl Server<'_> {
    fn respond(&self, id: RequestId, result: Result<Value, (ErrorCode, String)>) {
        let resp = match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, msg)) => Response::new_err(id, code as i32, msg),
        };
        // A closed channel shows as `Disconnected` at the next receive.
        let _ = self.conn.sender.send(resp.into());
    }

    fn on_request(&mut self, req: Request) {
        let Request { id, method, params } = req;
        if method == "initialize" {
            let result = self.initialize(params);
            self.respond(id, result);
            return;
        }
        if !self.initialized {
            self.respond(
                id,
                Err((
                    ErrorCode::ServerNotInitialized,
                    "the server is not initialized".into(),
                )),
            );
            return;
        }
        if self.shutting_down {
            self.respond(
                id,
                Err((
                    ErrorCode::InvalidRequest,
                    "the server is shutting down".into(),
                )),
            );
            return;
        }
        if method == "shutdown" {
            self.shutting_down = true;
            self.respond(id, Ok(Value::Null));
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| self.dispatch(&method, params)));
        let result = match outcome {
            Ok(r) => r,
            Err(_) => Err((
                ErrorCode::InternalError,
                format!("internal error while answering `{method}`"),
            )),
        };
        self.respond(id, result);
    }

    fn dispatch(&mut self, method: &str, params: Value) -> Result<Value, (ErrorCode, String)> {
        let bad = |e: String| (ErrorCode::InvalidParams, e);
        let json = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| (ErrorCode::InternalError, e.to_string()))
        };
        match method {
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = parse(params).map_err(bad)?;
                let uri = p.text_document_position_params.text_document.uri;
                let pos = p.text_document_position_params.position;
                let caps = self.caps;
                json(serde_json::to_value(
                    self.analysis(&uri)
                        .and_then(|a| requests::hover::hover(a, pos, caps)),
                ))
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = parse(params).map_err(bad)?;
                let uri = p.text_document_position.text_document.uri;
                let pos = p.text_document_position.position;
                let caps = self.caps;
                json(serde_json::to_value(
                    self.analysis(&uri)
                        .map(|a| requests::completion::completion(a, pos, caps)),
                ))
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = parse(params).map_err(bad)?;
                let uri = p.text_document_position_params.text_document.uri;
                let pos = p.text_document_position_params.position;
                json(serde_json::to_value(
                    self.analysis(&uri)
                        .and_then(|a| requests::definition::definition(a, pos)),
                ))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = parse(params).map_err(bad)?;
                let caps = self.caps;
                json(serde_json::to_value(
                    self.analysis(&p.text_document.uri)
                        .map(|a| requests::symbols::symbols(a, caps)),
                ))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = parse(params).map_err(bad)?;
                let doc = self.docs.get(&p.text_document.uri);
                json(serde_json::to_value(
                    doc.and_then(requests::formatting::formatting),
                ))
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = parse(params).map_err(bad)?;
                let uri = p.text_document.uri.clone();
                json(serde_json::to_value(
                    self.analysis(&uri)
                        .map(|a| requests::code_action::code_actions(a, &p)),
                ))
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("unknown request `{method}`"),
            )),
        }
    }

    fn initialize(&mut self, params: Value) -> Result<Value, (ErrorCode, String)> {
        if self.initialized {
            return Err((
                ErrorCode::InvalidRequest,
                "the server is already initialized".into(),
            ));
        }
        // A client that sends odd parameters still gets a server: read what
        // can be read, default the rest.
        let cache_dir = params
            .pointer("/initializationOptions/cacheDir")
            .and_then(Value::as_str)
            .map(PathBuf::from);
        let p: InitializeParams = serde_json::from_value(params).unwrap_or_default();
        let mut roots: Vec<PathBuf> = p
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| uri::to_path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if let Some(root) = p.root_uri.as_ref().and_then(uri::to_path) {
            roots.push(root);
        }
        if let Ok(cwd) = std::env::current_dir() {
            roots.push(cwd);
        }
        self.taxonomy = TaxonomyFiles::new(roots, cache_dir);
        let td = p.capabilities.text_document.as_ref();
        self.caps = ClientCaps {
            markdown_hover: td
                .and_then(|t| t.hover.as_ref())
                .and_then(|h| h.content_format.as_ref())
                .is_none_or(|f| f.contains(&lsp_types::MarkupKind::Markdown)),
            hierarchical_symbols: td
                .and_then(|t| t.document_symbol.as_ref())
                .and_then(|s| s.hierarchical_document_symbol_support)
                .unwrap_or(false),
            watch_files: p
                .capabilities
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
        };
        self.initialized = true;
        let result = InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "permit0-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        serde_json::to_value(result).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    fn on_notification(&mut self, n: Notification) {
        if !self.initialized {
            return;
        }
        let Notification { method, params } = n;
        let _ = catch_unwind(AssertUnwindSafe(|| self.notification(&method, params)));
    }

    fn notification(&mut self, method: &str, params: Value) {
        match method {
            "initialized" if self.caps.watch_files => {
                // Siblings that change on disk (a `git checkout`) re-check
                // the open documents of their folder.
                let params = lsp_types::RegistrationParams {
                    registrations: vec![lsp_types::Registration {
                        id: "permit0-p0-files".into(),
                        method: DidChangeWatchedFiles::METHOD.into(),
                        register_options: Some(serde_json::json!({
                            "watchers": [{ "globPattern": "**/*.p0" }]
                        })),
                    }],
                };
                let req = Request::new(
                    RequestId::from("permit0-watch".to_string()),
                    lsp_types::request::RegisterCapability::METHOD.into(),
                    params,
                );
                let _ = self.conn.sender.send(req.into());
            }
            DidOpenTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidOpenTextDocumentParams>(params) {
                    let d = p.text_document;
                    self.docs.open(d.uri.clone(), d.version, d.text);
                    self.touch(&d.uri);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidChangeTextDocumentParams>(params) {
                    let uri = p.text_document.uri;
                    if self
                        .docs
                        .change(&uri, p.text_document.version, p.content_changes)
                    {
                        self.touch(&uri);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = parse::<lsp_types::DidCloseTextDocumentParams>(params) {
                    let uri = p.text_document.uri;
                    // Siblings now read the file from disk.
                    self.touch(&uri);
                    self.docs.close(&uri);
                    self.analyses.remove(&uri);
                    self.stale.remove(&uri);
                    self.publish(uri, Vec::new(), None);
                }
            }
            DidSaveTextDocument::METHOD => {}
            DidChangeWatchedFiles::METHOD => {
                // Files changed on disk: every folder may be affected.
                let keys: Vec<Option<PathBuf>> = self.generations.keys().cloned().collect();
                for k in keys {
                    self.bump(k);
                }
                let all: Vec<Uri> = self.docs.iter().map(|d| d.uri.clone()).collect();
                self.stale.extend(all);
            }
            _ => {}
        }
    }

    fn bump(&mut self, folder: Option<PathBuf>) {
        *self.generations.entry(folder).or_insert(0) += 1;
    }

    /// A document changed: it and the open documents of its folder are stale.
    fn touch(&mut self, uri: &Uri) {
        let folder = self.docs.get(uri).and_then(folder_of);
        if folder.is_some() {
            self.bump(folder.clone());
            let same: Vec<Uri> = self
                .docs
                .iter()
                .filter(|d| folder_of(d) == folder)
                .map(|d| d.uri.clone())
                .collect();
            self.stale.extend(same);
        }
        if self.docs.get(uri).is_some() {
            self.stale.insert(uri.clone());
            self.last_touched = Some(uri.clone());
        }
    }

    fn generation(&self, folder: &Option<PathBuf>) -> u64 {
        self.generations.get(folder).copied().unwrap_or(0)
    }

    /// The up-to-date analysis of an open document, compiling it if needed.
    pub fn analysis(&mut self, uri: &Uri) -> Option<&Analysis> {
        let doc = self.docs.get(uri)?;
        let folder = folder_of(doc);
        let generation = if folder.is_some() {
            self.generation(&folder)
        } else {
            0
        };
        let fresh = self.analyses.get(uri).is_some_and(|a| {
            a.version == doc.version && a.generation == generation && a.text() == doc.text
        });
        if !fresh {
            let a = Analysis::new(doc, &self.docs, &self.taxonomy, generation);
            self.analyses.insert(uri.clone(), a);
        }
        self.analyses.get(uri)
    }

    fn publish_one_stale(&mut self) {
        // The document the user is typing in first.
        let next = match self.last_touched.take() {
            Some(u) if self.stale.contains(&u) => Some(u),
            _ => self.stale.iter().next().cloned(),
        };
        let Some(uri) = next else { return };
        self.stale.remove(&uri);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.analysis(&uri)
                .map(|a| (requests::diagnostics::diagnostics(a), a.version))
        }));
        match outcome {
            Ok(Some((diags, version))) => self.publish(uri, diags, Some(version)),
            Ok(None) => {}
            Err(_) => {
                self.analyses.remove(&uri);
            }
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        let n = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
        let _ = self.conn.sender.send(n.into());
    }
}
