//! `permit0 build PATH... --key K.key -o policy.p0b`: compile and sign.

use super::common::compile_paths;
use permit0_compiler::{build_bundle, bundle::parse_secret_key};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The signing key (from `permit0 keygen`)
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the bundle
    #[arg(short, long, default_value = "policy.p0b")]
    pub output: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let key = match std::fs::read_to_string(&args.key)
        .map_err(|e| e.to_string())
        .and_then(|t| parse_secret_key(&t))
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: `{}`: {e}", args.key.display());
            return ExitCode::from(2);
        }
    };
    let c = match compile_paths(&args.paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let bytes = match build_bundle(&c, &key) {
        Ok(b) => b,
        Err(d) => {
            for x in d {
                eprintln!("error[{}]: {}", x.code, x.message);
            }
            return ExitCode::from(1);
        }
    };
    if let Err(e) = std::fs::write(&args.output, &bytes) {
        eprintln!("error: cannot write `{}`: {e}", args.output.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "built {} ({} bytes, {} rules over {} actions)",
        args.output.display(),
        bytes.len(),
        c.ir.rules.len(),
        c.schema.actions.len()
    );
    ExitCode::SUCCESS
}
