//! What happened, kept so it can be proved and replayed: the hash-chained,
//! signed audit log ([`log`]), the replay of its decisions against a bundle
//! ([`replay`]), and capability tokens that let an executor check that the
//! call in hand is the one that was allowed ([`token`]). Signing keys live
//! here, never in the crates a deciding service needs.

pub mod log;
pub mod replay;
pub mod token;

pub use log::*;
