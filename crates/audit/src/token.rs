//! Capability tokens: an allowed (or human-approved) decision in, a signed
//! token out that binds the exact action digest, the bundle, the deciding
//! rule, constraints and a nonce; and the executor's check of a token
//! against the request in hand, [`verify_token`].
//!
//! A token is `p0t1.<base64url(payload)>.<base64url(signature)>` (no
//! padding): the payload is the canonical JSON of the [`Claims`], the
//! signature ed25519 over `"permit0/token/v1\n" || payload`. docs/audit.md
//! has the field list.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use permit0_vm::canonical::{parse_sha256, sha256_string, Canonical, Object};
use permit0_vm::risk::Verdict;
use permit0_vm::value::Value;
use permit0_vm::Decision;
use permit0_vm::Request;
use permit0_vm::{hex, key_id, Program};
use serde_json::Value as Json;
use std::collections::HashSet;
use std::fmt;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The text every token starts with (format 1).
pub const PREFIX: &str = "p0t1.";
/// Prefixed to the payload before signing.
pub const TOKEN_DOMAIN: &[u8] = b"permit0/token/v1\n";
/// Tokens longer than this are refused before decoding.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why the action may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// The policy allowed it.
    Allowed,
    /// The policy escalated it and a human approved it.
    Approved { approver: String },
}

/// What a token grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The canonical action name (for people; the digest is what binds).
    pub action: String,
    /// `sha256:…` of the request's canonical form.
    pub action_digest: String,
    /// `sha256:…` of the bundle that decided.
    pub bundle: String,
    /// The deciding rule, if a rule decided.
    pub rule: Option<String>,
    pub basis: Basis,
    /// Milliseconds since the epoch.
    pub issued_ms: i64,
    pub expires_ms: i64,
    pub single_use: bool,
    /// The most the request's `amount` field may be.
    pub max_amount: Option<i64>,
    /// 32 hex digits, random.
    pub nonce: String,
    /// Key id of the issuer (set by [`issue`]).
    pub key: String,
    /// `sha256:…` of the audit record of the decision, if one was written.
    pub record: Option<String>,
}

impl Claims {
    /// The claims for a decision, or `None` when the decision does not
    /// support the basis (`Allowed` needs an allow, `Approved` an escalate)
    /// or the request has no action digest.
    #[allow(clippy::too_many_arguments)]
    pub fn for_decision(
        program: &Program,
        req: &Request,
        d: &Decision,
        basis: Basis,
        now_ms: i64,
        ttl_ms: i64,
        nonce: [u8; 16],
    ) -> Option<Claims> {
        let fits = matches!(
            (&basis, d.verdict),
            (Basis::Allowed, Verdict::Allow) | (Basis::Approved { .. }, Verdict::Escalate)
        );
        if !fits {
            return None;
        }
        let digest = program.action_digest(req)?;
        Some(Claims {
            action: program.action_name(d.action?)?.to_string(),
            action_digest: sha256_string(&digest),
            bundle: program.digest_string(),
            rule: d
                .rule()
                .and_then(|r| program.rule_id(r))
                .map(str::to_string),
            basis,
            issued_ms: now_ms,
            expires_ms: now_ms.saturating_add(ttl_ms),
            single_use: true,
            max_amount: None,
            nonce: hex(&nonce),
            key: String::new(),
            record: None,
        })
    }

    /// The canonical JSON payload.
    pub fn to_payload(&self) -> String {
        self.to_canonical().into_string()
    }

    /// The payload as the canonical writer writes it: what [`issue`] signs.
    pub fn to_canonical(&self) -> Canonical {
        let mut o = Object::with_capacity(512, 14);
        o.str("action", &self.action)
            .str("action_digest", &self.action_digest)
            .str(
                "basis",
                match self.basis {
                    Basis::Allowed => "allowed",
                    Basis::Approved { .. } => "approved",
                },
            )
            .str("bundle", &self.bundle)
            .int("exp", self.expires_ms)
            .int("iat", self.issued_ms)
            .str("key", &self.key)
            .str("nonce", &self.nonce)
            .opt_str("rule", self.rule.as_deref())
            .bool("single_use", self.single_use)
            .int("v", 1);
        if let Basis::Approved { approver } = &self.basis {
            o.str("approver", approver);
        }
        if let Some(m) = self.max_amount {
            o.int("max_amount", m);
        }
        if let Some(r) = &self.record {
            o.str("record", r);
        }
        o.finish()
    }

    fn from_payload(bytes: &[u8]) -> Result<Claims, TokenError> {
        let bad = |what: &str| TokenError::Encoding(format!("the payload {what}"));
        let v: Json = serde_json::from_slice(bytes).map_err(|_| bad("is not JSON"))?;
        let obj = v.as_object().ok_or_else(|| bad("is not a JSON object"))?;
        let s = |k: &str| -> Result<String, TokenError> {
            obj.get(k)
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("has no string `{k}`")))
        };
        let int = |k: &str| -> Result<i64, TokenError> {
            obj.get(k)
                .and_then(Json::as_i64)
                .ok_or_else(|| bad(&format!("has no integer `{k}`")))
        };
        if obj.get("v").and_then(Json::as_u64) != Some(1) {
            return Err(bad("is not format 1"));
        }
        let basis = match s("basis")?.as_str() {
            "allowed" => Basis::Allowed,
            "approved" => Basis::Approved {
                approver: s("approver")?,
            },
            _ => return Err(bad("has an unknown `basis`")),
        };
        let action_digest = s("action_digest")?;
        let bundle = s("bundle")?;
        if parse_sha256(&action_digest).is_none() || parse_sha256(&bundle).is_none() {
            return Err(bad("has a digest that is not sha256:<hex>"));
        }
        let claims = Claims {
            action: s("action")?,
            action_digest,
            bundle,
            rule: match obj.get("rule") {
                Some(Json::String(r)) => Some(r.clone()),
                Some(Json::Null) => None,
                _ => return Err(bad("has no `rule`")),
            },
            basis,
            issued_ms: int("iat")?,
            expires_ms: int("exp")?,
            single_use: obj
                .get("single_use")
                .and_then(Json::as_bool)
                .ok_or_else(|| bad("has no boolean `single_use`"))?,
            max_amount: match obj.get("max_amount") {
                None => None,
                Some(m) => Some(m.as_i64().ok_or_else(|| bad("has a bad `max_amount`"))?),
            },
            nonce: s("nonce")?,
            key: s("key")?,
            record: obj.get("record").and_then(Json::as_str).map(str::to_string),
        };
        // Only the canonical payload is accepted: one grant, one encoding.
        if claims.to_canonical().as_bytes() != bytes {
            return Err(bad("is not in canonical form"));
        }
        Ok(claims)
    }
}

/// Signs claims into a token; sets `claims.key` to the signing key's id.
pub fn issue(claims: &mut Claims, key: &SigningKey) -> String {
    claims.key = hex(&key_id(&key.verifying_key()));
    let payload = claims.to_canonical();
    let mut msg = Vec::with_capacity(TOKEN_DOMAIN.len() + payload.as_bytes().len());
    msg.extend_from_slice(TOKEN_DOMAIN);
    msg.extend_from_slice(payload.as_bytes());
    let sig = key.sign(&msg);
    format!(
        "{PREFIX}{}.{}",
        B64.encode(payload.as_bytes()),
        B64.encode(sig.to_bytes())
    )
}

/// Why a token does not authorize the request in hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a well-formed token.
    Encoding(String),
    UnknownKey(String),
    BadSignature,
    Expired {
        expires_ms: i64,
        now_ms: i64,
    },
    /// The token was issued under another bundle than the executor holds.
    BundleMismatch {
        token: String,
        program: String,
    },
    /// The request is not the one the token was issued for.
    DigestMismatch {
        token: String,
        request: Option<String>,
    },
    LimitExceeded {
        field: &'static str,
        max: i64,
        found: Option<i64>,
    },
    AlreadyUsed(String),
    /// The spent-nonce store failed.
    Store(String),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use permit0_vm::time::format_rfc3339_ms as t;
        match self {
            TokenError::Encoding(e) => write!(f, "not a valid permit0 token: {e}"),
            TokenError::UnknownKey(k) => write!(f, "the token is signed by key `{k}`, which is not trusted"),
            TokenError::BadSignature => f.write_str("the token's signature is invalid: it was altered or forged"),
            TokenError::Expired { expires_ms, now_ms } => write!(f, "the token expired at {} (now {})", t(*expires_ms), t(*now_ms)),
            TokenError::BundleMismatch { token, program } => write!(f, "the token was issued under bundle {token}, but the executor holds bundle {program}"),
            TokenError::DigestMismatch { token, request: Some(r) } => write!(f, "the request is not the approved one: its action digest is {r}, the token binds {token}"),
            TokenError::DigestMismatch { token, request: None } => write!(f, "the request has no action digest (the bundle cannot type it), the token binds {token}"),
            TokenError::LimitExceeded { field, max, found: Some(v) } => write!(f, "`{field}` is {v}, above the token's limit of {max}"),
            TokenError::LimitExceeded { field, max, found: None } => write!(f, "the token limits `{field}` to {max}, but the request has no `{field}`"),
            TokenError::AlreadyUsed(n) => write!(f, "the token (nonce {n}) is single-use and was already redeemed"),
            TokenError::Store(e) => write!(f, "the spent-token store failed: {e}"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Decodes a token and checks its signature against trusted keys. Nothing
/// else: see [`verify_token`] for the executor's whole check.
pub fn decode(token: &str, trusted: &[VerifyingKey]) -> Result<Claims, TokenError> {
    let enc = |e: &str| TokenError::Encoding(e.to_string());
    if token.len() > MAX_TOKEN_LEN {
        return Err(enc("it is too long"));
    }
    let body = token
        .trim()
        .strip_prefix(PREFIX)
        .ok_or_else(|| enc("it does not start with `p0t1.`"))?;
    let (p, s) = body
        .split_once('.')
        .ok_or_else(|| enc("it has no signature part"))?;
    let payload = B64
        .decode(p.as_bytes())
        .map_err(|_| enc("the payload is not base64url"))?;
    let sig = B64
        .decode(s.as_bytes())
        .map_err(|_| enc("the signature is not base64url"))?;
    let sig = Signature::from_slice(&sig).map_err(|_| enc("the signature is not 64 bytes"))?;
    let claims = Claims::from_payload(&payload)?;
    let key = trusted
        .iter()
        .find(|k| hex(&key_id(k)) == claims.key)
        .ok_or_else(|| TokenError::UnknownKey(claims.key.clone()))?;
    let mut msg = Vec::with_capacity(TOKEN_DOMAIN.len() + payload.len());
    msg.extend_from_slice(TOKEN_DOMAIN);
    msg.extend_from_slice(&payload);
    key.verify_strict(&msg, &sig)
        .map_err(|_| TokenError::BadSignature)?;
    Ok(claims)
}

/// Where single-use tokens' nonces are remembered.
pub trait SpentNonces {
    /// Marks a nonce spent. `Ok(false)` when it already was.
    fn spend(&mut self, nonce: &str, expires_ms: i64) -> Result<bool, String>;
}

/// Spent nonces in memory.
#[derive(Clone, Debug, Default)]
pub struct MemorySpent(pub HashSet<String>);

impl SpentNonces for MemorySpent {
    fn spend(&mut self, nonce: &str, _expires_ms: i64) -> Result<bool, String> {
        Ok(self.0.insert(nonce.to_string()))
    }
}

/// Spent nonces in a file, one `nonce expiry_ms` per line, appended and
/// synced before the token is accepted. One executor process per file.
pub struct FileSpent {
    path: PathBuf,
    spent: HashSet<String>,
}

impl FileSpent {
    pub fn open(path: &Path) -> std::io::Result<FileSpent> {
        let mut spent = HashSet::new();
        match std::fs::File::open(path) {
            Ok(f) => {
                for line in std::io::BufReader::new(f).lines() {
                    if let Some(n) = line?.split_whitespace().next() {
                        spent.insert(n.to_string());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(FileSpent {
            path: path.to_path_buf(),
            spent,
        })
    }
}

impl SpentNonces for FileSpent {
    fn spend(&mut self, nonce: &str, expires_ms: i64) -> Result<bool, String> {
        if self.spent.contains(nonce) {
            return Ok(false);
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("`{}`: {e}", self.path.display()))?;
        f.write_all(format!("{nonce} {expires_ms}\n").as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| format!("`{}`: {e}", self.path.display()))?;
        self.spent.insert(nonce.to_string());
        Ok(true)
    }
}

/// Checks decoded claims against what the executor holds: expiry, bundle,
/// the request's action digest, limits; then spends a single-use nonce
/// (last, so a refused request does not burn the token).
pub fn check_claims(
    claims: &Claims,
    bundle: &str,
    action_digest: Option<&str>,
    amount: Option<i64>,
    now_ms: i64,
    spent: &mut dyn SpentNonces,
) -> Result<(), TokenError> {
    if now_ms >= claims.expires_ms {
        return Err(TokenError::Expired {
            expires_ms: claims.expires_ms,
            now_ms,
        });
    }
    if claims.bundle != bundle {
        return Err(TokenError::BundleMismatch {
            token: claims.bundle.clone(),
            program: bundle.to_string(),
        });
    }
    if action_digest != Some(claims.action_digest.as_str()) {
        return Err(TokenError::DigestMismatch {
            token: claims.action_digest.clone(),
            request: action_digest.map(str::to_string),
        });
    }
    if let Some(max) = claims.max_amount {
        if amount.is_none_or(|a| a > max) {
            return Err(TokenError::LimitExceeded {
                field: "amount",
                max,
                found: amount,
            });
        }
    }
    if claims.single_use
        && !spent
            .spend(&claims.nonce, claims.expires_ms)
            .map_err(TokenError::Store)?
    {
        return Err(TokenError::AlreadyUsed(claims.nonce.clone()));
    }
    Ok(())
}

/// The executor's check: the token is well formed and signed by a trusted
/// key, unexpired, issued under this program's bundle, for exactly this
/// request (its action digest), within its limits, and — if single-use —
/// not redeemed before. Returns the claims it granted.
pub fn verify_token(
    token: &str,
    trusted: &[VerifyingKey],
    program: &Program,
    request: &Request,
    now_ms: i64,
    spent: &mut dyn SpentNonces,
) -> Result<Claims, TokenError> {
    let claims = decode(token, trusted)?;
    let digest = program.action_digest(request).map(|d| sha256_string(&d));
    let amount = request
        .action()
        .and_then(|a| program.field_slot(a, "amount"))
        .and_then(|s| match request.slot(s) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        });
    check_claims(
        &claims,
        &program.digest_string(),
        digest.as_deref(),
        amount,
        now_ms,
        spent,
    )?;
    Ok(claims)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            action: "payments.refund".into(),
            action_digest: sha256_string(&[1; 32]),
            bundle: sha256_string(&[2; 32]),
            rule: Some("p:3".into()),
            basis: Basis::Approved {
                approver: "alice".into(),
            },
            issued_ms: 1_000,
            expires_ms: 2_000,
            single_use: true,
            max_amount: Some(500),
            nonce: "00".repeat(16),
            key: String::new(),
            record: None,
        }
    }

    #[test]
    fn a_token_round_trips_and_binds_everything() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let mut c = claims();
        let t = issue(&mut c, &key);
        assert!(t.starts_with(PREFIX));
        assert_eq!(decode(&t, &[key.verifying_key()]).unwrap(), c);
        let mut spent = MemorySpent::default();
        let ok = |spent: &mut MemorySpent, amount| {
            check_claims(
                &c,
                &c.bundle,
                Some(&c.action_digest),
                Some(amount),
                1_500,
                spent,
            )
        };
        assert_eq!(
            ok(&mut spent, 501),
            Err(TokenError::LimitExceeded {
                field: "amount",
                max: 500,
                found: Some(501)
            })
        );
        assert_eq!(ok(&mut spent, 500), Ok(()));
        assert!(matches!(
            ok(&mut spent, 500),
            Err(TokenError::AlreadyUsed(_))
        ));
    }

    #[test]
    fn hostile_tokens_are_errors_not_panics() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        for t in [
            "",
            "p0t1.",
            "p0t1..",
            "p0t1.e30.",
            "p0t1.!!.AA",
            "p0t2.e30.AA",
            "p0t1.e30.AAAA",
        ] {
            assert!(
                matches!(decode(t, &[key]), Err(TokenError::Encoding(_))),
                "{t}"
            );
        }
    }
}
