//! `permit0 verify policy.p0b --trusted K.pub`: check a bundle's signature,
//! digest and bytecode without running it.

use super::common::trusted_keys;
use permit0_vm::Program;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    pub bundle: PathBuf,
    /// Trusted public keys (`.pub` files)
    #[arg(long, required = true)]
    pub trusted: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let keys = match trusted_keys(&args.trusted) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", args.bundle.display());
            return ExitCode::from(2);
        }
    };
    match Program::load(&bytes, &keys) {
        Ok(p) => {
            let i = p.info();
            outln!(
                "ok: {} is signed by key {}, digest {}, {} rules over {} actions, taxonomy {}",
                args.bundle.display(),
                permit0_vm::hex(&i.key_id),
                p.digest_string(),
                p.rule_count(),
                p.action_count(),
                i.taxonomy_version
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: `{}` refused: {e}", args.bundle.display());
            ExitCode::from(1)
        }
    }
}
