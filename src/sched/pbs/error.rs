//! Why a PBS command did not do what the adapter asked: it could not be run, PBS refused
//! (its own message kept whole), or its answer could not be read.

use std::fmt;
use std::io;
use std::process::Output;

use super::job_id::NotAJobId;
use super::qstat::ReportError;

/// What a failed PBS command said: its stderr (else stdout) and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbsMessage {
    /// `qsub`, `qstat` or `qdel`.
    pub command: &'static str,
    /// Its stderr, else its stdout, trimmed (may be empty).
    pub text: String,
    /// Its exit code; `None` when a signal ended it.
    pub exit_code: Option<i32>,
}

impl PbsMessage {
    /// The message of `command`, which ended with `out`.
    pub fn of(command: &'static str, out: &Output) -> Self {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let text = if stderr.trim().is_empty() { stdout.trim() } else { stderr.trim() };
        PbsMessage {
            command,
            text: text.to_string(),
            exit_code: out.status.code(),
        }
    }
}

impl fmt::Display for PbsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .exit_code
            .map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
        if self.text.is_empty() {
            write!(f, "{} failed ({code}) and printed nothing", self.command)
        } else {
            write!(f, "{} ({} {code})", self.text, self.command)
        }
    }
}

impl std::error::Error for PbsMessage {}

/// Why a qsub, qstat or qdel call failed.
#[derive(Debug, thiserror::Error)]
pub enum PbsError {
    #[error("cannot run {program}: not found on PATH (is this a PBS login node?)")]
    NotFound { program: &'static str },
    #[error("cannot run {program}: {source}")]
    CannotRun { program: &'static str, source: io::Error },
    /// PBS refused (qsub, qdel): its message.
    #[error(transparent)]
    Refused(PbsMessage),
    #[error("qstat printed no report: {0}")]
    NoReport(PbsMessage),
    #[error("qstat report unreadable ({source}); {message}")]
    Unreadable { source: ReportError, message: PbsMessage },
    #[error(transparent)]
    JobId(#[from] NotAJobId),
}
