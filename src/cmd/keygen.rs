//! `permit0 keygen NAME`: a new ed25519 signing key in `NAME.key`, its
//! public half in `NAME.pub`.

use permit0_compiler::bundle::encode_secret_key;
use permit0_vm::keys::encode_public_key;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Base name: writes NAME.key and NAME.pub
    pub name: PathBuf,
    /// Replace existing key files
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> ExitCode {
    let key_path = args.name.with_extension("key");
    let pub_path = args.name.with_extension("pub");
    if !args.force && (key_path.exists() || pub_path.exists()) {
        eprintln!(
            "error: `{}` or `{}` exists; pass --force to replace it",
            key_path.display(),
            pub_path.display()
        );
        return ExitCode::from(2);
    }
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut seed) {
        eprintln!("error: no randomness available: {e}");
        return ExitCode::from(2);
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    if let Err(e) = write_secret(&key_path, &encode_secret_key(&key)) {
        eprintln!("error: cannot write `{}`: {e}", key_path.display());
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::write(&pub_path, encode_public_key(&key.verifying_key())) {
        eprintln!("error: cannot write `{}`: {e}", pub_path.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "wrote {} (keep it secret) and {} (key id {})",
        key_path.display(),
        pub_path.display(),
        permit0_vm::hex(&permit0_vm::key_id(&key.verifying_key()))
    );
    ExitCode::SUCCESS
}

#[cfg(unix)]
fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
