//! Links the `permit0` binary as a position-dependent executable
//! (`-no-pie`): a PIE binary of this size carries ~22,000 relative
//! relocations that the dynamic loader applies at every start — pages of
//! `.rela.dyn` read and `.data.rel.ro` copied — which a `permit0 hook`
//! process, started once per tool call of a coding agent, pays each time
//! (docs/integrations.md#speed). Only the binary: the library, tests and
//! the Python extension are built as before.
fn main() {
    // Linux with glibc (the target's C compiler is the linker and takes
    // `-no-pie`); elsewhere — Android requires PIE, musl and macOS link
    // differently — the default stays.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=permit0=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
