//! One module per request kind. Each takes an [`crate::analysis::Analysis`]
//! (or a document) and LSP parameters, and returns the LSP answer.

pub mod code_action;
pub mod completion;
pub mod definition;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod symbols;
