//! `xvr-worker reconstruct`: a trained trial's model applied to a real experiment
//! (docs/reconstruction.md) — every HR frame at the LR frame rate, written in the input's
//! format and bit depth, with a manifest.
//!
//! - [`args`]: the command line.
//! - [`experiment`]: the input sequences, their frame relation and the checks made before
//!   any work; the model inputs of one target frame.
//! - [`manifest`]: manifest.csv and reconstruct.json.
//! - [`noise_level`]: a test condition's LR noise, and the b0 that gives a wanted LR PSNR.
//! - [`run`]: the frames split over the ranks, timed, written and gathered; why it did not
//!   finish is a [`ReconstructError`] ([`reconstruct_error`]).
//! - [`trial`]: a reconstruction trial (`xvr-worker run` on a trial with a `reconstruct`
//!   section): the same, with the trial's result files.

pub mod args;
pub mod experiment;
pub mod experiment_error;
pub mod manifest;
pub mod manifest_error;
pub mod noise_level;
pub mod noise_level_error;
pub mod reconstruct_error;
pub mod run;
pub mod trial;

pub use args::ReconstructArgs;
pub use reconstruct_error::{ReconstructError, ReconstructFailure, Refusal};
pub use run::reconstruct;
