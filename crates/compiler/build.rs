use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| "target".into());
    if let Err(e) = embed_taxonomy(Path::new(&out_dir)) {
        eprintln!("taxonomy error: {e}");
        std::process::exit(1);
    }
    if let Err(e) = embed_stdlib(Path::new(&out_dir)) {
        eprintln!("stdlib error: {e}");
        std::process::exit(1);
    }
}

/// The standard library of policies (`stdlib/`, folders included) is
/// compiled in too: commands add it to every compilation by default.
fn embed_stdlib(out_dir: &Path) -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stdlib");
    let mut files = Vec::new();
    if root.is_dir() {
        walk(&root, &mut files)?;
    }
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let abs = f.canonicalize()?;
        let _ = writeln!(
            code,
            "    (\"<stdlib>/{rel}\", include_str!({:?})),",
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("stdlib_files.rs"), code)
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    println!("cargo:rerun-if-changed={}", dir.display());
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "p0") {
            out.push(p);
        }
    }
    Ok(())
}

/// The shipped taxonomy is compiled into the binary, so `permit0 check`
/// works from any directory.
fn embed_taxonomy(out_dir: &Path) -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../taxonomy");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "p0"))
        .collect();
    files.sort();
    let mut code = String::from("pub const FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let abs = f.canonicalize()?;
        let _ = writeln!(
            code,
            "    (\"taxonomy/{name}\", include_str!({:?})),",
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    let version = dir.join("VERSION").canonicalize()?;
    println!("cargo:rerun-if-changed={}", version.display());
    let _ = writeln!(
        code,
        "pub const VERSION: &str = include_str!({:?});",
        version.display().to_string()
    );
    std::fs::write(out_dir.join("taxonomy_files.rs"), code)
}
