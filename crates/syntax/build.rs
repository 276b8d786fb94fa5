//! The parser is generated from the one grammar, kept at the workspace root
//! so the docs can point at it.

fn main() {
    println!("cargo:rerun-if-changed=../../grammar/policy.lalrpop");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| "target".into());
    if let Err(e) = lalrpop::Configuration::new()
        .set_out_dir(&out_dir)
        .process_file("../../grammar/policy.lalrpop")
    {
        eprintln!("grammar error: {e}");
        std::process::exit(1);
    }
}
