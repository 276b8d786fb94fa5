//! Links the `permit0` binary as a position-dependent executable
//! (`-no-pie`): a PIE binary of this size carries ~22,000 relative
//! relocations that the dynamic loader applies at every start — pages of
//! `.rela.dyn` read and `.data.rel.ro` copied — which a `permit0 hook`
//! process, started once per tool call of a coding agent, pays each time
//! (docs/integrations.md#speed). Only the binary: the library, tests and
//! the Python extension are built as before.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux") && !target.contains("musl") {
        println!("cargo:rustc-link-arg-bin=permit0=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
