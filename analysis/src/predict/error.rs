//! Why a prediction could not be made or written.

use std::path::PathBuf;

use crate::output_error::OutputError;
use crate::plot::PlotError;
use crate::sweep::SweepError;
use xvr_contract::results::names::SITE_JSON;

#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The planned or the measured sweep could not be read.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error(
        "{}: no {SITE_JSON}: plan the sweep again with this xvr (`xvr plan SPEC` rewrites nothing else), or predict the spec with `xvr predict SPEC --from DIR`",
        planned.display()
    )]
    NoSite { planned: PathBuf },
    #[error("{}: {source}", path.display())]
    Site { path: PathBuf, source: serde_json::Error },
    #[error("{}: cannot read: {source}", path.display())]
    SiteUnreadable { path: PathBuf, source: std::io::Error },
    #[error("{}: planned trial {trial} cannot be predicted: {problems}", planned.display())]
    PlannedTrialUnreadable { planned: PathBuf, trial: String, problems: String },
    #[error(
        "site {site}: its profile has no `links:` (bandwidth and latency within and between nodes); add them \
         or give both --intra-node and --inter-node"
    )]
    NoLinks { site: String },
    #[error(
        "{}: no succeeded trial with trial.yaml and summary.json to measure compute time from",
        measured.display()
    )]
    NothingMeasured { measured: PathBuf },
    #[error(
        "planned trial {trial} ({config}): no succeeded trial in {} has this model ({model}); measure it first",
        measured.display()
    )]
    ModelNotMeasured { trial: String, config: String, measured: PathBuf, model: String },
    #[error(
        "{}: the trials with the model of planned trial {trial} ran on several ranks without a \
         profile.csv: their compute time cannot be separated from communication",
        measured.display()
    )]
    ComputeNotSeparable { measured: PathBuf, trial: String },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// A `--intra-node`/`--inter-node` value that is not a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{option} `{text}`: expected BANDWIDTH_GB_S,LATENCY_US with bandwidth > 0 and latency >= 0, e.g. 300,2"
)]
pub struct BadLink {
    pub option: String,
    pub text: String,
}
