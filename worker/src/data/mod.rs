//! Videos and training samples (docs/data.md).
//!
//! - [`frame`]: `Frame`, `Video`, `PairedVideo` (HR + LR of one scene).
//! - Sources: stored sequences — [`sequence`] reads PNG/TIFF frame folders, TIFF stacks and
//!   HDF5 datasets ([`png_frame`], [`tiff_file`], `hdf5_dataset`) as [`level_frame`]s and
//!   normalises them; [`video_root`] reads a root of such videos; [`sequence_writer`] writes
//!   frames back in a sequence's format — and [`synthetic`] (generated x-ray videos, the
//!   default).
//! - The virtual experiment: [`binning`], [`renorm`], [`poisson_noise`], combined in
//!   [`experiment`].
//! - [`dataset`]: a trial's training/validation videos ([`selection`]: `val_videos`,
//!   `data.fraction`).
//! - Training: [`sample`] (one sample, with [`crop`] and [`dihedral`]) and [`sampler`] (the
//!   seeded, sharded, resumable stream; [`seeding`] derives its random streams).
//! - Validation/inference: [`eval_input`].
//! - Errors: each step returns its own type, beside it when small, else in its own file
//!   ([`sequence_error`], [`video_root_error`], [`pairing_error`], [`sampler_error`],
//!   [`dataset_error`]).

pub mod binning;
pub mod crop;
pub mod dataset;
pub mod dataset_error;
pub mod dihedral;
pub mod eval_input;
pub mod experiment;
pub mod frame;
#[cfg(feature = "hdf5")]
pub mod hdf5_dataset;
pub mod level_frame;
pub mod pairing_error;
pub mod png_frame;
pub mod poisson_noise;
pub mod renorm;
pub mod sample;
pub mod sampler;
pub mod sampler_error;
pub mod seeding;
pub mod selection;
pub mod sequence;
pub mod sequence_error;
pub mod sequence_writer;
pub mod synthetic;
pub mod tiff_file;
pub mod video_root;
pub mod video_root_error;

pub use dataset::Dataset;
pub use dataset_error::DatasetError;
pub use eval_input::{eval_frames, eval_input, EvalInput};
pub use frame::{Frame, PairedVideo, Video};
pub use sample::{Sample, SampleParams};
pub use sampler::{SamplerState, TrainSampler};
pub use sampler_error::SamplerError;
