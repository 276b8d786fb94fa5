//! The standard library of policies shipped with permit0: the `.p0` files of
//! `stdlib/`, embedded at build time. Commands add it to every compilation
//! unless told not to (`--no-stdlib`) or unless the inputs carry their own
//! copy (a policy named `stdlib.…`).

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));
}

/// File names of the embedded stdlib start with this.
pub const PREFIX: &str = "<stdlib>/";

/// `(name, text)` of every stdlib file, sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// The stdlib as compiler inputs.
pub fn inputs() -> Vec<crate::Input> {
    files()
        .iter()
        .map(|(name, text)| crate::Input::from_text(*name, *text))
        .collect()
}

/// Whether these inputs already hold a stdlib (a policy named `stdlib.…`),
/// so the embedded one must not be added twice.
pub fn provided_by(inputs: &[crate::Input]) -> bool {
    inputs.iter().any(|i| {
        i.text
            .lines()
            .any(|l| l.trim_start().starts_with("policy stdlib."))
    })
}
