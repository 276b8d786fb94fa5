//! `Program::bind_bytes` (a request bound straight from its text) against
//! `Program::bind(&parse_request(text)?)`, and `bind`'s fast path against
//! binding field by field (`bind_exactly`): the same request or the same
//! refusal, for every text — canonical requests from every taxonomy action,
//! the examples, and those mangled every way a caller or an attacker might
//! (keys twice, floats, escapes, surrogates, bad UTF-8, reordered keys,
//! truncation, junk).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::stdlib;
use permit0_compiler::schema::Type;
use permit0_compiler::Compilation;
use permit0_vm::{parse_request, Program};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Both ways of binding, as comparable text (a request's `Debug` holds
/// every slot, the session, the taint).
fn both(p: &Program, text: &[u8]) -> (String, String) {
    let fast = p.bind_bytes(text);
    let slow = parse_request(text).and_then(|j| p.bind(&j));
    // `bind`'s own fast path against binding field by field.
    let exact = parse_request(text).and_then(|j| p.bind_exactly(&j));
    assert_eq!(
        format!("{slow:?}"),
        format!("{exact:?}"),
        "{}",
        String::from_utf8_lossy(text)
    );
    if let (Ok(f), Ok(s)) = (&fast, &slow) {
        assert_eq!(
            p.decide(f),
            p.decide(s),
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    (format!("{fast:?}"), format!("{slow:?}"))
}

fn agree(p: &Program, text: &[u8]) {
    let (fast, slow) = both(p, text);
    assert_eq!(fast, slow, "{}", String::from_utf8_lossy(text));
}

/// Parse-then-bind gives a request with nothing ignored: a canonical text
/// (`"action"` first) of a known action then streams.
fn clean(p: &Program, text: &[u8]) -> bool {
    matches!(parse_request(text).and_then(|j| p.bind(&j)), Ok(r) if r.taint().is_none() && r.action().is_some())
}

const STRS: &[&str] = &[
    "x",
    "rm -rf /home/dev",
    "PassWord",
    "pass\u{200B}word",
    "ÄRGER über 😀",
    "eve@evil.io",
    "http://169.254.169.254/latest/meta-data/",
    "say \"hi\"\n\t\\",
    "",
    "   ",
];

fn sample(c: &Compilation, ty: Type, pick: usize) -> Value {
    let s = STRS[pick % STRS.len()];
    match ty {
        Type::Bool => json!(pick.is_multiple_of(2)),
        Type::Int | Type::Duration => json!([0, 1, -7, 1_000_000, i64::MIN, i64::MAX][pick % 6]),
        Type::Money => json!([0, 500, 85_000, i64::MAX][pick % 4]),
        Type::Str => json!(s),
        Type::Time => {
            [json!("2026-11-22T10:00:00Z"), json!(1_790_000_000_000i64)][pick % 2].clone()
        }
        Type::List | Type::Set => json!([s, STRS[(pick + 1) % STRS.len()]]),
        Type::Enum(id) => {
            let members = &c.schema.enum_def(id).unwrap().members;
            let m = &members[pick % members.len()];
            json!(if pick.is_multiple_of(3) {
                m.to_uppercase()
            } else {
                m.clone()
            })
        }
        _ => Value::Null,
    }
}

/// A canonical request for `action`, every field it and the namespaces
/// take sampled from `picks` (optional ones sometimes left out).
fn request(c: &Compilation, action: usize, picks: &[usize]) -> Value {
    let a = &c.schema.actions[action % c.schema.actions.len()];
    let pick = |i: usize| picks[i % picks.len()].wrapping_add(i);
    let mut args = Map::new();
    for (i, f) in a.fields.iter().filter(|f| f.derive.is_none()).enumerate() {
        if !(f.optional && pick(i).is_multiple_of(3)) {
            args.insert(f.name.clone(), sample(c, f.ty, pick(i)));
        }
    }
    let mut out = Map::new();
    out.insert("action".into(), json!(a.name));
    out.insert("args".into(), Value::Object(args));
    for (n, ns) in c.schema.namespaces.iter().enumerate() {
        if pick(100 + n).is_multiple_of(4) {
            continue;
        }
        let mut m = Map::new();
        for (i, f) in ns.fields.iter().enumerate() {
            if pick(200 + i).is_multiple_of(2) {
                m.insert(f.name.clone(), sample(c, f.ty, pick(300 + i)));
            }
        }
        out.insert(ns.name.clone(), Value::Object(m));
    }
    if pick(7).is_multiple_of(2) {
        out.insert(
            "session".into(),
            json!({"id": format!("s-{}", pick(8) % 5)}),
        );
    }
    Value::Object(out)
}

/// Every canonical request streams unless binding refuses or taints it,
/// and agrees with parse-then-bind.
#[test]
fn a_canonical_request_of_every_action_streams_and_binds_as_parsed() {
    let (c, p) = stdlib();
    let mut streamed = 0;
    for action in 0..c.schema.actions.len() {
        for round in 0..4usize {
            let picks = [round, round * 7 + 3, round * 13 + 5];
            let text = serde_json::to_string(&request(c, action, &picks)).unwrap();
            agree(p, text.as_bytes());
            let clean = clean(p, text.as_bytes());
            assert_eq!(p.bind_bytes_streams(text.as_bytes()), clean, "{text}");
            streamed += usize::from(clean);
        }
    }
    // Most of them are clean: the streaming path is what is being tested.
    assert!(streamed * 2 > c.schema.actions.len() * 4, "{streamed}");
}

#[test]
fn the_example_requests_stream_and_bind_as_parsed() {
    let src = include_str!("../examples/refunds.p0");
    let p = common::program(src);
    for line in include_str!("../examples/requests.jsonl").lines() {
        agree(&p, line.as_bytes());
        // One example sends its amount as a string, and is refused.
        assert_eq!(
            p.bind_bytes_streams(line.as_bytes()),
            clean(&p, line.as_bytes()),
            "{line}"
        );
    }
    let (_, std) = stdlib();
    for line in include_str!("../examples/requests.jsonl").lines() {
        agree(std, line.as_bytes());
    }
}

/// Binding looks a field up where the one after the last found sits, then
/// everywhere: fields declared out of name order, sent in any order, land
/// in their own slots and decide as declared — `zeta` is the large amount
/// here, not `alpha`.
#[test]
fn fields_declared_out_of_name_order_bind_to_their_own_slots() {
    let p = common::program(
        r#"
policy order "fields out of name order"
action shop.pay { zeta: int, alpha: int, mid: string, beta: string? }
when shop.pay zeta > 100 and mid == "x" then deny "zeta is large"
when shop.pay alpha > 100 then escalate "alpha is large"
"#,
    );
    let texts = [
        r#"{"action":"shop.pay","args":{"alpha":1,"beta":"b","mid":"x","zeta":500}}"#,
        r#"{"action":"shop.pay","args":{"zeta":500,"alpha":1,"mid":"x"}}"#,
        r#"{"action":"shop.pay","args":{"mid":"x","zeta":500,"beta":"b","alpha":1}}"#,
    ];
    for text in texts {
        agree(&p, text.as_bytes());
        let r = p.bind(&parse_request(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(p.decide(&r).verdict.name(), "deny", "{text}");
    }
    let swapped = r#"{"action":"shop.pay","args":{"alpha":500,"mid":"x","zeta":1}}"#;
    agree(&p, swapped.as_bytes());
    let r = p.bind_bytes(swapped.as_bytes()).unwrap();
    assert_eq!(p.decide(&r).verdict.name(), "escalate");
}

/// Texts a fast reader is easy to get wrong on, each bound both ways.
#[test]
fn tricky_texts_bind_the_same_both_ways() {
    let (_, p) = stdlib();
    let base =
        r#"{"action":"payments.refund","args":{"amount":900,"currency":"usd","charge_id":"ch_1"}}"#;
    let texts: Vec<String> = vec![
        base.into(),
        base.replace("900", "900.0"),
        base.replace("900", "9e2"),
        base.replace("900", "-0"),
        base.replace("900", "0900"),
        base.replace("900", "-900"),
        base.replace("900", "18446744073709551615"),
        base.replace("900", "184467440737095516150"),
        base.replace("900", "9223372036854775807"),
        base.replace("900", "9223372036854775808"),
        base.replace("900", "-9223372036854775808"),
        base.replace("900", "\"900\""),
        base.replace("900", "null"),
        base.replace("900", "true"),
        base.replace("900", "[900]"),
        base.replace("900", "{}"),
        base.replace("\"usd\"", "\"\\u0075sd\""),
        base.replace("\"usd\"", "\"US\\u0044\""),
        base.replace("\"ch_1\"", "\"\\ud83d\\ude00\""),
        base.replace("\"ch_1\"", "\"\\ud83d\""),
        base.replace("\"ch_1\"", "\"\\ude00\""),
        base.replace("\"ch_1\"", "\"\\ud83dx\""),
        base.replace("\"ch_1\"", "\"\\x\""),
        base.replace("\"ch_1\"", "\"a\u{1}b\""),
        base.replace("\"ch_1\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
        base.replace("\"args\"", "\"\\u0061rgs\""),
        base.replace("\"amount\"", "\"am\\u006funt\""),
        base.replace("\"action\"", "\"\\u0061ction\""),
        base.replace(
            ",\"charge_id\":\"ch_1\"",
            ",\"charge_id\":\"ch_1\",\"charge_id\":\"ch_2\"",
        ),
        base.replace(
            ",\"charge_id\":\"ch_1\"",
            ",\"charge_id\":\"ch_1\",\"ch\\u0061rge_id\":\"ch_2\"",
        ),
        base.replace("}}", "},\"args\":{}}"),
        base.replace("}}", "},\"action\":\"payments.refund\"}"),
        base.replace("}}", "},\"tool\":\"x\"}"),
        base.replace("}}", "},\"actor\":null,\"context\":{},\"session\":null}"),
        base.replace(
            "}}",
            "},\"actor\":{\"role\":\"support\",\"role\":\"admin\"}}",
        ),
        base.replace("}}", "},\"actor\":{\"rol\":\"support\"}}"),
        base.replace("}}", "},\"actor\":[]}"),
        base.replace("}}", "},\"session\":{\"id\":\"s\"}}"),
        base.replace("}}", "},\"session\":{\"id\":\"  \"}}"),
        base.replace("}}", "},\"session\":{\"id\":\"s\",\"id\":\"t\"}}"),
        base.replace("}}", "},\"session\":{\"id\":\"s\",\"x\":1}}"),
        base.replace("}}", "},\"session\":{}}"),
        base.replace(
            "}}",
            "},\"context\":{\"env\":\"PROD\",\"time\":\"2026-11-22T10:00:00Z\"}}",
        ),
        base.replace("}}", "},\"context\":{\"env\":\"prød\"}}"),
        base.replace("}}", "},\"context\":{\"time\":\"yesterday\"}}"),
        base.replace("}}", "},}"),
        base.replace("}}", "}}   \n"),
        base.replace("}}", "}} x"),
        base.replace("}}", "}}{}"),
        base.replace("}}", ",}}"),
        base.replace(":", " : "),
        base.replace(",", "\n,\t"),
        format!("\u{feff}{base}"),
        base.replace("payments.refund", "payments.nothing"),
        base.replace("payments.refund", "PAYMENTS.REFUND"),
        r#"{"args":{"amount":900,"currency":"usd","charge_id":"ch_1"},"action":"payments.refund"}"#
            .into(),
        r#"{"tool":"Bash","args":{"command":"ls"}}"#.into(),
        r#"{"action":"payments.refund"}"#.into(),
        r#"{"action":"payments.refund","args":null}"#.into(),
        r#"{"action":5}"#.into(),
        r#"{"action":"payments.refund""#.into(),
        "{}".into(),
        "[]".into(),
        "".into(),
        "nul".into(),
        format!("{}{}", "[".repeat(70), "]".repeat(70)),
        base.replace("\"ch_1\"", &format!("{}{}", "[".repeat(70), "]".repeat(70))),
    ];
    for t in &texts {
        agree(p, t.as_bytes());
    }
    let mut bad = base.as_bytes().to_vec();
    bad.insert(60, 0xFF);
    agree(p, &bad);
    let big = base.replace("ch_1", &"x".repeat(permit0_vm::MAX_REQUEST_BYTES));
    agree(p, big.as_bytes());
    // A derived field supplied, and a shell command: derivations run on
    // the streaming path too.
    for t in [
        r#"{"action":"process.exec","args":{"command":"rm -rf /home/dev"}}"#,
        r#"{"action":"process.exec","args":{"command":"ls -la"},"context":{"workspace":"/home/dev"}}"#,
        r#"{"action":"process.exec","args":{"command":"ls","read_only":true}}"#,
    ] {
        agree(p, t.as_bytes());
    }
}

/// A change to a text, as a caller or an attacker might make it.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Insert(usize, u8),
    /// Escape the `n`th ASCII letter as `\u00XX` (inside a string, the same
    /// string; elsewhere, broken JSON).
    Escape(usize),
    /// Repeat the `n`th `"key":value` pair.
    DuplicateKey(usize),
    Truncate(usize),
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut t = text.as_bytes().to_vec();
    for e in edits {
        let n = t.len().max(1);
        match *e {
            Edit::Delete(i) => {
                if !t.is_empty() {
                    t.remove(i % n);
                }
            }
            Edit::Insert(i, b) => t.insert(i % (t.len() + 1), b),
            Edit::Escape(k) => {
                let letters: Vec<usize> = (0..t.len())
                    .filter(|&i| t[i].is_ascii_alphabetic())
                    .collect();
                if !letters.is_empty() {
                    let at = letters[k % letters.len()];
                    let esc = format!("\\u{:04x}", t[at]);
                    t.splice(at..at + 1, esc.bytes());
                }
            }
            Edit::DuplicateKey(k) => {
                // A pair starts at `"` after `{` or `,` and ends before the
                // next `,` or `}` (good enough for flat values).
                let starts: Vec<usize> = (1..t.len())
                    .filter(|&i| t[i] == b'"' && matches!(t[i - 1], b'{' | b','))
                    .collect();
                if !starts.is_empty() {
                    let s = starts[k % starts.len()];
                    let end = (s..t.len())
                        .find(|&i| matches!(t[i], b',' | b'}'))
                        .unwrap_or(t.len());
                    let mut pair = t[s..end].to_vec();
                    pair.push(b',');
                    t.splice(s..s, pair);
                }
            }
            Edit::Truncate(i) => t.truncate(i % n),
        }
    }
    t
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"\"\\{}[],:0-.eEnu \t\n\x00\x7f\xff\xc3\xa9abc9".to_vec());
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Escape),
        any::<usize>().prop_map(Edit::DuplicateKey),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// A field set to a value of another shape.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(5.5)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!(1e30)),
        Just(json!([1, 2])),
        Just(json!(["a", 1])),
        Just(json!({"a": "b"})),
        Just(json!("")),
        Just(json!("2026-11-22T10:00:00+01:00")),
        "\\PC{0,12}".prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Generated requests, well formed or with a field given another
    /// shape, a key added, or a section dropped: both ways agree.
    #[test]
    fn generated_requests_bind_the_same_both_ways(
        action in any::<usize>(),
        picks in proptest::collection::vec(any::<usize>(), 8),
        tweak in proptest::option::of((any::<usize>(), any::<usize>(), odd_value())),
        pretty in any::<bool>(),
    ) {
        let (c, p) = stdlib();
        let mut req = request(c, action, &picks);
        if let Some((section, field, v)) = tweak {
            let obj = req.as_object_mut().unwrap();
            let names = ["args", "actor", "context", "session", "tool", "action", "extra"];
            let name = names[section % names.len()];
            match obj.get_mut(name) {
                Some(Value::Object(m)) if !m.is_empty() && !field.is_multiple_of(3) => {
                    let k = m.keys().nth(field % m.len()).unwrap().clone();
                    m.insert(k, v);
                }
                Some(Value::Object(m)) if field.is_multiple_of(3) => {
                    m.insert(format!("x{}", field % 5), v);
                }
                _ => {
                    obj.insert(name.into(), v);
                }
            }
        }
        let text = if pretty { serde_json::to_string_pretty(&req) } else { serde_json::to_string(&req) }.unwrap();
        let (fast, slow) = both(p, text.as_bytes());
        prop_assert_eq!(fast, slow, "{}", text);
    }

    /// The same requests, their text edited byte by byte: both ways agree
    /// on every refusal and every request still read.
    #[test]
    fn edited_texts_bind_the_same_both_ways(
        action in any::<usize>(),
        picks in proptest::collection::vec(any::<usize>(), 8),
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let (c, p) = stdlib();
        let text = serde_json::to_string(&request(c, action, &picks)).unwrap();
        let edited = apply(&text, &edits);
        let (fast, slow) = both(p, &edited);
        prop_assert_eq!(fast, slow, "{}", String::from_utf8_lossy(&edited));
    }
}
