//! Shipped taxonomy file names in, paths an editor can open out.
//!
//! The taxonomy is embedded in the binary, and spans into it point at names
//! such as `taxonomy/email.p0`. For go-to-definition and related information
//! the editor needs a real file: the workspace's own `taxonomy/` when it holds
//! the same text (working on permit0 itself), otherwise a read-only copy
//! written once to `$XDG_CACHE_HOME/permit0/taxonomy/<version>/` (or
//! `~/.cache/…`, or the temporary directory).

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct TaxonomyFiles {
    roots: Vec<PathBuf>,
    cache_dir: Option<PathBuf>,
    resolved: OnceCell<BTreeMap<&'static str, PathBuf>>,
}

impl TaxonomyFiles {
    /// `roots`: the workspace folders, searched for a `taxonomy/` folder with
    /// the same text. `cache_dir` overrides where copies are written.
    pub fn new(roots: Vec<PathBuf>, cache_dir: Option<PathBuf>) -> TaxonomyFiles {
        TaxonomyFiles {
            roots,
            cache_dir,
            resolved: OnceCell::new(),
        }
    }

    /// The path of a shipped taxonomy file, by its name in the source map.
    pub fn path(&self, name: &str) -> Option<&Path> {
        self.resolved
            .get_or_init(|| self.resolve_all())
            .get(name)
            .map(PathBuf::as_path)
    }

    pub fn is_taxonomy_name(name: &str) -> bool {
        permit0_compiler::taxonomy::files()
            .iter()
            .any(|(n, _)| *n == name)
    }

    fn resolve_all(&self) -> BTreeMap<&'static str, PathBuf> {
        let mut out = BTreeMap::new();
        let cache = self.cache_dir.clone().or_else(default_cache_dir).map(|d| {
            d.join("permit0")
                .join("taxonomy")
                .join(permit0_compiler::taxonomy::version())
        });
        for (name, text) in permit0_compiler::taxonomy::files() {
            let on_disk = self
                .roots
                .iter()
                .map(|r| r.join(name))
                .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t == *text));
            let path = on_disk.or_else(|| {
                let dir = cache.as_ref()?;
                let file = dir.join(Path::new(name).file_name()?);
                if std::fs::read_to_string(&file).is_ok_and(|t| t == *text) {
                    return Some(file);
                }
                std::fs::create_dir_all(dir).ok()?;
                set_readonly(&file, false);
                std::fs::write(&file, text).ok()?;
                // A copy, not the source: editing it would change nothing.
                set_readonly(&file, true);
                Some(file)
            });
            if let Some(p) = path {
                out.insert(*name, p);
            }
        }
        out
    }
}

fn set_readonly(file: &Path, readonly: bool) {
    if let Ok(meta) = std::fs::metadata(file) {
        let mut perms = meta.permissions();
        #[allow(clippy::permissions_set_readonly_false)] // our own cache file
        perms.set_readonly(readonly);
        let _ = std::fs::set_permissions(file, perms);
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    std::env::var_os("XDG_CACHE_HOME")
        .and_then(nonempty)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(nonempty)
                .map(|h| h.join(".cache"))
        })
        .or_else(|| std::env::var_os("LOCALAPPDATA").and_then(nonempty))
        .or_else(|| Some(std::env::temp_dir()))
}
