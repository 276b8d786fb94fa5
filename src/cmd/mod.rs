//! One module per subcommand.

pub mod audit;
pub mod bench;
pub mod build;
pub mod check;
mod common;
pub mod eval;
pub mod fmt;
pub mod hook;
pub mod inspect;
pub mod keygen;
pub mod keys;
pub mod mcp_proxy;
pub mod serve;
pub mod taxonomy;
pub mod test;
pub mod token;
pub mod verify;
