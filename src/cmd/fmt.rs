//! `permit0 fmt PATH...`: rewrite policies in the one canonical layout, or
//! with `--check` list the files that are not in it.

use permit0_compiler::diag::Diagnostic;
use permit0_compiler::fmt::format_source;
use permit0_compiler::load_paths;
use permit0_compiler::span::SourceFile;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (every `.p0` file below a folder is formatted)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Report files that are not formatted; exit 1 if any
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: Args) -> ExitCode {
    let inputs = match load_paths(&args.paths) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let total = inputs.len();
    let mut failed = false;
    let mut changed = 0usize;
    for input in inputs {
        if input.too_large {
            eprintln!(
                "{}: error[P0100]: file is larger than {} MiB",
                input.name,
                permit0_compiler::MAX_FILE_BYTES >> 20
            );
            failed = true;
            continue;
        }
        if let Some(at) = input.invalid_utf8_at {
            let file = SourceFile::new(input.name.clone(), None, input.text.clone());
            let lc = file.line_col(u32::try_from(at).unwrap_or(u32::MAX));
            eprintln!(
                "{}:{}:{}: error[P0100]: file is not valid UTF-8",
                input.name, lc.line, lc.column
            );
            failed = true;
            continue;
        }
        let formatted = match format_source(&input.text) {
            Ok(f) => f,
            Err(diags) => {
                print_diagnostics(&input.name, &input.text, &diags);
                failed = true;
                continue;
            }
        };
        if formatted == input.text {
            continue;
        }
        changed += 1;
        if args.check {
            outln!("{}", input.name);
            continue;
        }
        let written = match &input.path {
            Some(path) => std::fs::write(path, &formatted).map_err(|e| e.to_string()),
            None => Err("the file has no path".to_string()),
        };
        if let Err(e) = written {
            eprintln!("error: cannot write `{}`: {e}", input.name);
            failed = true;
        }
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if args.check {
        if changed > 0 {
            eprintln!(
                "{changed} of {total} file{} not formatted; run `permit0 fmt` to format",
                plural(total)
            );
        }
    } else {
        eprintln!("formatted {changed} file{}", plural(changed));
    }
    if failed || (args.check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `file:line:col: error[CODE]: message` (`file: error[CODE]: message` for
/// a diagnostic without a location, such as an internal error), and the
/// help on the next line.
fn print_diagnostics(name: &str, text: &str, diags: &[Diagnostic]) {
    let file = SourceFile::new(name.to_string(), None, text.to_string());
    for d in diags {
        let at = match d.span {
            Some(s) => {
                let lc = file.line_col(s.start);
                format!("{name}:{}:{}", lc.line, lc.column)
            }
            None => name.to_string(),
        };
        eprintln!("{at}: {}[{}]: {}", d.severity.name(), d.code, d.message);
        if let Some(help) = &d.help {
            eprintln!("  help: {help}");
        }
    }
}
