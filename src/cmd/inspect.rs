//! `permit0 inspect policy.p0b`: header and disassembly.

use super::common::{load_program, trusted_keys};
use permit0_vm::{check_envelope, wire::BundleWire, Program};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A bundle, or policy files/folders (compiled in memory)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Trusted public keys; without them a bundle's signature is not checked
    /// (its digest and bytecode still are)
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let program = match args.paths.as_slice() {
        [one] if super::common::is_bundle(one) => inspect_bundle(one, &args.trusted),
        _ => load_program(None, &[], &args.paths),
    };
    match program {
        Ok(p) => {
            print!("{}", p.disassemble());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn inspect_bundle(path: &PathBuf, trusted: &[PathBuf]) -> Result<Program, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if !trusted.is_empty() {
        let keys = trusted_keys(trusted)?;
        return Program::load(&bytes, &keys)
            .map_err(|e| format!("`{}` refused: {e}", path.display()));
    }
    // Without trusted keys: accept the signer whose id the bundle names, so
    // the digest and bytecode are still checked, and say so.
    eprintln!("note: signature not checked (no --trusted key given)");
    let (payload, digest, kid, format) = check_envelope_unsigned(&bytes)?;
    let (wire, rest): (BundleWire, &[u8]) = postcard::take_from_bytes(payload)
        .map_err(|e| format!("bundle payload cannot be decoded: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "bundle payload has {} unexpected trailing bytes",
            rest.len()
        ));
    }
    Program::from_wire(wire, digest, kid, format).map_err(|e| e.to_string())
}

fn check_envelope_unsigned(bytes: &[u8]) -> Result<(&[u8], [u8; 32], [u8; 8], u16), String> {
    match check_envelope(bytes, &[]) {
        Ok(x) => Ok(x),
        Err(permit0_vm::LoadError::UntrustedKey(_)) => {
            use permit0_vm::wire::{DIGEST_LEN, HEADER_LEN, SIGNATURE_LEN};
            let body_end = bytes.len().saturating_sub(DIGEST_LEN + SIGNATURE_LEN);
            let payload = bytes.get(HEADER_LEN..body_end).unwrap_or(&[]);
            let mut digest = [0u8; 32];
            digest
                .iter_mut()
                .zip(bytes.get(body_end..).unwrap_or(&[]))
                .for_each(|(o, i)| *o = *i);
            let mut kid = [0u8; 8];
            kid.iter_mut()
                .zip(bytes.get(6..14).unwrap_or(&[]))
                .for_each(|(o, i)| *o = *i);
            Ok((payload, digest, kid, permit0_vm::wire::FORMAT_VERSION))
        }
        Err(e) => Err(e.to_string()),
    }
}
