//! Key files: `NAME.pub` holds a trusted public key as one line of text,
//! `permit0-public-key ed25519 <64 hex digits>`.

use ed25519_dalek::VerifyingKey;

pub const PUBLIC_PREFIX: &str = "permit0-public-key ed25519 ";
pub const SECRET_PREFIX: &str = "permit0-secret-key ed25519 ";

pub fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Parses the text of a `.pub` file.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let body = text.trim().strip_prefix(PUBLIC_PREFIX).ok_or_else(|| {
        format!(
            "not a permit0 public key: it must start with `{}`",
            PUBLIC_PREFIX.trim_end()
        )
    })?;
    let bytes = decode_hex32(body).ok_or("the public key is not 64 hex digits")?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| "the public key is not a valid ed25519 point".to_string())
}

pub fn encode_public_key(key: &VerifyingKey) -> String {
    format!("{PUBLIC_PREFIX}{}\n", crate::program::hex(key.as_bytes()))
}
