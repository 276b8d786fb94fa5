//! permit0-compiler: `.p0` text to typed IR to signed bytecode bundles.
//!
//! Phases, one module each, in order: [`lexer`] → [`parser`] (→ [`ast`]) →
//! [`resolve`] (names bound to the taxonomy) → [`typeck`] (typed IR) →
//! `lower` → `codegen` → `bundle`. [`diag`] is the one diagnostic model.

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parser;
pub mod span;
