//! Links the `permit0` binary as a position-dependent executable.
//!
//! A coding agent's hook starts this binary once per tool call, and a
//! position-independent one spends a tenth of that call in the dynamic
//! loader writing ~24,000 relative relocations — every page of
//! `.data.rel.ro` copied on write, ~90 page faults — before `main`.
//! Linked at a fixed address there is nothing to relocate: measured in
//! docs/integrations.md#speed. Shared libraries, heap and stack keep their
//! randomized addresses; only the program's own code and constants have a
//! fixed one (as Go links its binaries by default). `PERMIT0_PIE=1` at
//! build time keeps the toolchain's default (PIE) instead.

fn main() {
    println!("cargo:rerun-if-env-changed=PERMIT0_PIE");
    let pie = std::env::var_os("PERMIT0_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux && !pie {
        println!("cargo:rustc-link-arg-bin=permit0=-no-pie");
    }
}
