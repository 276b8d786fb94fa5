//! permit0-syntax: the `.p0` front end that stands alone — source map
//! ([`span`]), the one diagnostic model ([`diag`]), [`lexer`], the grammar's
//! [`parser`] into the [`ast`], and the formatter ([`fmt`]). It imports
//! nothing from later phases, so the formatter and the language server use
//! it without pulling in the type checker or codegen, and the VM never sees
//! any of it.

pub mod ast;
pub mod diag;
pub mod fmt;
pub mod lexer;
pub mod parser;
pub mod span;
