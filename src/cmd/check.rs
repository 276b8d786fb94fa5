//! `permit0 check PATH...`: parse and type-check policies, print diagnostics.

use super::common::{is_embedded_stdlib, policy_inputs};
use crate::render;
use permit0_compiler::compile;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (every `.p0` file below a folder is read)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// `text` for people, `json` for tools
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Treat warnings as errors
    #[arg(long)]
    pub deny_warnings: bool,
    /// Leave out the standard library of policies (stdlib/), which is
    /// otherwise compiled in with the given policies
    #[arg(long)]
    pub no_stdlib: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let inputs = match policy_inputs(&args.paths, args.no_stdlib) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let n_files = inputs
        .iter()
        .filter(|i| !i.name.starts_with(permit0_compiler::stdlib::PREFIX))
        .count();
    let c = compile(inputs);
    // Diagnostics in the shipped taxonomy are shown only when the user is
    // checking the taxonomy itself (then its files are among the inputs).
    let diags: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| {
            d.is_error()
                || d.file()
                    .is_some_and(|f| c.user_files.contains(&f) && !is_embedded_stdlib(&c, f))
        })
        .cloned()
        .collect();
    let failed = diags.iter().any(|d| d.is_error() || args.deny_warnings);
    match args.format {
        Format::Json => {
            let json: Vec<_> = diags.iter().map(|d| d.to_json(&c.sources)).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
            );
        }
        Format::Text => {
            let stderr = std::io::stderr();
            let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut out = stderr.lock();
            render::render(&diags, &c.sources, color, &mut out);
            let rules = c.ir.rules.len();
            let _ = writeln!(
                out,
                "{}: {} file{}, {} rule{}, {}",
                if failed { "failed" } else { "ok" },
                n_files,
                if n_files == 1 { "" } else { "s" },
                rules,
                if rules == 1 { "" } else { "s" },
                render::summary(&diags)
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
