//! Spec errors in the `file:line:column: message` form editors and terminals understand.

use std::fmt;
use std::path::PathBuf;

use super::marked::Pos;

/// One rule a spec breaks, at the node that breaks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpecError {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    /// The trial that breaks it (`variant heads1, model.window=4`), when the rule is one
    /// of a trial's rather than of the spec's form.
    pub trial: Option<String>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.pos.line,
            self.pos.column,
            self.message
        )?;
        match &self.trial {
            Some(trial) => write!(f, " (trial {trial})"),
            None => Ok(()),
        }
    }
}

/// Every problem found in one spec, sorted by position and without repeats (a base value
/// shared by many trials is reported once).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl SpecErrors {
    pub fn push(&mut self, file: &std::path::Path, pos: Pos, message: impl Into<String>) {
        self.0.push(SpecError {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            trial: None,
        });
    }

    /// A rule that trial `trial` breaks.
    pub fn push_for_trial(&mut self, file: &std::path::Path, pos: Pos, message: impl Into<String>, trial: String) {
        self.0.push(SpecError {
            file: file.to_path_buf(),
            pos,
            message: message.into(),
            trial: Some(trial),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found, else the sorted errors, each once: a rule that
    /// many trials break at the same spec value (a base value they share) is reported for
    /// the first of them only.
    pub fn into_result<T>(mut self, value: T) -> Result<T, SpecErrors> {
        if self.0.is_empty() {
            return Ok(value);
        }
        self.0.sort();
        self.0.dedup_by(|a, b| a.file == b.file && a.pos == b.pos && a.message == b.message);
        Err(self)
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}
