//! Sets of characters that more than one part of permit0 must agree on:
//! what the VM's text matcher folds away (`permit0_vm::value::fold`), the
//! secret scanner skips, and the policy formatter writes as an escape so a
//! reader sees it (`permit0_syntax::fmt`) — one definition, so what is shown is
//! exactly what is ignored.

/// Characters that render as nothing (or only steer the text's direction)
/// and are put inside a word to split it: soft hyphen, combining grapheme
/// joiner, zero-width spaces and joiners, bidi marks, embeddings, overrides
/// and isolates, invisible operators, Hangul and Mongolian fillers and
/// separators, variation selectors, the BOM, shorthand format controls and
/// the tag characters. `pass\u{200B}word` reads as `password`; the matcher
/// folds these away and the formatter prints them as `\u{…}`.
pub fn is_invisible(c: char) -> bool {
    if (c as u32) < 0xAD {
        return false;
    }
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{E0000}'..='\u{E0FFF}')
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

    #[test]
    fn the_set_holds_the_characters_that_split_words_unseen() {
        for c in [
            '\u{AD}',
            '\u{200B}',
            '\u{200D}',
            '\u{200E}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{3164}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        for c in [
            'a',
            ' ',
            '\n',
            '\u{A0}',
            'é',
            '\u{2028}',
            '\u{1F600}',
            '\u{FF41}',
        ] {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }
}
