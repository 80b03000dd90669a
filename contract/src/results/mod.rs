//! The results contract (results/README.md): the files under `results/<sweep>/` and the rows they
//! hold. The driver, the worker and the analysis all read and write through these types, so
//! renaming a column is a compile-time change in one place and a failing analysis test.

mod atomic;
mod plan_table;
mod progress;
mod reconstruction;
mod rows;

pub use atomic::{
    sync_filesystem, write_atomic, write_atomic_as, write_atomic_new, write_atomic_new_as, Durability,
};
pub use plan_table::{PlanRow, PlanTable, PlanTableError};
pub use progress::{describe as describe_progress, last_train_row};
pub use reconstruction::{ManifestRow, ReconstructSummary};
pub use rows::{ProfileRow, Summary, TrainRow, TrialState, TrialStatus, ValidationRow};

/// File names inside `results/<sweep>/`.
pub mod names {
    pub const SWEEP_SPEC: &str = "sweep.yaml";
    pub const PLAN_CSV: &str = "plan.csv";
    /// The site the sweep was planned for ([`crate::site::SiteFacts`]).
    pub const SITE_JSON: &str = "site.json";
    pub const TRIALS_DIR: &str = "trials";
    pub const REPORT_DIR: &str = "report";
    /// Inside `trials/<id>/`.
    pub const TRIAL_YAML: &str = "trial.yaml";
    pub const JOB_SCRIPT: &str = "job.pbs";
    pub const STATE_JSON: &str = "state.json";
    pub const TRAIN_CSV: &str = "train.csv";
    pub const PROFILE_CSV: &str = "profile.csv";
    pub const VALIDATION_CSV: &str = "validation.csv";
    pub const SUMMARY_JSON: &str = "summary.json";
    pub const CHECKPOINT_DIR: &str = "checkpoint";
    /// Job output (`#PBS -o`), stdout and stderr joined.
    pub const JOB_OUTPUT: &str = "job.out";
    /// Reconstruction trials only: the output folder of the reconstruction (and of
    /// `xvr-worker reconstruct --out`, whose files these are) …
    pub const RECONSTRUCTION_DIR: &str = "reconstruction";
    /// … holding one row per reconstructed frame …
    pub const MANIFEST_CSV: &str = "manifest.csv";
    /// … and the run's summary (b0, LR PSNR, frames/s, …).
    pub const RECONSTRUCT_JSON: &str = "reconstruct.json";
    /// The synthetic test video a reconstruction trial writes when it names none.
    pub const TEST_VIDEO_DIR: &str = "test_video";

    /// `trace-rank<k>.json`.
    pub fn trace_file(rank: usize) -> String {
        format!("trace-rank{rank}.json")
    }
}
