//! The language server on its own, for editors set up without the `permit0`
//! binary (and for the stdio test). `permit0 lsp` runs the same server.

fn main() -> std::process::ExitCode {
    permit0_lsp::run_stdio()
}
