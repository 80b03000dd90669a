//! Per-trial file locks, so that two `xvr submit` processes on one sweep never run the
//! same trial: a submitter holds a trial's lock from deciding to run it until its state
//! is final. `flock` locks vanish with the process, so a killed submitter frees its trials.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Lock file inside each trial directory.
pub const LOCK_FILE: &str = ".submit.lock";

/// An exclusive lock on one trial, released on drop.
#[derive(Debug)]
pub struct TrialLock {
    file: File,
}

impl TrialLock {
    /// Takes the lock without waiting; `Ok(None)` when another process holds it.
    pub fn try_acquire(trial_dir: &Path) -> io::Result<Option<TrialLock>> {
        let path = trial_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(Some(TrialLock { file }));
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Ok(None)
        } else {
            Err(io::Error::new(
                err.kind(),
                format!("{}: flock: {err}", path.display()),
            ))
        }
    }
}

impl Drop for TrialLock {
    fn drop(&mut self) {
        // SAFETY: as above; closing the file would release it too, this makes it explicit.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_trial_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = TrialLock::try_acquire(dir.path()).unwrap();
        assert!(first.is_some());
        // flock locks belong to the open file description, so a second open conflicts
        // even within one process, as it would across two submitters.
        assert!(TrialLock::try_acquire(dir.path()).unwrap().is_none());
        drop(first);
        assert!(TrialLock::try_acquire(dir.path()).unwrap().is_some());
    }
}
