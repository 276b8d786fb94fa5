//! The line index against a naive reference, on text full of multi-byte and
//! astral characters and every kind of line break.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use lsp_types::Position;
use permit0_lsp::line_index::LineIndex;
use proptest::prelude::*;

/// Position of a byte offset, counted the slow way.
fn naive(text: &str, offset: usize) -> Position {
    let mut line = 0u32;
    let mut col = 0u32;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if i >= offset {
            break;
        }
        match c {
            '\r' if matches!(chars.peek(), Some((_, '\n'))) => {
                // `\r\n`: the offset between them is the end of the line.
                let (j, _) = chars.next().unwrap();
                if j >= offset {
                    break;
                }
                line += 1;
                col = 0;
            }
            '\n' | '\r' => {
                line += 1;
                col = 0;
            }
            c => col += c.len_utf16() as u32,
        }
    }
    Position {
        line,
        character: col,
    }
}

fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => prop::char::range('a', 'e'),
        1 => Just(' '),
        1 => Just('\n'),
        1 => Just('\r'),
        1 => Just('é'),   // 2 bytes, 1 unit
        1 => Just('€'),   // 3 bytes, 1 unit
        1 => Just('😀'),  // 4 bytes, 2 units
        1 => Just('𝄞'),   // 4 bytes, 2 units
        1 => Just('\u{10FFFF}'),
    ];
    prop::collection::vec(ch, 0..120).prop_map(|v| v.into_iter().collect())
}

fn inside_crlf(text: &str, i: usize) -> bool {
    i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') && text.as_bytes().get(i) == Some(&b'\n')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn positions_match_the_naive_count_and_round_trip(t in text()) {
        let idx = LineIndex::new(&t);
        let mut last = Position { line: 0, character: 0 };
        for i in (0..=t.len()).filter(|i| t.is_char_boundary(*i)) {
            let p = idx.position(i as u32);
            prop_assert_eq!(p, naive(&t, i), "offset {}", i);
            prop_assert!(p >= last, "positions grow with offsets");
            last = p;
            if !inside_crlf(&t, i) {
                prop_assert_eq!(idx.offset(p) as usize, i, "round trip at {}", i);
            }
        }
    }

    #[test]
    fn any_position_maps_to_a_char_boundary(t in text(), line in 0u32..40, character in 0u32..200) {
        let idx = LineIndex::new(&t);
        let o = idx.offset(Position { line, character }) as usize;
        prop_assert!(o <= t.len());
        prop_assert!(t.is_char_boundary(o));
        // Converting back and forth again is stable.
        let p = idx.position(o as u32);
        prop_assert_eq!(idx.offset(p) as usize, o);
        // A clamped position never moves past the one asked for.
        prop_assert!(p.line < line || (p.line == line && p.character <= character) || line as usize >= idx.line_count());
    }

    #[test]
    fn offsets_inside_characters_snap_back(t in text()) {
        let idx = LineIndex::new(&t);
        for i in 0..=t.len() + 2 {
            let p = idx.position(i as u32);
            let back = idx.offset(p) as usize;
            prop_assert!(back <= i.min(t.len()));
            prop_assert!(t.is_char_boundary(back));
        }
    }
}

#[test]
fn utf16_columns_not_chars_or_bytes() {
    let t = "let x = \"😀\" # é\nwhen";
    let idx = LineIndex::new(t);
    // After the emoji: 9 ASCII + 2 units.
    let after = t.find("😀").unwrap() + '😀'.len_utf8();
    assert_eq!(
        idx.position(after as u32),
        Position {
            line: 0,
            character: 11
        }
    );
    assert_eq!(
        idx.position(t.find("when").unwrap() as u32),
        Position {
            line: 1,
            character: 0
        }
    );
}
