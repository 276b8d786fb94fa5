//! A name nobody knows in, the known name it was probably meant to be out:
//! the one "did you mean" of permit0. The compiler's diagnostics (an unknown
//! action, field, function, type…), the CLI (`permit0 taxonomy FILTER`, a
//! risk profile's floors) and the request binder (an unknown request field)
//! all ask [`did_you_mean`], so one typo gets one answer everywhere.

/// The most edits a name of `word`'s length may be from a suggestion: one
/// per three characters, at least one (`id` → `idd`, `amount` → `amout`,
/// `refund` → `refnud`, `payments.refund` → `paymnets.refnd`). Short names
/// stay strict, so `to` does not suggest `id` and `foo` does not suggest
/// `to`.
pub fn max_edits(word: &str) -> usize {
    (word.chars().count() / 3).max(1)
}

/// Whether one name is the other cut short (`length` for `len`, `payments`
/// for `payments.refund`): the shorter is the start of the longer, ignoring
/// case, has at least three characters and at least half the longer's.
fn cut_short(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let n = short.chars().count();
    n >= 3 && 2 * n >= long.chars().count() && long.starts_with(&short)
}

/// The one rule: the candidate closest to `word` (fewest edits, letters
/// compared without case, so `financial` suggests `FINANCIAL`) among those
/// within [`max_edits`] of it or that it is cut short from or to; a tie goes
/// to the candidate first in byte order, so the answer never depends on the
/// order the candidates come in. `word` itself is never suggested.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    let limit = max_edits(word);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= limit || cut_short(word, c))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Edit distance between two names, ignoring letter case: insertions,
/// deletions, substitutions, and swaps of two adjacent characters each count
/// as one edit (optimal string alignment), so `refnud` is one edit from
/// `refund`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for i in 0..=a.len() {
        if let Some(c) = d.get_mut(at(i, 0)) {
            *c = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(c) = d.get_mut(at(0, j)) {
            *c = j;
        }
    }
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let (i1, j1) = (i + 1, j + 1);
            let cost = usize::from(ca != cb);
            let get = |x: usize, y: usize| d.get(at(x, y)).copied().unwrap_or(usize::MAX / 2);
            let mut v = (get(i, j1) + 1).min(get(i1, j) + 1).min(get(i, j) + cost);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(i - 1, j - 1) + 1);
            }
            if let Some(c) = d.get_mut(at(i1, j1)) {
                *c = v;
            }
        }
    }
    d.get(at(a.len(), b.len())).copied().unwrap_or(usize::MAX)
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

    const FIELDS: [&str; 8] = [
        "amount",
        "currency",
        "id",
        "to",
        "recipients",
        "subject",
        "payee",
        "reason",
    ];
    const ACTIONS: [&str; 4] = [
        "payments.refund",
        "payments.transfer",
        "email.send",
        "acme.approve_invoice",
    ];

    #[test]
    fn typical_typos_get_the_name_they_meant() {
        for (typo, meant) in [
            ("amout", "amount"),      // a letter dropped
            ("ammount", "amount"),    // a letter doubled
            ("currnecy", "currency"), // two letters swapped
            ("idd", "id"),            // short: one edit
            ("Amount", "amount"),     // case only
            ("recipient", "recipients"),
            ("subjet", "subject"),
            ("curr", "currency"), // cut short
            ("payees", "payee"),  // one too many
        ] {
            assert_eq!(did_you_mean(typo, FIELDS), Some(meant), "{typo}");
        }
        for (typo, meant) in [
            ("payments.refnud", "payments.refund"),
            ("paymnets.refnd", "payments.refund"),
            ("email.sned", "email.send"),
            ("acme.aprove_invoice", "acme.approve_invoice"),
            ("payments.refunds", "payments.refund"),
        ] {
            assert_eq!(did_you_mean(typo, ACTIONS), Some(meant), "{typo}");
        }
    }

    #[test]
    fn unrelated_words_get_no_suggestion() {
        for word in [
            "zzz",
            "foo",
            "x",
            "on",
            "total",
            "sender",
            "priority",
            "payments.charge",
            "cur",                 // too short to stand for `currency`
            "amounts_by_currency", // `amount` is less than half of it
        ] {
            assert_eq!(did_you_mean(word, FIELDS), None, "{word} among fields");
            assert_eq!(did_you_mean(word, ACTIONS), None, "{word} among actions");
        }
        // The word itself is not a suggestion, nor is anything from nothing.
        assert_eq!(did_you_mean("amount", ["amount"]), None);
        assert_eq!(did_you_mean("", FIELDS), None);
        // The closest wins: a typo beats a name cut short.
        assert_eq!(did_you_mean("lenght", ["len", "length"]), Some("length"));
        assert_eq!(did_you_mean("length", ["len", "lengths"]), Some("lengths"));
    }

    #[test]
    fn ties_do_not_depend_on_order() {
        // `cat` is one edit from both.
        assert_eq!(did_you_mean("cat", ["cut", "bat"]), Some("bat"));
        assert_eq!(did_you_mean("cat", ["bat", "cut"]), Some("bat"));
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("refnud", "refund"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ÄRGER", "ärger"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
