//! Reading files an agent may have replaced. A coding agent runs as the
//! same user as `permit0 hook` and can put a FIFO or a device where the
//! hook's bundle, key, config or session files belong; waiting on one would
//! hold the hook until the host's timeout, which the host reads as "go
//! ahead". Every file the hook reads is opened through here.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

/// Opens `path` only if it is a regular file, and without waiting on one
/// that is not (`O_NONBLOCK`, then the file's type).
pub fn open_regular(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    open_sized(path, options).map(|(file, _)| file)
}

/// [`open_regular`], with the file's length as it was opened.
fn open_sized(path: &Path, options: &mut OpenOptions) -> std::io::Result<(File, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta.len()))
}

/// Reads a regular file of at most `max` bytes ([`open_regular`]): a
/// larger one, or `/dev/zero` linked in its place, is refused rather than
/// read without end.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let (file, len) = open_sized(path, OpenOptions::new().read(true))?;
    // Sized up front: grown by doubling, a 76 KB bundle was copied four
    // times into fresh pages, each page a fault (docs/integrations.md#speed).
    // The byte past the length lets the read see the end without growing.
    let mut bytes = Vec::with_capacity(len.min(max).saturating_add(1) as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("larger than {} bytes", max),
        ));
    }
    Ok(bytes)
}
