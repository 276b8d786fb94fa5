//! Code in, signed bundle bytes out: frames the postcard payload with magic,
//! format version and key id, then appends its sha256 digest and the ed25519
//! signature of that digest. The same sources always give the same bytes.

use crate::codegen::Code;
use crate::schema::Schema;
use ed25519_dalek::{Signer, SigningKey};
use permit0_vm::keys::{decode_hex32, SECRET_PREFIX};
use permit0_vm::risk::Model;
use permit0_vm::wire::{BundleWire, PolicyWire, FORMAT_VERSION, MAGIC};
use permit0_vm::{key_id, model_to_wire};
use sha2::{Digest, Sha256};

/// The compiler that wrote a bundle, as recorded in it.
pub const COMPILER: &str = concat!("permit0-compiler ", env!("CARGO_PKG_VERSION"));

pub fn wire(code: Code, schema: &Schema, model: &Model, policies: Vec<PolicyWire>) -> BundleWire {
    BundleWire {
        taxonomy_version: schema.version.clone(),
        taxonomy_digest: schema.digest(),
        compiler: COMPILER.to_string(),
        tzdb: permit0_vm::local::TZDB_VERSION.to_string(),
        policies,
        model: model_to_wire(model),
        enums: code.enums.into(),
        namespaces: code.namespaces,
        actions: code.actions,
        rules: code.rules,
        ints: code.ints,
        strs: code.strs,
        sets: code.sets,
        enum_sets: code.enum_sets,
        matchers: code.matchers,
        aggregates: code.aggregates,
        scopes: code.scopes,
        tools: Vec::new(),
    }
}

/// Serializes and signs (a compiled program, or — for tests of the reader —
/// one with its actions or tool mappings still framed).
pub fn write<A: serde::Serialize, T: serde::Serialize>(
    w: &BundleWire<A, T>,
    key: &SigningKey,
) -> Result<Vec<u8>, String> {
    let payload = postcard::to_allocvec(w).map_err(|e| format!("cannot encode bundle: {e}"))?;
    let len =
        u32::try_from(payload.len()).map_err(|_| "bundle is larger than 4 GiB".to_string())?;
    let mut out = Vec::with_capacity(payload.len() + 114);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&key_id(&key.verifying_key()));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&payload);
    let digest: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&digest);
    out.extend_from_slice(&key.sign(&digest).to_bytes());
    Ok(out)
}

/// Parses the text of a `.key` file.
pub fn parse_secret_key(text: &str) -> Result<SigningKey, String> {
    let body = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(|| {
        format!(
            "not a permit0 secret key: it must start with `{}`",
            SECRET_PREFIX.trim_end()
        )
    })?;
    let seed = decode_hex32(body).ok_or("the secret key is not 64 hex digits")?;
    Ok(SigningKey::from_bytes(&seed))
}

pub fn encode_secret_key(key: &SigningKey) -> String {
    format!("{SECRET_PREFIX}{}\n", permit0_vm::hex(&key.to_bytes()))
}

pub fn source_digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}
