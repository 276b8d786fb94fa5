//! permit0: the action authorization layer for AI agents.
//!
//! A service embeds decisions with four types: [`Authorizer`] (built from a
//! signed bundle and the keys trusted to sign it), the [`Outcome`] it gives
//! for each request, its [`Verdict`], and the [`Error`] of a bundle it
//! refuses. Underneath, `permit0_vm` holds the bare VM (`Program`,
//! `Request`, `Decision`) and `permit0_session` the session stores.

pub use permit0_authorizer::{
    Authorizer, Clock, Error, Explained, MemoryStore, Outcome, Risk, SessionLimits, SessionStore,
    StoreError, Verdict,
};
