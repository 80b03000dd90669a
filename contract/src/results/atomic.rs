//! Atomic file writes: results and state must never be half-written, because a walltime
//! kill can land at any instruction and a later `xvr status` or analysis must still parse
//! every file it finds.
//!
//! The errors are the operating system's and do not name the file: every caller wraps them
//! in its own error type, which names the file it was writing (naming it here as well
//! printed the path twice).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// When a write must be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Before the call returns (fsync of the file and its directory).
    Now,
    /// At the caller's [`sync_filesystem`] after a batch of writes: planning 100 000
    /// trials writes 300 000 files, and an fsync each would take hours on a shared disk.
    /// Readers still see the old file or the new one, never a mix.
    Batched,
}

/// Writes `bytes` to `path` through a temporary file in the same directory, fsynced and
/// renamed over the target, so readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_as(path, bytes, Durability::Now)
}

/// Flushes everything written to the file system holding `dir` (syncfs(2)): the end of a
/// batch of [`Durability::Batched`] writes.
pub fn sync_filesystem(dir: &Path) -> io::Result<()> {
    let d = fs::File::open(dir)?;
    // SAFETY: syncfs(2) on a descriptor owned by `d`, alive for the call.
    if unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&d)) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// [`write_atomic`] with the given durability.
pub fn write_atomic_as(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if durability == Durability::Now {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if durability == Durability::Now {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Like [`write_atomic`] but refuses to replace an existing file with different content:
/// nothing is silently overwritten. Identical content is accepted (re-planning is a no-op).
pub fn write_atomic_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_new_as(path, bytes, Durability::Now)
}

/// [`write_atomic_new`] with the given durability.
pub fn write_atomic_new_as(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    match fs::read(path) {
        Ok(existing) if existing == bytes => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "exists with different content; refusing to overwrite",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => write_atomic_as(path, bytes, durability),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn new_refuses_different_content_but_accepts_same() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("trial.yaml");
        write_atomic_new(&p, b"a: 1\n").unwrap();
        write_atomic_new(&p, b"a: 1\n").unwrap();
        let err = write_atomic_new(&p, b"a: 2\n").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"a: 1\n");
    }
}
