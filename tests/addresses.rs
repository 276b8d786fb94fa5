//! Stories for addresses: `context.ip` (and a team's own `ip` attributes)
//! tested against networks. Binding is strict and a mapped IPv6 spelling of
//! an IPv4 address is that address, so no spelling escapes a deny range.
#![allow(
    // Money reads as money: 100_00 is 100.00.
    clippy::inconsistent_digit_grouping,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;
use serde_json::json;

const NETS: &str = "policy acme.networks

# Addresses a botnet used against us last month, and our offices.
let blocked = {\"198.51.100.0/24\", \"2001:db8:bad::/48\"}
let offices = {\"203.0.113.0/24\", \"2001:db8:10::/48\"}

rule blocked_network: when payments.refund not has context.ip or context.ip in blocked
  then deny \"refunds from a blocked network\"
rule office: when payments.refund has context.ip and in_cidr(context.ip, offices)
  then allow \"from an office\"
";

fn refund_from(ip: serde_json::Value) -> serde_json::Value {
    json!({"action": "payments.refund",
           "args": {"amount": 100_00, "currency": "usd", "charge_id": "ch_1"},
           "context": {"ip": ip}})
}

#[test]
fn an_office_address_is_allowed_and_a_blocked_one_denied() {
    let p = program(NETS);
    // A cashier at the Lyon office, over IPv4 and over IPv6.
    let d = decide(&p, refund_from(json!("203.0.113.40")));
    assert_eq!(d["decision"], "allow");
    assert_eq!(d["rule"], "acme.networks.office");
    assert_eq!(verdict(&p, refund_from(json!("2001:db8:10:4::7"))), "allow");
    // An address of the botnet: denied.
    let d = decide(&p, refund_from(json!("198.51.100.9")));
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["reason"], "refunds from a blocked network");
    // Anywhere else: no rule, the refund's risk tier decides (escalate).
    assert_eq!(verdict(&p, refund_from(json!("192.0.2.1"))), "escalate");
    // No address at all: the deny rule says what absence means.
    let mut r = refund_from(json!(null));
    r["context"] = json!({});
    assert_eq!(verdict(&p, r), "deny");
}

#[test]
fn an_attackers_spellings_of_a_blocked_address_still_match_the_deny_range() {
    let p = program(NETS);
    // The same host written as an IPv4-mapped IPv6 address, in every
    // spelling the standard parser accepts: still in 198.51.100.0/24.
    for spelled in [
        "::ffff:198.51.100.9",
        "::FFFF:198.51.100.9",
        "::ffff:c633:6409",
        "0:0:0:0:0:ffff:198.51.100.9",
        "0000:0000:0000:0000:0000:ffff:c633:6409",
    ] {
        let d = decide(&p, refund_from(json!(spelled)));
        assert_eq!(d["decision"], "deny", "{spelled}: {d}");
        assert_eq!(d["reason"], "refunds from a blocked network", "{spelled}");
    }
    // IPv6 in capitals or uncompressed is the same address.
    assert_eq!(
        verdict(&p, refund_from(json!("2001:DB8:BAD:0:0:0:0:1"))),
        "deny"
    );
    // Spellings that some parsers read as 198.51.100.9 (octal, short,
    // integer, hex parts, a zone id, spaces, brackets, a prefix) or as an
    // IPv4-compatible address are not guessed at: the request is refused
    // (escalate), naming the field — never allowed.
    for spelled in [
        "198.051.100.9",
        "0306.0063.0144.011",
        "198.51.25609",
        "3325256713",
        "0xc6.0x33.0x64.0x09",
        " 198.51.100.9",
        "198.51.100.9\n",
        "[::ffff:198.51.100.9]",
        "fe80::1%eth0",
        "198.51.100.9/32",
        "::198.51.100.9",
        "",
    ] {
        let d = decide(&p, refund_from(json!(spelled)));
        assert_eq!(d["decision"], "escalate", "{spelled:?}: {d}");
        assert!(
            d["reason"].as_str().unwrap().contains("context.ip"),
            "{spelled:?}: the reason names the field: {d}"
        );
    }
    // Not a string at all: refused too.
    for shape in [
        json!(3325256713u64),
        json!(["198.51.100.9"]),
        json!({"v4": "x"}),
    ] {
        assert_eq!(
            verdict(&p, refund_from(shape.clone())),
            "escalate",
            "{shape}"
        );
    }
    // An office address spelled as mapped IPv6 is still the office.
    assert_eq!(
        verdict(&p, refund_from(json!("::ffff:203.0.113.40"))),
        "allow"
    );
}

#[test]
fn equality_not_in_and_a_teams_own_ip_attribute() {
    let p = program(
        "policy acme.vpn
namespace context {
  egress_ip: ip? \"the address the agent's traffic leaves from\"
}
when payments.refund not has context.egress_ip or context.egress_ip != \"192.0.2.7\" then escalate \"not through the VPN\"
when payments.refund has context.ip and context.ip not in {\"10.0.0.0/8\", \"fd00::/8\"} then deny \"outside the private network\"
when payments.refund then allow
",
    );
    let r = |ip: &str, egress: &str| {
        json!({"action": "payments.refund",
               "args": {"amount": 100, "currency": "usd", "charge_id": "ch_1"},
               "context": {"ip": ip, "egress_ip": egress}})
    };
    assert_eq!(verdict(&p, r("10.4.5.6", "192.0.2.7")), "allow");
    assert_eq!(verdict(&p, r("fd00::5", "::ffff:192.0.2.7")), "allow");
    assert_eq!(verdict(&p, r("10.4.5.6", "192.0.2.8")), "escalate");
    assert_eq!(verdict(&p, r("11.0.0.1", "192.0.2.7")), "deny");
    assert_eq!(verdict(&p, r("fe80::1", "192.0.2.7")), "deny");
}

#[test]
fn network_literals_are_checked_when_the_policy_compiles() {
    let codes = |src: &str| -> Vec<(String, String, Vec<String>)> {
        compile_src(src)
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.to_string(),
                    d.help.clone().unwrap_or_default(),
                    d.fix.iter().map(|f| f.replacement.clone()).collect(),
                )
            })
            .collect()
    };
    let guard = "when payments.refund has context.ip and context.ip in";
    // Host bits set: the network it means, with a quick fix.
    let d = codes(&format!("{guard} \"10.1.2.3/8\" then deny"));
    assert_eq!(d[0].0, "P0312");
    assert!(d[0].1.contains("`10.0.0.0/8`"), "{d:?}");
    assert_eq!(d[0].2, vec!["\"10.0.0.0/8\"".to_string()]);
    // A prefix longer than the address.
    let d = codes(&format!(
        "{guard} {{\"10.0.0.0/33\", \"::/129\"}} then deny"
    ));
    assert_eq!(
        d.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["P0311", "P0311"]
    );
    // A leading zero: did you mean, with a fix.
    let d = codes(&format!("{guard} \"010.0.0.0/8\" then deny"));
    assert_eq!(d[0].0, "P0311");
    assert!(d[0].1.contains("did you mean `10.0.0.0/8`"), "{d:?}");
    // A mapped IPv6 network is written as its IPv4 network.
    let d = codes(&format!("{guard} \"::ffff:10.0.0.0/104\" then deny"));
    assert_eq!(d[0].0, "P0312");
    assert_eq!(d[0].2, vec!["\"10.0.0.0/8\"".to_string()]);
    // Orders do not apply to addresses; a string is not an address.
    let d = codes("when payments.refund has context.ip and context.ip > \"10.0.0.1\" then deny");
    assert_eq!(d[0].0, "P0302");
    let d = codes("when payments.refund has context.channel and in_cidr(context.channel, \"10.0.0.0/8\") then deny");
    assert_eq!(d[0].0, "P0301");
    // An unguarded address: the help says how to guard it, and offers no
    // `??` default (an address has none).
    let d = codes("when payments.refund context.ip in \"10.0.0.0/8\" then deny");
    assert_eq!(d[0].0, "P0218");
    assert!(
        d[0].1.contains("not has context.ip or") && !d[0].1.contains("??"),
        "{d:?}"
    );
    assert_eq!(
        d[0].2,
        vec!["(not has context.ip or context.ip in \"10.0.0.0/8\")".to_string()]
    );
    // A misspelt type name suggests `ip`.
    let d = codes("namespace context {\n  egress: ipp? \"x\"\n}\n");
    assert!(d.iter().any(|x| x.1.contains("`ip`")), "{d:?}");
}

#[test]
fn a_named_set_of_networks_is_shared_with_use() {
    // The security team names the networks once; the payments team's
    // policy imports them.
    let c = permit0_compiler::compile(vec![
        permit0_compiler::Input::from_text(
            "nets.p0",
            "policy acme.nets\nlet offices = {\"203.0.113.0/24\", \"2001:db8:10::/48\"}\n",
        ),
        permit0_compiler::Input::from_text(
            "payments.p0",
            "policy acme.payments\nuse acme.nets.offices\n\
             when payments.refund not has context.ip or not in_cidr(context.ip, offices) then escalate \"outside the offices\"\n\
             when payments.refund then allow\n",
        ),
    ]);
    let errors: Vec<String> = c.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let p = permit0_compiler::build_program(&c).unwrap();
    assert_eq!(verdict(&p, refund_from(json!("203.0.113.40"))), "allow");
    assert_eq!(
        verdict(&p, refund_from(json!("::ffff:203.0.113.40"))),
        "allow"
    );
    assert_eq!(verdict(&p, refund_from(json!("198.51.100.1"))), "escalate");
    // A bad network in the shared set is reported where it is used.
    let c = compile_src(
        "let offices = {\"203.0.113.0/33\"}\nwhen payments.refund has context.ip and context.ip in offices then allow\n",
    );
    assert!(
        c.diagnostics.iter().any(|d| d.code == "P0311"),
        "{:?}",
        c.diagnostics
    );
}
