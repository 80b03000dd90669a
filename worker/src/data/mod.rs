//! Videos and training samples (docs/data.md).
//!
//! - [`frame`]: `Frame`, `Video`, `PairedVideo` (HR + LR of one scene).
//! - Sources: [`png_frame`] / [`png_folders`] (XFusion's PNG layout) and [`synthetic`]
//!   (generated x-ray videos, the default).
//! - The virtual experiment: [`binning`], [`renorm`], [`poisson_noise`], combined in
//!   [`experiment`].
//! - [`dataset`]: a trial's training/validation videos ([`selection`]: `val_videos`,
//!   `data.fraction`).
//! - Training: [`sample`] (one sample, with [`crop`] and [`dihedral`]) and [`sampler`] (the
//!   seeded, sharded, resumable stream; [`seeding`] derives its random streams).
//! - Validation/inference: [`eval_input`].

pub mod binning;
pub mod crop;
pub mod dataset;
pub mod dihedral;
pub mod eval_input;
pub mod experiment;
pub mod frame;
pub mod png_folders;
pub mod png_frame;
pub mod poisson_noise;
pub mod renorm;
pub mod sample;
pub mod sampler;
pub mod seeding;
pub mod selection;
pub mod synthetic;

pub use dataset::Dataset;
pub use eval_input::{eval_frames, eval_input, EvalInput};
pub use frame::{Frame, PairedVideo, Video};
pub use sample::{Sample, SampleParams};
pub use sampler::{SamplerState, TrainSampler};
