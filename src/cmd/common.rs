//! What several commands share: reading policies or a bundle into a program.

use crate::render;
use permit0_compiler::{build_program, compile, load_paths, stdlib, Compilation, Input};
use permit0_vm::{keys::parse_public_key, Program, VerifyingKey};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Reads `.pub` files into trusted keys (a file, or a pipe such as
/// `--trusted <(vault read …)`).
pub fn trusted_keys(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>, String> {
    keys_read_by(paths, |p| std::fs::read(p))
}

/// [`trusted_keys`] for `permit0 hook`, from regular files only
/// (`permit0_server::regular_files`): a FIFO or a device the agent put in a
/// key's place would hold the hook until the host's timeout, which runs the
/// tool.
pub fn trusted_key_files(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>, String> {
    keys_read_by(paths, |p| {
        permit0_server::regular_files::read_regular(p, 64 << 10)
    })
}

fn keys_read_by(
    paths: &[PathBuf],
    read: impl Fn(&Path) -> std::io::Result<Vec<u8>>,
) -> Result<Vec<VerifyingKey>, String> {
    paths
        .iter()
        .map(|p| {
            let bytes = read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("`{}` is not UTF-8 text", p.display()))?;
            parse_public_key(&text).map_err(|e| format!("`{}`: {e}", p.display()))
        })
        .collect()
}

/// Whether `path` is the bare name `stdlib` (or `stdlib/`).
fn names_the_stdlib(path: &Path) -> bool {
    let mut parts = path.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(n)), None) if n == "stdlib"
    )
}

/// The policy files the user named. A folder that holds no `.p0` file is
/// an error (a mistyped or empty folder must not check "ok" with nothing in
/// it). The bare name `stdlib`, when no such file or folder exists here,
/// names the stdlib shipped inside the binary, read as the user's own files
/// (`stdlib/chains.p0`, …): so `permit0 test stdlib` and `permit0 build
/// stdlib` work outside a checkout.
pub fn user_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut inputs: Vec<Input> = Vec::new();
    for p in paths {
        if names_the_stdlib(p) && !p.exists() {
            inputs.extend(stdlib::files().iter().map(|(name, text)| {
                let rel = name.strip_prefix(stdlib::PREFIX).unwrap_or(name);
                Input::from_text(format!("stdlib/{rel}"), *text)
            }));
            continue;
        }
        let found = load_paths(std::slice::from_ref(p))?;
        if found.is_empty() {
            return Err(format!("`{}` holds no policy file (`.p0`)", p.display()));
        }
        inputs.extend(found);
    }
    // One file named twice (a folder and a file in it) is read once.
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    inputs.dedup_by(|a, b| a.name == b.name);
    Ok(inputs)
}

/// The policy files under `paths`, plus the embedded stdlib unless
/// `no_stdlib` or the files carry their own (a policy named `stdlib.…`).
pub fn policy_inputs(paths: &[PathBuf], no_stdlib: bool) -> Result<Vec<Input>, String> {
    let mut inputs = user_inputs(paths)?;
    if !no_stdlib && !stdlib::provided_by(&inputs) {
        inputs.extend(stdlib::inputs());
    }
    Ok(inputs)
}

/// Whether a file is the embedded stdlib (its warnings and tests are the
/// project's business, not the user's).
pub fn is_embedded_stdlib(c: &Compilation, file: permit0_compiler::span::FileId) -> bool {
    c.sources
        .get(file)
        .is_some_and(|f| f.name.starts_with(stdlib::PREFIX))
}

/// Compiles policy paths, printing diagnostics; `None` when there are errors.
pub fn compile_paths(paths: &[PathBuf], no_stdlib: bool) -> Result<Compilation, String> {
    let inputs = policy_inputs(paths, no_stdlib)?;
    let c = compile(inputs);
    let shown: Vec<_> = c
        .diagnostics
        .iter()
        .filter(|d| {
            d.is_error()
                || d.file()
                    .is_some_and(|f| c.user_files.contains(&f) && !is_embedded_stdlib(&c, f))
        })
        .cloned()
        .collect();
    if c.has_errors() {
        let stderr = std::io::stderr();
        let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        render::render(&shown, &c.sources, color, &mut stderr.lock());
        return Err(format!(
            "policies have errors ({})",
            render::summary(&shown)
        ));
    }
    Ok(c)
}

pub fn is_bundle(path: &Path) -> bool {
    path.is_file()
        && std::fs::read(path)
            .map(|b| b.starts_with(&permit0_vm::wire::MAGIC))
            .unwrap_or(false)
}

/// A program from a signed bundle (checked against `trusted`) or from
/// policy sources compiled in memory.
pub fn load_program(
    bundle: Option<&Path>,
    trusted: &[PathBuf],
    policies: &[PathBuf],
    no_stdlib: bool,
) -> Result<Program, String> {
    match bundle {
        Some(b) => {
            if trusted.is_empty() {
                return Err("a bundle needs `--trusted KEY.pub` to check its signature".into());
            }
            let keys = trusted_keys(trusted)?;
            let bytes =
                std::fs::read(b).map_err(|e| format!("cannot read `{}`: {e}", b.display()))?;
            Program::load(&bytes, &keys)
                .map(|p| p.with_builtins(&permit0_classify::CLASSIFIERS))
                .map_err(|e| format!("`{}` refused: {e}", b.display()))
        }
        None => {
            if policies.is_empty() {
                return Err("give policy files or folders, or `--bundle B --trusted K`".into());
            }
            let c = compile_paths(policies, no_stdlib)?;
            build_program(&c).map_err(|d| {
                d.iter()
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
    }
}
