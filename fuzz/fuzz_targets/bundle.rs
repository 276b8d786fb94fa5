//! Arbitrary bytes into the bundle reader: rejected or loaded, never a
//! panic. The signature check is trusted to refuse random bytes, so the
//! inspection path (digest, decode and bytecode verification without the
//! signer check) is fuzzed too, with a correct digest framed around the
//! input so the decoder and verifier see it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use permit0_vm::wire::{FORMAT_VERSION, MAGIC};
use permit0_vm::Program;

fn frame(payload: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&permit0_vm::key_id(&key.verifying_key()));
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    let digest = sha256(&out);
    out.extend_from_slice(&digest);
    out.extend_from_slice(&key.sign(&digest).to_bytes());
    out
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let _ = Program::load(data, &[key]);
    let _ = Program::load_for_inspection(data);
    // A validly framed and signed payload of fuzzer bytes reaches the
    // decoder and the bytecode verifier.
    let _ = Program::load(&frame(data), &[key]);
});
