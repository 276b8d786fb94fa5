//! The canonical taxonomy shipped with permit0: the `.p0` files of
//! `taxonomy/`, embedded at build time.

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/taxonomy_files.rs"));
}

/// `(name, text)` of every shipped taxonomy file, sorted by name.
pub fn files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// The taxonomy's version, e.g. `2026.11.0`.
pub fn version() -> &'static str {
    embedded::VERSION.trim()
}
