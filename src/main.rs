//! The `permit0` command line.

/// `println!` that ignores a closed stdout (`permit0 taxonomy | head`)
/// instead of panicking on the broken pipe.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

mod cmd;
mod render;

/// The binary's allocator. Binding a raw tool call allocates a few dozen
/// small values (the classifiers' answers, decoded texts); glibc's malloc
/// spent about a sixth of a `Bash` bind's instructions in `malloc` and
/// `free`. The library sets no allocator: an embedding keeps its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "permit0",
    version,
    about = "The action authorization layer for AI agents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check policies; exit 1 on any error
    Check(cmd::check::Args),
    /// Format policies in the one canonical layout
    Fmt(cmd::fmt::Args),
    /// Compile policies into a signed bundle
    Build(cmd::build::Args),
    /// Check a bundle's signature, digest and bytecode
    Verify(cmd::verify::Args),
    /// Print a bundle's header and disassembly
    Inspect(cmd::inspect::Args),
    /// Decide requests (JSON, or JSON lines) and print decisions
    Eval(cmd::eval::Args),
    /// List the taxonomy: domains, actions, typed fields, risk, compliance
    Taxonomy(cmd::taxonomy::Args),
    /// Run the policies' `test` blocks; report rule coverage
    Test(cmd::test::Args),
    /// Time decisions over a file of requests
    Bench(cmd::bench::Args),
    /// Create a signing key pair: NAME.key and NAME.pub
    Keygen(cmd::keygen::Args),
    /// Verify, replay or export an audit log
    Audit(cmd::audit::Args),
    /// Verify a capability token against a request; approve an escalation
    Token(cmd::token::Args),
    /// Run the decision service and the approvers' page (HTTP)
    Serve(cmd::serve::Args),
    /// Manage the service's API keys: add, list, revoke
    Keys(cmd::keys::Args),
    /// Run an MCP server behind a stdio proxy that decides every tools/call
    McpProxy(cmd::mcp_proxy::Args),
    /// Gate a coding agent's tool calls: `permit0 hook claude-code`
    Hook(cmd::hook::Args),
    /// Run the language server over stdio
    Lsp,
}

fn main() -> ExitCode {
    // A coding agent's hook runs once per tool call: its arguments are
    // parsed alone (docs/integrations.md#speed).
    if std::env::args_os().nth(1).is_some_and(|a| a == "hook") {
        return cmd::hook::main(std::env::args_os().skip(1));
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Check(a) => cmd::check::run(a),
        Command::Fmt(a) => cmd::fmt::run(a),
        Command::Build(a) => cmd::build::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Taxonomy(a) => cmd::taxonomy::run(a),
        Command::Test(a) => cmd::test::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Keygen(a) => cmd::keygen::run(a),
        Command::Audit(a) => cmd::audit::run(a),
        Command::Token(a) => cmd::token::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Keys(a) => cmd::keys::run(a),
        Command::McpProxy(a) => cmd::mcp_proxy::run(a),
        Command::Hook(a) => cmd::hook::run(a),
        Command::Lsp => permit0_lsp::run_stdio(),
    }
}
