//! permit0-lsp: the language server for `.p0` policies — diagnostics, hover,
//! completion, definition, symbols, formatting and quick fixes — as one
//! synchronous loop over `lsp-server`, one module per request kind.

pub mod analysis;
pub mod context;
pub mod convert;
pub mod documents;
pub mod line_index;
pub mod names;
pub mod requests;
pub mod server;
pub mod target;
pub mod taxonomy_files;
pub mod uri;

pub use server::serve;

use std::fmt;
use std::process::ExitCode;

/// Why the server stopped other than by `shutdown` then `exit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The client went away without `exit`.
    Disconnected,
    /// `exit` arrived before `shutdown`.
    ExitWithoutShutdown,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Disconnected => f.write_str("the client disconnected without `exit`"),
            Error::ExitWithoutShutdown => f.write_str("`exit` arrived before `shutdown`"),
        }
    }
}

impl std::error::Error for Error {}

/// Serves over stdin and stdout until `exit`: exit code 0 after `shutdown`
/// then `exit`, 1 otherwise.
pub fn run_stdio() -> ExitCode {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let result = serve(connection);
    let joined = io_threads.join();
    match (result, joined) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(e), _) => {
            eprintln!("permit0 lsp: {e}");
            ExitCode::from(1)
        }
        (_, Err(e)) => {
            eprintln!("permit0 lsp: {e}");
            ExitCode::from(1)
        }
    }
}
