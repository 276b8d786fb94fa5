//! permit0-compiler: `.p0` text to typed IR to signed bytecode bundles.
//!
//! Phases, one module each, in order: [`lexer`] → [`parser`] (→ [`ast`]) →
//! [`resolve`] (declarations → [`schema`]) → [`typeck`] (→ [`ir`]) →
//! `lower` → `codegen` → `bundle`. [`diag`] is the one diagnostic model and
//! [`span`] the one source map. [`compile`] runs the front end over a set of
//! files. The front end (lexer, parser, AST, diagnostics, formatter) is
//! the `permit0-syntax` crate, re-exported here under the same names.

pub use permit0_syntax::{ast, diag, fmt, lexer, parser, span};

pub mod bundle;
pub mod codegen;
pub mod eval;
pub mod ir;
pub mod lower;
pub mod names;
pub mod resolve;
pub mod schema;
pub mod stdlib;
pub mod taxonomy;
pub mod tooltype;
pub mod typeck;

use diag::Diagnostic;
use resolve::Origin;
use span::{FileId, SourceMap, Span};
use std::path::{Path, PathBuf};

/// Files larger than this are refused with P0100 rather than read.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// One source file handed to the compiler.
#[derive(Clone, Debug)]
pub struct Input {
    /// The name diagnostics show, e.g. `policies/refunds.p0`.
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
    /// Set when the bytes were not valid UTF-8: the byte offset of the first
    /// bad byte (the text then holds a lossy copy).
    pub invalid_utf8_at: Option<usize>,
    pub too_large: bool,
}

impl Input {
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Input {
        Input {
            name: name.into(),
            path: None,
            text: text.into(),
            invalid_utf8_at: None,
            too_large: false,
        }
    }

    pub fn from_bytes(name: impl Into<String>, path: Option<PathBuf>, bytes: Vec<u8>) -> Input {
        let name = name.into();
        if bytes.len() > MAX_FILE_BYTES {
            return Input {
                name,
                path,
                text: String::new(),
                invalid_utf8_at: None,
                too_large: true,
            };
        }
        match String::from_utf8(bytes) {
            Ok(text) => Input {
                name,
                path,
                text,
                invalid_utf8_at: None,
                too_large: false,
            },
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                Input {
                    name,
                    path,
                    text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    invalid_utf8_at: Some(at),
                    too_large: false,
                }
            }
        }
    }
}

/// Reads `.p0` files and every `.p0` file below the given folders, sorted.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    files.sort();
    files.dedup();
    files
        .into_iter()
        .map(|f| {
            let bytes =
                std::fs::read(&f).map_err(|e| format!("cannot read `{}`: {e}", f.display()))?;
            Ok(Input::from_bytes(f.display().to_string(), Some(f), bytes))
        })
        .collect()
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
    if meta.is_dir() {
        let entries =
            std::fs::read_dir(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        let mut children: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        children.sort();
        for c in children {
            if c.is_dir() || c.extension().is_some_and(|x| x == "p0") {
                collect(&c, out)?;
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// The front end's result: everything later phases, the CLI and the
/// language server need.
pub struct Compilation {
    pub sources: SourceMap,
    /// The team's files, in input order.
    pub user_files: Vec<FileId>,
    pub asts: Vec<(FileId, ast::Ast, Origin)>,
    pub schema: schema::Schema,
    pub ir: ir::Ir,
    /// Sorted by file, then position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// The shipped taxonomy files parsed once per process, with file ids
/// `0..n` in [`taxonomy::files`] order.
fn parsed_taxonomy() -> &'static [(ast::Ast, Vec<Diagnostic>)] {
    static PARSED: std::sync::OnceLock<Vec<(ast::Ast, Vec<Diagnostic>)>> =
        std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        taxonomy::files()
            .iter()
            .enumerate()
            .map(|(i, (_, text))| parser::parse(FileId(u32::try_from(i).unwrap_or(u32::MAX)), text))
            .collect()
    })
}

/// Parses, resolves and type-checks the inputs against the shipped taxonomy
/// (an input named like a shipped taxonomy file, `…/taxonomy/email.p0`,
/// replaces it, so taxonomy edits are checked as the taxonomy).
pub fn compile(inputs: Vec<Input>) -> Compilation {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let mut asts = Vec::new();
    let mut user_files = Vec::new();

    let mut replaced: Vec<&str> = Vec::new();
    let mut user: Vec<(Input, Origin)> = Vec::new();
    for input in inputs {
        let normalized = input.name.replace('\\', "/");
        let builtin = taxonomy::files()
            .iter()
            .find(|(name, _)| normalized == *name || normalized.ends_with(&format!("/{name}")));
        match builtin {
            Some((name, _)) => {
                replaced.push(name);
                user.push((input, Origin::Builtin));
            }
            None => user.push((input, Origin::User)),
        }
    }
    for (i, (name, text)) in taxonomy::files().iter().enumerate() {
        if !replaced.contains(name) {
            let id = sources.add(*name, Some(PathBuf::from(name)), (*text).to_string());
            // The shipped taxonomy parses the same every time: reuse its
            // trees while their file ids line up (nothing was replaced).
            let (ast, d) = match parsed_taxonomy().get(i) {
                Some((ast, d)) if replaced.is_empty() && id == FileId(i as u32) => {
                    (ast.clone(), d.clone())
                }
                _ => parser::parse(id, text),
            };
            diagnostics.extend(d);
            asts.push((id, ast, Origin::Builtin));
        }
    }
    for (input, origin) in user {
        let id = sources.add(input.name.clone(), input.path.clone(), input.text);
        user_files.push(id);
        if input.too_large {
            diagnostics.push(
                Diagnostic::error(
                    "P0100",
                    Span::new(id, 0, 0),
                    format!("file is larger than {} MiB", MAX_FILE_BYTES >> 20),
                )
                .help("split the policy into several files"),
            );
            continue;
        }
        if let Some(at) = input.invalid_utf8_at {
            diagnostics.push(
                Diagnostic::error(
                    "P0100",
                    // The lossy text holds U+FFFD where the bad byte was.
                    Span::new(id, at, at + '\u{FFFD}'.len_utf8()),
                    "file is not valid UTF-8",
                )
                .help("save the file as UTF-8"),
            );
            continue;
        }
        let text = sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
        let (ast, d) = parser::parse(id, &text);
        diagnostics.extend(d);
        asts.push((id, ast, origin));
    }

    let decls: Vec<(&ast::Ast, Origin)> = asts.iter().map(|(_, a, o)| (a, *o)).collect();
    let (schema, d) = resolve::resolve(&decls, taxonomy::version());
    diagnostics.extend(d);

    let files: Vec<typeck::UserFile<'_>> = asts
        .iter()
        .filter(|(_, _, o)| *o == Origin::User)
        .map(|(id, a, _)| typeck::UserFile {
            file: *id,
            ast: a,
            stem: sources
                .get(*id)
                .and_then(|f| {
                    Path::new(&f.name)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .unwrap_or_default(),
        })
        .collect();
    let (ir, d) = typeck::typeck(&schema, &files);
    diagnostics.extend(d);
    diagnostics.sort_by_key(Diagnostic::order);
    diagnostics.dedup();

    Compilation {
        sources,
        user_files,
        asts,
        schema,
        ir,
        diagnostics,
    }
}

/// The policies a compilation holds, with the digest of each one's source.
fn policy_wires(c: &Compilation) -> Vec<permit0_vm::wire::PolicyWire> {
    let mut out: Vec<permit0_vm::wire::PolicyWire> = Vec::new();
    for id in &c.user_files {
        let Some(f) = c.sources.get(*id) else {
            continue;
        };
        let declared =
            c.ir.policies
                .iter()
                .find(|p| p.span.file == *id)
                .map(|p| p.name.clone());
        let has_rules = c.ir.rules.iter().any(|r| r.span.file == *id);
        if declared.is_none() && !has_rules {
            continue;
        }
        let name = declared.unwrap_or_else(|| {
            Path::new(&f.name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        out.push(permit0_vm::wire::PolicyWire {
            name,
            source_digest: bundle::source_digest(&f.text),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Lowers and generates code for a compilation without errors.
pub fn to_wire(c: &Compilation) -> Result<permit0_vm::wire::BundleWire, Vec<Diagnostic>> {
    to_wire_with_profile(c, None)
}

/// As [`to_wire`], with a risk profile applied: its weights, bounds and
/// gates go into the bundle's model (guardrails checked), its floors raise
/// the named actions' tiers. A floor naming an unknown action is an error.
pub fn to_wire_with_profile(
    c: &Compilation,
    profile: Option<&permit0_vm::risk::Profile>,
) -> Result<permit0_vm::wire::BundleWire, Vec<Diagnostic>> {
    if c.has_errors() {
        return Err(c.errors().cloned().collect());
    }
    let plans = lower::lower(&c.schema, &c.ir);
    let mut code = codegen::codegen(&c.schema, &c.ir, &plans)?;
    let standard = permit0_vm::risk::Model::standard();
    let model = match profile {
        None => standard,
        Some(p) => {
            let profile_error = |msg: String| {
                vec![Diagnostic::error_without_location(
                    "P0213",
                    format!("risk profile `{}`: {msg}", p.name),
                )
                .help("see docs/risk.md for what a profile may change")]
            };
            p.check_floors().map_err(|e| profile_error(e.to_string()))?;
            for (action, tier) in &p.floors {
                let Some(a) = code.actions.iter_mut().find(|a| a.name == *action) else {
                    let names = c.schema.actions.iter().map(|a| a.name.as_str());
                    let hint = diag::suggest(action, names)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return Err(profile_error(format!(
                        "floor names unknown action `{action}`{hint}"
                    )));
                };
                let t = *tier as u8;
                a.floor = Some(a.floor.map_or(t, |f| f.max(t)));
            }
            standard
                .with_profile(p)
                .map_err(|e| profile_error(e.to_string()))?
        }
    };
    let mut w = bundle::wire(code, &c.schema, &model, policy_wires(c));
    w.tools = codegen::tools(&c.ir);
    Ok(w)
}

/// Compiles to signed bundle bytes.
pub fn build_bundle(
    c: &Compilation,
    key: &ed25519_dalek::SigningKey,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let w = to_wire(c)?;
    bundle::write(&w, key).map_err(|e| {
        vec![Diagnostic::error_without_location(
            "P0900",
            format!("internal error: {e}"),
        )]
    })
}

/// Compiles to a program in memory, unsigned (for `eval` and `test` on
/// policy sources). Its digest is the sha256 of the encoded payload.
pub fn build_program(c: &Compilation) -> Result<permit0_vm::Program, Vec<Diagnostic>> {
    use sha2::Digest;
    let w = to_wire(c)?;
    let internal = |e: String| {
        vec![Diagnostic::error_without_location(
            "P0900",
            format!("internal error: {e}"),
        )]
    };
    let payload = postcard::to_allocvec(&w).map_err(|e| internal(e.to_string()))?;
    let digest: [u8; 32] = sha2::Sha256::digest(&payload).into();
    permit0_vm::Program::from_wire(w, digest, [0; 8], permit0_vm::wire::FORMAT_VERSION)
        .map(|p| p.with_builtins(&permit0_classify::CLASSIFIERS))
        .map_err(|e| internal(e.to_string()))
}
