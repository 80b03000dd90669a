//! SIGTERM → "checkpoint and stop". PBS sends SIGTERM before SIGKILL when a job reaches its
//! walltime (and the local scheduler does the same), so the loop gets a grace period to
//! save its state. The handler only sets a flag; the loop polls it once per iteration.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only async-signal-safe work here: one atomic store.
    REQUESTED.store(true, Ordering::SeqCst);
}

/// The handler of `signal` could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("installing the handler for signal {signal}: {source}")]
pub struct SignalError {
    pub signal: libc::c_int,
    pub source: std::io::Error,
}

/// Installs the handler for SIGTERM and SIGINT (Ctrl-C behaves the same way).
pub fn install() -> Result<(), SignalError> {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: `action` is fully initialised (zeroed, then handler and mask set) and
        // `on_signal` is an `extern "C"` function that only touches an atomic.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(SignalError { signal, source: std::io::Error::last_os_error() });
        }
    }
    Ok(())
}

/// Whether a stop was requested since start-up.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
