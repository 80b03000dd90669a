//! Why a sweep's results directory, or one of its files, cannot be read: each error names
//! the file (and the line or column where there is one) and what was wrong.

use std::io;
use std::path::PathBuf;

use xvr_contract::results::PlanTableError;
use xvr_contract::rules::RuleError;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{}: not a directory (expected results/<sweep>/)", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error("{}: missing; is this a results/<sweep>/ directory written by `xvr plan`?", path.display())]
    NoPlan { path: PathBuf },
    #[error("{}: cannot list: {source}", dir.display())]
    List { dir: PathBuf, source: io::Error },
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// A CSV file that cannot be opened or has a bad row (serde's message names the column).
    #[error("{}{}: {source}", path.display(), line_of(source))]
    Csv { path: PathBuf, source: csv::Error },
    #[error(transparent)]
    Plan(#[from] PlanTableError),
    #[error("{}: {source}", path.display())]
    Json { path: PathBuf, source: serde_json::Error },
    /// A YAML file (positions are in serde_yaml's message).
    #[error("{}: {source}", path.display())]
    Yaml { path: PathBuf, source: serde_yaml::Error },
    /// A trial.yaml that breaks a rule of the results contract.
    #[error("{}: {source}", path.display())]
    Rule { path: PathBuf, source: RuleError },
}

/// `:line` of a CSV error that has a position.
fn line_of(e: &csv::Error) -> String {
    e.position().map(|p| format!(":{}", p.line())).unwrap_or_default()
}
