//! permit0-types: the vocabulary every layer shares and nothing else — it
//! depends on serde alone. The compiler writes it, the VM reads it, the
//! front end and the language server speak it.
//!
//! - [`risk`]: the risk model — flags, amplifiers, tiers, verdicts, the
//!   scoring formula and hard gates, and calibration profiles — which the
//!   compiler scores actions with at build time and the VM at decide time,
//!   bit for bit alike (it needs `libm`'s pure-Rust `tanh`, the one
//!   dependency beside serde);
//! - [`builtin`]: the normalizer builtins, their one-byte ids and typed
//!   signatures;
//! - [`text`]: the invisible characters the text matcher folds away and the
//!   formatter shows;
//! - [`suggest`]: the one "did you mean" rule.

pub mod builtin;
pub mod risk;
pub mod suggest;
pub mod text;
