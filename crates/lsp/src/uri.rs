//! `file:` URIs in, paths out (and back), with percent-encoding.

use lsp_types::Uri;
use std::path::{Path, PathBuf};

/// The local path of a `file:` URI (`file:///a/b.p0`, `file://localhost/a`,
/// `file:///C:/a` on Windows). Other schemes have none.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let decoded = percent_decode(rest)?;
    if cfg!(windows) {
        // `/C:/x` → `C:/x`
        let b = decoded.as_bytes();
        if b.len() >= 3 && b.get(2) == Some(&b':') {
            return decoded.get(1..).map(PathBuf::from);
        }
    }
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    let s = path.to_str()?;
    let s = s.replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// A short name for a document: its path, or the URI for other schemes.
pub fn display_name(uri: &Uri) -> String {
    match to_path(uri) {
        Some(p) => p.display().to_string(),
        None => uri.as_str().to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_with_spaces_and_unicode() {
        let p = Path::new("/tmp/my policies/réfunds #1.p0");
        let u = from_path(p).unwrap();
        assert_eq!(
            u.as_str(),
            "file:///tmp/my%20policies/r%C3%A9funds%20%231.p0"
        );
        assert_eq!(to_path(&u).unwrap(), p);
        let u: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(to_path(&u), None);
    }
}
