//! `permit0 inspect policy.p0b`: header and disassembly.

use super::common::{load_program, trusted_keys};
use permit0_vm::Program;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A bundle, or policy files/folders (compiled in memory)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Trusted public keys; without them a bundle's signature is not checked
    /// (its digest and bytecode still are)
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
}

pub fn run(args: Args) -> ExitCode {
    let program = match args.paths.as_slice() {
        [one] if super::common::is_bundle(one) => inspect_bundle(one, &args.trusted),
        _ => load_program(None, &[], &args.paths, args.no_stdlib),
    };
    match program {
        Ok(p) => {
            out!("{}", p.disassemble());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn inspect_bundle(path: &PathBuf, trusted: &[PathBuf]) -> Result<Program, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if !trusted.is_empty() {
        let keys = trusted_keys(trusted)?;
        return Program::load(&bytes, &keys)
            .map_err(|e| format!("`{}` refused: {e}", path.display()));
    }
    // The digest and bytecode are still checked; only the signer is not.
    eprintln!("note: signature not checked (no --trusted key given)");
    Program::load_for_inspection(&bytes).map_err(|e| format!("`{}` refused: {e}", path.display()))
}
