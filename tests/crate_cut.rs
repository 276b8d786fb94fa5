//! The workspace is cut along the request path, and a service that embeds
//! decisions pulls in only that path: no policy parser, no language server,
//! no audit log with its file sink and signing keys, no server. Checked
//! with `cargo tree` over the real dependency graph.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

/// The normal (non-dev, non-build) dependencies of `package` with `flags`.
fn tree(package: &str, flags: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .args(flags)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// What deciding needs none of.
const NOT_FOR_DECIDING: &[&str] = &[
    "permit0-syntax",
    "permit0-compiler",
    "permit0-lsp",
    "permit0-audit",
    "permit0-server",
    "lalrpop-util",
    "logos",
    "clap",
    "ariadne",
    "getrandom",
];

#[test]
fn a_service_embedding_decisions_pulls_in_only_the_request_path() {
    for (package, flags) in [
        ("permit0", &["--no-default-features"][..]),
        ("permit0-authorizer", &[][..]),
    ] {
        let deps = tree(package, flags);
        for must in [
            "permit0-types",
            "permit0-classify",
            "permit0-vm",
            "permit0-session",
        ] {
            assert!(deps.iter().any(|d| d == must), "{package} lacks {must}");
        }
        for banned in NOT_FOR_DECIDING {
            assert!(
                !deps.iter().any(|d| d == banned),
                "{package} {flags:?} pulls in {banned}"
            );
        }
    }
}

#[test]
fn the_vocabulary_crate_depends_on_serde_and_libm_alone() {
    let deps = tree("permit0-types", &["--depth", "1"]);
    let own: Vec<&String> = deps.iter().filter(|d| *d != "permit0-types").collect();
    for d in &own {
        assert!(
            ["serde", "libm"].contains(&d.as_str()),
            "permit0-types depends on {d}"
        );
    }
}

#[test]
fn the_vm_knows_no_classifier() {
    // The VM binds and decides; the shell, SQL and URL readers plug into it
    // (`Program::with_builtins`), so the VM itself parses none of them.
    let deps = tree("permit0-vm", &[]);
    for banned in ["permit0-classify", "sqlparser", "url", "permit0-session"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "the VM pulls in {banned}"
        );
    }
}

#[test]
fn the_front_end_stands_alone() {
    // The formatter and the language server's parsing need no VM.
    let deps = tree("permit0-syntax", &[]);
    for banned in ["permit0-vm", "permit0-compiler", "permit0-session"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "syntax pulls in {banned}"
        );
    }
}
