//! permit0-types: the vocabulary every layer shares and nothing else — it
//! depends on serde alone. The compiler writes it, the VM reads it, the
//! front end and the language server speak it.
//!
//! - [`builtin`]: the normalizer builtins, their one-byte ids and typed
//!   signatures;
//! - [`text`]: the invisible characters the text matcher folds away and the
//!   formatter shows;
//! - [`suggest`]: the one "did you mean" rule.

pub mod builtin;
pub mod suggest;
pub mod text;
