#![doc = include_str!("../README.md")]

pub mod aggregates;
mod arith;
pub mod canonical;
mod decision;
mod disasm;
mod engine;
mod exec;
mod explain;
pub mod instr;
mod json;
pub mod keys;
pub mod local;
pub mod normalize;
mod program;
mod request;
pub mod time;
pub mod value;
mod verify;
pub mod wire;

pub use permit0_types::{risk, suggest, text};

pub use aggregates::{AggQuery, ScopeUse, MAX_SCOPES};
pub use decision::{Cause, Decision, Fault, Outcome, Risk};
pub use ed25519_dalek::VerifyingKey;
pub use engine::Engine;
pub use explain::{Explanation, Matched};
pub use json::{parse_request, MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH};
pub use normalize::{Builtins, NoBuiltins};
pub use program::{
    check_envelope, hex, key_id, model_to_wire, BundleInfo, Envelope, LoadError, Program,
};
pub use request::{BindError, Request};
