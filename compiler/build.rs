fn main() {
    // The one grammar lives at the workspace root so the docs can point at it.
    println!("cargo:rerun-if-changed=../grammar/policy.lalrpop");
    if let Err(e) = lalrpop::Configuration::new()
        .set_out_dir(std::env::var("OUT_DIR").unwrap_or_else(|_| "target".into()))
        .process_file("../grammar/policy.lalrpop")
    {
        eprintln!("grammar error: {e}");
        std::process::exit(1);
    }
}
