//! The framing and id handling, with a decider that answers by tool name.
//! (The real server, client and bundle are in tests/mcp/, end to end.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use std::sync::mpsc::{Receiver, Sender};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Buf {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// `read_*` allowed, `delete_*` denied, `send_*` escalated (with an
/// approval whose answer the test gives through a channel); it records
/// every request it decides.
struct ByName {
    seen: Mutex<Vec<String>>,
    answers: Mutex<Option<Receiver<Decision>>>,
}

impl Decider for ByName {
    fn decide(&self, request: &[u8]) -> Decision {
        let r = String::from_utf8(request.to_vec()).unwrap();
        self.seen.lock().unwrap().push(r.clone());
        let v: Json = serde_json::from_str(&r).unwrap();
        let tool = v["tool"].as_str().unwrap();
        if tool.starts_with("mcp__fs__read_") {
            Decision::Allow
        } else if tool.starts_with("mcp__fs__send_") {
            Decision::Escalate {
                reason: "mail needs a human".into(),
                approval: Some(Approval {
                    id: "apr_1".into(),
                    link: "http://p0/ui/approvals/apr_1".into(),
                }),
            }
        } else {
            Decision::Deny(format!("{tool} is not allowed"))
        }
    }
    fn wait(&self, _: &Approval, _: Duration) -> Decision {
        let rx = self.answers.lock().unwrap().take().unwrap();
        rx.recv().unwrap()
    }
    fn denies_always(&self, tool: &str) -> bool {
        tool.starts_with("mcp__fs__delete_")
    }
}

struct Rig {
    gw: Arc<Gateway>,
    client: Buf,
    server: Buf,
    decider: Arc<ByName>,
    answer: Sender<Decision>,
}

fn rig(wait: u64, hide_denied: bool) -> Rig {
    let (answer, rx) = mpsc::channel();
    let decider = Arc::new(ByName {
        seen: Mutex::default(),
        answers: Mutex::new(Some(rx)),
    });
    let (client, server) = (Buf::default(), Buf::default());
    let opts = Options {
        server: "fs".into(),
        session: "s-1".into(),
        context: Some(RawValue::from_string(r#"{"workspace":"/w"}"#.into()).unwrap()),
        wait: Duration::from_secs(wait),
        hide_denied,
    };
    let gw = Arc::new(Gateway::new(
        opts,
        decider.clone(),
        Box::new(client.clone()),
        Box::new(server.clone()),
    ));
    Rig {
        gw,
        client,
        server,
        decider,
        answer,
    }
}

fn json(s: &str) -> Json {
    serde_json::from_str(s).unwrap()
}

#[test]
fn messages_other_than_tool_calls_pass_through_byte_for_byte() {
    let r = rig(0, false);
    let lines = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
        r#"{ "method" : "notifications/initialized" , "jsonrpc":"2.0" }"#,
        r#"{"jsonrpc":"2.0","id":"x-2","method":"tools/list","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":7,"result":{"roots":[{"uri":"file:///w"}]}}"#,
    ];
    for l in lines {
        r.gw.from_client(format!("{l}\r\n").as_bytes());
    }
    assert_eq!(r.server.lines(), lines);
    assert!(r.client.lines().is_empty());
    assert!(r.decider.seen.lock().unwrap().is_empty());
}

#[test]
fn an_allowed_call_is_decided_as_the_prefixed_tool_and_forwarded_unchanged() {
    let r = rig(0, false);
    let l = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":"/w/a.txt"},"_meta":{"progressToken":9}}}"#;
    r.gw.from_client(l.as_bytes());
    assert_eq!(r.server.lines(), [l]);
    let seen = r.decider.seen.lock().unwrap();
    assert_eq!(
        json(&seen[0]),
        json(
            r#"{"tool":"mcp__fs__read_text_file","args":{"path":"/w/a.txt"},"session":{"id":"s-1"},"context":{"workspace":"/w"}}"#
        )
    );
}

#[test]
fn a_denied_call_is_answered_by_the_proxy_for_ids_of_every_json_type() {
    let r = rig(0, false);
    for id in [r#"5"#, r#""abc""#, r#"-1.5"#, r#"{"k":[1]}"#, r#""é\n""#] {
        let l = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"delete_file","arguments":{{"path":"/w/a"}}}}}}"#
        );
        r.gw.from_client(l.as_bytes());
    }
    assert!(r.server.lines().is_empty(), "the server saw a denied call");
    let replies = r.client.lines();
    assert_eq!(replies.len(), 5);
    for (reply, id) in replies.iter().zip([
        json("5"),
        json(r#""abc""#),
        json("-1.5"),
        json(r#"{"k":[1]}"#),
        json(r#""é\n""#),
    ]) {
        let v = json(reply);
        assert_eq!(v["id"], id);
        assert_eq!(v["result"]["isError"], true);
        assert_eq!(
            v["result"]["content"][0]["text"],
            "permit0 denied this call: mcp__fs__delete_file is not allowed"
        );
    }
}

#[test]
fn a_call_without_arguments_is_decided_with_empty_args() {
    let r = rig(0, false);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_all"}}"#,
    );
    assert_eq!(json(&r.decider.seen.lock().unwrap()[0])["args"], json("{}"));
    assert_eq!(r.server.lines().len(), 1);
}

#[test]
fn a_denied_notification_call_is_dropped_without_an_answer() {
    let r = rig(0, false);
    r.gw.from_client(br#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_file"}}"#);
    assert!(r.server.lines().is_empty());
    assert!(r.client.lines().is_empty());
}

#[test]
fn malformed_text_gets_an_error_and_never_reaches_the_server() {
    let r = rig(0, false);
    r.gw.from_client(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/ca");
    r.gw.from_client(b"\xff\xfe not utf-8");
    r.gw.from_client(b"42");
    // The server would read the last `method`, a reader of the first one
    // another: refused.
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","method":"ping","params":{"name":"delete_file"}}"#);
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    r.gw.from_client(deep.as_bytes());
    assert!(r.server.lines().is_empty(), "{:?}", r.server.lines());
    let codes: Vec<i64> = r
        .client
        .lines()
        .iter()
        .map(|l| {
            let v = json(l);
            // A batch is answered with a batch.
            let v = if v.is_array() { v[0].clone() } else { v };
            v["error"]["code"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(
        codes,
        [
            PARSE_ERROR,
            PARSE_ERROR,
            INVALID_REQUEST,
            INVALID_REQUEST,
            INVALID_REQUEST
        ]
    );
}

#[test]
fn a_tool_name_given_twice_is_refused_not_guessed() {
    let r = rig(0, false);
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"read_text_file","name":"delete_file"}}"#);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"arguments":{}}}"#,
    );
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":11,"method":"tools/call"}"#);
    assert!(r.server.lines().is_empty());
    let replies = r.client.lines();
    assert_eq!(replies.len(), 3);
    for (l, id) in replies.iter().zip([9, 10, 11]) {
        assert_eq!(json(l)["id"], id);
        assert_eq!(json(l)["error"]["code"], INVALID_PARAMS);
    }
}

/// A Go MCP server (`encoding/json`) matches member names without regard
/// to case, the last match winning: `"Method"` after `"method"` makes a
/// `ping` here a `tools/call` there, `"Name"` a `read_text_file` here a
/// `delete_file` there; the long s folds to `s`.
/// Every such message is refused and reaches no server.
#[test]
fn a_member_spelt_so_that_a_case_blind_server_reads_another_is_refused() {
    let r = rig(0, false);
    let smuggled = [
        r#"{"jsonrpc":"2.0","id":1,"method":"ping","Method":"tools/call","params":{"name":"delete_file"}}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{},"PARAMS":{"name":"delete_file"}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_text_file","Name":"delete_file"}}"#,
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"read_text_file\",\"arguments\":{\"path\":\"/w/a\"},\"argument\\u017f\":{\"path\":\"/etc/shadow\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{},\"param\u{017f}\":{\"name\":\"delete_file\"}}",
        // The method itself in another case: not `tools/call` here.
        r#"{"jsonrpc":"2.0","id":6,"method":"Tools/Call","params":{"name":"delete_file"}}"#,
        // The same inside a batch.
        r#"[{"jsonrpc":"2.0","id":7,"method":"ping","METHOD":"tools/call","params":{"name":"delete_file"}}]"#,
    ];
    for l in smuggled {
        r.gw.from_client(l.as_bytes());
    }
    assert!(r.server.lines().is_empty(), "{:?}", r.server.lines());
    let replies = r.client.lines();
    assert_eq!(replies.len(), smuggled.len(), "{replies:?}");
    for l in &replies {
        let v = json(l);
        let v = if v.is_array() { v[0].clone() } else { v };
        assert!(v["error"]["code"].is_i64(), "{l}");
    }
    // Names no reader folds into the protocol's pass: a member of the
    // server's own, `_meta`.
    let fine = r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"read_text_file","arguments":{},"_meta":{"progressToken":1}},"x-trace":"t"}"#;
    r.gw.from_client(fine.as_bytes());
    assert_eq!(r.server.lines(), [fine]);
}

/// The MCP Python SDK reads its stdin through `TextIOWrapper`, which ends a
/// line at a carriage return too. To the proxy `{"x":⏎{…delete…}⏎,
/// "method":"ping"}` is one `ping` (a CR is JSON whitespace); to such a
/// server its middle line is a `tools/call` of its own. Refused.
#[test]
fn a_carriage_return_inside_a_message_is_refused() {
    let r = rig(0, false);
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_file","arguments":{"path":"/w/a"}}}"#;
    let smuggled = format!(
        r#"{{"jsonrpc":"2.0","id":2,"x":{}{call}{},"method":"ping"}}"#,
        '\r', '\r'
    );
    r.gw.from_client(format!("{smuggled}\n").as_bytes());
    r.gw.from_client(format!("[{smuggled}]\r\n").as_bytes());
    assert!(r.server.lines().is_empty(), "{:?}", r.server.lines());
    assert_eq!(r.client.lines().len(), 2);
    for l in r.client.lines() {
        assert_eq!(json(&l)["error"]["code"], INVALID_REQUEST);
    }
    // A CRLF line ending is not inside the message: a `ping` so framed
    // still passes.
    let ping = r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#;
    r.gw.from_client(format!("{ping}\r\n").as_bytes());
    assert_eq!(r.server.lines(), [ping]);
}

#[test]
fn a_cancel_for_a_refused_call_stays_here_and_others_reach_the_server() {
    let r = rig(0, false);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":"d1","method":"tools/call","params":{"name":"delete_file"}}"#,
    );
    r.gw.from_client(br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"d1","reason":"user"}}"#);
    let other =
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r1"}}"#;
    r.gw.from_client(other.as_bytes());
    assert_eq!(r.server.lines(), [other]);
}

#[test]
fn an_escalation_is_held_until_approved_then_forwarded() {
    let r = rig(30, false);
    let l = r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"send_mail","arguments":{"to":"a@b"}}}"#;
    r.gw.from_client(l.as_bytes());
    // Meanwhile other traffic flows.
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#);
    assert_eq!(r.server.lines().len(), 1);
    r.answer.send(Decision::Allow).unwrap();
    wait_for(|| r.server.lines().len() == 2);
    assert_eq!(r.server.lines()[1], l);
    assert!(r.client.lines().is_empty());
}

#[test]
fn an_escalation_still_pending_is_refused_with_the_approval_link() {
    let r = rig(30, false);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"send_mail"}}"#,
    );
    r.answer
        .send(Decision::Escalate {
            reason: "still pending".into(),
            approval: None,
        })
        .unwrap();
    wait_for(|| r.client.lines().len() == 1);
    let v = json(&r.client.lines()[0]);
    assert_eq!(v["id"], 4);
    assert_eq!(v["result"]["isError"], true);
    let text = v["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("needs approval (mail needs a human)"),
        "{text}"
    );
    assert!(
        text.contains("apr_1") && text.contains("http://p0/ui/approvals/apr_1"),
        "{text}"
    );
    assert!(r.server.lines().is_empty());
}

#[test]
fn a_held_call_the_client_cancels_is_neither_forwarded_nor_answered() {
    let r = rig(30, false);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":"m","method":"tools/call","params":{"name":"send_mail"}}"#,
    );
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"m"}}"#,
    );
    r.answer.send(Decision::Allow).unwrap();
    wait_for(|| lock(&r.gw.state).held.is_empty());
    assert!(r.server.lines().is_empty(), "{:?}", r.server.lines());
    assert!(r.client.lines().is_empty());
}

#[test]
fn without_waiting_an_escalation_is_refused_at_once() {
    let r = rig(0, false);
    r.gw.from_client(
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"send_mail"}}"#,
    );
    let v = json(&r.client.lines()[0]);
    assert!(v["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("apr_1"));
    assert!(r.server.lines().is_empty());
}

#[test]
fn a_batch_forwards_what_is_allowed_and_answers_the_rest() {
    let r = rig(30, false);
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let read = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_x"}}"#;
    let del = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"delete_x"}}"#;
    let send = r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"send_x"}}"#;
    r.gw.from_client(format!("[{ping}, {read}, {del}, {send}]").as_bytes());
    assert_eq!(r.server.lines(), [format!("[{ping},{read}]")]);
    let replies = json(&r.client.lines()[0]);
    assert_eq!(replies[0]["id"], 3);
    assert_eq!(replies[1]["id"], 4);
    assert!(replies[1]["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("apr_1"));
    // A batch with nothing to refuse passes as it came.
    let all = format!("[{ping} , {read}]");
    r.gw.from_client(all.as_bytes());
    assert_eq!(r.server.lines()[1], all);
    // An empty batch is an error.
    r.gw.from_client(b"[]");
    assert_eq!(json(&r.client.lines()[1])["error"]["code"], INVALID_REQUEST);
}

#[test]
fn server_messages_pass_through_and_hide_denied_filters_only_tool_lists() {
    let r = rig(0, true);
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":"L","method":"tools/list"}"#);
    let sampling = r#"{"jsonrpc":"2.0","id":"L","method":"sampling/createMessage","params":{}}"#;
    r.gw.from_server(format!("{sampling}\n").as_bytes());
    let list = r#"{"jsonrpc":"2.0","id":"L","result":{"tools":[{"name":"read_file","inputSchema":{}},{"name":"delete_file","inputSchema":{}}],"nextCursor":"c"}}"#;
    r.gw.from_server(list.as_bytes());
    // Another response with the same id is not a tools/list answer any more.
    r.gw.from_server(list.as_bytes());
    let out = r.client.lines();
    assert_eq!(out[0], sampling);
    let v = json(&out[1]);
    assert_eq!(v["result"]["tools"].as_array().unwrap().len(), 1);
    assert_eq!(v["result"]["tools"][0]["name"], "read_file");
    assert_eq!(v["result"]["nextCursor"], "c");
    assert_eq!(out[2], list);
}

#[test]
fn without_hide_denied_a_tool_list_is_untouched() {
    let r = rig(0, false);
    r.gw.from_client(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    let list = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"delete_file"}]}}"#;
    r.gw.from_server(list.as_bytes());
    assert_eq!(r.client.lines(), [list]);
}

#[test]
fn server_names_are_checked() {
    assert!(valid_server_name("filesystem"));
    assert!(valid_server_name("my-fs_2"));
    assert!(!valid_server_name("a__b"));
    assert!(!valid_server_name(""));
    assert!(!valid_server_name("a b"));
}

fn wait_for(f: impl Fn() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("condition not reached in 5 s");
}

/// `--hide-denied` with a real compiled program: which tools are denied
/// whatever their arguments.
mod hide_denied {
    use crate::{Decider, Embedded};
    use permit0_authorizer::Authorizer;
    use permit0_compiler::{build_program, compile, Input};

    const POLICY: &str = r#"
policy gateway

tool move_file -> file.move {
  source_path = args.source
  target_path = args.destination
  overwrite = false
}
tool write_file -> file.write {
  path = args.path
  overwrite = false
}
tool delete_file -> file.delete {
  path = args.path
  recursive = false
}
tool read_file -> file.read {
  path = args.path
}

when file.move then deny "no moves"
when file.write path ends_with ".sh" then deny "no scripts"
when file.delete path == "keep.txt" then deny "kept"
when file.delete then escalate "deletes need a human"
when file.delete then deny "no deletes"
when file.read then allow
"#;

    fn gateway() -> Embedded {
        let c = compile(vec![Input::from_text("gateway.p0", POLICY)]);
        let errors: Vec<String> = c.errors().map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let program = build_program(&c).unwrap();
        Embedded::new(Authorizer::from_program(program, vec![]))
    }

    #[test]
    fn only_tools_denied_on_every_path_count_as_always_denied() {
        let g = gateway();
        // An unconditional deny.
        assert!(g.denies_always("mcp__fs__move_file"));
        // A conditional deny and an escalate alongside an unconditional
        // deny: deny beats escalate, on every path.
        assert!(g.denies_always("mcp__fs__delete_file"));
        // Denied only for some paths: not certain.
        assert!(!g.denies_always("mcp__fs__write_file"));
        assert!(!g.denies_always("mcp__fs__read_file"));
        // A tool the bundle does not map escalates: not certain.
        assert!(!g.denies_always("mcp__fs__format_disk"));
        // The bare name reads the same.
        assert!(g.denies_always("move_file"));
    }

    /// Conditional mappings: a call takes the first mapping whose
    /// condition holds, so a tool is always denied only when every mapping
    /// a call can reach is — and a tool with no unconditional mapping left
    /// over refuses (escalates) the calls none of them takes.
    const CONDITIONAL: &str = r#"
policy gateway

tool move_or_delete when args.destination == "" -> file.delete {
  path = args.source
  recursive = false
}
tool move_or_delete -> file.move {
  source_path = args.source
  target_path = args.destination
  overwrite = false
}
tool delete_or_read when args.path == "keep.txt" -> file.delete {
  path = args.path
  recursive = false
}
tool delete_or_read -> file.read {
  path = args.path
}
tool only_when_deleting when args.path == "x" -> file.delete {
  path = args.path
  recursive = false
}

when file.move then deny "no moves"
when file.delete then deny "no deletes"
when file.read then allow
"#;

    #[test]
    fn a_tool_with_conditional_mappings_is_always_denied_only_if_every_branch_is() {
        let c = compile(vec![Input::from_text("gateway.p0", CONDITIONAL)]);
        let errors: Vec<String> = c.errors().map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let program = build_program(&c).unwrap();
        // Both branches deny.
        assert!(program.denies_tool_always("move_or_delete"));
        // The first branch denies, but other calls are reads and allowed.
        assert!(!program.denies_tool_always("delete_or_read"));
        // Calls the one conditional mapping does not take are refused as
        // escalate, not denied.
        assert!(!program.denies_tool_always("only_when_deleting"));
    }

    #[test]
    fn what_is_always_denied_is_denied_for_any_arguments_tried() {
        let g = gateway();
        for args in [
            r#"{"source": "a", "destination": "b"}"#,
            r#"{"source": "", "destination": "/"}"#,
        ] {
            let req = format!(r#"{{"tool": "mcp__fs__move_file", "args": {args}}}"#);
            assert!(
                matches!(g.decide(req.as_bytes()), crate::Decision::Deny(_)),
                "{args}"
            );
        }
    }
}

/// Whatever the client sends, the proxy does not crash, and nothing reaches
/// the server as a `tools/call` that was not decided and allowed.
mod any_text {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_x"}}"#
                    .to_owned()
            ),
            Just(
                r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_x"}}"#
                    .to_owned()
            ),
            Just(r#"{"method":"tools/call","method":"ping"}"#.to_owned()),
            Just(
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#
                    .to_owned()
            ),
            Just("[".to_owned()),
            Just("]".to_owned()),
            Just(",".to_owned()),
            Just("{".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            "[ -~]{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn no_crash_and_no_undecided_call_reaches_the_server(parts in prop::collection::vec(fragment(), 0..8)) {
            let r = rig(0, false);
            r.gw.from_client(parts.concat().as_bytes());
            for line in r.server.lines() {
                // Whatever was forwarded names no denied tool.
                prop_assert!(!line.contains("delete_x"), "{line}");
            }
            for line in r.client.lines() {
                prop_assert!(serde_json::from_str::<Json>(&line).is_ok(), "{line}");
            }
        }
    }
}

/// A decider for `run`: `read_*` allowed, everything else denied.
fn by_name() -> Arc<ByName> {
    Arc::new(ByName {
        seen: Mutex::default(),
        answers: Mutex::new(None),
    })
}

fn opts() -> Options {
    Options {
        server: "fs".into(),
        session: "s-1".into(),
        context: None,
        wait: Duration::ZERO,
        hide_denied: false,
    }
}

#[test]
fn a_client_message_over_the_limit_is_refused_with_its_id_and_never_reaches_the_server() {
    // The agent sends a 17 MiB `tools/call` on one line, then a ping. The
    // proxy must not hold the whole line: it answers the call with an error
    // naming its id, drops the rest of the line, and relays the ping. `cat`
    // is the server, so anything forwarded comes back.
    let big = "A".repeat(MAX_CLIENT_MESSAGE + (1 << 20));
    let call = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{{"name":"read_file","arguments":{{"t":"{big}"}}}}}}"#
    );
    let ping = r#"{"jsonrpc":"2.0","id":10,"method":"ping"}"#;
    let input = format!("{call}\n{ping}\n").into_bytes();
    let out = Buf::default();
    let code = run(
        opts(),
        by_name(),
        Command::new("cat"),
        Box::new(io::Cursor::new(input)),
        Box::new(out.clone()),
    )
    .unwrap();
    assert_eq!(code, 0);
    let lines = out.lines();
    assert_eq!(
        lines.len(),
        2,
        "{:?}",
        lines.iter().map(|l| l.len()).collect::<Vec<_>>()
    );
    let refused = json(&lines[0]);
    assert_eq!(refused["id"], 9);
    assert_eq!(refused["error"]["code"], INVALID_REQUEST);
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("16 MiB"));
    // The only thing `cat` echoed is the ping: the call never reached it.
    assert_eq!(lines[1], ping);
}

#[test]
fn an_over_long_message_keeps_at_most_the_limit_in_memory_and_the_next_one_is_read() {
    // With a 1 KiB limit, a 1 MiB line fills the buffer to the limit and no
    // further; the rest of its line is dropped and the next message is whole.
    let limit = 1024;
    let input = format!("{}\n{{\"id\":2}}\r\n", "x".repeat(1 << 20));
    let mut r = io::BufReader::with_capacity(4096, io::Cursor::new(input));
    let mut buf = Vec::new();
    assert_eq!(
        read_message(&mut r, &mut buf, limit).unwrap(),
        Read1::TooLong { ended: false }
    );
    assert_eq!(buf.len(), limit);
    skip_line(&mut r).unwrap();
    assert!(buf.capacity() < 3 * limit + 4096, "{}", buf.capacity());
    assert_eq!(
        read_message(&mut r, &mut buf, limit).unwrap(),
        Read1::Message
    );
    assert_eq!(buf, b"{\"id\":2}\r\n");
    assert_eq!(read_message(&mut r, &mut buf, limit).unwrap(), Read1::End);
    // Exactly at the limit (line ending aside) is a message; one more byte is not.
    let at = format!("{}\n{}\n", "y".repeat(limit), "z".repeat(limit + 1));
    let mut r = io::BufReader::with_capacity(64, io::Cursor::new(at));
    assert_eq!(
        read_message(&mut r, &mut buf, limit).unwrap(),
        Read1::Message
    );
    assert!(matches!(
        read_message(&mut r, &mut buf, limit).unwrap(),
        Read1::TooLong { .. }
    ));
    skip_line(&mut r).unwrap();
    assert_eq!(read_message(&mut r, &mut buf, limit).unwrap(), Read1::End);
}

#[test]
fn the_id_of_an_over_long_message_is_read_only_when_it_comes_whole_before_the_cut() {
    // The error answer names the id when it can; otherwise it says null
    // (JSON-RPC's answer to a request whose id cannot be read).
    assert_eq!(
        leading_id(br#"{"jsonrpc":"2.0", "id" : "a-1","method":"tools/call","params":{"x":"#)
            .as_deref(),
        Some(r#""a-1""#)
    );
    assert_eq!(
        leading_id(br#"{"method":"x","id":7,"params":[1,2"#).as_deref(),
        Some("7")
    );
    // A number at the cut may have lost digits (12 of 123).
    assert_eq!(leading_id(br#"{"method":"x","id":12"#), None);
    // The id after the over-long part, an object id, a batch, not JSON.
    assert_eq!(leading_id(br#"{"method":"x","params":{"t":"AAAA"#), None);
    assert_eq!(leading_id(br#"{"id":{"a":1},"method":"x""#), None);
    assert_eq!(leading_id(br#"[{"id":1,"method":"ping"},"#), None);
    assert_eq!(leading_id(b"garbage"), None);
    // An over-long batch or garbage gets an error with id null.
    let r = rig(0, false);
    r.gw.too_long_from_client(br#"[{"id":1,"method":"ping"},{"#);
    let v = json(&r.client.lines()[0]);
    assert_eq!(v["id"], Json::Null);
    assert_eq!(v["error"]["code"], INVALID_REQUEST);
    assert!(r.server.lines().is_empty());
}

#[test]
fn a_server_message_over_the_limit_stops_the_proxy_with_an_error() {
    // A server that writes more than 64 MiB without a newline: the proxy
    // cannot frame its output any more, so it stops (and kills the server)
    // rather than hold it all or guess where the next message begins.
    let mut server = Command::new("sh");
    server.args([
        "-c",
        &format!("head -c {} /dev/zero; sleep 30", MAX_SERVER_MESSAGE + 10),
    ]);
    let out = Buf::default();
    let (_keep_open, client_in) = {
        let (tx, rx) = mpsc::channel::<()>();
        // A client that stays open until the test ends.
        struct Open(mpsc::Receiver<()>);
        impl Read for Open {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                let _ = self.0.recv();
                Ok(0)
            }
        }
        (tx, Open(rx))
    };
    let t = Instant::now();
    let e = run(
        opts(),
        by_name(),
        server,
        Box::new(client_in),
        Box::new(out.clone()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("longer than 64 MiB"), "{e}");
    assert!(!e.to_string().contains("cannot run"), "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "the server was not killed"
    );
    assert!(out.lines().is_empty());
}
