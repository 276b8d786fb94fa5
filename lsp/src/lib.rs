//! permit0-lsp: the language server.
