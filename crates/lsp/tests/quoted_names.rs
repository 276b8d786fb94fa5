//! Quoted names (`args."-n"`, a raw argument whose name is not a word) in
//! the editor: a mapping of Claude Code's Grep, with its `-n`, `-i` and
//! `-C` flags, is clean, formats as `permit0 fmt` does, and hover and
//! completion around the quoted names answer as they do around plain ones.
//! A quoted name that names nothing is reported on exactly its text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{apply_edits, cursor, insert_text, item, slice, Client};
use lsp_types::NumberOrString;

const GREP: &str = "tool acme_grep -> file.search {
  path = first(args.path, \".\")
  pattern = first(args.\"pattern\", \"\")
  content_search = flag(args.\"-F\", true)
  _ = [args.\"-n\", args.\"-i\", args.\"-C\", args.glob]
}
";

#[test]
fn a_mapping_of_grep_flags_is_clean_and_formats_like_permit0_fmt() {
    let mut c = Client::new();
    let uri = c.open("grep.p0", GREP);
    let diags = c.diagnostics_at(&uri, 1);
    assert!(diags.is_empty(), "{diags:#?}");
    let edits = c
        .request::<lsp_types::request::Formatting>(lsp_types::DocumentFormattingParams {
            text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
            options: lsp_types::FormattingOptions {
                tab_size: 2,
                insert_spaces: true,
                ..Default::default()
            },
            work_done_progress_params: Default::default(),
        })
        .expect("edits");
    let formatted = apply_edits(GREP, &edits);
    assert_eq!(
        formatted,
        permit0_compiler::fmt::format_source(GREP).unwrap()
    );
    // `pattern` is a word and prints bare; the flags stay quoted.
    assert!(
        formatted.contains("pattern = first(args.pattern, \"\")"),
        "{formatted}"
    );
    assert!(
        formatted.contains("_ = [args.\"-n\", args.\"-i\", args.\"-C\", args.glob]"),
        "{formatted}"
    );
    c.shutdown();
}

#[test]
fn hover_beside_a_quoted_name_still_answers_and_on_it_says_nothing() {
    let (text, pos) = cursor(&GREP.replace("flag(args.\"-F\"", "fl$0ag(args.\"-F\""));
    let mut c = Client::new();
    let uri = c.open("h.p0", &text);
    let h = c.hover(&uri, pos).expect("hover on the builtin");
    assert!(h.contains("flag("), "{h}");
    let (text, pos) = cursor(&GREP.replace("args.\"-n\"", "args.\"-$0n\""));
    let uri = c.open("h2.p0", &text);
    assert_eq!(
        c.hover(&uri, pos),
        None,
        "a raw argument has no declaration"
    );
    c.shutdown();
}

#[test]
fn completion_after_a_line_of_quoted_names_offers_the_remaining_fields() {
    let (text, pos) = cursor(
        "tool acme_grep -> file.search {\n  _ = [args.\"-n\", args.\"-i\"]\n  path = args.\"path\"\n  $0\n}\n",
    );
    let mut c = Client::new();
    let uri = c.open("c.p0", &text);
    let items = c.completion(&uri, pos);
    c.shutdown();
    assert_eq!(insert_text(item(&items, "pattern")), "pattern = ");
    assert!(
        !items.iter().any(|i| i.label == "path"),
        "`path` is mapped already"
    );
}

#[test]
fn a_quoted_name_outside_a_raw_argument_is_reported_on_its_text() {
    let text = "when file.read has actor.role and actor.\"x-role\" == \"admin\" then allow\n";
    let mut c = Client::new();
    let uri = c.open("r.p0", text);
    let diags = c.diagnostics_at(&uri, 1);
    assert_eq!(diags.len(), 1, "one mistake, one diagnostic: {diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Some(NumberOrString::String("P0114".into())));
    assert_eq!(slice(text, d.range), "\"x-role\"");
    assert!(d.message.contains("only a raw argument"), "{}", d.message);
    c.shutdown();
}
