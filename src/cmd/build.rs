//! `permit0 build PATH... --key K.key -o policy.p0b`: compile and sign.

use super::common::compile_paths;
use permit0_compiler::{bundle, bundle::parse_secret_key, to_wire_with_profile};
use permit0_vm::risk::{fintech, healthtech, Profile};
use std::io::IsTerminal;
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
    /// A risk profile: `fintech`, `healthtech`, or a JSON file (see docs/risk.md)
    #[arg(long)]
    pub profile: Option<String>,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
}

pub fn load_profile(arg: &str) -> Result<Profile, String> {
    match arg {
        "fintech" => Ok(fintech()),
        "healthtech" => Ok(healthtech()),
        path => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read profile `{path}`: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("profile `{path}`: {e}"))
        }
    }
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
    let c = match compile_paths(&args.paths, args.no_stdlib) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let profile = match args.profile.as_deref().map(load_profile).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let built = to_wire_with_profile(&c, profile.as_ref()).and_then(|w| {
        bundle::write(&w, &key).map_err(|e| {
            vec![permit0_compiler::diag::Diagnostic::error_without_location(
                "P0900",
                format!("internal error: {e}"),
            )]
        })
    });
    let bytes = match built {
        Ok(b) => b,
        Err(d) => {
            let stderr = std::io::stderr();
            let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            crate::render::render(&d, &c.sources, color, &mut stderr.lock());
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
