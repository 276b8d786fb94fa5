//! Request values as the VM reads them: typed, with strings pre-folded for
//! case-insensitive matching so `decide` never has to allocate.

/// A string with its folded form: lowercased, with invisible format
/// characters (zero-width spaces, soft hyphens, bidi controls) removed, so
/// `PassWord`, `pass\u{200B}word` and `password` match the same keyword.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub raw: Box<str>,
    pub folded: Box<str>,
}

impl Text {
    pub fn new(raw: &str) -> Text {
        Text {
            raw: raw.into(),
            folded: fold(raw).into_boxed_str(),
        }
    }
}

/// The folding used by every text operator, at compile time on keywords and
/// at bind time on request strings: the invisible characters of
/// [`crate::text::is_invisible`] removed, then lowercased.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !crate::text::is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Value {
    /// An optional field the request did not send. Every test of it is false.
    #[default]
    Absent,
    Bool(bool),
    /// int, money (minor units), duration (ms), time (ms since the epoch)
    Int(i64),
    /// Index of the member in the field's enum.
    Enum(u16),
    Str(Text),
    List(Box<[Text]>),
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
    fn folding_defeats_case_and_invisible_characters() {
        assert_eq!(fold("PassWord"), "password");
        assert_eq!(fold("pass\u{200B}word"), "password");
        assert_eq!(fold("API\u{00AD}_KEY"), "api_key");
        assert_eq!(fold("ÄRGER"), "ärger");
    }
}
